"""Ingest is idempotent and resumable; a crash loses nothing committed (invariants 2, 4, 6)."""

from __future__ import annotations

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.project import Project
from corpusbuilder.source import Checkpoint, LicenceEvidence, Skipped, SourceAdapter, SourceDocument
from corpusbuilder.textstore import TextStore
from tests.helpers import Fixed, write_corpus


def _doc(key: str, text: str | None = None) -> SourceDocument:
    evidence = (LicenceEvidence("CC0-1.0", f"https://e.org/{key}#rights"),)
    return SourceDocument(key, text or f"text of {key}", f"https://e.org/{key}", evidence)


class Pages(SourceAdapter):
    """Three pages of two documents with a checkpoint after each; may crash on page `fail_on`."""

    name, version = "pages", "0"

    def documents(self, fetch, limit=None, resume=None):
        self.resumed_from = resume
        start = int(resume or 0)
        for page in range(start, 3):
            if page == self.config.get("fail_on"):
                raise ConnectionError("the server went away")
            yield _doc(f"p{page}a")
            yield _doc(f"p{page}b")
            yield Checkpoint(str(page + 1))


@pytest.fixture
def env(tmp_path):
    return Ledger("sqlite://"), TextStore(tmp_path / "texts"), Fetcher(tmp_path)


def _ids(ledger):
    return sorted(d.doc_id for d in ledger.documents())


def test_crash_keeps_what_was_committed_and_resume_finishes_without_repeats(env):
    ledger, store, fetch = env
    with pytest.raises(ConnectionError):
        ingest(ledger, store, "s", Pages({"fail_on": 2}), fetch, progress=False)
    assert _ids(ledger) == ["s/p0a", "s/p0b", "s/p1a", "s/p1b"]
    assert ledger.resume_point("s") == "2"
    adapter = Pages()
    result = ingest(ledger, store, "s", adapter, fetch, progress=False)
    assert adapter.resumed_from == "2" and result.resumed_from == "2"
    assert result.counts["new"] == 2
    assert _ids(ledger) == ["s/p0a", "s/p0b", "s/p1a", "s/p1b", "s/p2a", "s/p2b"]
    assert ledger.resume_point("s") is None  # the last ingest completed


def test_uninterrupted_equals_interrupted_plus_resume(env, tmp_path):
    ledger, store, fetch = env
    whole = Ledger("sqlite://")
    ingest(whole, TextStore(tmp_path / "w"), "s", Pages(), fetch, progress=False)
    with pytest.raises(ConnectionError):
        ingest(ledger, store, "s", Pages({"fail_on": 1}), fetch, progress=False)
    ingest(ledger, store, "s", Pages(), fetch, progress=False)
    shas = {d.doc_id: d.text_sha256 for d in ledger.documents()}
    assert shas == {d.doc_id: d.text_sha256 for d in whole.documents()}


def test_rerun_adds_nothing_and_changed_text_is_recorded(env):
    ledger, store, fetch = env
    items = [_doc("a"), _doc("b"), Skipped("c", "not_text", "a map"), _doc("a", "repeat")]
    first = ingest(ledger, store, "s", Fixed(items), fetch, progress=False)
    assert first.counts["new"] == 2 and first.counts["skipped:not_text"] == 1
    assert first.counts["repeated_source_key"] == 1  # counted, never silently dropped
    again = ingest(ledger, store, "s", Fixed(items[:3]), fetch, progress=False)
    assert again.counts["unchanged"] == 3 and again.counts["new"] == 0
    changed = ingest(ledger, store, "s", Fixed([_doc("a", "new text")]), fetch, False)
    assert changed.counts["changed"] == 1
    reasons = [d.reason for d in ledger.decisions("s/a")]
    assert reasons == ["ingested", "text_changed"]
    skipped = ledger.document("s/c")
    assert (skipped.status, skipped.reason, skipped.text_sha256) == ("skipped", "not_text", None)
    assert ledger.decisions("s/c")[0].detail == "a map"


def test_text_is_nfc_before_hashing(env):
    ledger, store, fetch = env
    ingest(ledger, store, "s", Fixed([_doc("a", "Cafe\u0301")]), fetch, progress=False)
    doc = ledger.document("s/a")
    assert store.get(doc.text_sha256) == "Caf\u00e9"


def test_a_new_licence_statement_with_the_same_text_is_decided_again(tmp_path):
    """A source that relicenses a text (here to a NonCommercial licence) must not keep it in the
    next release under the old licence: same text, new evidence → the record is written again."""
    text = "The orchard behind the old school has seven apple trees and one pear. " * 12
    record = {"id": "a", "url": "https://example.org/a", "licence": "CC0-1.0", "text": text}
    path = write_corpus(tmp_path, [record])
    project = Project.open(path, progress=False)
    project.ingest("t")
    project.curate(workers=1)
    assert project.ledger.document("t/a").status == "kept"
    write_corpus(tmp_path, [record | {"licence": "CC BY-NC 4.0"}])
    again = project.ingest("t")
    assert (again.counts["changed"], again.counts["unchanged"]) == (1, 0)
    assert project.ledger.decisions("t/a")[-1].reason == "record_changed"
    project.curate(workers=1)
    doc = project.ledger.document("t/a")
    assert (doc.status, doc.licence) == ("licence_rejected", "CC-BY-NC-4.0")
    assert project.ingest("t").counts["unchanged"] == 1  # and stable afterwards


def test_a_corpus_moved_to_another_folder_ingests_again_as_unchanged(built):
    """`built` is a copy of a demo built in another folder: its evidence locators are kept
    relative to corpus.yaml, so nothing reads as changed."""
    project = Project.open(built, progress=False)
    counts = project.ingest("demo").counts
    assert counts["unchanged"] == 11 and not counts["record_changed"], counts
    (evidence,) = project.ledger.evidence(["demo/en-garden"])["demo/en-garden"]
    assert evidence.locator.startswith("texts.jsonl#line=")
