"""The OAI-PMH adapter harvesting real repository responses from a loopback server."""

from __future__ import annotations

from collections import Counter

import pytest

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.source import Checkpoint, Item, Skipped, SourceDocument
from sources.oai_pmh import OaiPmhError, OaiPmhSource
from tests.oai_server import OaiServer, chain, dc_record, envelope, identify, real, split, stitch

ARXIV_NONEXCLUSIVE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def harvest(server: OaiServer, fetch: Fetcher, resume: str | None = None, **config) -> list[Item]:
    return list(OaiPmhSource({"base_url": server.url, **config}).documents(fetch, resume=resume))


def docs(items: list[Item]) -> list[SourceDocument]:
    return [i for i in items if isinstance(i, SourceDocument)]


def skips(items: list[Item]) -> Counter[str]:
    return Counter(i.reason for i in items if isinstance(i, Skipped))


def dspace_pages(size: int) -> dict[str, bytes]:
    pages = split(real("dspace_eur_2003", "fake1_00005.xml"), size)
    pages["Identify"] = real("dspace_eur_2003", "fake1_00001.xml")
    return pages


# -- each sample repository ------------------------------------------------------------------


def test_sickle_chain_follows_every_resumption_token(serve, fetch) -> None:
    server = serve(chain("sickle_anonymized", "ListRecords.xml"))
    items = harvest(server, fetch)
    checkpoints = [i.value for i in items if isinstance(i, Checkpoint)]
    assert checkpoints == ["ListRecords2.xml", "ListRecords3.xml"]
    assert skips(items) == {"deleted_record": 3}
    assert [s.source_key for s in items if isinstance(s, Skipped)] == [
        "oai:test.example.com:1585310"
    ] * 3
    found = docs(items)
    assert [d.source_key for d in found] == ["oai:test.example.com:1585322"] * 3
    doc = found[0]
    assert doc.title == "Sample Title"
    assert doc.text.startswith("Sample Title\n\nLorem ipsum dolor sit amet, consectetur")
    assert doc.creator == "John Doe"
    assert (doc.url, doc.date, doc.language_hint) == (
        "http://test.example.com/publication/1585322",
        "2010",
        "eng",
    )
    assert doc.evidence == ()
    assert server.requests == [
        "/robots.txt",
        "/oai?verb=Identify",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/oai?verb=ListRecords&resumptionToken=ListRecords2.xml",
        "/oai?verb=ListRecords&resumptionToken=ListRecords3.xml",
    ]


def test_arxiv_list_records_reports_the_license_element(serve, fetch) -> None:
    server = serve(chain("arxiv", "ListRecords_arXiv_physics-hep-ex_2017-12-14.xml"))
    items = harvest(server, fetch, metadata_prefix="arXiv", set="physics:hep-ex")
    found = docs(items)
    ids = ["oai:arXiv.org:1706.05371", "oai:arXiv.org:1706.09418", "oai:arXiv.org:1707.00874"]
    assert [d.source_key for d in found] == ids
    assert found[1].title == "R-Parity Violation at the LHC"
    assert found[0].creator.startswith("Tyler Anderson; Jacob Cutter; Navneet Dhaliwal")
    assert found[0].date == "2017-06-16"
    page = f"{server.url}?verb=ListRecords&metadataPrefix=arXiv&set=physics%3Ahep-ex"
    for doc in found:
        assert [e.statement for e in doc.evidence] == [ARXIV_NONEXCLUSIVE]
        assert doc.evidence[0].locator == f"{page}#{doc.source_key}/arXiv:license"
        assert doc.evidence[0].kind == "item"
        assert doc.url == (
            f"{server.url}?verb=GetRecord&identifier={doc.source_key.replace(':', '%3A')}"
            "&metadataPrefix=arXiv"
        )
    assert "Silicon photomultipliers (SiPMs) are potential" in found[0].text


def test_arxiv_get_record_samples_keep_each_licence_verbatim(serve, fetch) -> None:
    names = ["1401.2122"] + [f"sample{n}" for n in range(6)]
    responses = [real("arxiv", f"GetRecord_arXiv_{name}.xml") for name in names]
    server = serve(stitch(responses))
    found = docs(harvest(server, fetch, metadata_prefix="arXiv"))
    assert len(found) == 7
    licences = [[e.statement for e in d.evidence] for d in found]
    assert (
        licences
        == [[ARXIV_NONEXCLUSIVE]]
        + [["https://creativecommons.org/licenses/by/3.0/"]]
        + [[ARXIV_NONEXCLUSIVE]] * 5
    )
    planck = found[1]  # its <arXiv> element has no namespace of its own
    assert planck.source_key == "oai:arXiv.org:1601.03238"
    assert planck.title == "Irreversible degradation of quantum coherence under relativistic motion"
    assert planck.creator == "Planck Collaboration; Jieci Wang; Zehua Tian; Jiliang Jing; Heng Fan"


