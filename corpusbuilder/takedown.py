"""Takedowns: a document someone asks to remove leaves every later release, with the reason kept.

A selector names a doc_id, a text sha256, or an origin URL; every document it matches becomes
`taken_down` with a decision row, now and in any later ingest or curation (the selector is kept
in the `takedown` table). Frozen releases are not rewritten: publish a new version without it.

Nothing undoes a takedown: a takedown waits for a running curation (the corpus lock), the ledger
never writes a curation's decision over a taken-down document, and curation applies every
recorded takedown again when it starts.
"""

from __future__ import annotations

from sqlalchemy import or_

from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.models import Document, decision_row
from corpusbuilder.reasons import Reason, Status

COMPONENT = "takedown_v1"


def matching(selector: str):
    """The SQL condition for documents a selector names."""
    return or_(
        Document.doc_id == selector,
        Document.text_sha256 == selector,
        Document.raw_sha256 == selector,
        Document.url == selector,
    )


def apply(ledger: Ledger, run_id: int, selectors: list[tuple[str, str]]) -> list[str]:
    """Mark every document a selector matches as taken down; return their doc_ids."""
    updates, decisions = [], []
    for selector, reason in selectors:
        ids = ledger.doc_ids(matching(selector), Document.status != Status.TAKEN_DOWN)
        for doc_id in ids:
            # A `curate --all` mark goes too: there is nothing left to decide about it.
            updates.append({"doc_id": doc_id, "status": Status.TAKEN_DOWN,
                            "reason": Reason.TAKEDOWN, "recurate": False})  # fmt: skip
            detail = f"{selector}: {reason}"
            decisions.append(decision_row(doc_id, run_id, "takedown", COMPONENT,
                                          Status.TAKEN_DOWN, Reason.TAKEDOWN, detail))  # fmt: skip
    ledger.update_documents(updates, decisions)
    return [u["doc_id"] for u in updates]


def take_down(ledger: Ledger, selector: str, reason: str) -> list[str]:
    """Record a takedown and apply it; return the doc_ids it took down."""
    if not reason.strip():
        raise ValueError("say why: `--reason` is kept with the takedown and shown by audit")
    ledger.add_takedown(selector, reason)
    run_id = ledger.start_run("takedown")
    try:
        taken = apply(ledger, run_id, [(selector, reason)])
    except BaseException as exc:
        ledger.abort_run(run_id, {}, exc)
        raise
    ledger.finish_run(run_id, "completed", {"taken_down": len(taken)})
    return taken


def reapply(ledger: Ledger, run_id: int) -> list[str]:
    """Apply every recorded takedown again (after an ingest that re-added a document)."""
    return apply(ledger, run_id, [(t.selector, t.reason) for t in ledger.takedowns()])
