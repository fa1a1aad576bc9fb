"""Is my work included? A text or a URL looked up in releases: the released documents holding
exactly that text (its sha256 as ingest computes it) or URL, those holding a near copy (MinHash,
with the estimated Jaccard similarity of their word 5-grams), the releases and configs that hold
them, and, from the ledger, the documents that match but were not released (quarantined, a
duplicate, taken down…) — the step before a takedown request.

From the ledger it searches every frozen release (or one); from a published release it reads the
release's signature file (`layout.SIGNATURES`) alone, without a ledger.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpusbuilder.curate import dedup
from corpusbuilder.curate.dedup import DedupConfig
from corpusbuilder.errors import UserError
from corpusbuilder.ingest.records import clean_text
from corpusbuilder.ledger import Ledger
from corpusbuilder.release import layout, manifest
from corpusbuilder.release import signatures as release_signatures
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore, sha256_text
from corpusbuilder.urls import public_url

THRESHOLD = 0.5  # 3 % of words edited leaves ~0.7; unrelated texts stay below 0.1
BLOCK = 65536  # signatures compared at once: bounds the temporary to ~7 MB


@dataclass(frozen=True)
class Query:
    """What is looked up: a text (normalised as ingest does) and/or an origin URL."""

    text: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, text: str | None, url: str | None) -> Query:
        if text is not None:
            text = unicodedata.normalize("NFC", clean_text(text))
            if not text.strip():
                raise UserError("the text to look up is empty: pass a file or text with words")
        return cls(text, public_url(url) if url else None)

    @property
    def sha256(self) -> str | None:
        return None if self.text is None else sha256_text(self.text)


@dataclass(frozen=True)
class Indexed:
    """The searchable rows of one release: a table of `release_signatures.COLUMNS` and the
    (rows, num_perm) signatures, in the same order."""

    version: str
    rows: pa.Table
    sigs: np.ndarray
    config: DedupConfig
    where: str


def search(query: Query, indexes: Iterable[Indexed], threshold: float = THRESHOLD) -> dict:
    """The report: every released document matching the query, by doc_id, best first; a
    document in several releases is one match (with the best similarity) naming them all."""
    found: dict[str, dict] = {}
    searched = []
    for index in indexes:
        searched.append({"release": index.version, "from": index.where,
                         "documents": len(index.rows)})  # fmt: skip
        for row, similarity in _matches(query, index, threshold):
            match = found.setdefault(row["doc_id"], _match(row, similarity))
            if (similarity or 0) > (match["similarity"] or 0):
                match |= {"similarity": similarity, "text_sha256": row["text_sha256"]}
            match["releases"].append({"version": index.version, "config": row["config"]})
            match["matched_by"] = sorted(set(match["matched_by"]) | set(_matched_by(query, row)))
    matches = sorted(found.values(), key=lambda m: (-(m["similarity"] or 0), m["doc_id"]))
    query_facts = {"text_sha256": query.sha256, "url": query.url}
    return {"query": query_facts, "threshold": threshold, "searched": searched,
            "released": matches, "not_released": []}  # fmt: skip


def _matches(query: Query, index: Indexed, threshold: float) -> Iterator[tuple[dict, float]]:
    """(row, similarity) of the rows at or above `threshold` or matching exactly; only those
    rows become Python objects."""
    similarity = np.zeros(len(index.rows))
    if query.text is not None and len(index.rows):
        mine = dedup.signatures([query.text], index.config)[0]
        similarity = np.concatenate([(index.sigs[lo : lo + BLOCK] == mine).mean(axis=1)
                                     for lo in range(0, len(index.sigs), BLOCK)])  # fmt: skip
    chosen = similarity >= threshold
    for column, value in (("text_sha256", query.sha256), ("url", query.url)):
        if value is not None:
            equal = pc.fill_null(pc.equal(index.rows[column], value), False)
            chosen |= equal.to_numpy(zero_copy_only=False)
    picked = np.flatnonzero(chosen)
    for row, i in zip(index.rows.take(picked).to_pylist(), picked, strict=True):
        yield row, None if query.text is None else round(float(similarity[i]), 4)


def _matched_by(query: Query, row: dict) -> list[str]:
    exact = [("text", query.sha256 == row["text_sha256"]), ("url", query.url == row["url"])]
    return [name for name, hit in exact if hit and getattr(query, name) is not None]


def _match(row: dict, similarity: float | None) -> dict:
    return {"doc_id": row["doc_id"], "matched_by": [], "similarity": similarity,
            "text_sha256": row["text_sha256"], "url": row["url"], "releases": [],
            "status": None}  # fmt: skip  # status: known from the ledger only


# -- from the ledger ------------------------------------------------------------------------------
def from_ledger(
    ledger: Ledger,
    texts: TextStore,
    signed_root: Storage,
    query: Query,
    version: str | None = None,
    threshold: float = THRESHOLD,
) -> dict:
    """Search the ledger's frozen releases (or `version`), then add what the ledger knows."""
    versions = [r.version for r in ledger.releases()]
    if version is not None and version not in versions:
        raise UserError(f"no release {version} in the ledger; `corpusbuilder status` lists them")
    if not versions:
        raise UserError("no release is frozen yet: freeze one with `corpusbuilder release`")
    signed = release_signatures.store(signed_root)
    indexes = (
        _ledger_index(ledger, texts, signed, v) for v in ([version] if version else versions)
    )
    report = search(query, indexes, threshold)
    _add_outcomes(ledger, query, report)
    return report


