"""CHANGELOG.md of a release: its section against its parent (added, removed with the reason,
text changed, licence changed; counts and a bounded list), then its ancestors' sections.

A section is computed once by `diff` when the release is frozen, and kept in `Release.counts`;
the file is rendered from those frozen sections alone, so writing it again gives the same bytes
whatever the ledger says of the removed documents today.
"""

from __future__ import annotations

from corpusbuilder.ledger import Ledger, ReleaseRecord
from corpusbuilder.release import diff

LISTED = 50  # changes listed per kind; the rest are counted (`corpusbuilder diff` lists all)


def section(ledger: Ledger, release: ReleaseRecord) -> dict:
    """The changelog section of `release`, frozen in its release row: its rows are written, its
    parent is frozen."""
    if release.parent is None:
        return {"parent": None, "documents": release.counts["documents"]}
    found = diff.between(ledger, release.parent, release.version)
    listed: dict[str, list] = {kind: [] for kind in diff.KINDS}
    for change in found.changes:
        if len(listed[change.kind]) < LISTED:
            listed[change.kind].append([change.doc_id, change.why])
    return {"parent": release.parent, "counts": found.counts, "changes": listed}


def render(ledger: Ledger, release: ReleaseRecord) -> str:
    """CHANGELOG.md: the sections of `release` and of each ancestor that froze one."""
    lines = ["# Changelog", ""]
    while release is not None and "changelog" in release.counts:
        lines += _section(release.version, release.counts["changelog"])
        release = ledger.release(release.parent) if release.parent else None
    return "\n".join(lines).rstrip() + "\n"


def _section(version: str, data: dict) -> list[str]:
    if data["parent"] is None:
        return [f"## {version}", "", f"First release: {data['documents']} documents.", ""]
    counts = data["counts"]
    summary = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items())
    lines = [f"## {version} (against {data['parent']})", "", summary + ".", ""]
    for kind, changes in data["changes"].items():
        if not changes:
            continue
        lines += [f"### {kind.replace('_', ' ').capitalize()}", ""]
        lines += [f"- `{doc_id}`" + (f": {why}" if why else "") for doc_id, why in changes]
        if counts[kind] > len(changes):
            rest = counts[kind] - len(changes)
            lines.append(f"- … and {rest} more (`corpusbuilder diff {data['parent']} {version}`)")
        lines.append("")
    return lines
