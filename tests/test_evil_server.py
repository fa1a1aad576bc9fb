"""A loopback "evil server" against the fetcher and the adapters that read over HTTP.

tests/test_fetch_limits.py covers a body that drips, one without end and one too slow for its
deadline; tests/sources/test_oai_pmh_bounds.py a resumptionToken repeated or cycling. Here: a
server that answers 429 forever, one that accepts and never answers, headers that drip, and
the same faults met by the adapters mid-harvest (OAI-PMH, a MediaWiki dump, a Gutenberg
mirror). Each ends with the error or skip that names the configured limit that stopped it.
Every play is bounded on the server side too (it stops after `PLAY_SECONDS` or when the client
hangs up), and waits are recorded by an injected `sleep`, so no test waits for real backoffs.
"""

from __future__ import annotations

import contextlib
import socket
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from corpusbuilder.source import Skipped, SourceDocument
from sources.gutenberg import GutenbergSource
from sources.mediawiki import MediaWikiSource
from sources.oai_pmh import OaiPmhError, OaiPmhSource
from tests import loopback
from tests.oai_server import identify

PLAY_SECONDS = 8  # no play lasts longer, whatever the client does
HEADER_DRIP_SECONDS = 2  # how long the server drips its headers


class EvilServer:
    """Plays a fault per first path segment: ``/429`` (Retry-After ``?after=``, default 1),
    ``/silent`` (reads the request, never answers), ``/header-drip`` (one header byte every
    50 ms), ``/drip`` and ``/endless`` (a body of 10 bytes every 50 ms, or 60 KB chunks without
    end); ``/oai`` answers Identify properly and plays `listing` for ListRecords."""

    def __init__(self, listing: str = "/endless") -> None:
        self.listing, self.requests = listing, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                path, _, query = self.path.partition("?")
                if path == "/oai":
                    if "verb=Identify" in query:
                        return self._send(identify())
                    path = server.listing
                play = getattr(server, "_" + path.strip("/").split("/")[0].replace("-", "_"))
                with contextlib.suppress(OSError):  # the client hung up: it gave up, as it should
                    play(self, parse_qs(query))

            def _send(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd, self.url = loopback.serve(Handler)

    @staticmethod
    def _429(handler, query: dict) -> None:
        handler.send_response(429)
        handler.send_header("Retry-After", query.get("after", ["1"])[0])
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    @staticmethod
    def _silent(handler, query: dict) -> None:
        handler.connection.settimeout(PLAY_SECONDS)
        with contextlib.suppress(TimeoutError):
            handler.connection.recv(1)  # returns when the client hangs up

    @staticmethod
    def _header_drip(handler, query: dict) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 10_000 + b"\r\n\r\n"
        _drip(handler, head, 1, seconds=HEADER_DRIP_SECONDS)

    @staticmethod
    def _drip(handler, query: dict) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
        _drip(handler, b"<" * 10**6, 10)

    @staticmethod
    def _endless(handler, query: dict) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
        ends = time.monotonic() + PLAY_SECONDS
        while time.monotonic() < ends:
            handler.wfile.write(b"<a>" * 20_000)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _drip(handler, data: bytes, size: int, seconds: float = PLAY_SECONDS) -> None:
    ends = time.monotonic() + seconds
    for start in range(0, len(data), size):
        if time.monotonic() > ends:
            return
        handler.wfile.write(data[start : start + size])
        handler.wfile.flush()
        time.sleep(0.05)


@pytest.fixture
def evil():
    servers: list[EvilServer] = []

    def start(**options) -> EvilServer:
        servers.append(EvilServer(**options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


class Waits(list):
    """An injected `sleep`: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _fetcher(waits: Waits | None = None, **limits) -> Fetcher:
    limits = {"max_attempts": 1, "min_interval": 0, "respect_robots": False, **limits}
    return Fetcher(sleep=waits if waits is not None else Waits(), **limits)


# -- the fetcher -----------------------------------------------------------------------------


def test_429_forever_ends_after_max_attempts_waiting_what_the_server_asked(evil) -> None:
    server, waits = evil(), Waits()
    with pytest.raises(FetchError) as caught:
        _fetcher(waits, max_attempts=3).read_bytes(f"{server.url}/429?after=7")
    assert f"gave up on {server.url}/429?after=7 after 3 attempts (last: HTTP 429)" in str(
        caught.value
    )
    assert caught.value.status == 429
    assert waits == [7, 7] and len(server.requests) == 3


def test_a_retry_after_of_a_day_is_cut_to_max_wait(evil) -> None:
    server, waits = evil(), Waits()
    with pytest.raises(FetchError, match=r"after 4 attempts \(last: HTTP 429\)"):
        _fetcher(waits, max_attempts=4, max_wait=30).read_bytes(f"{server.url}/429?after=86400")
    assert waits == [30, 30, 30]


def test_a_server_that_never_answers_ends_at_the_timeout_of_each_attempt(evil) -> None:
    server = evil()
    with pytest.raises(FetchError, match=r"after 2 attempts \(last: timed out\)"):
        _fetcher(max_attempts=2, timeout=0.3).read_bytes(f"{server.url}/silent")
    assert server.requests == ["/silent", "/silent"]


def test_a_port_that_accepts_nothing_ends_at_the_timeout(evil) -> None:
    """A listening socket whose backlog the kernel fills but nobody ever accepts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(FetchError, match=r"after 1 attempts \(last: timed out\)"):
            _fetcher(timeout=0.3).read_bytes(url)


def test_dripping_headers_end_at_the_deadline(evil) -> None:
    server = evil()
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"more than its deadline \(0.3 s\)"):
        _fetcher(deadline=0.3, timeout=5).read_bytes(f"{server.url}/header-drip")
    assert time.monotonic() - started < HEADER_DRIP_SECONDS / 2, "waited for the server"


# -- adapters meeting the faults mid-harvest ------------------------------------------------


def _harvest(server: EvilServer, fetcher: Fetcher, **config) -> tuple[list, Exception]:
    items: list = []
    source = OaiPmhSource({"base_url": f"{server.url}/oai", **config})
    with pytest.raises((OaiPmhError, FetchError)) as caught:
        items.extend(source.documents(fetcher))
    return items, caught.value


def test_an_endless_oai_page_ends_at_max_page_bytes(evil) -> None:
    items, error = _harvest(evil(listing="/endless"), _fetcher(), max_page_bytes=2**20)
    assert items == [] and isinstance(error, OaiPmhError) and error.code == "page_too_large"
    assert "is larger than max_page_bytes (1048576 bytes)" in str(error)


def test_an_endless_oai_page_ends_at_the_fetchers_max_bytes_when_that_is_lower(evil) -> None:
    items, error = _harvest(evil(listing="/endless"), _fetcher(max_bytes=2**19))
    assert items == [] and isinstance(error, FetchError)
    assert "passed max_bytes (524288 bytes); raise the limit in `fetch:`" in str(error)


def test_a_dripping_oai_page_ends_below_min_rate(evil) -> None:
    items, error = _harvest(evil(listing="/drip"), _fetcher(min_rate=1000, rate_grace=0.5))
    assert items == [] and isinstance(error, FetchError)
    assert "bytes/s, under min_rate (1000)" in str(error)


def test_an_oai_list_answered_429_forever_ends_after_max_attempts(evil) -> None:
    waits = Waits()
    items, error = _harvest(evil(listing="/429"), _fetcher(waits, max_attempts=3))
    assert items == [] and isinstance(error, FetchError) and error.status == 429
    assert "after 3 attempts (last: HTTP 429)" in str(error) and waits == [1, 1]


def test_a_dripping_dump_is_one_skip_naming_min_rate(evil) -> None:
    server = evil()
    source = MediaWikiSource({"dump": f"{server.url}/drip", "licence": "CC-BY-SA-4.0"})
    [skip] = source.documents(_fetcher(min_rate=1000, rate_grace=0.5))
    assert isinstance(skip, Skipped) and skip.source_key == f"{server.url}/drip"
    assert skip.reason in ("malformed_dump", "truncated_dump")
    assert "bytes/s, under min_rate (1000)" in skip.detail


def test_a_gutenberg_mirror_that_never_answers_is_a_fetch_failed_skip(evil, tmp_path) -> None:
    csv = "Text#,Type,Issued,Title,Language,Authors\n7,Text,2001-01-01,T,en,A\n"
    (tmp_path / "catalog.csv").write_text(csv)
    server = evil()
    source = GutenbergSource(
        {"catalog": str(tmp_path / "catalog.csv"), "mirror": f"{server.url}/silent"}
    )
    found = list(source.documents(_fetcher(timeout=0.3)))
    assert [type(i) for i in found] == [Skipped] and found[0].reason == "fetch_failed"
    assert "(last: timed out); try again later or raise max_attempts" in found[0].detail
    assert not any(isinstance(i, SourceDocument) for i in found)