def test_hal_oai_dc_reports_an_access_level_as_evidence(serve, fetch) -> None:
    server = serve(chain("hal", "ListRecords_oai_dc_tel-02955615v1_with_resumptionToken.xml"))
    items = harvest(server, fetch)
    assert not any(isinstance(i, Checkpoint) for i in items)  # the next page was not captured
    (doc,) = docs(items)
    assert doc.source_key == "oai:HAL:tel-02955615v1"
    assert [e.statement for e in doc.evidence] == ["info:eu-repo/semantics/OpenAccess"]
    assert doc.evidence[0].locator.endswith("#oai:HAL:tel-02955615v1/dc:rights")
    assert doc.url == "https://tel.archives-ouvertes.fr/tel-02955615"
    assert doc.title.startswith("Analysis of isoforms from the Tyrosine Kinase Receptor HER4")
    assert (doc.creator, doc.date, doc.language_hint) == ("Lanotte, Romain", "2018-11-29", "fr")
    assert "HER family is composed by four members" in doc.text
    assert "Les récepteurs de la famille HER" in doc.text


def test_hal_tei_reports_licence_target_and_text(serve, fetch) -> None:
    server = serve(stitch([real("hal", "GetRecord_xml-tei_tel-01238742v1.xml")]))
    (doc,) = docs(harvest(server, fetch, metadata_prefix="xml-tei"))
    assert doc.source_key == "oai:HAL:tel-01238742v1"
    assert [(e.statement, e.locator.rsplit("/", 1)[-1]) for e in doc.evidence] == [
        ("http://creativecommons.org/licenses/by/4.0/", "tei:licence@target"),
        (
            "Distributed under a Creative Commons Attribution 4.0 International License",
            "tei:licence",
        ),
    ]
    assert doc.title == "Unconventional and intertwined orders of the low-dimensional Hubbard model"
    assert (doc.creator, doc.date, doc.language_hint) == ("A. Leprévost", "2015-11-20", "fr")
    assert doc.url == "http://hal.in2p3.fr/tel-01238742"
    assert "The understanding of superconductivity" in doc.text


def test_dspace_records_without_rights_carry_the_collection_licence(serve, fetch) -> None:
    server = serve(dspace_pages(100))
    found = docs(harvest(server, fetch))
    assert len(found) == 16
    assert all(d.evidence == () for d in found)
    assert found[0].source_key == "hdl:1765/308"
    assert found[0].url == "http://hdl.handle.net/1765/308"
    statement = "All items are CC BY 4.0 (repository policy page)"
    with_policy = docs(harvest(server, fetch, collection_licence=statement))
    evidence = {
        e for d in with_policy for e in ((e.statement, e.locator, e.kind) for e in d.evidence)
    }
    assert evidence == {(statement, f"{server.url}#collection_licence", "collection")}


# -- protocol errors -------------------------------------------------------------------------


def test_no_records_match_ends_cleanly(serve, fetch) -> None:
    server = serve(
        {"Identify": identify(), "ListRecords": real("sickle_anonymized", "noRecordsMatch.xml")}
    )
    assert harvest(server, fetch, **{"from": "2001-01-01", "until": "2001-01-01"}) == []
    assert "from=2001-01-01&until=2001-01-01" in server.requests[-1]


def test_bad_resumption_token_restarts_the_list_once(serve, fetch) -> None:
    server = serve(chain("sickle_anonymized", "ListRecords.xml"))
    fresh = harvest(server, fetch)
    restarted = harvest(server, fetch, resume="an-expired-token")
    assert [(type(i), getattr(i, "source_key", None)) for i in restarted] == [
        (type(i), getattr(i, "source_key", None)) for i in fresh
    ]
    assert "resumptionToken=an-expired-token" in server.requests[-4]


def test_bad_resumption_token_twice_is_an_error(serve, fetch) -> None:
    pages = chain("sickle_anonymized", "ListRecords.xml")
    del pages["ListRecords2.xml"]  # the server forgets the token it hands out
    server = serve(pages)
    with pytest.raises(OaiPmhError, match="badResumptionToken") as err:
        harvest(server, fetch)
    assert err.value.code == "badResumptionToken"


