"""The fetcher against a loopback server that plays scripted answers, path by path."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from corpusbuilder.ingest.fetch import USER_AGENT, Fetcher, FetchError
from tests import loopback

Answer = tuple[int, dict[str, str], bytes]


class ScriptedServer:
    """Answers each path with its scripted answers in turn (the last one repeats); counts hits."""

    def __init__(self, script: dict[str, list[Answer]]) -> None:
        self.script = script
        self.hits: Counter[str] = Counter()
        self.agents: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.hits[self.path] += 1
                server.agents.append(self.headers.get("User-Agent", ""))
                answers = server.script.get(self.path, [(404, {}, b"not found")])
                status, headers, body = answers[min(server.hits[self.path], len(answers)) - 1]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:  # a scripted one may announce more
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd, self.url = loopback.serve(Handler)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeClock:
    """A clock that only moves when the fetcher sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def serve() -> Iterator:
    servers: list[ScriptedServer] = []

    def start(script: dict[str, list[Answer]]) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def fetcher(clock: FakeClock, **options: object) -> Fetcher:
    return Fetcher(clock=clock, sleep=clock.sleep, min_interval=0, **options)


def test_503_with_retry_after_then_200_waits_as_told(serve) -> None:
    server = serve({"/a": [(503, {"Retry-After": "7"}, b"busy"), (200, {}, b"hello")]})
    clock = FakeClock()
    assert fetcher(clock).read_bytes(server.url + "/a") == b"hello"
    assert server.hits["/a"] == 2
    assert clock.sleeps == [7.0]
    assert set(server.agents) == {USER_AGENT}


def test_429_without_retry_after_backs_off_exponentially_then_gives_up(serve) -> None:
    server = serve({"/a": [(429, {}, b"slow down")]})
    clock = FakeClock()
    with pytest.raises(FetchError, match=r"gave up .* after 3 attempts \(last: HTTP 429\)") as err:
        fetcher(clock, max_attempts=3, backoff=0.5).read_bytes(server.url + "/a")
    assert err.value.status == 429
    assert server.hits["/a"] == 3
    assert clock.sleeps == [0.5, 1.0]


def test_retry_after_is_capped_by_max_wait(serve) -> None:
    server = serve({"/a": [(503, {"Retry-After": "86400"}, b""), (200, {}, b"ok")]})
    clock = FakeClock()
    assert fetcher(clock, max_wait=30).read_bytes(server.url + "/a") == b"ok"
    assert clock.sleeps == [30]


def test_404_fails_at_once_with_the_status(serve) -> None:
    server = serve({})
    with pytest.raises(FetchError, match="HTTP 404") as err:
        fetcher(FakeClock()).read_bytes(server.url + "/missing")
    assert err.value.status == 404
    assert server.hits["/missing"] == 1


def test_robots_disallow_is_a_fetch_error_and_robots_is_read_once(serve) -> None:
    robots = b"User-agent: corpusbuilder\nDisallow: /private\n"
    server = serve({"/robots.txt": [(200, {}, robots)], "/public": [(200, {}, b"ok")]})
    fetch = fetcher(FakeClock())
    with pytest.raises(FetchError, match="robots.txt .* disallows"):
        fetch.read_bytes(server.url + "/private/x")
    assert fetch.read_bytes(server.url + "/public") == b"ok"
    assert server.hits["/private/x"] == 0
    assert server.hits["/robots.txt"] == 1


def test_robots_rules_for_other_agents_do_not_apply(serve) -> None:
    robots = b"User-agent: otherbot\nDisallow: /\n"
    server = serve({"/robots.txt": [(200, {}, robots)], "/a": [(200, {}, b"ok")]})
    assert fetcher(FakeClock()).read_bytes(server.url + "/a") == b"ok"


def test_robots_server_error_stops_the_fetch(serve) -> None:
    server = serve({"/robots.txt": [(500, {}, b"")], "/a": [(200, {}, b"ok")]})
    with pytest.raises(FetchError, match="cannot read .*robots.txt"):
        fetcher(FakeClock(), max_attempts=2).read_bytes(server.url + "/a")
    assert server.hits["/a"] == 0


def test_cache_hit_does_not_ask_the_server_again(serve, tmp_path) -> None:
    server = serve({"/a?x=1": [(200, {}, b"one")], "/a?x=2": [(200, {}, b"two")]})
    fetch = fetcher(FakeClock(), cache_dir=tmp_path / "cache")
    assert fetch.read_bytes(server.url + "/a", {"x": "1"}) == b"one"
    assert fetch.read_bytes(server.url + "/a", {"x": "1"}) == b"one"
    assert fetch.read_bytes(server.url + "/a", {"x": "2"}) == b"two"
    again = fetcher(FakeClock(), cache_dir=tmp_path / "cache")
    assert again.read_bytes(server.url + "/a?x=1") == b"one"
    assert server.hits["/a?x=1"] == 1
    assert server.hits["/a?x=2"] == 1


