"""The oai_pmh adapter's date-range partitions (issue 11, item 3), harvested from a loopback
repository that selects by set and datestamp as OAI-PMH 2.0 says, over the real records of a
2003 DSpace server (16 records from 2003-04-15 to 2003-04-29, in sets 1:1, 1:2, 2:6 and 2:7).

Each range is one ListRecords list with inclusive from/until in the repository's granularity;
ranges follow one another without overlap, so the partitioned harvest holds the very documents
of one harvest, none twice; each resumes from its own checkpoint."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from corpusbuilder.ingest.fetch import Fetcher
from corpusbuilder.ingest.partitions import describe
from corpusbuilder.ingest.runner import ingest
from corpusbuilder.ledger import Ledger
from corpusbuilder.source import Checkpoint
from corpusbuilder.textstore import TextStore
from sources.oai_dates import GranularityError, ranges
from sources.oai_pmh import OaiPmhSource
from tests.oai_selective import SelectiveServer
from tests.oai_server import identify, real
from tests.test_resume_positions import Interrupted

APRIL = {"from": "2003-04-01", "until": "2003-04-30"}
WEEKS = ["2003-04-01..2003-04-07", "2003-04-08..2003-04-14", "2003-04-15..2003-04-21",
         "2003-04-22..2003-04-28", "2003-04-29..2003-04-30"]  # fmt: skip


@pytest.fixture
def repository():
    """The DSpace records, 2 a page, from a repository that harvests by second, as DSpace's
    Identify says; `repository(by_second=False)` answers with one that harvests by day."""
    servers: list[SelectiveServer] = []

    def start(by_second: bool = True) -> SelectiveServer:
        said = real("dspace_eur_2003", "fake1_00001.xml") if by_second else identify()
        servers.append(SelectiveServer(real("dspace_eur_2003", "fake1_00005.xml"), said, 2))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def source(server: SelectiveServer, **options) -> OaiPmhSource:
    return OaiPmhSource({"base_url": server.url, "collection_licence": "CC0-1.0", **options})


def handles(items) -> list[str]:
    """The DSpace handle numbers of `items` (hdl:1765/308 → 308)."""
    return [i.source_key.rsplit("/", 1)[1] for i in items if not isinstance(i, Checkpoint)]


def lists_asked(server: SelectiveServer) -> list[tuple]:
    """(set, from, until) of each list requested (its pages after the first go by token)."""
    queries = [parse_qs(urlsplit(r).query) for r in server.requests if "ListRecords" in r]
    return [
        tuple(q.get(key, [None])[0] for key in ("set", "from", "until"))
        for q in queries
        if "resumptionToken" not in q
    ]


def _ingest(ledger, tmp_path, adapter):
    fetch = Fetcher(tmp_path, min_interval=0, max_attempts=1)
    return ingest(ledger, TextStore(tmp_path / "texts"), "s", adapter, fetch, progress=False)


def _documents(ledger: Ledger) -> dict[str, tuple]:
    return {d.doc_id: (d.status, d.text_sha256, d.title) for d in ledger.documents()}


def test_ranges_are_named_by_their_days_and_each_is_one_list(repository):
    server, fetch = repository(), Fetcher(min_interval=0, max_attempts=1)
    adapter = source(server, **APRIL, date_step="1 week")
    assert adapter.partitions(fetch) == WEEKS
    held = {name: handles(adapter.read(fetch, name, None)) for name in WEEKS}
    assert held == {
        WEEKS[0]: [],
        WEEKS[1]: [],
        WEEKS[2]: ["308", "309"],
        WEEKS[3]: ["311", "312", "313", "315", "316", "317", "318"],  # 04-22 and 04-28 in it
        WEEKS[4]: ["319", "320", "321", "322", "323", "324", "325"],
    }
    days = [tuple(name.split("..")) for name in WEEKS]
    assert lists_asked(server) == [(None, low, high) for low, high in days]  # inclusive, by day


def test_sets_by_ranges_are_partitions_named_set_colon_range(repository):
    server, fetch = repository(), Fetcher(min_interval=0, max_attempts=1)
    options = {"from": "2003-04-15", "until": "2003-04-30", "date_step": "2 weeks"}
    adapter = source(server, **options, set=["1:1", "2"])
    names = adapter.partitions(fetch)
    assert names == ["1:1:2003-04-15..2003-04-28", "1:1:2003-04-29..2003-04-30",
                     "2:2003-04-15..2003-04-28", "2:2003-04-29..2003-04-30"]  # fmt: skip
    held = {name: handles(adapter.read(fetch, name, None)) for name in names}
    assert held == {
        names[0]: ["316", "317", "318"],
        names[1]: ["319", "320", "321", "322", "323", "324", "325"],
        names[2]: ["311", "312", "313", "315"],  # set 2 holds 2:6 and 2:7
        names[3]: [],
    }
    assert lists_asked(server)[0] == ("1:1", "2003-04-15", "2003-04-28")


def test_a_partitioned_harvest_holds_the_documents_of_one_harvest_none_twice(repository, tmp_path):
    server = repository()
    whole, parts = Ledger("sqlite://"), Ledger("sqlite://")
    _ingest(whole, tmp_path, source(server, **APRIL))
    server.requests.clear()
    sets = ["1:1", "1:2", "2:6", "2:7"]
    done = _ingest(parts, tmp_path, source(server, **APRIL, date_step="1 week", set=sets))
    assert len(_documents(whole)) == 16
    assert _documents(parts) == _documents(whole)
    assert (done.counts["new"], done.counts["repeated_source_key"]) == (16, 0)
    assert len(lists_asked(server)) == 20  # 4 sets × 5 weeks
    assert server.requests.count("/oai?verb=Identify") == 1  # asked once, not once a partition


def test_a_bound_with_a_time_is_sent_to_the_second_where_the_repository_harvests_so(repository):
    server, fetch = repository(), Fetcher(min_interval=0, max_attempts=1)
    adapter = source(server, **{"from": "2003-04-15T12:00:00Z", "until": "2003-04-29"},
                     date_step="1 week")  # fmt: skip
    names = ["2003-04-15T12:00:00Z..2003-04-21", "2003-04-22..2003-04-28",
             "2003-04-29..2003-04-29"]  # fmt: skip
    assert adapter.partitions(fetch) == names
    found = handles(adapter.documents(fetch))
    assert found[:2] == ["309", "311"]  # 308 is from 10:18 that day, 309 from 15:53
    assert len(found) == 15
    assert lists_asked(server) == [
        (None, "2003-04-15T12:00:00Z", "2003-04-21T23:59:59Z"),  # one granularity a request
        (None, "2003-04-22", "2003-04-28"),
        (None, "2003-04-29", "2003-04-29"),
    ]


def test_a_time_to_a_repository_that_harvests_by_day_stops_before_any_list(repository):
    server, fetch = repository(by_second=False), Fetcher(min_interval=0, max_attempts=1)
    adapter = source(server, **{"from": "2003-04-15T12:00:00Z", "until": "2003-04-29"},
                     date_step="1 week", set=["1:1", "2:6"])  # fmt: skip
    with pytest.raises(GranularityError) as caught:
        list(adapter.documents(fetch))
    assert str(caught.value) == (
        f"from 2003-04-15T12:00:00Z has a time, but {server.url} harvests by day (its Identify"
        " answers granularity YYYY-MM-DD): give from and until as days, YYYY-MM-DD"
    )
    assert lists_asked(server) == []  # one error for the source, not one skip a partition
    by_day = source(server, **APRIL, date_step="1 week")
    assert len(handles(by_day.documents(fetch))) == 16


def test_an_ingest_stopped_in_a_range_resumes_there(repository, tmp_path, monkeypatch):
    server = repository()
    options = {**APRIL, "date_step": "1 week"}
    whole = Ledger("sqlite://")
    _ingest(whole, tmp_path, source(server, **options))
    ledger = Ledger("sqlite://")
    with pytest.raises(KeyboardInterrupt):  # after 308, 309 and 311, 312, 313 of week 4
        _ingest(ledger, tmp_path, Interrupted(source(server, **options), 5))
    token = "list5-page2"  # week 4's second page (the whole harvest asked for lists 1 to 3)
    state = {"done": WEEKS[:3], "partition": WEEKS[3], "at": token}
    assert json.loads(ledger.resume_point("s")) == state
    reads, read = [], OaiPmhSource.read
    monkeypatch.setattr(
        OaiPmhSource, "read", lambda self, *args: reads.append(args[1:]) or read(self, *args)
    )
    again = _ingest(ledger, tmp_path, source(server, **options))
    assert reads == [(WEEKS[3], token), (WEEKS[4], None)]
    assert describe(again.resumed_from) == f"3 of its partitions done; {WEEKS[3]} from {token}"
    assert (again.counts["seen"], again.counts["unchanged"]) == (12, 1)  # 313 read again
    assert _documents(ledger) == _documents(whole)
    assert ledger.resume_point("s") is None


def test_one_range_keeps_the_adapters_own_checkpoint_and_sets_keep_their_names(repository):
    server, fetch = repository(), Fetcher(min_interval=0, max_attempts=1)
    adapter = source(server, **APRIL, date_step="1 month")
    assert adapter.partitions(fetch) == ["2003-04-01..2003-04-30"]
    checkpoints = [i.value for i in adapter.documents(fetch) if isinstance(i, Checkpoint)]
    assert checkpoints == [f"list1-page{n}" for n in range(2, 9)]  # the tokens, as before
    sets = source(server, set=["1:1", "2:6"])
    assert sets.partitions(fetch) == ["1:1", "2:6"]  # the names checkpoints already hold


@pytest.mark.parametrize(
    ("first", "last", "step", "cut"),
    [
        ("2020-01-01", "2020-03-15", "1 month",  # the example of oai_dates
         [("2020-01-01", "2020-01-31"), ("2020-02-01", "2020-02-29"),
          ("2020-03-01", "2020-03-15")]),
        ("2020-01-31", "2020-04-30", "1 month",  # back to the 31st after a shorter month
         [("2020-01-31", "2020-02-28"), ("2020-02-29", "2020-03-30"),
          ("2020-03-31", "2020-04-29"), ("2020-04-30", "2020-04-30")]),
        ("2019-12-31", "2021-06-30", "1 year",
         [("2019-12-31", "2020-12-30"), ("2020-12-31", "2021-06-30")]),
        ("2020-03-01T06:00:00Z", "2020-03-01T18:00:00Z", "1 day",  # times kept as given
         [("2020-03-01T06:00:00Z", "2020-03-01T18:00:00Z")]),
        ("2020-01-01", "9999-12-31", "9999 years", [("2020-01-01", "9999-12-31")]),
    ],
)  # fmt: skip
def test_ranges_follow_one_another_without_gap_or_overlap(first, last, step, cut):
    assert ranges(first, last, step) == cut


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"date_step": "1 month", "from": "2003-04-01"},
         "date_step cuts from..until into ranges: give from and until"),
        ({**APRIL, "date_step": "1 fortnight"},
         "date_step: '1 fortnight' is no date step: give a number of days, weeks, months or"
         " years, such as '1 month', '2 weeks' or '1 year'"),
        ({**APRIL, "date_step": "0 days"}, "date_step: '0 days' is no date step"),
        ({**APRIL, "date_step": 7}, "date_step: must be a string, not 7; quote it"),
        ({"from": "2003-05-01", "until": "2003-04-30"},
         "from 2003-05-01 is after until 2003-04-30: OAI-PMH's bounds are inclusive, give from"
         " on or before until"),
        ({"from": "2003-02-30"}, "from: '2003-02-30' is not an OAI-PMH date"),
        ({"from": "2000-01-01", "until": "2003-12-31", "date_step": "1 day"},
         "2000-01-01..2003-12-31 by 1 day gives more than 1000 partitions, and a source has at"
         " most 1000 \\(each checkpoint names those done\\): take a longer date_step"),
        ({**APRIL, "date_step": "1 day", "set": [str(n) for n in range(40)]},
         "40 sets × 30 date ranges gives 1200 partitions"),
    ],
)  # fmt: skip
def test_bad_date_options_are_refused_with_what_to_give(options, message):
    with pytest.raises(ValueError, match=f"^oai_pmh: {message}"):
        OaiPmhSource({"base_url": "http://x", **options})
