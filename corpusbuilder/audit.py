"""Answer "why is this text in release X, under which licence, on what evidence?" for one document,
and for an excluded one, why it was left out.
"""

from __future__ import annotations

import json
from typing import Any

from corpusbuilder.curate import measurements
from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger
from corpusbuilder.reasons import Status

WHY = {
    Status.SKIPPED: "the source adapter skipped it",
    Status.LICENCE_REJECTED: "its licence is not allowed by the policy",
    Status.QUARANTINED: "its licence evidence is unknown or conflicting; it is held back",
    Status.FILTERED: "a curation filter removed it",
    Status.HELD: "it is held for review: the language its source states is not the one detected",
    Status.DUPLICATE: "it duplicates another document, which was kept instead",
    Status.TAKEN_DOWN: "it was taken down",
    Status.INGESTED: "it has not been curated yet; run `corpusbuilder curate`",
}


class NotInLedger(UserError, LookupError):
    """The asked document is not in the ledger."""


def _dump(row: Any, *fields: str) -> dict:
    """A ledger record or light row as plain JSON-able data."""
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in row._asdict().items()
        if not fields or k in fields
    }


def report(ledger: Ledger, doc_id: str) -> dict:
    """Everything the ledger knows about `doc_id`, as plain data."""
    doc = ledger.document(doc_id)
    if doc is None:
        raise NotInLedger(
            f"no document {doc_id!r} in the ledger; ids look like `<source>/<source_key>`"
            " (see `corpusbuilder status`)"
        )
    source = ledger.source(doc.source)
    also = [row.doc_id for row in ledger.duplicates_of([doc_id])]
    decisions = ledger.decisions(doc_id)
    passed = doc.status in (Status.KEPT, Status.DUPLICATE)  # its last curation kept it
    return {
        "document": _dump(doc),
        "source": _dump(source) if source else None,
        "evidence": [_dump(e) for e in ledger.evidence([doc_id])[doc_id]],
        "decisions": [_dump(d) for d in decisions],
        "filter_measurements": measurements.rows(decisions) if passed else [],
        "releases": [
            _dump(r, "version", "config", "shard", "row") for r in ledger.releases_holding(doc_id)
        ],
        "also_found_in": also,
        "takedowns": [_dump(t) for t in ledger.takedown_of(doc_id)],
        "why_excluded": None if doc.status == Status.KEPT else WHY.get(Status(doc.status)),
    }


def _header(data: dict) -> list[str]:
    doc, source = data["document"], data["source"]
    lines = [
        f"{doc['doc_id']}: {doc['status']} ({doc['reason']})",
        f"  origin:    {doc['url']}",
        f"  title:     {doc['title'] or '-'}",
        f"  creator:   {doc['creator'] or '-'}   date: {doc['date'] or '-'}",
    ]
    if source:
        adapter = f"{source['adapter']} {source['adapter_version']}"
        lines.append(f"  source:    {source['name']} (adapter {adapter})")
    if doc["text_sha256"]:
        size = f", {doc['chars']} chars, {doc['words']} words" if "chars" in doc else ""
        lines.append(f"  text:      sha256 {doc['text_sha256']}{size}")
    if doc["language"]:
        lines.append(f"  language:  {doc['language']} ({doc['language_score']})")
    lines += _stated_language(doc)
    verdict = f"{doc['licence'] or 'none'} — {doc['licence_status'] or 'undecided'}"
    lines.append(f"  licence:   {verdict} — rule: {doc['licence_rule'] or '-'}")
    return lines


def _stated_language(doc: dict) -> list[str]:
    """The language the source states, beside the detected one, when it states one."""
    if not doc.get("language_hint"):
        return []
    checked = "names no single language" if doc.get("language") else "not checked"
    normalised = doc.get("language_stated") or checked
    return [f"  stated:    {doc['language_hint']} ({normalised}) by the source's metadata"]


def _takedowns(data: dict) -> list[str]:
    """The takedowns that removed the document: selector, reason, date, and how it matched."""
    lines = []
    for t in data.get("takedowns", ()):
        how = "named by it"
        if t["match"] != "named":
            kind = "an exact" if t["match"] == "exact_copy" else "a near"
            how = f"{kind} copy of {t['copy_of']} (similarity {t['similarity']})"
        lines.append(f"  taken down by takedown #{t['id']} of {t['selector']!r} on"
                     f" {t['created_at']}: {t['reason']} — {how}")  # fmt: skip
    return lines


def _exclusion(data: dict) -> list[str]:
    doc, lines = data["document"], []
    if data["why_excluded"]:
        lines.append(f"  not released because {data['why_excluded']}")
    lines += _takedowns(data)
    if doc["duplicate_of"]:
        lines.append(f"  duplicate of: {doc['duplicate_of']}")
    if data["also_found_in"]:
        lines.append(f"  also found in: {', '.join(data['also_found_in'])}")
    return lines


def _evidence(data: dict) -> list[str]:
    lines = ["evidence:"]
    for e in data["evidence"]:
        where = (
            f"{e['locator']} ({e['kind']}{', ' + e['jurisdiction'] if e['jurisdiction'] else ''})"
        )
        verdict = f"{e['resolved'] or 'no licence'} [{e['status'] or 'unresolved'}]"
        lines += [
            f"  - {e['statement']!r}",
            f"      read at {where} on {e['retrieved_at']}",
            f"      → {verdict} by {e['rule'] or '-'}",
        ]
    return lines


def _history(data: dict) -> list[str]:
    lines = ["decisions:"]
    for d in data["decisions"]:
        detail = f" — {d['detail']}" if d["detail"] else ""
        what = f"{d['stage']}: {d['outcome']} ({d['reason']})"
        lines.append(f"  - run {d['run_id']} {what} by {d['component']}{detail}")
    lines.append("releases:")
    for r in data["releases"]:
        lines.append(f"  - {r['version']}: config {r['config']}, {r['shard']}, row {r['row']}")
    if not data["releases"]:
        lines.append("  - none")
    return lines


def _measurements(data: dict) -> list[str]:
    """What each filter measured on the document when it kept it."""
    found = data.get("filter_measurements")
    return ["filter measurements:", *measurements.render(found)] if found else []


def render(data: dict, as_json: bool = False) -> str:
    """The audit report as text for a person, or as JSON for a program."""
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sections = _header(data) + _exclusion(data) + _evidence(data) + _measurements(data)
    return "\n".join(sections + _history(data))
