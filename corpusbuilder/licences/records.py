"""The licence table's records and the text keys resolution compares on.

Pure and stateless: the policy (`policy`), the table (`table`) and the vocabularies
(`vocabularies`) all speak in these terms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

FLAGS = ("attribution", "share_alike", "non_commercial", "no_derivatives")
CLAUSE_FLAGS = {"sa": "share_alike", "nc": "non_commercial", "nd": "no_derivatives"}
STOPWORDS = frozenset({"the", "license", "licence", "licensed", "under", "version", "v"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


@dataclass(frozen=True)
class Licence:
    """One licence of the policy; `open` is False for terms that are never open (e.g. InC)."""

    id: str
    name: str
    url: str
    hub_id: str
    attribution: bool
    share_alike: bool
    non_commercial: bool
    no_derivatives: bool
    allowed: bool
    open: bool = True


@dataclass(frozen=True)
class Entry:
    """One term of a vocabulary: its id, the forms the vocabulary gives it, its family.

    `vocabulary` names where it came from (``spdx``, ``creative-commons``, ``rightsstatements``…);
    `category` is the family (ScanCode's categories, e.g. ``permissive``, ``copyleft-limited``,
    ``source-available``) from which the policy decides whether the licence is open.
    """

    id: str
    name: str
    url: str
    category: str
    flags: frozenset[str]
    vocabulary: str
    aliases: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """What one statement means; `status` is "allowed", "rejected" or "unknown"."""

    statement: str
    licence: str | None
    status: str
    rule: str


@dataclass(frozen=True)
class LicenceDecision:
    """The verdict on a document's evidence, with every statement's resolution."""

    licence: str | None
    status: str
    rule: str
    resolutions: tuple[Resolution, ...]


def normalise(statement: str) -> str:
    """Lower case, NFKC, %-decoded, dashes unified, whitespace collapsed: what patterns see."""
    text = unicodedata.normalize("NFKC", statement).lower()
    text = _DASHES.sub("-", unquote(text) if "%" in text else text)
    return re.sub(r"/\s+(?=[a-z+-]+/\d)", "/", " ".join(text.split()))  # "licenses/ by/3.0"


def alias_key(text: str) -> str:
    """Alphanumerics only, so "CC-BY 4.0", "cc_by_4.0" and "CC BY 4 0" compare equal."""
    return " ".join(re.sub(r"[\W_]+", " ", normalise(text)).split())


def token_key(text: str) -> frozenset[str]:
    """The words of a name in any order, without "license"/"version"/"v" ("3-Clause BSD")."""
    words = (re.sub(r"^v(?=\d)", "", w) for w in alias_key(text).split())
    return frozenset(w for w in words if w and w not in STOPWORDS)


def url_key(url: str) -> str:
    """A URL without scheme, "www.", case and trailing punctuation."""
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return url.rstrip("/.,;:)")


def regex(pattern: str, where: str) -> re.Pattern[str]:
    """Compile a licences.yaml pattern; a clear error names the pattern and where it is."""
    if "\b" in pattern:  # a backspace: YAML double quotes turned \b into one
        raise ValueError(f"licences.yaml: pattern {pattern!r} in {where}: use single quotes")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"licences.yaml: bad pattern {pattern!r} in {where}: {exc}") from exc
