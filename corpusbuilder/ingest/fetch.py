"""The one place that touches the network or the disk for adapters.

Adapters receive a `Fetcher` and address everything through it by *location*: a local path, a
``file://`` URL or an ``http(s)://`` URL. Relative paths are resolved against `base_dir` (the
folder of ``corpus.yaml``), never against the current directory. Tests hand adapters the same
fetcher pointed at local files or at a loopback server.

For http(s) the fetcher is a polite harvester: it names itself (`USER_AGENT`), obeys robots.txt
(RFC 9309: a 4xx robots.txt allows everything), spaces requests to one host by `min_interval`
seconds (or the host's ``Crawl-delay`` if longer), retries 429/5xx and connection errors with
exponential backoff or the server's ``Retry-After``, and keeps successful responses in an
optional on-disk cache keyed by the full URL. Local files bypass all of that.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import io
import logging
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from corpusbuilder import __version__
from corpusbuilder.errors import ExitCode, UserError
from corpusbuilder.ingest.fetch_watchdog import Watchdog

USER_AGENT = f"corpusbuilder/{__version__} (+https://github.com/corpusbuilder/corpusbuilder)"
log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(UserError, OSError):
    """A location could not be read; the message names it and says what to check.

    `status` is the HTTP status of the last answer, when there was one.
    """

    exit_code = ExitCode.NETWORK

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TooLarge(FetchError):
    """A location holds more than the bytes its reader allowed (`read_bytes`'s `max_bytes`)."""

    def __init__(self, location: str, size: str) -> None:
        super().__init__(f"{location} holds {size}")
        self.location, self.size = location, size


class Fetcher:
    """Reads local files and URLs for adapters.

    `cache_dir` keeps successful http(s) responses (None: no cache); `min_interval` is the least
    number of seconds between two requests to one host; `max_attempts` bounds the tries of one
    URL; `backoff` is the first retry wait, doubled each time, unless the server says
    ``Retry-After``; no wait exceeds `max_wait`. `clock` and `sleep` are injectable for tests.

    Every response is bounded, whatever the server does: `deadline` seconds from the request to
    the last byte, at most `max_bytes` of body, and at least `min_rate` bytes a second on average
    once `rate_grace` seconds have passed (so a body dripping a few bytes a second, which no
    per-read timeout catches, ends with a FetchError instead of hanging the ingest).
    """

    def __init__(
        self,
        base_dir: Path | str | None = None,
        timeout: float = 60.0,
        *,
        cache_dir: Path | str | None = None,
        min_interval: float = 1.0,
        max_attempts: int = 4,
        backoff: float = 2.0,
        max_wait: float = 300.0,
        respect_robots: bool = True,
        deadline: float = 3600.0,
        max_bytes: int = 64 * 2**30,
        min_rate: float = 1024.0,
        rate_grace: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.timeout = timeout
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.min_interval = min_interval
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.respect_robots = respect_robots
        self.limits = _Limits(deadline, max_bytes, min_rate, rate_grace)
        self.clock = clock
        self.sleep = sleep
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def url_for(self, location: str, params: Mapping[str, str] | None = None) -> str:
        """The absolute URL of `location` (paths become ``file://`` URLs), with query `params`."""
        if "://" not in location:
            location = self.path_for(location).as_uri()
        if params:
            sep = "&" if urllib.parse.urlsplit(location).query else "?"
            location += sep + urllib.parse.urlencode(params)
        return location

    def path_for(self, location: str) -> Path:
        """The local path of a path or ``file://`` location, resolved against `base_dir`."""
        if location.startswith("file://"):
            return Path(urllib.request.url2pathname(urllib.parse.urlsplit(location).path))
        path = Path(location).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    def is_local(self, location: str) -> bool:
        return "://" not in location or location.startswith("file://")

    def open(self, location: str, params: Mapping[str, str] | None = None) -> BinaryIO:
        """A binary stream of `location`; the caller closes it (use ``with``)."""
        if self.is_local(location):
            if params:
                raise FetchError(f"cannot send query parameters to a local file ({location})")
            path = self.path_for(location)
            try:
                return path.open("rb")
            except OSError as exc:
                raise FetchError(f"cannot read {path}: {exc.strerror}; check the path") from exc
        url = self.url_for(location, params)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"cannot fetch {url}: only paths, file:// and http(s):// are read")
        cached = self._cache_path(url)
        if cached is not None and cached.exists():
            return cached.open("rb")
        if self.respect_robots:
            self._check_robots(url)
        return self._request(url, cached)

    def read_bytes(
        self,
        location: str,
        params: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> bytes:
        """The whole content of `location`; a connection cut mid-body is a FetchError too, and
        more than `max_bytes` is `TooLarge`, raised having read at most one byte more."""
        with self.open(location, params) as stream:
            try:
                data = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(f"reading {location} was cut off: {exc}; try again") from exc
        if max_bytes is not None and len(data) > max_bytes:
            raise TooLarge(location, f"more than {max_bytes} bytes")
        return data

    def list_dir(self, location: str) -> list[str]:
        """The files under a local folder, sorted, as locations (for folder-based sources)."""
        root = self.path_for(location)
        if not root.is_dir():
            raise FetchError(f"{root} is not a folder; give the folder that holds the texts")
        return sorted(str(p) for p in root.rglob("*") if p.is_file())

    # -- http(s) ---------------------------------------------------------------------------

    def _request(self, url: str, cached: Path | None = None) -> BinaryIO:
        """The response to GET `url` (or its `cached` copy, downloaded whole), retrying transient
        failures, a body cut short included; FetchError when it gives up."""
        last, status = "", None
        for attempt in range(1, self.max_attempts + 1):
            self._wait_turn(url)
            try:
                request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                started = self.clock()
                response = self._open(request)
                body = _Bounded(response, url, self.limits, started, self.clock)
                return io.BufferedReader(body) if cached is None else self._store(body, cached)
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code not in RETRY_STATUSES:
                    raise FetchError(f"HTTP {exc.code} for {url}; check the URL", exc.code) from exc
                last, status = f"HTTP {exc.code}", exc.code
                wait = _retry_after(exc.headers.get("Retry-After"))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last, wait = str(getattr(exc, "reason", exc)), None
            except _CutOff as exc:
                last, wait = str(exc), None
            if attempt < self.max_attempts:
                default = self.backoff * 2 ** (attempt - 1)
                pause = min(default if wait is None else wait, self.max_wait)
                log.warning("%s: %s; retry %d of %d in %.1f s", url, last, attempt,
                            self.max_attempts - 1, pause)  # fmt: skip
                self.sleep(pause)
        raise FetchError(
            f"gave up on {url} after {self.max_attempts} attempts (last: {last}); "
            "try again later or raise max_attempts",
            status,
        )

    def _open(self, request: urllib.request.Request):
        """The response, its headers in within the deadline (a server dripping them is cut)."""
        with Watchdog(self.limits.deadline) as watchdog:
            try:
                return watchdog.opener().open(request, timeout=self.timeout)
            except (OSError, http.client.HTTPException) as exc:
                if not watchdog.fired or isinstance(exc, urllib.error.HTTPError):
                    raise
                raise FetchError(
                    f"stopped reading {request.full_url}: it took more than its deadline"
                    f" ({self.limits.deadline:g} s) before its headers were in; raise the"
                    " limit in `fetch:` if the source is really that slow"
                ) from exc

    def _wait_turn(self, url: str) -> None:
        """Sleep until `min_interval` (or the host's Crawl-delay) has passed since its last call."""
        host = urllib.parse.urlsplit(url).netloc
        interval = self.min_interval
        robots = self._robots.get(host)
        delay = robots.crawl_delay(USER_AGENT) if robots is not None else None
        if delay is not None:
            interval = max(interval, float(delay))
        now = self.clock()
        ready = self._last_request.get(host, now - interval) + interval
        if ready > now:
            log.debug("waiting %.1f s for my turn at %s", ready - now, host)
            self.sleep(ready - now)
        self._last_request[host] = max(now, ready)

    def _check_robots(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        robots = self._robots.get(parts.netloc)
        if robots is None:
            robots = self._load_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
            self._robots[parts.netloc] = robots
        if not robots.can_fetch(USER_AGENT, url):
            raise FetchError(
                f"robots.txt of {parts.netloc} disallows {url} for {USER_AGENT.split(' ')[0]}; "
                "ask the site's operator or use a dump they publish"
            )

    def _load_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser:
        """The parsed robots.txt; a 4xx answer means no rules (RFC 9309 section 2.3.1.3)."""
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            with self._request(robots_url) as response:
                lines = response.read().decode("utf-8", errors="replace").splitlines()
        except FetchError as exc:
            if exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
                raise FetchError(f"cannot read {robots_url} ({exc}); the site may be down") from exc
            lines = []
        parser.parse(lines)
        return parser

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / hashlib.sha256(url.encode("utf-8")).hexdigest()

    def _store(self, response: BinaryIO, path: Path) -> BinaryIO:
        """Copy `response` into the cache atomically, then return the cached copy.

        A body cut short raises `_CutOff` (the caller retries); only a complete body is kept.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        try:
            with response, os.fdopen(fd, "wb") as out:
                _copy(response, out)
            os.replace(tmp, path)
        except OSError as exc:
            raise FetchError(f"cannot cache {path}: {exc}; check cache_dir") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)  # gone already after a successful replace
        return path.open("rb")


@dataclass(frozen=True)
class _Limits:
    deadline: float
    max_bytes: int
    min_rate: float
    rate_grace: float


class _Bounded(io.RawIOBase):
    """A response body that raises FetchError past its deadline, size cap or below its rate.

    It reads with `read1` (one socket read at a time), so a check runs after every few bytes a
    dripping server sends; the overshoot is at most one socket timeout.
    """

    def __init__(self, response, url: str, limits: _Limits, started: float, clock) -> None:
        self.response, self.url, self.limits = response, url, limits
        self.started, self.clock, self.read_bytes = started, clock, 0

    @property
    def length(self) -> int | None:  # bytes still due per Content-Length (http.client's own)
        return self.response.length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.response.read1(len(buffer))
        buffer[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        self._check()
        return len(chunk)

    def _check(self) -> None:
        limits, elapsed = self.limits, self.clock() - self.started
        problem = None
        if self.read_bytes > limits.max_bytes:
            problem = f"its body passed max_bytes ({limits.max_bytes} bytes)"
        elif elapsed > limits.deadline:
            problem = f"it took more than its deadline ({limits.deadline:g} s)"
        elif elapsed > limits.rate_grace and self.read_bytes < limits.min_rate * elapsed:
            rate = self.read_bytes / elapsed
            problem = f"it arrived at {rate:.0f} bytes/s, under min_rate ({limits.min_rate:.0f})"
        if problem:
            raise FetchError(
                f"stopped reading {self.url}: {problem}; raise the limit in `fetch:` if the"
                " source is really that large or slow"
            )

    def close(self) -> None:
        self.response.close()
        super().close()


class _CutOff(Exception):
    """The connection ended before the whole body arrived (a transient failure)."""


def _copy(response: BinaryIO, out: BinaryIO) -> None:
    """Copy the body; http.client's read(n) returns b"" on an early close, so check the length."""
    copied = 0
    while True:
        try:
            chunk = response.read(1 << 20)
        except (OSError, http.client.HTTPException) as exc:
            raise _CutOff(f"download cut off after {copied} bytes: {exc!r}") from exc
        if not chunk:
            break
        out.write(chunk)
        copied += len(chunk)
    missing = getattr(response, "length", None)  # bytes still due per Content-Length
    if missing:
        raise _CutOff(f"download cut off after {copied} bytes, {missing} more announced")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