def test_other_protocol_errors_name_their_code(serve, fetch) -> None:
    server = serve(
        {"Identify": identify(), "ListRecords": real("sickle_anonymized", "badArgument.xml")}
    )
    with pytest.raises(OaiPmhError, match="badArgument") as err:
        harvest(server, fetch)
    assert err.value.code == "badArgument"


def test_an_endpoint_that_is_not_oai_pmh_fails_at_identify(serve, fetch) -> None:
    server = serve({}, files={"page": b"<html><body>Welcome</body></html>"})
    source = OaiPmhSource({"base_url": server.root + "/files/page"})
    with pytest.raises(OaiPmhError, match="no OAI-PMH Identify answer; check base_url") as err:
        list(source.documents(fetch))
    assert err.value.code == "not_oai_pmh"
    with pytest.raises(FetchError, match="HTTP 404 for .*/nothing\\?verb=Identify"):
        list(OaiPmhSource({"base_url": server.root + "/nothing"}).documents(fetch))


# -- interrupted harvests --------------------------------------------------------------------


def test_stopped_after_first_checkpoint_and_resumed_equals_one_run(serve, fetch) -> None:
    server = serve(dspace_pages(5))
    full = [d.source_key for d in docs(harvest(server, fetch))]
    assert len(full) == 16 and len(set(full)) == 16
    first_part, checkpoint = [], None
    for item in OaiPmhSource({"base_url": server.url}).documents(fetch):
        if isinstance(item, Checkpoint):
            checkpoint = item.value
            break
        first_part.append(item.source_key)
    assert checkpoint == "page-2"
    rest = [d.source_key for d in docs(harvest(server, fetch, resume=checkpoint))]
    assert first_part + rest == full


def test_server_failing_on_page_three_then_resumed_loses_and_repeats_nothing(serve, fetch) -> None:
    server = serve(dspace_pages(5), fail={"page-3"})
    full = [d.source_key for d in docs(harvest(serve(dspace_pages(5)), fetch))]
    seen, checkpoint = [], None
    with pytest.raises(FetchError, match="HTTP 500"):
        for item in OaiPmhSource({"base_url": server.url}).documents(fetch):
            if isinstance(item, Checkpoint):
                checkpoint = item.value
            else:
                seen.append(item.source_key)
    assert checkpoint == "page-3" and len(seen) == 10
    server.fail.clear()
    rest = [d.source_key for d in docs(harvest(server, fetch, resume=checkpoint))]
    assert seen + rest == full


def test_limit_stops_before_the_next_checkpoint(serve, fetch) -> None:
    server = serve(dspace_pages(5))
    items = list(OaiPmhSource({"base_url": server.url}).documents(fetch, limit=7))
    assert len(docs(items)) == 7
    assert [i.value for i in items if isinstance(i, Checkpoint)] == ["page-2"]


# -- bad records and bad pages ---------------------------------------------------------------


def test_malformed_record_is_skipped_and_the_harvest_goes_on(serve, fetch) -> None:
    good = dc_record("oai:x:1", "<dc:title>One</dc:title>")
    broken = dc_record("oai:x:2", "<dc:title>Tom & Jerry</dc:title>")
    last = dc_record("oai:x:3", "<dc:title>Three</dc:title>")
    pages = {
        "Identify": identify(),
        "ListRecords": envelope(good + broken + last, token="p2"),
        "p2": envelope(dc_record("oai:x:4", "<dc:description>Four</dc:description>")),
    }
    items = harvest(serve(pages), fetch)
    assert [type(i).__name__ for i in items] == [
        "SourceDocument", "Skipped", "SourceDocument", "Checkpoint", "SourceDocument",
    ]  # fmt: skip
    assert (items[1].source_key, items[1].reason) == ("oai:x:2", "malformed_xml")
    assert "not well-formed" in items[1].detail
    assert [d.text for d in docs(items)] == ["One", "Three", "Four"]


