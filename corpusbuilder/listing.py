"""Documents by outcome (`docs`) and a sample of what one reason removed (`sample`), to see who
ended where and to judge a threshold from the measured values and the texts themselves.
"""

from __future__ import annotations

import json
import random

from corpusbuilder.errors import UserError
from corpusbuilder.ledger import Ledger
from corpusbuilder.textstore import TextStore

EXCERPT = 300  # characters of each sampled text
LISTED = ("doc_id", "source", "status", "reason", "title", "url")


def documents(
    ledger: Ledger,
    status: str | None = None,
    reason: str | None = None,
    source: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """doc_id, source, status, reason, title and url of the documents with that outcome."""
    rows = ledger.documents_by_outcome(status, reason, source, limit)
    return [dict(zip(LISTED, row, strict=True)) for row in rows]


def sample(ledger: Ledger, store: TextStore, reason: str, n: int, seed: int = 0) -> dict:
    """`n` documents `reason` removed, drawn with `seed` (the same seed, the same sample), each
    with what the decision measured and the start of its text."""
    removed = ledger.removed_for(reason)
    if not removed:
        known = sorted({row[3] for row in ledger.funnel() if row[2] != "kept" and row[3]})
        raise UserError(
            f"no document was removed for {reason!r}; reasons found: {', '.join(known) or 'none'}"
        )
    chosen = sorted(random.Random(seed).sample(removed, min(n, len(removed))))
    details = ledger.removal_details(chosen, reason)
    texts = dict(store.get_many(sorted({d.text for d in details.values() if d.text in store})))
    rows = []
    for doc_id in chosen:
        found = details.get(doc_id)
        text = texts.get(found.text) if found else None
        rows.append(
            {"doc_id": doc_id, "source": found and found.source, "status": found and found.status,
             "component": found and found.component, "detail": found and found.detail,
             "text": None if text is None else text[:EXCERPT]}
        )  # fmt: skip
    return {"reason": reason, "removed": len(removed), "seed": seed, "documents": rows}


def render_documents(rows: list[dict], as_json: bool = False) -> str:
    if as_json:
        return json.dumps({"documents": rows}, indent=2, ensure_ascii=False)
    lines = ["\t".join(str(row[k] or "-") for k in LISTED) for row in rows]
    return "\n".join(lines) if lines else "no document has this outcome"


def render_sample(report: dict, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(report, indent=2, ensure_ascii=False)
    rows = report["documents"]
    lines = [f"{report['reason']}: {report['removed']} documents removed; {len(rows)} drawn"
             f" with seed {report['seed']}"]  # fmt: skip
    for row in rows:
        lines += ["", f"{row['doc_id']} ({row['status']} by {row['component']}): {row['detail']}"]
        text = row["text"]
        lines.append("  " + (" ".join(text.split()) if text is not None else "(text not stored)"))
    return "\n".join(lines)
