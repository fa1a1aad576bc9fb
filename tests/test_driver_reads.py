"""What the curation driver does per document, made cheap: texts read a segment at a time however
scattered a batch's texts are, and a licence decided once per distinct evidence."""

from __future__ import annotations

import pytest

from corpusbuilder.licences import Policy
from corpusbuilder.source import LicenceEvidence
from corpusbuilder.storage import Storage
from corpusbuilder.textstore import TextStore, sha256_text


@pytest.fixture
def scattered(tmp_path, monkeypatch):
    """Six segments of ten texts, asked round-robin (as a batch whose exact duplicates point
    into older segments asks them), and a log of the columns read."""
    store = TextStore(tmp_path)
    segments = [[f"segment {s} text {t}" for t in range(10)] for s in range(6)]
    for texts in segments:
        store.put_many(texts)
    reopened = TextStore(tmp_path)
    reads: list = []
    original = Storage.parquet_file

    def parquet_file(self, name):
        reads.append(name)
        return original(self, name)

    monkeypatch.setattr(Storage, "parquet_file", parquet_file)
    asked = [segments[s][t] for t in range(10) for s in range(6)]
    return reopened, asked, reads


def test_scattered_texts_read_each_segment_once(scattered):
    store, asked, reads = scattered
    got = list(store.get_many(sha256_text(t) for t in asked))
    assert got == [(sha256_text(t), t) for t in asked]  # in the asked order
    # Six segments: each read once (its one row group, sha256 and text), not once per change.
    assert len(reads) == len(set(reads)) == 6


def test_an_absent_or_malformed_sha_is_a_key_error_naming_it(scattered):
    store, asked, _ = scattered
    absent = sha256_text("never stored")
    with pytest.raises(KeyError, match=f"text {absent} is not in the text store"):
        list(store.get_many([sha256_text(asked[0]), absent]))
    with pytest.raises(KeyError, match="text not-a-sha is not in the text store"):
        list(store.get_many([sha256_text(asked[0]), "not-a-sha"]))
    assert [t for _, t in store.get_many([sha256_text(asked[1])] * 3)] == [asked[1]] * 3


def _evidence(statement: str, kind: str = "item", locator: str = "doc-1", where=None):
    return LicenceEvidence(statement, locator, kind, jurisdiction=where)


def test_a_licence_is_decided_once_per_distinct_evidence():
    policy = Policy.load()
    first = policy.decide([_evidence("CC BY 4.0", locator="a"), _evidence("CC0", "collection")])
    again = policy.decide([_evidence("CC BY 4.0", locator="b"), _evidence("CC0", "collection")])
    assert again is first  # the locator is not read: the same evidence, the same verdict
    assert (first.licence, first.status) == ("CC-BY-4.0", "allowed")
    # What it reads tells verdicts apart: an item's CC0 beats the collection's CC BY (most open).
    both_items = policy.decide([_evidence("CC BY 4.0"), _evidence("CC0")])
    assert both_items.licence == "CC0-1.0" and both_items is not first
    fresh = Policy.load()
    for evidence in (
        [_evidence("Public domain in the USA.", where="US")],
        [_evidence("Public domain in the USA.")],
        [_evidence("CC BY-NC 4.0"), _evidence("CC BY 4.0", "collection")],
    ):
        assert policy.decide(evidence) == fresh._decide(evidence)
