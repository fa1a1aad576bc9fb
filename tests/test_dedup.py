"""Near-duplicate detection on real texts: what is found, what is not, and which copy is kept."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusbuilder.curate import dedup
from corpusbuilder.curate.dedup import DedupConfig, NearDuplicate, near_duplicates, signatures
from tests.conftest import shared_path

CONFIG = DedupConfig()


def pg_body(text: str) -> str:
    """Crude Project Gutenberg header/footer strip: the text between the START and END lines."""
    start = re.search(r"\*\*\* ?START OF.*\n", text)
    end = re.search(r"\*\*\* ?END OF", text)
    return text[start.end() if start else 0 : end.start() if end else len(text)]


def chunks(text: str, size: int = 3000) -> list[str]:
    """Paragraph-boundary chunks of about `size` characters."""
    out, current = [], ""
    for paragraph in re.split(r"\n\s*\n", text):
        current += paragraph + "\n\n"
        if len(current) >= size:
            out.append(current)
            current = ""
    return out


def book(name: str) -> str:
    return pg_body(shared_path("books", name).read_text(encoding="utf-8"))


def run(texts: list[str], ids: list[str] | None = None, ranks=None) -> list[NearDuplicate]:
    ids = ids or [f"d{i}" for i in range(len(texts))]
    ranks = ranks or [(0, i, doc_id) for i, doc_id in enumerate(ids)]
    return near_duplicates(ids, ranks, signatures(texts, CONFIG), CONFIG)


def edit_words(text: str, rate: float, rng: random.Random) -> str:
    """Substitute, delete or insert `rate` of the words at random positions."""
    words = text.split()
    for _ in range(max(1, round(len(words) * rate))):
        at = rng.randrange(len(words))
        operation = rng.choice("sdi")
        if operation == "s":
            words[at] = f"edit{rng.randrange(10**6)}"
        elif operation == "d":
            del words[at]
        else:
            words.insert(at, f"ins{rng.randrange(10**6)}")
    return " ".join(words)


def test_moby_dick_editions_with_different_headers_are_near_duplicates():
    folder = shared_path("gutenberg", "2701")
    old = (folder / "2701_raw_c-w-fixture.txt").read_text(encoding="utf-8")
    modern = (folder / "pg2701_modern-header.txt").read_text(encoding="cp1252")
    found = run([pg_body(modern), pg_body(old)], ids=["pg/2701-modern", "cw/2701"])
    assert [(d.doc_id, d.duplicate_of) for d in found] == [("cw/2701", "pg/2701-modern")]
    assert found[0].similarity >= 0.8


def test_translations_of_the_same_book_are_not_duplicates():
    english, french = chunks(book("en_alice.txt")), chunks(book("fr_alice.txt"))
    ids = [f"en/{i}" for i in range(len(english))] + [f"fr/{i}" for i in range(len(french))]
    assert run(english + french, ids) == []
    whole = signatures([book("en_alice.txt"), book("fr_alice.txt")], CONFIG)
    assert (whole[0] == whole[1]).mean() < 0.1


def test_seeded_edits_on_real_chunks_are_found_with_their_original():
    rng = random.Random(7)
    originals = chunks(book("en_monte_cristo.txt"))[100:160]
    variants = []
    for i, text in enumerate(originals):
        kind = i % 4
        if kind == 0:
            variants.append(edit_words(text, rng.uniform(0.005, 0.03), rng))
        elif kind == 1:
            variants.append("Transcribed from the 1888 edition.\n" + text + "\nEnd of chapter.\n")
        elif kind == 2:
            variants.append(re.sub(r"\s+", lambda m: rng.choice([" ", "  ", "\n", "\t "]), text))
        else:
            variants.append(edit_words(text, 0.03, rng))
    ids = [f"orig/{i}" for i in range(60)] + [f"copy/{i}" for i in range(60)]
    found = {d.doc_id: d for d in run(originals + variants, ids)}
    assert sorted(found) == sorted(f"copy/{i}" for i in range(60))
    assert all(found[f"copy/{i}"].duplicate_of == f"orig/{i}" for i in range(60))
    assert min(d.similarity for d in found.values()) >= CONFIG.threshold


def test_keep_policy_prefers_the_more_open_licence_then_the_earlier_ingest():
    text = chunks(book("en_pinocchio.txt"))[20]
    ids = ["wiki/by-sa", "oai/cc-by", "pg/pd-late", "pg/pd-early"]
    # (licence openness: 0 public domain/CC0, 1 CC-BY, 2 CC-BY-SA; ingest seq; doc_id)
    ranks = [(2, 1, ids[0]), (1, 2, ids[1]), (0, 9, ids[2]), (0, 4, ids[3])]
    found = run([text] * 4, ids, ranks)
    assert {d.doc_id: d.duplicate_of for d in found} == {
        "wiki/by-sa": "pg/pd-early",
        "oai/cc-by": "pg/pd-early",
        "pg/pd-late": "pg/pd-early",
    }
    assert [d.doc_id for d in found] == ["pg/pd-late", "oai/cc-by", "wiki/by-sa"]  # rank order
    assert all(d.similarity == 1.0 for d in found)


def test_duplicate_of_is_the_most_similar_kept_document_not_the_best_ranked():
    config = DedupConfig(num_perm=448, bands=112, rows=4, threshold=0.6)  # 448: less estimate noise
    base, other, third = (c.split() for c in chunks(book("en_pinocchio.txt"))[30:33])
    cut_a, cut_b = len(base) * 4 // 5, len(base) * 3 // 20
    tail_changed = " ".join(base[:cut_a] + other[: len(base) - cut_a])  # J with base ~0.67
    head_changed = " ".join(third[:cut_b] + base[cut_b:])  # J ~0.74; with tail_changed ~0.48
    texts = [tail_changed, head_changed, " ".join(base)]
    ids = ["tail_changed", "head_changed", "base"]
    found = near_duplicates(ids, [(0,), (1,), (2,)], signatures(texts, config), config)
    assert [(d.doc_id, d.duplicate_of) for d in found] == [("base", "head_changed")]
    assert 0.66 < found[0].similarity < 0.82


@pytest.fixture(scope="module")
def pool() -> tuple[list[str], np.ndarray]:
    """Real chunks with planted near and exact copies, signatures computed once."""
    rng = random.Random(11)
    texts = chunks(book("it_pinocchio.txt"), 1500)[:40]
    texts += [edit_words(t, 0.01, rng) for t in texts[:10]] + texts[10:15]
    return texts, signatures(texts, CONFIG)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_result_does_not_depend_on_input_order(pool, data):
    texts, sigs = pool
    ids = [f"d{i:03d}" for i in range(len(texts))]
    ranks = [(i % 3, i, doc_id) for i, doc_id in enumerate(ids)]
    expected = near_duplicates(ids, ranks, sigs, CONFIG)
    order = data.draw(st.permutations(range(len(texts))))
    shuffled = near_duplicates(
        [ids[i] for i in order], [ranks[i] for i in order], sigs[list(order)], CONFIG
    )
    assert shuffled == expected
    assert len(expected) == 15


def test_running_on_the_survivors_removes_nothing(pool):
    texts, sigs = pool
    ids = [f"d{i:03d}" for i in range(len(texts))]
    ranks = [(0, i) for i in range(len(texts))]
    removed = {d.doc_id for d in near_duplicates(ids, ranks, sigs, CONFIG)}
    keep = [i for i, doc_id in enumerate(ids) if doc_id not in removed]
    again = near_duplicates([ids[i] for i in keep], [ranks[i] for i in keep], sigs[keep], CONFIG)
    assert again == []


def test_signatures_do_not_depend_on_the_batch(pool):
    texts, sigs = pool
    batched = np.vstack([signatures(texts[i : i + 7], CONFIG) for i in range(0, len(texts), 7)])
    assert sigs.dtype == np.uint32 and sigs.shape == (len(texts), CONFIG.num_perm)
    assert np.array_equal(batched, sigs)


def test_layout_and_case_do_not_count_and_tiny_or_empty_texts_are_handled():
    sigs = signatures(["Hello, World!  Again", "hello world\n\nagain", "", "   ...  "], CONFIG)
    assert np.array_equal(sigs[0], sigs[1])
    assert np.array_equal(sigs[2], sigs[3]) and (sigs[2] == np.iinfo(np.uint32).max).all()


def test_bad_configuration_and_inputs_say_what_to_do():
    with pytest.raises(ValueError, match="bands x rows must equal num_perm"):
        DedupConfig(num_perm=100, bands=28, rows=4)
    sigs = signatures(["a b c d e f"], CONFIG)
    with pytest.raises(ValueError, match="differ in length"):
        near_duplicates(["a", "b"], [(0,)], sigs, CONFIG)
    with pytest.raises(ValueError, match="compute them with"):
        near_duplicates(["a"], [(0,)], sigs[:, :10], CONFIG)
    with pytest.raises(ValueError, match="doc_ids must be unique"):
        near_duplicates(["a", "a"], [(0,), (1,)], np.vstack([sigs, sigs]), CONFIG)
    assert dedup.COMPONENT == "minhash_lsh_v1"


def test_bench_corpus_smoke_seeded_duplicates_are_all_found(tmp_path):
    """Tiny make_corpus run (one book): ground truth is consistent and dedup recovers it."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import make_corpus
    import report

    (tmp_path / "en_alice.txt").symlink_to(shared_path("books", "en_alice.txt"))
    records, truth = make_corpus.build(200, seed=3, books=tmp_path)
    kinds = {k: sum(t["kind"] == k for t in truth) for k in ("original", "exact")}
    assert len(records) == 200 and kinds == {"original": 170, "exact": 10}
    text = {r["id"]: r["text"] for r in records}
    assert all(text[t["id"]] == text[t["original"]] for t in truth if t["kind"] == "exact")
    ranks = [
        (r["licence"] != "Public domain in the USA.", i, r["id"]) for i, r in enumerate(records)
    ]
    sigs = signatures([r["text"] for r in records], CONFIG)
    removed = near_duplicates([r["id"] for r in records], ranks, sigs, CONFIG)
    result = report.score(truth, {d.doc_id for d in removed})
    assert (result.found, result.seeded, result.false) == (30, 30, 0)
