"""The files of a release that carry its provenance to its users: the `provenance` and
`decisions` configs, ATTRIBUTION.md and CHANGELOG.md. All are written from the release's frozen
record; releases frozen before provenance was (no frozen provenance rows) get none of them, so
writing such a release again still gives its recorded bytes.
"""

from __future__ import annotations

from pathlib import Path

from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.models import Release
from corpusbuilder.release import attribution, changelog, layout, provenance


def write(staging: Path, ledger: Ledger, release: Release) -> None:
    """Write the provenance files of `release` into `staging`."""
    if not ledger.has_provenance(release.version):
        return
    counts = release.counts
    provenance.write(staging, ledger, release.version, counts["funnel"], counts["documents"])
    attribution.write(
        staging / layout.ATTRIBUTION, release.version, ledger.release_provenance(release.version)
    )
    if "changelog" in counts:
        (staging / layout.CHANGELOG).write_bytes(changelog.render(ledger, release).encode())
