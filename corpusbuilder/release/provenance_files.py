"""The files of a release that carry its provenance to its users: the `provenance` and
`decisions` configs, ATTRIBUTION.md and CHANGELOG.md. All are written from the release's frozen
record; releases frozen before provenance was (no frozen provenance rows) get none of them, so
writing such a release again still gives its recorded bytes.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from corpusbuilder.ledger import Ledger, ReleaseRecord
from corpusbuilder.release import attribution, changelog, layout, provenance


def write(staging: Path, ledger: Ledger, release: ReleaseRecord) -> None:
    """Write the provenance files of `release` into `staging`."""
    if not ledger.has_provenance(release.version):
        return
    counts, version = release.counts, release.version
    with attribution.Attribution(staging / layout.ATTRIBUTION, version) as credits:
        rows = credits.passing(ledger.release_provenance(version))  # one pass serves both
        provenance.write(staging, rows, counts["funnel"], counts["documents"])
        deque(rows, maxlen=0)  # every row credited, even beyond the frozen count
    if "changelog" in counts:
        (staging / layout.CHANGELOG).write_bytes(changelog.render(ledger, release).encode())
