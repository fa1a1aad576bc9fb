"""Credentials needed to read a source never reach the ledger, a shard or a card."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from corpusbuilder.project import Project
from corpusbuilder.urls import public_locator, public_text, public_url
from tests.helpers import write_corpus
from tests.oai_server import OaiServer, real, split


@pytest.mark.parametrize(
    "url,public",
    [
        ("https://oai.example.org/oai?verb=GetRecord&api_key=S3CR3T&identifier=oai:x:1",
         "https://oai.example.org/oai?verb=GetRecord&identifier=oai%3Ax%3A1"),
        ("https://user:pa55@mirror.example.org/cache/epub/84/pg84.txt",
         "https://mirror.example.org/cache/epub/84/pg84.txt"),
        ("https://bucket.s3.amazonaws.com/a.txt?X-Amz-Credential=AK&X-Amz-Signature=ff&v=2",
         "https://bucket.s3.amazonaws.com/a.txt?v=2"),
        ("https://example.org/a?access_token=t", "https://example.org/a"),
        ("https://arxiv.org/abs/1701.00001?context=cs", "https://arxiv.org/abs/1701.00001?context=cs"),
        ("http://h.org/oai?verb=ListRecords&resumptionToken=page-3",
         "http://h.org/oai?verb=ListRecords&resumptionToken=page-3"),
        (None, None),
    ],
)  # fmt: skip
def test_public_url_drops_credentials_and_keeps_the_rest(url, public):
    assert public_url(url) == public


def test_urls_inside_text_are_made_public_and_punctuation_kept():
    detail = "page https://h.org/oai?verb=L&apikey=K: malformed, see https://a.org/b."
    assert public_text(detail) == "page https://h.org/oai?verb=L: malformed, see https://a.org/b."


def test_an_api_key_in_base_url_reaches_no_ledger_row_and_no_shard(tmp_path):
    pages = split(real("dspace_eur_2003", "fake1_00005.xml"), 5)
    with OaiServer(pages) as server:
        path = write_corpus(tmp_path, [], fetch={"min_interval": 0, "max_attempts": 1})
        path.write_text(path.read_text().replace(
            "- adapter: local\n  name: t\n  path: texts.jsonl\n  url_prefix: https://example.org/texts/",
            f"- adapter: oai_pmh\n  name: dspace\n  base_url: {server.url}?api_key=S3CR3T\n"
            "  collection_licence: CC0-1.0",
        ))  # fmt: skip
        project = Project.open(path, progress=False)
        project.ingest("dspace")
        assert any("api_key=S3CR3T" in r for r in server.requests), "the key was not sent"
    ledger = project.ledger
    docs = list(ledger.documents())
    assert len(docs) == 16
    written = [d.url for d in docs]
    written += [
        e.locator for rows in ledger.evidence(d.doc_id for d in docs).values() for e in rows
    ]
    written += [x.detail or "" for d in docs for x in ledger.decisions(d.doc_id)]
    assert written and not [w for w in written if w and "S3CR3T" in w]
    project.curate(workers=1)
    release = project.release("1.0.0")
    for shard in release.directory.rglob("*.parquet"):
        assert "S3CR3T" not in str(pq.read_table(shard).to_pylist())
    for card in ("README.md", "LICENSE.md"):
        assert "S3CR3T" not in (release.directory / card).read_text(encoding="utf-8")


def test_local_locators_are_published_relative_to_the_corpus_folder(tmp_path):
    root = tmp_path / "corpus"
    inside = (root / "data" / "texts v2.jsonl").as_uri() + "#line=5/licence"
    outside = (tmp_path / "private" / "notes.jsonl").as_uri() + "#line=1"
    assert public_locator(inside, root) == "data/texts v2.jsonl#line=5/licence"
    assert public_locator(outside, root) == "notes.jsonl#line=1"
    assert public_locator("https://u:p@example.org/oai?verb=GetRecord&api_key=s", root) == (
        "https://example.org/oai?verb=GetRecord"
    )
