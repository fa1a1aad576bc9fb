"""Curation: licence decision, language, quality filters, then deduplication, for every document
waiting in the ledger. Each outcome is a decision row with a stable reason code.

Per-document work (language, filters) runs over batches in a process pool; the licence decision
and deduplication need the ledger and run in the parent.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from corpusbuilder import langid
from corpusbuilder.config import CorpusConfig
from corpusbuilder.dedup_exact import exact_duplicates
from corpusbuilder.filters import build_filters
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger.models import Document
from corpusbuilder.licences import Policy
from corpusbuilder.reasons import Reason, Status
from corpusbuilder.source import LicenceEvidence, utc_now
from corpusbuilder.textstore import TextStore

BATCH = 2000
FILTERS_COMPONENT = "curation_filters_v1"  # every configured filter passed
LICENCE_STATUS = {
    "allowed": (Status.INGESTED, Reason.LICENCE_ALLOWED),
    "rejected": (Status.LICENCE_REJECTED, Reason.LICENCE_REJECTED),
    "unknown": (Status.QUARANTINED, Reason.LICENCE_UNKNOWN),
}


@dataclass
class CurateResult:
    run_id: int
    counts: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Analysis:
    """What the per-document stage found: language, and the first filter that dropped it."""

    language: str
    score: float
    filter_name: str | None = None
    reason: str | None = None
    detail: str | None = None


def analyse(texts: Sequence[str], curate: dict[str, Any]) -> list[Analysis]:
    """Language and quality filters over a batch; pure, so it runs in worker processes."""
    filters = build_filters(curate.get("filters"))
    selected = set(curate.get("languages") or [])
    results = []
    for text in texts:
        guess = langid.identify(text)
        if selected and guess.language not in selected:
            detail = f"{guess.language} not in {sorted(selected)}"
            results.append(
                Analysis(
                    guess.language, guess.score, "languages", Reason.LANGUAGE_NOT_SELECTED, detail
                )
            )
            continue
        dropped = next(((f, r) for f in filters if (r := f.check(text, guess.language))), None)
        if dropped:
            filt, result = dropped
            results.append(
                Analysis(guess.language, guess.score, filt.name, result.reason, result.detail)
            )
        else:
            results.append(Analysis(guess.language, guess.score))
    return results


class Curator:
    def __init__(
        self, config: CorpusConfig, ledger: Ledger, store: TextStore, workers: int | None = None
    ) -> None:
        self.config, self.ledger, self.store = config, ledger, store
        self.policy = Policy.load(overrides=config.licences)
        self.workers = workers or os.cpu_count() or 1
        self.licence_component = f"licences.yaml@{self.policy.hash[:12]}"

    def _decision(
        self,
        run_id: int,
        doc_id: str,
        stage: str,
        component: str,
        outcome: str,
        reason: str,
        detail: str | None = None,
    ) -> dict:
        return {
            "doc_id": doc_id,
            "run_id": run_id,
            "stage": stage,
            "component": component,
            "outcome": outcome,
            "reason": reason,
            "detail": detail,
            "created_at": utc_now(),
        }

    def run(self, progress: bool = True) -> CurateResult:
        ledger = self.ledger
        result = CurateResult(ledger.start_run("curate"))
        waiting = [d.doc_id for d in ledger.documents(Document.status == Status.INGESTED)]
        try:
            with (
                ProcessPoolExecutor(self.workers)
                if self.workers > 1 and len(waiting) > BATCH
                else _Inline() as pool
            ):
                bar = tqdm(total=len(waiting), desc="curate", unit=" docs", disable=not progress)
                for start in range(0, len(waiting), BATCH):
                    self._batch(waiting[start : start + BATCH], pool, result)
                    bar.update(min(BATCH, len(waiting) - start))
                bar.close()
            self._deduplicate(result)
        except BaseException as exc:
            ledger.finish_run(
                result.run_id, "failed", dict(result.counts), f"{type(exc).__name__}: {exc}"
            )
            raise
        ledger.finish_run(result.run_id, "completed", dict(result.counts))
        return result

    def _licence(self, doc: Document, evidence: list, run_id: int) -> tuple[dict, list[dict], dict]:
        statements = [
            LicenceEvidence(e.statement, e.locator, e.kind, e.retrieved_at, e.jurisdiction)
            for e in evidence
        ]
        verdict = self.policy.decide(statements)
        status, reason = LICENCE_STATUS[verdict.status]
        if verdict.status == "unknown" and verdict.rule.startswith("conflict"):
            reason = Reason.LICENCE_CONFLICT
        update = {
            "doc_id": doc.doc_id,
            "licence": verdict.licence,
            "licence_status": verdict.status,
            "licence_rule": verdict.rule,
            "status": status,
            "reason": reason,
        }
        resolved = []
        for row in evidence:
            res = self.policy.resolve(row.statement)
            resolved.append(
                {"id": row.id, "resolved": res.licence, "status": res.status, "rule": res.rule}
            )
        outcome = "passed" if status == Status.INGESTED else status
        decision = self._decision(
            run_id,
            doc.doc_id,
            "licence",
            self.licence_component,
            outcome,
            reason,
            f"{verdict.licence or 'no licence'}: {verdict.rule}",
        )
        return update, resolved, decision

    def _batch(self, doc_ids: list[str], pool, result: CurateResult) -> None:
        run_id = result.run_id
        docs = list(self.ledger.documents(Document.doc_id.in_(doc_ids)))
        evidence = self.ledger.evidence(doc_ids)
        updates, evidence_updates, decisions, allowed = [], [], [], []
        for doc in docs:
            update, resolved, decision = self._licence(doc, evidence[doc.doc_id], run_id)
            evidence_updates += resolved
            decisions.append(decision)
            if update["status"] == Status.INGESTED:
                allowed.append((doc, update))
            else:
                updates.append(update | {"language": None, "language_score": None})
                result.counts[update["reason"]] += 1
        texts = dict(self.store.get_many(d.text_sha256 for d, _ in allowed))
        chunks = [allowed[i : i + 200] for i in range(0, len(allowed), 200)]
        futures = [
            pool.submit(analyse, [texts[d.text_sha256] for d, _ in c], self.config.curate)
            for c in chunks
        ]
        for chunk, future in zip(chunks, futures, strict=True):
            for (doc, update), found in zip(chunk, future.result(), strict=True):
                updates.append(self._after_analysis(doc, update, found, decisions, run_id))
                result.counts[updates[-1]["reason"]] += 1
        self.ledger.update_evidence(evidence_updates)
        self.ledger.update_documents(updates, decisions)

    def _after_analysis(
        self, doc: Document, update: dict, found: Analysis, decisions: list, run_id: int
    ) -> dict:
        update |= {"language": found.language, "language_score": found.score}
        decisions.append(
            self._decision(
                run_id,
                doc.doc_id,
                "language",
                langid.COMPONENT,
                "passed",
                Reason.LANGUAGE_IDENTIFIED,
                f"{found.language} {found.score:.4f}",
            )
        )
        if found.reason:
            decisions.append(
                self._decision(
                    run_id,
                    doc.doc_id,
                    "filter",
                    found.filter_name,
                    Status.FILTERED,
                    found.reason,
                    found.detail,
                )
            )
            return update | {"status": Status.FILTERED, "reason": found.reason}
        decisions.append(
            self._decision(run_id, doc.doc_id, "filter", FILTERS_COMPONENT, "passed", Reason.KEPT)
        )
        return update | {"status": Status.KEPT, "reason": Reason.KEPT}

    def _deduplicate(self, result: CurateResult) -> None:
        """Exact dedup over every kept or exact-duplicate document (the keep policy is global)."""
        candidates = list(
            self.ledger.documents(
                Document.status.in_([Status.KEPT, Status.DUPLICATE]),
            )
        )
        rank = {d.doc_id: (self.policy.openness(d.licence), d.seq, d.doc_id) for d in candidates}
        winners = exact_duplicates([(d.doc_id, d.text_sha256, rank[d.doc_id]) for d in candidates])
        updates, decisions = [], []
        for doc in candidates:
            winner = winners[doc.doc_id]
            status = Status.KEPT if winner is None else Status.DUPLICATE
            if (doc.status, doc.duplicate_of) == (status, winner):
                continue
            reason = Reason.KEPT if winner is None else Reason.EXACT_DUPLICATE
            updates.append(
                {"doc_id": doc.doc_id, "status": status, "reason": reason, "duplicate_of": winner}
            )
            detail = None if winner is None else f"same text as {winner} (similarity 1.0)"
            decisions.append(
                self._decision(
                    result.run_id, doc.doc_id, "dedup", "exact_sha256_v1", status, reason, detail
                )
            )
            result.counts[f"dedup:{reason}"] += 1
        self.ledger.update_documents(updates, decisions)


class _Inline:
    """A stand-in for a process pool when the work is too small to be worth one."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn, *args):
        return _Done(fn(*args))


@dataclass(frozen=True)
class _Done:
    value: Any

    def result(self) -> Any:
        return self.value