def _ledger_index(ledger: Ledger, texts: TextStore, signed, version: str) -> Indexed:
    rows = release_signatures.frozen_rows(ledger, version)
    shas = rows["text_sha256"].to_pylist()
    try:
        sigs = release_signatures.signatures_of(shas, texts, signed)
    except KeyError as err:
        raise UserError(f"{err.args[0]}: ingest its source again") from err
    return Indexed(version, rows, sigs, release_signatures.LOOKUP, "the ledger")


def _add_outcomes(ledger: Ledger, query: Query, report: dict) -> None:
    """Each match's status today, and an exact match of its text as ingested (before PII
    redaction); then the documents matching the text or URL, or removed as duplicates of a
    match, that the searched releases do not hold."""
    released = {m["doc_id"]: m for m in report["released"]}
    for doc_id, outcome in ledger.outcomes(released).items():
        released[doc_id]["status"] = outcome.status
    shas = [query.sha256] if query.sha256 else []
    found = [(row, _ledger_matched_by(query, row))
             for row in ledger.matching_documents(shas, query.url)]  # fmt: skip
    for row, matched_by in found:
        if row.doc_id in released:
            match = released[row.doc_id]
            match["matched_by"] = sorted(set(match["matched_by"]) | set(matched_by))
    found += [(row, ["duplicate"]) for row in ledger.duplicates_of(sorted(released))]
    others = {row.doc_id: (row, by) for row, by in reversed(found) if row.doc_id not in released}
    holdings = ledger.holdings(sorted(others))
    for doc_id, (row, matched_by) in sorted(others.items()):
        report["not_released"].append(
            {"doc_id": doc_id, "matched_by": matched_by, "status": row.status,
             "reason": row.reason, "duplicate_of": row.duplicate_of, "url": row.url,
             "releases": [{"version": v, "config": c} for v, c in holdings.get(doc_id, [])]}
        )  # fmt: skip


def _ledger_matched_by(query: Query, row) -> list[str]:
    text = query.sha256 is not None and query.sha256 in (row.text_sha256, row.raw_sha256)
    return [name for name, hit in (("text", text), ("url", query.url and query.url == row.url))
            if hit]  # fmt: skip


