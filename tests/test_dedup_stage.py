"""Deduplication over a ledger, out of core: exact then near with the keep policy (licence
openness, then ingest order, then doc_id), equal to the obvious in-memory computation, reporting
only the verdicts that change something."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from corpusbuilder.curate import dedup, dedup_lsh, dedup_stage
from corpusbuilder.curate.dedup_stage import EXACT_COMPONENT, TEXTS_PER_PART, Deduplication
from corpusbuilder.curate.signatures import SignatureStore
from corpusbuilder.ledger import Ledger
from corpusbuilder.ledger import candidates as ledger_candidates
from corpusbuilder.ledger.models import Document
from corpusbuilder.textstore import TextStore, sha256_text
from tests.test_dedup_lsh import SMALL, corpus, reference

OPENNESS = {"PD": 0, "CC-BY": 1, "CC-BY-SA": 2, None: 4}


def insert(ledger: Ledger, rows: list[dict]) -> None:
    now = datetime.now(UTC)
    common = {"source": "t", "ingested_at": now, "reason": "kept", "similarity": None}
    with ledger.engine.begin() as connection:
        connection.execute(
            Document.__table__.insert(),
            [common | {"source_key": r["doc_id"], **r} for r in rows],
        )


def run(tmp_path, ledger, config, store, texts=None) -> list:
    deduplication = Deduplication(
        ledger,
        OPENNESS.get,
        config,
        store,
        texts or TextStore(tmp_path / "texts"),
        None,
        tmp_path / "scratch",
    )
    verdicts = list(deduplication.verdicts(run_id=1))
    assert not (tmp_path / "scratch").exists()  # the scratch files are removed
    return verdicts


# texts parted as the store's shards and parked once, or finer and parked 50 at a time
@pytest.mark.parametrize(("digits", "held"), [(2, dedup_stage.TEXTS_HELD), (4, 50)])
@pytest.mark.parametrize("records_per_partition", [64, dedup_lsh.RECORDS_PER_PARTITION])
def test_equals_exact_then_near_in_memory_and_reports_only_changes(
    tmp_path, monkeypatch, records_per_partition, digits, held
):
    monkeypatch.setattr(dedup_lsh, "RECORDS_PER_PARTITION", records_per_partition)
    monkeypatch.setattr(dedup_stage, "prefix_digits", lambda documents: digits)
    monkeypatch.setattr(dedup_stage, "TEXTS_HELD", held)
    monkeypatch.setattr(ledger_candidates, "CHUNK", 20)
    rng = np.random.default_rng(7)
    size = 240
    sigs = corpus(3, size, SMALL, alphabet=3)
    text_of = rng.integers(0, 200, size)  # about 40 documents repeat another's text
    shas = [f"{t:02x}" * 32 for t in text_of]
    sigs = sigs[text_of]  # the same text, the same signature
    licences = rng.choice(list(OPENNESS), size)
    seq = rng.permutation(size * 2)[:size]
    state = {}
    rows = []
    for i in range(size):
        doc_id = f"t/{i:04d}"
        stale = f"t/{rng.integers(size):04d}" if i % 5 == 0 else None  # decided before
        state[doc_id] = ("duplicate" if stale else "kept", stale, None)
        rows.append(
            {"doc_id": doc_id, "seq": int(seq[i]), "licence": licences[i], "text_sha256": shas[i]}
            | {"status": state[doc_id][0], "duplicate_of": stale}
        )
    rows.append({"doc_id": "t/filtered", "seq": 0, "licence": "PD", "text_sha256": shas[0]}
                | {"status": "filtered", "duplicate_of": None})  # fmt: skip
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    insert(ledger, rows)
    store = SignatureStore(tmp_path / "signatures", "small")
    store.put(list(dict.fromkeys(shas)), sigs[[shas.index(s) for s in dict.fromkeys(shas)]])

    rank = sorted(range(size), key=lambda i: (OPENNESS[licences[i]], seq[i], f"t/{i:04d}"))
    expected = dict(state)
    first: dict[str, int] = {}
    for i in rank:  # exact: the best-ranked copy of a text stays
        if shas[i] in first:
            expected[f"t/{i:04d}"] = ("duplicate", f"t/{first[shas[i]]:04d}", 1.0)
        else:
            first[shas[i]] = i
            expected[f"t/{i:04d}"] = ("kept", None, None)
    survivors = sorted(first.values())
    positions = np.array([rank.index(i) for i in survivors])
    for removed, kept, similarity in reference(sigs[survivors], positions, SMALL):
        expected[f"t/{rank[removed]:04d}"] = ("duplicate", f"t/{rank[kept]:04d}", similarity)

    verdicts = run(tmp_path, ledger, SMALL, store)
    found = {doc_id: decided[:2] for doc_id, decided in state.items()}
    for v in verdicts:
        assert (v.status, v.duplicate_of) != state[v.doc_id][:2]  # a change, never a no-op
        found[v.doc_id] = (v.status, v.duplicate_of)
        assert v.similarity == expected[v.doc_id][2]
        component = EXACT_COMPONENT if v.reason == "exact_duplicate" else dedup.COMPONENT
        assert v.component == component
    assert found == {doc_id: decided[:2] for doc_id, decided in expected.items()}
    assert sum(v[0] == "duplicate" and v[2] != 1.0 for v in expected.values()) > 10  # near ones


def test_signatures_missing_from_the_store_are_computed_from_the_texts_and_kept(tmp_path):
    config = dedup.DedupConfig()
    words = [f"w{i}" for i in range(400)]
    texts = [" ".join(words), " ".join(words[:-3] + ["x", "y", "z"]), " ".join(reversed(words))]
    store = TextStore(tmp_path / "texts")
    store.put_many(texts)
    rows = [
        {"doc_id": f"t/{i}", "seq": i, "licence": "PD", "text_sha256": sha256_text(text)}
        | {"status": "kept", "duplicate_of": None}
        for i, text in enumerate(texts)
    ]
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    insert(ledger, rows)
    signatures = SignatureStore(tmp_path / "signatures", "default")

    verdicts = run(tmp_path, ledger, config, signatures, store)

    assert [(v.doc_id, v.status, v.duplicate_of) for v in verdicts] == [("t/1", "duplicate", "t/0")]
    assert signatures.missing([sha256_text(t) for t in texts]) == []


def test_exact_only_when_near_dedup_is_off(tmp_path):
    rows = [
        {"doc_id": f"t/{i}", "seq": 10 - i, "licence": licence, "text_sha256": "ab" * 32}
        | {"status": "kept", "duplicate_of": None}
        for i, licence in enumerate(["CC-BY-SA", "PD", "PD"])
    ]
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    insert(ledger, rows)
    verdicts = run(tmp_path, ledger, None, SignatureStore(tmp_path / "signatures", "none"))
    # PD beats CC-BY-SA; between the two PD copies the earlier ingested (t/2, seq 8) stays
    assert [(v.doc_id, v.duplicate_of, v.similarity) for v in verdicts] == [
        ("t/1", "t/2", 1.0),
        ("t/0", "t/2", 1.0),
    ]


@pytest.mark.parametrize("documents", [0, 1000, 2**23, 2**23 + 1, 10**8, 10**9, 10**11])
def test_texts_are_parted_finer_as_the_corpus_grows_so_a_part_stays_bounded(documents):
    digits = dedup_stage.prefix_digits(documents)
    assert digits >= 2  # a part never spans two shards of the signature store
    assert documents / 16**digits <= TEXTS_PER_PART  # about TEXTS_PER_PART texts a part at most
    assert digits == 2 or documents / 16 ** (digits - 1) > TEXTS_PER_PART  # and no finer
