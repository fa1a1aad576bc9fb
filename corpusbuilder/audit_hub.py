"""Audit a document of a published release from the Hub alone: its provenance config, read at a
tag, answers what the publisher's ledger would (evidence verbatim, the rule that accepted its
licence, the curation decisions, what the filters measured, the duplicates it absorbed) without
a ledger or corpus.yaml.
"""

from __future__ import annotations

from pathlib import Path

from corpusbuilder.errors import UserError
from corpusbuilder.release import layout, provenance

# Columns of a provenance row that are columns of the ledger's document table.
DOCUMENT = ("doc_id", "source", "url", "title", "creator", "date", "language_hint",
            "language_stated", "language", "language_score", "second_language", "licence",
            "licence_status", "licence_rule", "text_sha256", "raw_sha256")  # fmt: skip
SOURCE = {"name": "source", "adapter": "adapter", "adapter_version": "adapter_version"}


class NotInRelease(UserError, LookupError):
    """The asked document is not in the published release."""


def download(repo_id: str, revision: str | None) -> list[Path]:
    """The provenance shards of `repo_id` at `revision` (a tag such as v1.0.0; default main),
    from the local Hugging Face cache or the Hub."""
    import huggingface_hub

    from corpusbuilder.release.publish_hub import REPO_TYPE, hub_errors

    api = huggingface_hub.HfApi()
    where = f"{repo_id}@{revision or 'main'}"
    with hub_errors(api.endpoint, repo_id, f"reading the provenance of {where}"):
        folder = api.snapshot_download(
            repo_id,
            repo_type=REPO_TYPE,
            revision=revision,
            allow_patterns=[f"{layout.PROVENANCE}/*.parquet"],
        )
    files = sorted((Path(folder) / layout.PROVENANCE).glob("*.parquet"))
    if not files:
        raise UserError(
            f"{where} has no provenance config: it was published before corpusbuilder froze"
            " provenance into releases, or by another tool; ask its publisher for an audit"
        )
    return files


def report(repo_id: str, doc_id: str, revision: str | None = None) -> dict:
    """The audit report of `doc_id` in the release published at `repo_id`@`revision`, in the
    shape of `audit.report` for what a published release knows."""
    row = provenance.read(download(repo_id, revision), doc_id)
    if row is None:
        raise NotInRelease(
            f"no document {doc_id!r} in {repo_id}@{revision or 'main'}; ids look like"
            " `<source>/<source_key>` (the `id` column of the data configs)"
        )
    return from_row(row)


def from_row(row: dict) -> dict:
    """An audit report from one provenance row."""
    document = {key: row[key] for key in DOCUMENT}
    document |= {"status": "kept", "reason": "kept", "duplicate_of": None}
    document["pii"] = {p["kind"]: p["count"] for p in row["pii"]} or None
    return {
        "document": document,
        "source": {key: row[column] for key, column in SOURCE.items()},
        "evidence": row["evidence"],
        "decisions": row["curation"],
        "filter_measurements": row.get("filter_measurements") or [],  # older releases lack it
        "releases": [{key: row[key] for key in ("version", "config", "shard", "row")}],
        "also_found_in": [found["doc_id"] for found in row["also_found_in"]],
        "why_excluded": None,
    }