def test_a_cut_off_page_keeps_what_was_read_then_fails_clearly(serve, fetch) -> None:
    pages = dspace_pages(5)
    pages["page-2"] = pages["page-2"][: len(pages["page-2"]) // 2]
    items: list[Item] = []
    with pytest.raises(OaiPmhError, match="cut off .* resume from the last checkpoint") as err:
        items.extend(OaiPmhSource({"base_url": serve(pages).url}).documents(fetch))
    assert err.value.code == "malformed_xml"
    assert len(docs(items)) >= 5
    assert [i.value for i in items if isinstance(i, Checkpoint)] == ["page-2"]


@pytest.mark.parametrize(
    ("page", "code", "message"),
    [
        (b"502 Bad Gateway <hr> nginx", "malformed_xml", "is not an OAI-PMH page"),
        (b"<html><h1>502 Bad Gateway</h1></html>", "unexpected_response", "answered <html>"),
    ],
)
def test_a_page_that_is_not_oai_is_an_error_after_what_was_yielded(
    serve, fetch, page, code, message
) -> None:
    pages = dspace_pages(5)
    pages["page-2"] = page
    items: list[Item] = []
    with pytest.raises(OaiPmhError, match=message) as err:
        items.extend(OaiPmhSource({"base_url": serve(pages).url}).documents(fetch))
    assert err.value.code == code
    assert len(docs(items)) == 5


def test_entity_expansion_is_refused(serve, fetch) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        + dc_record("oai:x:1", "<dc:title>&lol;</dc:title>").encode()
        + b"</ListRecords></OAI-PMH>"
    )
    items = harvest(serve({"Identify": identify(), "ListRecords": bomb}), fetch)
    assert [(i.source_key, i.reason) for i in items] == [("oai:x:1", "malformed_xml")]


def test_records_without_identifier_or_text_are_skipped(serve, fetch) -> None:
    records = (
        dc_record(None, "<dc:title>Orphan</dc:title>")
        + dc_record("oai:x:2", "<dc:subject>only a subject</dc:subject>")
        + dc_record("oai:x:3", "<dc:title>Kept</dc:title><dc:rights>CC0</dc:rights>")
        + "<record><header><identifier>oai:x:4</identifier></header></record>"
    )
    server = serve({"Identify": identify(), "ListRecords": envelope(records)})
    items = harvest(server, fetch)
    assert [(i.source_key, i.reason) for i in items if isinstance(i, Skipped)] == [
        (f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc#record-1", "missing_identifier"),
        ("oai:x:2", "empty_metadata"),
        ("oai:x:4", "empty_metadata"),
    ]
    (kept,) = docs(items)
    assert [e.statement for e in kept.evidence] == ["CC0"]


def test_unsupported_metadata_format_is_skipped_with_its_name(serve, fetch) -> None:
    server = serve(chain("cds", "ListRecords_marcxml_cerncds-hep-ex.xml"))
    items = harvest(server, fetch, metadata_prefix="marcxml")
    assert skips(items) == {"unsupported_metadata_format": 2}
    assert {i.detail for i in items} == {"record"}


# -- full text and configuration -------------------------------------------------------------


def test_full_text_fetches_plain_text_links_only(serve, fetch) -> None:
    server = serve({"Identify": identify()}, files={"a.txt": "Full text é.".encode()})
    records = (
        dc_record(
            "oai:x:1",
            f"<dc:title>A</dc:title><dc:identifier>{server.root}/files/a.txt</dc:identifier>",
        )
        + dc_record(
            "oai:x:2", "<dc:title>B</dc:title><dc:identifier>http://x.invalid/b.pdf</dc:identifier>"
        )
        + dc_record(
            "oai:x:3", f"<dc:title>C</dc:title><dc:relation>{server.root}/files/c.txt</dc:relation>"
        )
    )
    server.pages["ListRecords"] = envelope(records)
    items = harvest(server, fetch, full_text=True)
    assert [d.text for d in docs(items)] == ["Full text é.", "B"]
    (missing,) = [i for i in items if isinstance(i, Skipped)]
    assert (missing.source_key, missing.reason) == ("oai:x:3", "full_text_unavailable")
    assert "HTTP 404" in missing.detail


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "oai_pmh: base_url: required: the endpoint"),
        ({"base_url": "http://x", "sets": "a"}, "sets: unknown key; did you mean set?"),
        (
            {"base_url": "http://x", "full_text": "yes"},
            'full_text: must be true or false, not "yes"',
        ),
        ({"base_url": "http://x", "from": "2024-1-1"}, "'2024-1-1' is not an OAI-PMH date"),
    ],
)
def test_bad_config_says_what_to_fix(config, message) -> None:
    with pytest.raises(ValueError, match=message):
        OaiPmhSource(config)
