"""One contract test over every registered source adapter.

Each adapter ``X`` registered in the ``corpusbuilder.sources`` entry points must have a sample in
``tests/sources/samples/X.py`` with ``make(tmp_path) -> (config, fetcher)`` that writes a small
source including at least one item the adapter skips.
"""

from __future__ import annotations

import importlib
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import pytest

from corpusbuilder import registry
from corpusbuilder.source import Checkpoint, Skipped, SourceAdapter, SourceDocument

NAMES = registry.names()
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
STATUSES = {"allowed", "rejected", "unknown"}


@dataclass
class Outcome:
    adapter: SourceAdapter
    first: list
    second: list
    limited: list

    @property
    def documents(self) -> list[SourceDocument]:
        return [i for i in self.first if isinstance(i, SourceDocument)]


def _sample(name: str):
    module = f"tests.sources.samples.{name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        pytest.fail(
            f"adapter {name} has no tests/sources/samples/{name}.py; add one with make(tmp_path)"
        )


@pytest.fixture(scope="module", params=NAMES)
def outcome(request, tmp_path_factory) -> Outcome:
    """Two full runs and one limit=1 run of one adapter on its sample, shared by the checks."""
    name = request.param
    config, fetcher = _sample(name).make(tmp_path_factory.mktemp(name))
    adapter = registry.load(name)(config)
    first = list(adapter.documents(fetcher))
    second = list(adapter.documents(fetcher))
    limited = list(adapter.documents(fetcher, limit=1))
    return Outcome(adapter, first, second, limited)


def test_there_are_adapters():
    assert "local" in NAMES and "hf_dataset" in NAMES, f"registered adapters: {NAMES}"


@pytest.mark.parametrize("name", NAMES)
def test_class_name_matches_its_entry_point(name):
    assert registry.load(name).name == name


def test_items_are_documents_skips_or_checkpoints(outcome):
    for item in outcome.first:
        assert isinstance(item, SourceDocument | Skipped | Checkpoint), item


def test_source_keys_are_stable_and_unique(outcome):
    keys = [d.source_key for d in outcome.documents]
    again = [i.source_key for i in outcome.second if isinstance(i, SourceDocument)]
    assert keys, "the sample must yield at least one document"
    assert keys == again, "a second run must yield the same source_keys in the same order"
    assert all(isinstance(k, str) and k for k in keys)
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"source_keys yielded twice: {duplicates}"


def test_documents_have_nfc_text_and_url(outcome):
    for doc in outcome.documents:
        assert isinstance(doc.text, str) and doc.text.strip(), f"{doc.source_key}: empty text"
        assert unicodedata.is_normalized("NFC", doc.text), f"{doc.source_key}: text is not NFC"
        assert isinstance(doc.url, str) and doc.url.strip(), f"{doc.source_key}: no url"


def test_documents_carry_verbatim_evidence_with_locator_and_utc_time(outcome):
    for doc in outcome.documents:
        assert doc.evidence, f"{doc.source_key}: no licence evidence"
        for ev in doc.evidence:
            assert isinstance(ev.statement, str) and ev.statement.strip(), doc.source_key
            assert isinstance(ev.locator, str) and ev.locator.strip(), doc.source_key
            assert ev.retrieved_at.tzinfo is not None, f"{doc.source_key}: naive retrieved_at"
            assert ev.retrieved_at.utcoffset() == timedelta(0), f"{doc.source_key}: not UTC"


def test_every_statement_is_resolved_or_reported_unknown(outcome):
    # needs corpusbuilder/licences.py (Policy.load().resolve); fails until that module lands
    from corpusbuilder.licences import Policy

    policy = Policy.load()
    for doc in outcome.documents:
        for ev in doc.evidence:
            resolution = policy.resolve(ev.statement)
            status = getattr(resolution.status, "value", resolution.status)
            assert status in STATUSES, f"{ev.statement!r} resolved to status {status!r}"
            assert resolution.rule, f"{ev.statement!r}: resolution names no rule"


def test_a_skip_with_a_snake_case_reason_is_exercised(outcome):
    skipped = [i for i in outcome.first if isinstance(i, Skipped)]
    assert skipped, "the sample must include an item the adapter skips"
    for item in skipped:
        assert SNAKE_CASE.match(item.reason), f"reason {item.reason!r} is not snake_case"
        assert item.source_key, f"skip {item.reason} has no source_key"


def test_limit_one_yields_exactly_one_document(outcome):
    limited = [i for i in outcome.limited if isinstance(i, SourceDocument)]
    assert [d.source_key for d in limited] == [d.source_key for d in outcome.documents[:1]]


def test_version_and_licence_rationale(outcome):
    adapter = type(outcome.adapter)
    assert isinstance(adapter.version, str) and adapter.version.strip()
    doc = sys.modules[adapter.__module__].__doc__ or ""
    assert "licen" in doc.lower(), f"{adapter.__module__} docstring gives no licence rationale"
