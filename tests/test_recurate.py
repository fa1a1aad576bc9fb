"""`curate --all` decides every document again while the current decisions stay in force: an
interrupted one leaves the undecided documents as they were, resumes under the same settings,
starts over under new ones, and never undoes a takedown."""

from __future__ import annotations

from collections import Counter

import pytest

from corpusbuilder.curate import pipeline
from corpusbuilder.project import Project
from corpusbuilder.release.freeze import ReleaseError
from tests.helpers import write_corpus

RECORDS = [
    {"id": f"d{i}", "text": f"Document {i} tells of the old river and the garden by the house.",
     "licence": "CC0-1.0", "url": f"https://example.org/d{i}"}
    for i in range(8)
]  # fmt: skip


def _project(folder, **licences) -> Project:
    path = write_corpus(
        folder, RECORDS, licences=licences, curate={"filters": {}, "near_dedup": False}
    )
    return Project.open(path, progress=False)


@pytest.fixture
def curated(tmp_path):
    project = _project(tmp_path)
    project.ingest("t")
    project.curate(workers=1)
    return tmp_path


@pytest.fixture
def interrupt_after_one_batch(monkeypatch):
    """Batches of two documents, and a Ctrl-C once the first is written."""
    monkeypatch.setattr(pipeline, "BATCH", 2)
    collect, calls = pipeline.Curator._collect, []

    def collect_once(self, batch, result):
        calls.append(batch)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return collect(self, batch, result)

    monkeypatch.setattr(pipeline.Curator, "_collect", collect_once)
    return monkeypatch


def _statuses(project: Project) -> Counter:
    return Counter(doc.status for doc in project.ledger.documents())


def _licence_decisions(project: Project) -> Counter:
    return Counter(
        len([d for d in project.ledger.decisions(doc_id) if d.stage == "licence"])
        for doc_id in (doc.doc_id for doc in project.ledger.documents())
    )


def test_an_interrupted_curate_all_resumes_under_the_same_settings(
    curated, interrupt_after_one_batch
):
    project = _project(curated, deny=["CC0-1.0"])  # the policy changed: every text goes
    with pytest.raises(KeyboardInterrupt):
        project.curate(workers=1, redo=True)
    assert _statuses(project) == {"licence_rejected": 2, "kept": 6}  # the rest still in force
    assert project.ledger.pending_recuration() == 6
    assert [r.status for r in project.ledger.runs()][-1] == "interrupted"

    interrupt_after_one_batch.undo()
    project.curate(workers=1, redo=True)  # the same settings: the six marked ones only
    assert _statuses(project) == {"licence_rejected": 8}
    assert _licence_decisions(project) == {2: 8}  # once by the first curate, once by --all
    assert project.ledger.pending_recuration() == 0


def test_an_interrupted_curate_all_starts_over_under_new_settings(
    curated, interrupt_after_one_batch
):
    denied = _project(curated, deny=["CC0-1.0"])
    with pytest.raises(KeyboardInterrupt):
        denied.curate(workers=1, redo=True)
    interrupt_after_one_batch.undo()

    allowed = _project(curated)  # the policy changed back before the rerun
    allowed.curate(workers=1, redo=True)
    assert _statuses(allowed) == {"kept": 8}  # the two rejected meanwhile are decided again
    assert _licence_decisions(allowed) == {3: 2, 2: 6}


def test_a_takedown_clears_the_mark_and_stays(curated):
    project = _project(curated)
    assert project.ledger.reopen_for_curation(pipeline.Curator.settings_hash(project.config)) == 8
    project.take_down("t/d3", "author's request")
    assert project.ledger.document("t/d3").recurate is False
    assert project.ledger.pending_recuration() == 7
    project.curate(workers=1)
    assert project.ledger.document("t/d3").status == "taken_down"
    assert project.ledger.pending_recuration() == 0


def test_a_release_waits_for_an_unfinished_curation(curated):
    project = _project(curated)
    project.ledger.reopen_for_curation("settings of an interrupted curate --all")
    with pytest.raises(ReleaseError, match=r"did not finish \(8 documents wait .*finish it"):
        project.release("1.0.0")
    assert project.ledger.release("1.0.0") is None
    project.curate(workers=1)
    assert project.ledger.pending_recuration() == 0