# -- from a published release ------------------------------------------------------------------
def from_hub(repo_id: str, revision: str, query: Query, threshold: float = THRESHOLD) -> dict:
    """Search the release published at `revision` of the Hub repo, from its files alone."""
    import huggingface_hub  # deferred: it reads HF_ENDPOINT and HF_HOME when imported
    from huggingface_hub.errors import EntryNotFoundError, RevisionNotFoundError

    from corpusbuilder.release.publish_hub import REPO_TYPE, hub_errors

    api = huggingface_hub.HfApi()
    doing = f"reading {repo_id}@{revision}"
    with tempfile.TemporaryDirectory() as folder, hub_errors(api.endpoint, repo_id, doing):
        try:
            for path in (manifest.NAME, layout.SIGNATURES):
                api.hf_hub_download(
                    repo_id, path, repo_type=REPO_TYPE, revision=revision, local_dir=folder
                )
        except RevisionNotFoundError as err:
            raise UserError(
                f"{repo_id} has no revision {revision}: pass a release's tag (v1.0.0) or a branch"
            ) from err
        except EntryNotFoundError as err:
            raise UserError(
                f"{repo_id}@{revision} has no {layout.SIGNATURES}: it was not published by"
                " corpusbuilder, or by a version before lookup; look it up in the publisher's"
                " ledger instead"
            ) from err
        index = read_index(Path(folder), f"{repo_id}@{revision}")
    return search(query, [index], threshold)


def read_index(root: Path, where: str) -> Indexed:
    """The index of the release folder `root`: its signature file, checked against the sha256
    its manifest.json lists."""
    ours = manifest.read(root) or {}
    listed = ours.get("files", {}).get(layout.SIGNATURES)
    path = root / layout.SIGNATURES
    if listed is not None and path.is_file() and manifest.digest_file(path) != listed:
        raise UserError(
            f"{where}: {layout.SIGNATURES} is not the file its manifest.json lists (changed after"
            " the release was published): ask the publisher, or look it up in their ledger"
        )
    try:
        config, rows, sigs = release_signatures.read(root / layout.SIGNATURES)
    except (KeyError, OSError, ValueError) as err:
        raise UserError(f"{where}: {layout.SIGNATURES} is unreadable ({err})") from err
    return Indexed(ours.get("version") or "unknown", rows, sigs, config, where)


# -- output ---------------------------------------------------------------------------------------
def render(report: dict, as_json: bool = False) -> str:
    """The report as text for a person, or as JSON for a program."""
    if as_json:
        return json.dumps(report, indent=2, ensure_ascii=False)
    lines = [f"searched release {s['release']} ({s['documents']} documents, from {s['from']})"
             for s in report["searched"]]  # fmt: skip
    for match in report["released"]:
        now = f"; {match['status']} since" if match["status"] not in (None, "kept") else ""
        lines.append(f"released: {match['doc_id']} — {_how(match)}; in {_where(match)}{now}")
        lines.append(f"  {match['url']}  text sha256 {match['text_sha256']}")
    for match in report["not_released"]:
        why = match["status"] + (f" ({match['reason']})" if match["reason"] else "")
        why += f", duplicate of {match['duplicate_of']}" if match["duplicate_of"] else ""
        held = f"; in {_where(match)}" if match["releases"] else ""
        lines.append(f"in the ledger: {match['doc_id']} — {why}; matched by"
                     f" {', '.join(match['matched_by'])}{held}")  # fmt: skip
    if not report["released"] and not report["not_released"]:
        lines.append(f"no match: no document has this text or URL, nor a similarity of at least"
                     f" {report['threshold']} to it")  # fmt: skip
    return "\n".join(lines)


def _how(match: dict) -> str:
    how = [f"exact {name}" for name in match["matched_by"]]
    if match["similarity"] is not None:
        how.append(f"similarity {match['similarity']:.2f}")
    return ", ".join(how)


def _where(match: dict) -> str:
    return ", ".join(f"{r['version']} ({r['config']})" for r in match["releases"])
