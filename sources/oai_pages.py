"""ListRecords pages of an OAI-PMH repository: their records and resumptionToken, or the error.

A page that answers an OAI-PMH ``<error>`` raises it as `OaiPmhError` with the protocol's code. A
page that does not parse is salvaged record by record in one forward scan, so its cost is linear
in its size: the records that parse go on, each that does not is a ``malformed_xml`` skip keyed
by its identifier, and a page cut off or whose records cannot be told apart carries the error to
raise after its records are yielded.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from corpusbuilder.errors import ExitCode, UserError
from corpusbuilder.source import Skipped
from sources.oai_formats import child, element_text, local

# The salvage patterns never scan past the next "<" or ">" from where they start, so each
# search costs what it passes over and one forward scan over a page is linear in its size.
_ROOT = re.compile(rb"<(?:(\w+):)?OAI-PMH\b[^<>]*>")
_RECORD_START = re.compile(rb"<(?:\w+:)?record\b")
_RECORD_END = re.compile(rb"</(?:\w+:)?record>")
_IDENTIFIER = re.compile(rb"<(?:\w+:)?identifier>([^<]*)<")
_OPENING = re.compile(rb"<(?:\w+:)?record[\s>]")
_TOKEN = re.compile(rb"<(?:\w+:)?resumptionToken\b[^<>]*>([^<]*)</")
# What a page that is not XML raises; LookupError: its declaration names an unknown encoding.
XML_ERRORS = (ET.ParseError, DefusedXmlException, LookupError)


class OaiPmhError(UserError, RuntimeError):
    """The repository answered with an OAI-PMH error or an unreadable page; `code` names it."""

    exit_code = ExitCode.NETWORK

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class Page:
    """One ListRecords page as read: its records (a salvaged page's bad ones as skips)."""

    url: str
    items: list[ET.Element | Skipped]
    token: str | None
    error: OaiPmhError | None = None  # raised after the page's items are yielded


def parse_page(data: bytes, url: str) -> Page:
    """One ListRecords page: its records and resumptionToken (empty token: list complete)."""
    try:
        root = SafeET.fromstring(data)
    except XML_ERRORS as exc:
        return _salvage(data, url, exc)
    raise_protocol_error(root, url)
    listing = child(root, "ListRecords")
    if listing is None:
        found = local(root.tag)
        raise OaiPmhError(
            "unexpected_response", f"{url} answered <{found}>, not ListRecords; retry"
        )
    records: list[ET.Element | Skipped] = [r for r in listing if local(r.tag) == "record"]
    token = element_text(child(listing, "resumptionToken")) or None
    return Page(url, records, token)


def _salvage(data: bytes, url: str, error: Exception) -> Page:
    """Split a page that does not parse into records: good ones go on, bad ones are skipped."""
    root = _ROOT.search(data)
    if root is None:
        raise OaiPmhError("malformed_xml", f"{url} is not an OAI-PMH page ({error}); try later")
    prefix = root.group(1) + b":" if root.group(1) else b""
    items: list[ET.Element | Skipped] = []
    for position, chunk in enumerate(_record_chunks(data)):
        try:
            wrapped = SafeET.fromstring(root.group() + chunk + b"</" + prefix + b"OAI-PMH>")
            items.append(next(iter(wrapped)))
        except XML_ERRORS as exc:
            found = _IDENTIFIER.search(chunk)
            key = " ".join(found.group(1).decode("utf-8", "replace").split()) if found else None
            items.append(Skipped(key or f"{url}#record-{position + 1}", "malformed_xml", str(exc)))
    found = _TOKEN.search(data)
    token = found.group(1).decode("utf-8", "replace").strip() if found else ""
    problem = None
    if not data.rstrip().endswith(b"OAI-PMH>"):
        problem = f"{url} is cut off ({error}); resume from the last checkpoint"
    elif not items or len(_OPENING.findall(data)) != len(items):
        problem = f"{url}: records could not be told apart ({error}); report it to the repository"
    error_ = OaiPmhError("malformed_xml", problem) if problem else None
    return Page(url, items, token or None, error_)


def _record_chunks(data: bytes) -> Iterator[bytes]:
    """Each ``<record …>`` up to the first ``</record>`` after it, in one forward scan.

    Both searches start where the previous chunk ended and never look back, so the page is read
    once (linear); a record opened with no closing tag after it ends the scan, since no record
    after it can be closed either (the page is then reported as not told apart).
    """
    position = 0
    while (start := _RECORD_START.search(data, position)) is not None:
        end = _RECORD_END.search(data, start.end())
        if end is None:
            return
        yield data[start.start() : end.end()]
        position = end.end()


def raise_protocol_error(root: ET.Element, url: str) -> None:
    error = child(root, "error")
    if error is not None:
        code = error.get("code", "unknown")
        raise OaiPmhError(code, f"{url} answered {code}: {element_text(error) or 'no detail'}")
