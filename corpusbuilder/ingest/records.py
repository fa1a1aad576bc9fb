"""One item an adapter yields, checked and normalised before it joins an ingest batch.

Every `SourceDocument` and `Skipped` passes through `checked`:

- ``source_key`` is a non-empty ``str`` of at most `MAX_KEY_CHARS` characters; ``text`` a ``str``;
  ``url``/``title``/``creator``/``date``/``language_hint`` a ``str`` or ``None``; ``evidence`` a
  tuple of `LicenceEvidence` whose ``statement`` and ``locator`` are ``str``. An item that breaks
  one of these becomes ``Skipped(reason="malformed_record")`` whose detail names the field and the
  type found, so one bad record never fails the batch around it.
- A document whose text takes more than the source's ``max_document_bytes`` in UTF-8 becomes
  ``Skipped(reason="too_large")`` (a backstop: adapters skip such documents unread where they can).
- Every string is made valid Unicode the same way on every ledger: a lone surrogate becomes
  U+FFFD and NUL characters are removed (PostgreSQL refuses NUL in text, SQLite stores it: the
  result must not depend on the ledger). The text is then NFC-normalised, as before.

Key namespace. A skip that has no key of its own (a malformed line, a record without an id) is
keyed by its position with `position_key` — ``#line:12`` — a `PositionKey`, a ``str`` subclass
only this function makes. Every *other* key that begins with ``#`` is escaped by doubling the
``#`` (a record whose id is ``#line:12`` is stored as ``##line:12``), so real keys never take a
position key's place, whatever the adapter and whether the record is a document or a skip.
Normalising a key can make two keys equal (``a\\ud800`` and ``a\\udfff`` both become ``a\ufffd``):
the ingest's rule for repeated keys then applies, the first one wins.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

from corpusbuilder.source import LicenceEvidence, Skipped, SourceDocument

MALFORMED = "malformed_record"
TOO_LARGE = "too_large"
MAX_KEY_CHARS = 512
POSITION_PREFIX = "#"
OPTIONAL_FIELDS = ("url", "title", "creator", "date", "language_hint")
SURROGATE = re.compile("[\ud800-\udfff]")


class PositionKey(str):
    """A key made of an item's position in its source (see `position_key`); never escaped."""

    __slots__ = ()


def position_key(kind: str, number: int) -> PositionKey:
    """The key of a skip that has no key of its own, e.g. ``#line:12``, ``#page:3``."""
    return PositionKey(f"{POSITION_PREFIX}{kind}:{int(number)}")


def clean_text(value: str) -> str:
    """`value` as valid Unicode: lone surrogates → U+FFFD, NUL characters removed."""
    if not value.isascii():
        value = SURROGATE.sub("\ufffd", value)
    return value.replace("\x00", "")


def type_name(value: Any) -> str:
    """The type of `value` for a skip's detail (never its repr: a 5,000-digit int has none)."""
    return type(value).__name__


class Malformed(ValueError):
    """One field of an item has the wrong type or size; the message names it."""


def over_limit(text: str, limit: int | None) -> bool:
    """Whether `text` takes more than `limit` bytes in UTF-8 (never, for no limit)."""
    if limit is None or len(text) * 4 <= limit:  # no character takes more than 4 bytes
        return False
    return len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit


def too_large(where: str, limit: int, size: str) -> str:
    """The detail of a `too_large` skip: where, how large, and the option that decides."""
    return f"{where}: {size}, over max_document_bytes ({limit}); raise it to keep such documents"


def _key(value: Any) -> str:
    if type(value) is PositionKey:
        return value
    if not isinstance(value, str):
        raise Malformed(f"`source_key` is {type_name(value)}, not str")
    if not value or len(value) > MAX_KEY_CHARS:
        raise Malformed(f"`source_key` has {len(value)} characters (1 to {MAX_KEY_CHARS})")
    key = unicodedata.normalize("NFC", clean_text(value))
    if not key:
        raise Malformed("`source_key` is empty once NUL characters are removed")
    return POSITION_PREFIX + key if key.startswith(POSITION_PREFIX) else key


def _string(name: str, value: Any, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise Malformed(f"`{name}` is {type_name(value)}, not str")
    return clean_text(value)


def _evidence(value: Any) -> tuple[LicenceEvidence, ...]:
    if not isinstance(value, tuple | list):
        raise Malformed(f"`evidence` is {type_name(value)}, not a tuple of LicenceEvidence")
    checked = []
    for n, evidence in enumerate(value):
        if not isinstance(evidence, LicenceEvidence):
            raise Malformed(f"`evidence[{n}]` is {type_name(evidence)}, not LicenceEvidence")
        changes = {
            name: _string(f"evidence[{n}].{name}", getattr(evidence, name), optional)
            for name, optional in (("statement", False), ("locator", False), ("kind", False))
        }
        changes["jurisdiction"] = _string(f"evidence[{n}].jurisdiction", evidence.jurisdiction)
        checked.append(dataclasses.replace(evidence, **changes))
    return tuple(checked)


def _document(item: SourceDocument, key: str) -> SourceDocument:
    text = _string("text", item.text, optional=False)
    fields = {name: _string(name, getattr(item, name)) for name in OPTIONAL_FIELDS}
    if fields["url"] is None:
        raise Malformed("`url` is NoneType, not str")
    return dataclasses.replace(
        item,
        source_key=key,
        text=unicodedata.normalize("NFC", text),
        evidence=_evidence(item.evidence),
        **fields,
    )


def checked(
    item: SourceDocument | Skipped, position: int, max_bytes: int | None = None
) -> SourceDocument | Skipped:
    """`item` with its key escaped and its strings valid Unicode, or a `malformed_record` skip;
    a document whose text is over `max_bytes` (UTF-8) is a `too_large` skip.

    `position` (the item's number in this run) keys the skip when the item's own key is unusable.
    """
    if not isinstance(item, SourceDocument | Skipped):
        detail = f"the adapter yielded a {type_name(item)}, not a SourceDocument or Skipped"
        return Skipped(position_key("item", position), MALFORMED, detail)
    try:
        key = _key(item.source_key)
    except Malformed as exc:
        return Skipped(position_key("item", position), MALFORMED, str(exc))
    try:
        if isinstance(item, SourceDocument):
            if isinstance(item.text, str) and over_limit(item.text, max_bytes):
                size = f"the text has {len(item.text)} characters"
                where = item.url if isinstance(item.url, str) else key
                return Skipped(key, TOO_LARGE, too_large(where, max_bytes, size))
            return _document(item, key)
        reason = _string("reason", item.reason, optional=False)
        detail = _string("detail", item.detail, optional=False)
        return Skipped(key, reason or MALFORMED, detail)
    except Malformed as exc:
        return Skipped(key, MALFORMED, str(exc))
