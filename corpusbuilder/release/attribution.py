"""ATTRIBUTION.md of a release: for every document whose licence requires attribution (BY,
BY-SA, ODC-By, OGL…), its creator, title, source URL, licence with its URL, and a notice when
the released text differs from the work as published (what the adapter strips, PII redaction).
Share-alike documents are flagged. Rendered from the frozen provenance rows, so it never changes
once frozen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from corpusbuilder.licences import Policy


def licence_terms(policy: Policy, licence: str | None) -> dict:
    """What a release must freeze of a document's licence to attribute it later."""
    if not licence:
        return {"licence_name": None, "attribution": False, "share_alike": False}
    found = policy.get(licence)
    return {
        "licence_name": found.name,
        "attribution": found.attribution,
        "share_alike": found.share_alike,
    }


def modifications(row: dict) -> list[str]:
    """Notices of how the released text differs from the work as published: what the source
    adapter removes, then what curation changed."""
    notices = [row["adapter_edits"]] if row.get("adapter_edits") else []
    if not row.get("text_modified"):
        return notices
    kinds = ", ".join(f"{p['count']} {p['kind']}" for p in row.get("pii") or [])
    return [*notices, f"personal data redacted ({kinds})" if kinds else "text changed by curation"]


def write(path: Path, version: str, rows: Iterable[dict]) -> None:
    """ATTRIBUTION.md of release `version` from its provenance rows; no file without entries."""
    with Attribution(path, version) as attribution:
        deque(attribution.passing(rows), maxlen=0)


class Attribution:
    """ATTRIBUTION.md written as the provenance rows go by, so that the release reads them once
    for its provenance files and for this one. `path` is opened at the first entry (no file
    without one); memory holds one entry, written when the next shows it is not the last (the
    last has no trailing blank line)."""

    def __init__(self, path: Path, version: str) -> None:
        self.path, self.version = path, version
        self._handle: TextIO | None = None
        self._last: list[str] = []

    def passing(self, rows: Iterable[dict]) -> Iterator[dict]:
        """`rows`, unchanged, each written here if it needs attribution as it passes."""
        for row in rows:
            if row.get("attribution"):
                self._add(_entry(row))
            yield row

    def __enter__(self) -> Attribution:
        return self

    def __exit__(self, kind: type | None, *_: object) -> None:
        if self._handle is None:
            return
        if kind is None:
            self._handle.write("\n".join(self._last).rstrip() + "\n")
        self._handle.close()

    def _add(self, entry: list[str]) -> None:
        if self._handle is None:
            self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._handle.write("\n".join(_head(self.version)) + "\n")
        else:
            self._handle.write("\n".join(self._last) + "\n")
        self._last = entry


def _head(version: str) -> list[str]:
    return [
        f"# Attribution — release {version}",
        "",
        "These documents are released under licences that require attribution. Reuse them with"
        " the credit below; documents marked **share-alike** must be shared under the same"
        " licence.",
        "",
    ]


def _entry(row: dict) -> list[str]:
    title = row.get("title") or "untitled"
    creator = row.get("creator") or "unknown creator"
    licence = row.get("licence_name") or row.get("licence")
    if row.get("licence_url"):
        licence = f"[{licence}]({row['licence_url']})"
    lines = [
        f"## {title}",
        "",
        f"- id: `{row['doc_id']}`",
        f"- creator: {creator}",
        f"- source: <{row['url']}>",
        f"- licence: {licence}" + (" — **share-alike**" if row.get("share_alike") else ""),
    ]
    lines += [f"- modified: {notice}" for notice in modifications(row)]
    return [*lines, ""]
