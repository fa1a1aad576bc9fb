"""A loopback OAI-PMH server for tests, serving the real responses in ../shared/data/oai.

`pages` maps what a request asks for to the bytes answered: ``"Identify"``, ``"ListRecords"``
(the first page, whatever the query) or a resumptionToken. A token that names no page is
answered with the real ``badResumptionToken`` response, an unknown verb with the real
``badArgument`` one. ``/files/<name>`` serves `files` (e.g. full texts); robots.txt is absent
(404: everything allowed). Keys in `fail` are answered with HTTP 500, to cut a harvest mid-way.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.conftest import shared_path

_TOKEN = re.compile(rb"(<resumptionToken\b[^>]*)>([^<]*)</resumptionToken>")
_RECORD = re.compile(rb"<record\b.*?</record>", re.S)


def real(*parts: str) -> bytes:
    """A real response under ../shared/data/oai (the test skips where it is absent)."""
    return shared_path("oai", *parts).read_bytes()


def identify() -> bytes:
    """A real Identify answer, used for repositories whose sample has none."""
    return real("sickle_anonymized", "Identify.xml")


def token_of(page: bytes) -> str | None:
    found = _TOKEN.search(page)
    return found.group(2).decode().strip() or None if found else None


def end_list(page: bytes) -> bytes:
    """The page as the last of its list: an empty resumptionToken, as OAI-PMH ends a list."""
    return _TOKEN.sub(rb"\1/>", page)


def with_token(page: bytes, token: str) -> bytes:
    """The page with a resumptionToken naming `token` as its next page."""
    element = f"<resumptionToken>{token}</resumptionToken>".encode()
    return page.replace(b"</ListRecords>", element + b"</ListRecords>")


def chain(folder: str, first: str) -> dict[str, bytes]:
    """A real first page and the pages its tokens name (sickle's tokens are file names).

    The samples name a next page that was never captured (sickle's ``ListRecords4.xml``, HAL's
    ``AoFdi6ML``): the list ends there, with the empty token the protocol uses.
    """
    pages = {"Identify": identify()}
    key, name = "ListRecords", first
    while name and key not in pages:
        page = real(folder, name)
        following = token_of(page)
        if following and not shared_path("oai", folder).joinpath(following).is_file():
            page, following = end_list(page), None
        pages[key] = page
        key = name = following
    return pages


def stitch(responses: list[bytes]) -> dict[str, bytes]:
    """Real GetRecord answers served as one ListRecords list, one record a page (``rec-N``)."""
    pages = {"Identify": identify()}
    for number, response in enumerate(responses, start=1):
        page = response.replace(b"<GetRecord", b"<ListRecords")
        page = page.replace(b"</GetRecord>", b"</ListRecords>")
        if number < len(responses):
            page = with_token(page, f"rec-{number + 1}")
        pages["ListRecords" if number == 1 else f"rec-{number}"] = page
    return pages


def pieces(page: bytes) -> tuple[bytes, list[bytes], bytes]:
    """A ListRecords page's head, its records, and its tail as the last page of a list."""
    records = _RECORD.findall(page)
    head = page[: page.index(records[0])]
    return head, records, end_list(page[page.rindex(records[-1]) + len(records[-1]) :])


def split(page: bytes, size: int) -> dict[str, bytes]:
    """A real ListRecords page re-served as pages of `size` records (tokens ``page-N``)."""
    head, records, tail = pieces(page)
    pages = {"Identify": identify()}
    for start in range(0, len(records), size):
        number = start // size + 1
        token = b""
        if start + size < len(records):
            token = (
                f'<resumptionToken cursor="{start}">page-{number + 1}</resumptionToken>'.encode()
            )
        body = head + b"".join(records[start : start + size]) + token + tail
        pages["ListRecords" if number == 1 else f"page-{number}"] = body
    return pages


def envelope(records: str, token: str | None = None) -> bytes:
    """A ListRecords page the test writes itself, around `records` (oai_dc XML text)."""
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        '<request verb="ListRecords">http://test.invalid/oai</request><ListRecords>'
        f"{records}{resumption}</ListRecords></OAI-PMH>"
    ).encode()


def dc_record(identifier: str | None, fields: str) -> str:
    """One oai_dc record; `fields` is the inner XML (``<dc:title>…``)."""
    ident = f"<identifier>{identifier}</identifier>" if identifier else ""
    return (
        f"<record><header>{ident}<datestamp>2024-01-01</datestamp></header><metadata>"
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/">{fields}</oai_dc:dc></metadata></record>'
    )


class OaiServer:
    """Serves `pages` on 127.0.0.1 until `close`; `requests` lists every path asked for."""

    def __init__(
        self,
        pages: dict[str, bytes],
        files: dict[str, bytes] | None = None,
        fail: set[str] | None = None,
    ) -> None:
        self.pages = pages
        self.files = files or {}
        self.fail = fail or set()
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.root = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.url = self.root + "/oai"
        thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> OaiServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answer(self, path: str) -> tuple[int, bytes]:
        parts = urlsplit(path)
        if parts.path.startswith("/files/"):
            body = self.files.get(parts.path.removeprefix("/files/"))
            return (200, body) if body is not None else (404, b"not found")
        if parts.path != "/oai":
            return 404, b"not found"
        query = parse_qs(parts.query)
        token = query.get("resumptionToken", [None])[0]
        key = token or query.get("verb", [""])[0]
        if key in self.fail:
            return 500, b"server error"
        if key in self.pages:
            return 200, self.pages[key]
        if token:
            return 200, real("sickle_anonymized", "badResumptionToken.xml")
        return 200, real("sickle_anonymized", "badArgument.xml")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                status, body = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