def test_failures_are_not_cached(serve, tmp_path) -> None:
    server = serve({"/a": [(500, {}, b""), (200, {}, b"ok")]})
    fetch = fetcher(FakeClock(), cache_dir=tmp_path, max_attempts=1)
    with pytest.raises(FetchError):
        fetch.read_bytes(server.url + "/a")
    assert fetch.read_bytes(server.url + "/a") == b"ok"


def test_cached_download_cut_short_is_retried_and_only_the_whole_body_kept(serve, tmp_path) -> None:
    short = (200, {"Content-Length": "100"}, b"only forty bytes of the hundred announced")
    server = serve({"/a": [short, (200, {}, b"whole")]})
    clock = FakeClock()
    fetch = fetcher(clock, cache_dir=tmp_path, respect_robots=False)
    assert fetch.read_bytes(server.url + "/a") == b"whole"
    assert server.hits["/a"] == 2
    assert clock.sleeps == [2.0]
    assert [p.read_bytes() for p in tmp_path.iterdir()] == [b"whole"]


CHUNKED = {"Transfer-Encoding": "chunked", "Content-Length": "0"}  # chunked wins in http.client


@pytest.mark.parametrize(
    ("headers", "body", "detail"),
    [
        ({"Content-Length": "100"}, b"cut", "after 3 bytes, 97 more announced"),
        (CHUNKED, b"10\r\nshort", r"after \d+ bytes: IncompleteRead"),
    ],
)
def test_cached_download_always_cut_short_is_a_fetch_error_naming_the_url(
    serve, tmp_path, headers, body, detail
) -> None:
    server = serve({"/a": [(200, headers, body)]})
    fetch = fetcher(FakeClock(), cache_dir=tmp_path, max_attempts=2, respect_robots=False)
    pattern = rf"gave up on {server.url}/a after 2 attempts \(last: download cut off {detail}"
    with pytest.raises(FetchError, match=pattern):
        fetch.read_bytes(server.url + "/a")
    assert server.hits["/a"] == 2
    assert list(tmp_path.iterdir()) == []  # no partial file, nothing cached


def test_rate_limit_spaces_requests_to_one_host(serve) -> None:
    server = serve({"/a": [(200, {}, b"ok")]})
    clock = FakeClock()
    fetch = Fetcher(clock=clock, sleep=clock.sleep, min_interval=2.5)
    for _ in range(3):
        fetch.read_bytes(server.url + "/a")
    # robots.txt, then three pages: every request after the first waits the full interval
    assert clock.sleeps == [2.5, 2.5, 2.5]


def test_rate_limit_honours_a_longer_crawl_delay(serve) -> None:
    robots = b"User-agent: *\nCrawl-delay: 10\n"
    server = serve({"/robots.txt": [(200, {}, robots)], "/a": [(200, {}, b"ok")]})
    clock = FakeClock()
    fetch = Fetcher(clock=clock, sleep=clock.sleep, min_interval=1)
    fetch.read_bytes(server.url + "/a")
    fetch.read_bytes(server.url + "/a")
    # the robots.txt request itself comes first; both pages then wait the Crawl-delay
    assert clock.sleeps == [10, 10]


def test_rate_limit_with_the_real_clock(serve) -> None:
    server = serve({"/a": [(200, {}, b"ok")]})
    fetch = Fetcher(min_interval=0.05, respect_robots=False)
    start = time.monotonic()
    for _ in range(3):
        fetch.read_bytes(server.url + "/a")
    assert time.monotonic() - start >= 0.1


def test_local_paths_and_file_urls_skip_robots_and_cache(tmp_path) -> None:
    (tmp_path / "t.txt").write_bytes(b"text")
    fetch = Fetcher(base_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert fetch.read_bytes("t.txt") == b"text"
    assert fetch.read_bytes((tmp_path / "t.txt").as_uri()) == b"text"
    assert not (tmp_path / "cache").exists()
    with pytest.raises(FetchError, match="check the path"):
        fetch.read_bytes("absent.txt")
    with pytest.raises(FetchError, match="query parameters"):
        fetch.read_bytes("t.txt", {"verb": "Identify"})


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(FetchError, match="only paths, file:// and http"):
        Fetcher().read_bytes("ftp://example.org/x")


def test_connection_refused_is_retried_then_reported() -> None:
    clock = FakeClock()
    fetch = fetcher(clock, max_attempts=2, respect_robots=False)
    with pytest.raises(FetchError, match="after 2 attempts"):
        fetch.read_bytes("http://127.0.0.1:9/nothing")
    assert clock.sleeps == [2.0]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    from corpusbuilder.ingest.fetch import _retry_after

    assert _retry_after("120") == 120.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
    assert _retry_after("soon") is None
    assert _retry_after(None) is None
