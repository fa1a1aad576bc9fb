"""URLs made fit to publish: credentials a source config needed never reach a ledger row, a shard
or a card.

An OAI-PMH `base_url` with ``?api_key=…`` or a mirror with ``user:password@`` is how some
servers are read; the key belongs in corpus.yaml only. Userinfo is dropped, and so is every query
parameter whose name says it carries a secret (the names used by the common APIs and by signed
S3/GCS/Azure URLs); other parameters, which identify the record, are kept in order.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

SECRET_PARAMETER = re.compile(
    r"(api[-_]?key|apikey|key|token|access[-_]?token|auth|authorization|password|passwd|pass|"
    r"secret|client[-_]?secret|session|sessionid|sig|signature|credential|"
    r"x-amz-(signature|credential|security-token)|x-goog-(signature|credential))",
    re.IGNORECASE,
)

URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]*[^\s\"'<>).,;:]", re.IGNORECASE)


def public_url(url: str | None) -> str | None:
    """`url` without userinfo and without query parameters that carry credentials."""
    if not url or "://" not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not SECRET_PARAMETER.fullmatch(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    if netloc == parts.netloc and query == parts.query:
        return url  # untouched, byte for byte
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def public_text(text: str | None) -> str | None:
    """Every URL inside free text (a skip's detail, an error) made public."""
    if not text or "://" not in text:
        return text
    return URL_IN_TEXT.sub(lambda match: public_url(match.group()), text)


def corpus_locator(locator: str | None, root: Path) -> str | None:
    """Where evidence was read, as the ledger keeps it: a local file under the corpus folder by
    its path relative to corpus.yaml (`texts.jsonl#line=5`), so a corpus moved to another folder
    reads as unchanged; anything else as `public_url` leaves it."""
    if not locator or not locator.startswith("file://"):
        return public_url(locator)
    path, mark, fragment = locator.removeprefix("file://").partition("#")
    local = Path(unquote(path))
    return (
        f"{local.relative_to(root).as_posix()}{mark}{fragment}"
        if local.is_relative_to(root)
        else locator
    )


def public_locator(locator: str | None, root: Path) -> str | None:
    """Where evidence was read, fit to publish: as `corpus_locator`, and any other local file
    by its name alone (the publisher's folders are private)."""
    locator = corpus_locator(locator, root)
    if not locator or not locator.startswith("file://"):
        return locator
    path, mark, fragment = locator.removeprefix("file://").partition("#")
    return f"{Path(unquote(path)).name}{mark}{fragment}"
