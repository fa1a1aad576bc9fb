"""An OAI-PMH harvest killed mid-way and restarted through the ledger ends with the same documents
as an uninterrupted one, none twice: the resumptionToken is checkpointed in the ledger.
"""

from __future__ import annotations

import pytest

from corpusbuilder.ingest.fetch import FetchError
from corpusbuilder.project import Project
from tests.helpers import write_corpus
from tests.oai_server import OaiServer, real, split


def _project(folder, url) -> Project:
    path = write_corpus(folder, [], fetch={"min_interval": 0, "max_attempts": 1})
    text = path.read_text().replace(
        "- adapter: local\n  name: t\n  path: texts.jsonl\n  url_prefix: https://example.org/texts/",
        f"- adapter: oai_pmh\n  name: dspace\n  base_url: {url}\n  collection_licence: CC0-1.0",
    )
    path.write_text(text)
    return Project.open(path, progress=False)


def _documents(project):
    return {d.doc_id: d.text_sha256 for d in project.ledger.documents()}


def test_killed_harvest_resumes_from_its_checkpoint(tmp_path):
    pages = split(real("dspace_eur_2003", "fake1_00005.xml"), 5)
    with OaiServer(pages) as whole_server:
        whole = _project(tmp_path / "whole", whole_server.url)
        whole.ingest("dspace")
    expected = _documents(whole)
    assert len(expected) == 16

    with OaiServer(pages, fail={"page-3"}) as server:
        project = _project(tmp_path / "cut", server.url)
        with pytest.raises(FetchError, match="HTTP 500"):
            project.ingest("dspace")
        assert len(_documents(project)) == 10  # pages 1 and 2 were committed
        assert project.ledger.resume_point("dspace") == "page-3"
        server.fail.clear()
        server.requests.clear()
        result = project.ingest("dspace")
    assert result.resumed_from == "page-3"
    assert "/oai?verb=ListRecords&metadataPrefix=oai_dc" not in server.requests
    assert result.counts["new"] == 6 and result.counts["unchanged"] == 0
    assert _documents(project) == expected
    for doc_id in expected:  # each ingested once, never twice
        assert [d.stage for d in project.ledger.decisions(doc_id)] == ["ingest"]
