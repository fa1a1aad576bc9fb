"""Memory and CPU of a process tree, sampled from /proc (shared by run.py and e2e.py).

getrusage gives the maximum of one process and of its waited-for children separately, never the
tree's sum at one moment, and forkserver workers are not our children at all; so the tree is read
from /proc every 0.2 s. RSS summed over the tree counts pages shared after fork once per process
(an upper bound); PSS splits shared pages between their sharers, so its sum is the tree's real
footprint.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS, PAGE = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_usage(root: int, cpu_seen: dict[int, float]) -> tuple[int, int, int]:
    """(RSS, PSS) bytes of `root` and its descendants now, and RSS of `root` alone; records each
    one's CPU seconds so far."""
    parents, rss, cpu = {}, {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * PAGE
        cpu[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        members.update(children)
        frontier += children
    cpu_seen.update({pid: cpu[pid] for pid in members if pid in cpu})
    pss = sum(_pss(pid) for pid in members if pid in rss)
    return sum(rss.get(pid, 0) for pid in members), pss, rss.get(root, 0)


class Sampler:
    """Samples a tree every `interval` s in a thread; keeps the peaks overall and per label."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root, self.interval = root, interval
        self.label = "start"
        self.peak_rss = self.peak_pss = 0
        self.by_label: dict[str, dict[str, int]] = {}
        self.cpu_seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        """One sample (~1 ms of CPU with a few processes: 0.5 % of a core at 5 a second)."""
        rss, pss, own = tree_usage(self.root, self.cpu_seen)
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
        peaks = self.by_label.setdefault(
            self.label, dict.fromkeys(("rss", "pss", "root_rss", "others_rss"), 0)
        )
        for key, value in (
            ("rss", rss),
            ("pss", pss),
            ("root_rss", own),
            ("others_rss", rss - own),
        ):
            peaks[key] = max(peaks[key], value)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu_s(self) -> float:
        """CPU seconds of every process seen in the tree (time after its last sample is lost)."""
        return sum(self.cpu_seen.values())
