"""ATTRIBUTION.md of a release: for every document whose licence requires attribution (BY,
BY-SA, ODC-By, OGL…), its creator, title, source URL, licence with its URL, and a notice when
the released text differs from the work as published (what the adapter strips, PII redaction).
Share-alike documents are flagged. Rendered from the frozen provenance rows, so it never changes
once frozen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

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


def render(version: str, rows: Iterable[dict]) -> str | None:
    """ATTRIBUTION.md for the provenance rows of release `version`; None when no document
    requires attribution."""
    return "".join(_pieces(version, rows)) or None


def write(path: Path, version: str, rows: Iterable[dict]) -> None:
    """Write `render(version, rows)` to `path` an entry at a time (memory holds one entry, not
    one for each attributed document); no file when it is None."""
    pieces = _pieces(version, rows)
    first = next(pieces, None)
    if first is not None:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(first)
            handle.writelines(pieces)


def _pieces(version: str, rows: Iterable[dict]) -> Iterator[str]:
    """The text of ATTRIBUTION.md in pieces: the head with the first entry, then one entry at a
    time, the last one without its trailing blank line; nothing without entries."""
    entries = (_entry(row) for row in rows if row.get("attribution"))
    last = next(entries, None)
    if last is None:
        return
    head = [
        f"# Attribution — release {version}",
        "",
        "These documents are released under licences that require attribution. Reuse them with"
        " the credit below; documents marked **share-alike** must be shared under the same"
        " licence.",
        "",
    ]
    yield "\n".join(head) + "\n"
    for entry in entries:
        yield "\n".join(last) + "\n"
        last = entry
    yield "\n".join(last).rstrip() + "\n"


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
