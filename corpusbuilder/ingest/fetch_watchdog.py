"""A deadline for the part of a request no read timeout bounds: a server that sends its status
line and headers a byte at a time (each byte inside the socket timeout) would hold `urlopen`
forever. A watchdog timer shuts the request's sockets down when the deadline passes, which ends
the blocked read at once; the body after the headers is bounded by `fetch._Bounded`.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.request


class Watchdog:
    """Shuts down every socket it watches once `seconds` have passed, unless stopped first."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        self._sockets.append(sock)
        if self.fired:  # connected just as the deadline passed
            self._cut()

    def _cut(self) -> None:
        self.fired = True
        for sock in self._sockets:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def opener(self) -> urllib.request.OpenerDirector:
        """An opener whose http and https connections (redirects included) are watched."""
        return urllib.request.build_opener(_WatchedHandler(self), _WatchedSecureHandler(self))


class _Watched:
    """A connection that hands its socket to the watchdog once connected."""

    def __init__(self, *args, watchdog: Watchdog, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog

    def connect(self) -> None:
        super().connect()
        self.watchdog.watch(self.sock)


class _WatchedHTTP(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req):
        return self.do_open(_WatchedHTTP, req, watchdog=self.watchdog)


class _WatchedSecureHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, req):
        return self.do_open(_WatchedHTTPS, req, context=self._context, watchdog=self.watchdog)
