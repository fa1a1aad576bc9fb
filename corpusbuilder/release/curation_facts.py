"""What a release's card and croissant.json say about its making, frozen with the release: each
curation step with its version and thresholds, each source with its adapter and terms, and what
each exclusion reason of the funnel means. Read from corpus.yaml, the code and the ledger once, at
freeze time (`Release.counts["curation"]`), so a later change of threshold, step or adapter never
rewrites the description of a frozen release.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Any

from corpusbuilder import registry, steps, urls
from corpusbuilder.config import CorpusConfig
from corpusbuilder.curate.dedup_stage import EXACT_COMPONENT
from corpusbuilder.ledger import Ledger
from corpusbuilder.licences import Policy
from corpusbuilder.plugins import UnknownPlugin
from corpusbuilder.reasons import Reason, Status

KEEP_POLICY = (
    "in each group of exact or near duplicates the document with the most open licence is kept,"
    " then the earliest ingested, then the smallest doc_id"
)
HUB_ID = re.compile(r"\w[\w.-]*/[\w.-]+")  # ORG/NAME
MAX_TERMS = 5  # collection-level licence statements shown per source

EXACT = {
    "name": EXACT_COMPONENT,
    "version": EXACT_COMPONENT.rpartition("_v")[2],
    "stage": "dedup",
    "description": "removes every copy of an identical text (same sha256) but one",
    "settings": {},
}

# The core's reason codes; a filter's or an adapter's own codes are explained by their component.
EXPLAINED = {
    Reason.LICENCE_REJECTED: "its licence is refused by the licence policy",
    Reason.LICENCE_UNKNOWN: "no licence statement could be resolved to a known licence",
    Reason.LICENCE_CONFLICT: "its licence statements contradict each other",
    Reason.LANGUAGE_NOT_SELECTED: "its language is not among the configured languages",
    Reason.EXACT_DUPLICATE: "the same text (sha256) is kept under another document",
    Reason.NEAR_DUPLICATE: "a kept document is a near duplicate of it (MinHash Jaccard)",
    Reason.TAKEDOWN: "removed on request (`corpusbuilder takedown`)",
    Reason.INGESTED: "ingested after the last curation, so not decided yet",
}


def freeze(config: CorpusConfig, ledger: Ledger, policy: Policy, funnel: Sequence) -> dict:
    """The facts, as JSON-ready values, for `Release.counts["curation"]`."""
    names = sorted({row[0] for row in funnel})
    return {
        "steps": [_licence_step(config, policy), *map(_step, steps.chain(config.curate)), EXACT],
        "keep_policy": KEEP_POLICY,
        "sources": {name: _source(config, ledger, name) for name in names},
        "reasons": _reasons(ledger, funnel),
        "repo_id": config.publish.get("repo_id"),  # where the card tells users to load it
    }


def _summary(obj: Any) -> str:
    """The first paragraph of a docstring, on one line."""
    doc = (inspect.getdoc(obj) or "").replace("``", "`")  # reST literals as markdown
    return " ".join(doc.split("\n\n")[0].split())


def _licence_step(config: CorpusConfig, policy: Policy) -> dict:
    return {
        "name": "licences.yaml",
        "version": policy.hash[:12],
        "stage": "licence",
        "description": "resolves each verbatim licence statement to a licence id and applies the"
        " policy: allowed, rejected or quarantined (unknown or conflicting)",
        "settings": dict(config.licences),
    }


def _step(step: steps.Step) -> dict:
    return {
        "name": step.name,
        "version": str(step.version),
        "stage": step.stage,
        "description": _summary(type(step)),
        "settings": step.described_settings(),
    }


def _source(config: CorpusConfig, ledger: Ledger, name: str) -> dict:
    row = ledger.source(name)
    adapter = row.adapter if row else None
    try:
        description = _module_summary(registry.load(adapter)) if adapter else None
    except UnknownPlugin:  # the adapter is no longer installed; the ledger still names it
        description = None
    return {
        "adapter": adapter,
        "adapter_version": row.adapter_version if row else None,
        "description": description,
        "terms": _terms(ledger, name),
        "hub_dataset": _hub_dataset(config, adapter, row.config if row else {}),
    }


def _hub_dataset(config: CorpusConfig, adapter: str | None, options: dict) -> str | None:
    """The Hub dataset a `hf_dataset` source re-ingests (the card's `source_datasets`); a
    path that exists beside corpus.yaml is a local folder, as the adapter reads it."""
    path = str(options.get("path") or "")
    if adapter != "hf_dataset" or not HUB_ID.fullmatch(path) or (config.root / path).exists():
        return None
    return path


def _module_summary(cls: type) -> str:
    return _summary(inspect.getmodule(cls))


def _terms(ledger: Ledger, source: str) -> list[dict]:
    """The collection-level licence statements of a source, verbatim, with the URL they were
    read from (a local file's path is not published)."""
    rows = ledger.collection_statements(source, MAX_TERMS)
    web = ("http://", "https://")
    return [
        {"statement": urls.public_text(text), "url": urls.public_url(where)}
        if where.startswith(web)
        else {"statement": urls.public_text(text), "url": None}
        for text, where in rows
    ]


def _reasons(ledger: Ledger, funnel: Sequence) -> list[dict]:
    """Each (outcome, reason) of the funnel's exclusions, with the component that decided it and
    what it means."""
    wanted = sorted({(row[2], row[3]) for row in funnel if row[2] != Status.KEPT and row[3]})
    deciders = ledger.deciders()
    found = []
    for outcome, reason in wanted:
        stage, component = min(deciders.get((outcome, reason), [(None, None)]), key=str)
        found.append(
            {"outcome": outcome, "reason": reason, "stage": stage, "component": component}
            | {"meaning": _meaning(outcome, reason, component)}
        )
    return found


def _meaning(outcome: str, reason: str, component: str | None) -> str:
    if reason in EXPLAINED:
        return EXPLAINED[reason]
    if outcome == Status.SKIPPED:
        return f"the source adapter ({component}) could not or would not yield the item"
    if outcome == Status.FILTERED:
        return f"a rule of the filter {component} removed it (thresholds under Curation)"
    return f"{outcome.replace('_', ' ')} by {component}"
