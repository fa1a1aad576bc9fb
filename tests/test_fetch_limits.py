"""Every fetch ends within its limits, whatever the server does: drip, endless body, slow start.

A loopback "evil server" plays each behaviour; its loops are bounded and end when the client
hangs up, so no test can hang for longer than a few seconds.
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import pytest

from corpusbuilder.ingest.fetch import Fetcher, FetchError
from tests import loopback


class EvilServer:
    """`/drip` sends 10 bytes every 50 ms, `/endless` 64 KB chunks without end (both announce
    a gigabyte), `/steady` 2 KB every 50 ms: fast enough for any rate, too slow for a deadline."""

    PLAYS = {"/drip": (10, 0.05), "/endless": (1 << 16, 0.0), "/steady": (2048, 0.05)}

    def __init__(self) -> None:
        plays = self.PLAYS

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                size, pause = plays[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(10**9))
                self.end_headers()
                deadline = time.monotonic() + 20  # bounded even if the client never hangs up
                try:
                    while time.monotonic() < deadline:
                        self.wfile.write(b"x" * size)
                        time.sleep(pause)
                except OSError:
                    pass  # the client hung up: the fetcher gave up, as it should

            def log_message(self, *args: object) -> None:
                pass

        self.httpd, self.url = loopback.serve(Handler)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def evil():
    server = EvilServer()
    yield server
    server.close()


def _fetcher(tmp_path, **limits) -> Fetcher:
    return Fetcher(base_dir=tmp_path, respect_robots=False, max_attempts=1, **limits)


@pytest.mark.parametrize("cached", [False, True])
def test_a_dripping_body_ends_below_min_rate(evil, tmp_path, cached):
    fetcher = _fetcher(tmp_path, min_rate=1000, rate_grace=0.5,
                       cache_dir=tmp_path / "cache" if cached else None)  # fmt: skip
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"bytes/s, under min_rate \(1000\)"):
        fetcher.read_bytes(f"{evil.url}/drip")
    assert time.monotonic() - started < 10, "the drip was followed far past its grace"
    if cached:
        assert not [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]


def test_an_endless_body_ends_at_max_bytes(evil, tmp_path):
    fetcher = _fetcher(tmp_path, max_bytes=1 << 20)
    with pytest.raises(FetchError, match=r"passed max_bytes \(1048576 bytes\)"):
        fetcher.read_bytes(f"{evil.url}/endless")


def test_a_steady_but_long_body_ends_at_its_deadline(evil, tmp_path):
    fetcher = _fetcher(tmp_path, deadline=0.5, min_rate=1)
    with (
        fetcher.open(f"{evil.url}/steady") as stream,
        pytest.raises(FetchError, match=r"more than its deadline \(0.5 s\)"),
    ):
        while stream.read(4096):
            pass


def test_the_error_says_which_setting_to_raise(evil, tmp_path):
    with pytest.raises(FetchError) as caught:
        _fetcher(tmp_path, max_bytes=100).read_bytes(f"{evil.url}/endless")
    assert f"stopped reading {evil.url}/endless" in str(caught.value)
    assert "raise the limit in `fetch:`" in str(caught.value)
