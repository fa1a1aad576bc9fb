"""Curation of every document waiting in the ledger: licence decision, then (on the configured
engine's workers) the chain of steps of `curate.steps` (language, filters, PII redaction, MinHash
signatures), then deduplication over the whole corpus. Every outcome is a decision row with a
stable reason code and a versioned component name; this runner, never a step nor a worker, writes
them and the counters, in bulk, one transaction per batch.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import numpy as np
from tqdm import tqdm

from corpusbuilder import steps, takedown
from corpusbuilder.config import CorpusConfig
from corpusbuilder.curate import dedup, dedup_stage, measurements
from corpusbuilder.curate.analysis import Trace, analyse
from corpusbuilder.curate.signatures import SignatureStore
from corpusbuilder.engines import Engine, open_engine
from corpusbuilder.ledger import Ledger, decision_row
from corpusbuilder.licences import Policy
from corpusbuilder.reasons import Reason, Status
from corpusbuilder.source import LicenceEvidence, utc_now
from corpusbuilder.takedown_content import Content
from corpusbuilder.textstore import TextStore, sha256_text

BATCH = 2000  # documents a ledger transaction
CHUNK = 250  # documents a worker task (a batch the engine maps)
FILTERS_COMPONENT = measurements.COMPONENT  # every configured filter passed
LICENCE_STATUS = {
    "allowed": (Status.INGESTED, Reason.LICENCE_ALLOWED),
    "rejected": (Status.LICENCE_REJECTED, Reason.LICENCE_REJECTED),
    "unknown": (Status.QUARANTINED, Reason.LICENCE_UNKNOWN),
}
UNLINKED = {"duplicate_of": None, "similarity": None}  # for a document that is no duplicate


@dataclass
class _Batch:
    """A batch in flight: the ledger rows decided so far, and the workers' results of its chunks
    as they come back."""

    size: int
    at: datetime = field(default_factory=utc_now)  # the time its decision rows share
    updates: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    chunks: list = field(default_factory=list)  # [[(document row, licence update)]]
    traces: list = field(default_factory=list)  # [[Trace]], one list per chunk answered

    @property
    def answered(self) -> bool:
        return len(self.traces) == len(self.chunks)


@dataclass
class CurateResult:
    run_id: int
    counts: Counter = field(default_factory=Counter)


class Curator:
    def __init__(
        self, config: CorpusConfig, ledger: Ledger, store: TextStore, workers: int | None = None
    ) -> None:
        self.config, self.ledger, self.store = config, ledger, store
        self.policy = Policy.load(overrides=config.licences)
        self.workers = workers or os.cpu_count() or 1
        self.licence_component = f"licences.yaml@{self.policy.hash[:12]}"
        self.chain = steps.chain(config.curate)
        self.dedup = next((s.config for s in self.chain if isinstance(s, dedup.MinHashStep)), None)
        key = (
            "none"
            if self.dedup is None
            else f"{self.dedup.num_perm}-{self.dedup.ngram}-{self.dedup.seed}"
        )
        self.signatures = SignatureStore(config.storage.child("signatures"), key)

    @staticmethod
    def settings_hash(config: CorpusConfig) -> str:
        """What decides a curation (the policy and the `curate:` settings), hashed: an interrupted
        `curate --all` resumes only under the same settings."""
        policy = Policy.load(overrides=config.licences).hash
        curate = json.dumps(config.curate, sort_keys=True, default=str)
        return hashlib.sha256(f"{policy}\n{curate}".encode()).hexdigest()

    def run(self, progress: bool = True) -> CurateResult:
        """Decide every waiting document, then deduplicate. Each batch commits as it is decided,
        so an interrupted run keeps what it committed and the next run decides the rest."""
        ledger = self.ledger
        result = CurateResult(ledger.start_run("curate"))
        try:
            result.counts["taken_down"] = len(takedown.reapply(ledger, result.run_id))
            waiting = ledger.count_awaiting_curation()
            if waiting:
                with self._engine(waiting) as engine:
                    self._decide(waiting, engine, result, progress)
            self._deduplicate(result)
        except BaseException as exc:
            ledger.abort_run(result.run_id, dict(result.counts), exc)
            raise
        ledger.finish_run(result.run_id, "completed", dict(result.counts))
        return result

    def _engine(self, documents: int) -> AbstractContextManager[Engine]:
        """The engine of corpus.yaml's `engine:`; work of one chunk runs in this process. Its
        workers start with the steps' modules imported, and those that load a step's read-only
        models (a step's `preload`), so that the workers share them; each step prepares them
        first, here."""
        for step in self.chain:
            step.prepare()
        chosen = self.config.settings.engine
        workers = self.workers if documents > CHUNK or chosen.name != "local" else 1
        steps_modules = {module for s in self.chain for module in (type(s).__module__, *s.preload)}
        modules = ["corpusbuilder.curate.analysis", *sorted(steps_modules)]
        return open_engine(chosen.name, workers, address=chosen.address, preload=modules)

    def _decide(self, waiting: int, engine: Engine, result: CurateResult, progress: bool) -> None:
        """Licences are decided here as the engine asks for work, the steps run on its workers,
        and each batch is written once all its chunks are answered, in the order decided."""
        batches: deque[_Batch] = deque()
        work = self._work(batches, result)
        with tqdm(total=waiting, desc="curate", unit=" docs", disable=not progress) as bar:
            for traces in engine.map_batches(partial(analyse, self.chain), work):
                next(b for b in batches if not b.answered).traces.append(traces)
                while batches and batches[0].answered:
                    bar.update(self._collect(batches.popleft(), result))
            while batches:  # the last ones, or batches without a document for the steps
                bar.update(self._collect(batches.popleft(), result))

    def _work(self, batches: deque, result: CurateResult) -> Iterator[list[steps.Doc]]:
        """The chunks of documents for the steps, batch after batch, each batch registered in
        `batches` before its chunks are handed out."""
        for doc_ids in self.ledger.awaiting_curation(page=BATCH):
            batch, work = self._licensed(doc_ids, result)
            batches.append(batch)
            yield from work

    def _licence(self, doc, evidence: list, run_id: int, at: datetime) -> tuple[dict, list, dict]:
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
            "recurate": False,  # decided again, as `curate --all` asked
        }
        resolved = [
            {"id": row.id, "resolved": res.licence, "status": res.status, "rule": res.rule}
            for row, res in zip(evidence, verdict.resolutions, strict=True)
        ]
        outcome = "passed" if status == Status.INGESTED else status
        detail = f"{verdict.licence or 'no licence'}: {verdict.rule}"
        decision = decision_row(
            doc.doc_id, run_id, "licence", self.licence_component, outcome, reason, detail, at=at
        )
        return update, resolved, decision

    def _licensed(
        self, doc_ids: list[str], result: CurateResult
    ) -> tuple[_Batch, list[list[steps.Doc]]]:
        """Decide the licences of a batch; the allowed documents, in chunks, are the work of
        the steps."""
        batch, work = _Batch(len(doc_ids)), []
        evidence = self.ledger.evidence(doc_ids)
        allowed = []
        for doc in self.ledger.text_rows(doc_ids):
            update, resolved, decision = self._licence(
                doc, evidence[doc.doc_id], result.run_id, batch.at
            )
            batch.evidence += resolved
            batch.decisions.append(decision)
            if update["status"] == Status.INGESTED:
                allowed.append((doc, update))
                continue
            raw = doc.raw_sha256 or doc.text_sha256
            cleared = {"language": None, "language_score": None, "second_language": None}
            cleared["language_stated"] = None
            batch.updates.append(update | cleared | UNLINKED | {"pii": None, "text_sha256": raw})
            result.counts[update["reason"]] += 1
        shas = [d.raw_sha256 or d.text_sha256 for d, _ in allowed]
        texts = dict(self.store.get_many(shas))
        for start in range(0, len(allowed), CHUNK):
            chunk = allowed[start : start + CHUNK]
            batch.chunks.append(chunk)
            work.append(
                [
                    steps.Doc(
                        doc.doc_id,
                        texts[sha],
                        doc.source,
                        update["licence"],
                        language_hint=doc.language_hint,
                    )
                    for (doc, update), sha in zip(chunk, shas[start : start + CHUNK], strict=True)
                ]
            )
        return batch, work

    def _collect(self, batch: _Batch, result: CurateResult) -> int:
        """Record what the workers found for a batch; return its size."""
        changed: list[str] = []
        traces: list[Trace]
        for chunk, traces in zip(batch.chunks, batch.traces, strict=True):
            done = [
                self._after_steps(doc, update, trace, batch, result.run_id)
                for (doc, update), trace in zip(chunk, traces, strict=True)
            ]
            pairs = list(zip(done, traces, strict=True))
            result.counts.update(u["reason"] if t.dropped else "passed_filters" for u, t in pairs)
            kept = [(u["text_sha256"], t) for u, t in pairs if not t.dropped]
            changed += [t.text for _, t in kept if t.text is not None]
            signed = [(sha, t.annotations["signature"]) for sha, t in kept if t.signed]
            if signed:
                self.signatures.put([sha for sha, _ in signed], np.stack([s for _, s in signed]))
            batch.updates += done
        self.store.put_many(changed)  # durable before the rows that name them commit
        self.ledger.update_evidence(batch.evidence)
        self.ledger.update_documents(batch.updates, batch.decisions)
        return batch.size

    def _after_steps(self, doc, update: dict, trace: Trace, batch: _Batch, run_id: int) -> dict:
        """The ledger update of one document; its decisions, in the order the steps ran, join
        the batch's."""
        raw = doc.raw_sha256 or doc.text_sha256
        found = trace.annotations
        update |= {
            "language": found.get("language"),
            "language_score": found.get("language_score"),
            "second_language": found.get("second_language"),
            "language_stated": found.get("language_stated"),
            "raw_sha256": raw,
            "text_sha256": raw,
            "pii": found.get("pii") or None,
        }
        decisions, decide = batch.decisions, partial(decision_row, doc.doc_id, run_id, at=batch.at)
        measured: dict = {}  # filter name → what it measured, from each filter that kept it
        for name, stage, outcome in trace.outcomes:
            measured |= outcome.annotations.get("measurements", {})
            if "language" in outcome.annotations:
                detail = _language_detail(outcome.annotations)
                decisions.append(decide(stage, name, "passed", Reason.LANGUAGE_IDENTIFIED, detail))
            if outcome.dropped:
                status = Status.HELD if outcome.held else Status.FILTERED
                decisions.append(decide(stage, name, status, outcome.reason, outcome.detail))
                return update | UNLINKED | {"status": status, "reason": outcome.reason}
            if outcome.reason:  # a note on a kept document, e.g. pii_redacted with its counts
                decisions.append(decide(stage, name, "passed", outcome.reason, outcome.detail))
        if trace.text is not None:
            update["text_sha256"] = sha256_text(trace.text)  # stored by _collect, per batch
        kept = measurements.detail(measured)
        decisions.append(decide("filter", FILTERS_COMPONENT, "passed", Reason.KEPT, kept))
        if doc.status == Status.DUPLICATE:  # decided again by `curate --all`: dedup, at the end,
            return update | {"status": doc.status, "reason": doc.reason}  # says if it still is
        return update | UNLINKED | {"status": Status.KEPT, "reason": Reason.KEPT}

    def _deduplicate(self, result: CurateResult) -> None:
        """Exact then near dedup over every kept or duplicate document (a global keep policy), in
        bounded memory; the verdicts are written a batch at a time."""
        held = None
        if self.dedup is not None:  # near copies of taken-down texts are taken down too
            content = Content(self.dedup, self.signatures, self.store)
            held = takedown.HeldCopies(self.ledger, content)
        run = dedup_stage.Deduplication(
            self.ledger,
            self.policy.openness,
            self.dedup,
            self.signatures,
            self.store,
            held,
            self.config.workdir / "dedup-scratch",
        )
        updates, decisions = [], []
        for verdict in run.verdicts(result.run_id):
            if not updates:
                at = utc_now()  # the time a batch's decision rows share
            updates.append(
                {
                    "doc_id": verdict.doc_id,
                    "status": verdict.status,
                    "reason": verdict.reason,
                    "duplicate_of": verdict.duplicate_of,
                    "similarity": verdict.similarity,
                }
            )
            detail = None
            if verdict.duplicate_of:
                detail = f"duplicates {verdict.duplicate_of} (similarity {verdict.similarity})"
            decisions.append(
                decision_row(
                    verdict.doc_id,
                    result.run_id,
                    "dedup",
                    verdict.component,
                    verdict.status,
                    verdict.reason,
                    detail,
                    at=at,
                )
            )
            result.counts[f"dedup:{verdict.reason}"] += 1
            if len(updates) == BATCH:
                self.ledger.update_documents(updates, decisions)
                updates, decisions = [], []
        self.ledger.update_documents(updates, decisions)
        result.counts["taken_down"] += len(run.taken)


def _language_detail(found: Mapping) -> str:
    """`en 0.9876`, and a substantial second language if any."""
    score = found["language_score"]
    detail = f"{found['language']} " + ("(stated)" if score is None else f"{score:.4f}")
    if found.get("second_language"):
        detail += f"; substantial second language {found['second_language']}"
    return detail
