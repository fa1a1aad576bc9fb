"""Metadata-format readers for the OAI-PMH adapter: one ``<metadata>`` payload to `Fields`.

Each reader reports the rights statements exactly as the record states them, with the field they
came from; why these fields are the licence evidence is explained in `sources.oai_pmh`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


@dataclass
class Fields:
    """What one metadata format yields, in format-neutral form."""

    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    date: str | None = None
    language: str | None = None
    rights: list[tuple[str, str]] = field(default_factory=list)  # (statement, field name)
    links: list[str] = field(default_factory=list)  # http(s) URLs, landing page first


def _dublin_core(dc: ET.Element) -> Fields:
    values: dict[str, list[str]] = {}
    rights = []
    for element in dc:
        name = local(element.tag)
        if name == "rights" and (element.text or "").strip():
            rights.append(((element.text or "").strip(), "dc:rights"))
        elif value := element_text(element):
            values.setdefault(name, []).append(value)
    links = [v for v in values.get("identifier", []) + values.get("relation", []) if _is_http(v)]
    return Fields(
        titles=values.get("title", []),
        descriptions=values.get("description", []),
        creators=values.get("creator", []),
        date=next(iter(values.get("date", [])), None),
        language=next(iter(values.get("language", [])), None),
        rights=rights,
        links=links,
    )


def _arxiv(meta: ET.Element) -> Fields:
    """arXiv and arXivRaw: the ``<license>`` element is the author's licence choice."""
    authors = child(meta, "authors")
    names = [_person(a, ("forenames", "keyname", "suffix")) for a in _all(authors, "author")]
    if authors is not None and not names:  # arXivRaw: one free-text author list
        names = [element_text(authors)]
    licence = child(meta, "license")
    created = child(meta, "created")
    created = _first(meta, "date") if created is None else created  # arXivRaw: version dates
    return Fields(
        titles=[t for t in [element_text(child(meta, "title"))] if t],
        descriptions=[d for d in [element_text(child(meta, "abstract"))] if d],
        creators=[n for n in names if n],
        date=element_text(created) or None,
        rights=[((licence.text or "").strip(), "arXiv:license")] if licence is not None else [],
    )


def _tei(tei: ET.Element) -> Fields:
    """HAL TEI: the described item is the ``biblFull``; the licence is in the TEI header."""
    bibl = _first(tei, "biblFull")
    bibl = tei if bibl is None else bibl
    statement = _first(bibl, "titleStmt")
    statement = bibl if statement is None else statement
    rights = []
    for licence in _all(tei, "licence"):
        if licence.get("target"):
            rights.append((licence.get("target", "").strip(), "tei:licence@target"))
        if (licence.text or "").strip():
            rights.append(((licence.text or "").strip(), "tei:licence"))
    language = _first(bibl, "language")
    produced = [d for d in _all(bibl, "date") if d.get("type") == "whenProduced"]
    uris = [element_text(i) for i in _all(bibl, "idno") if i.get("type") == "halUri"]
    files = [r.get("target", "") for r in _all(bibl, "ref") if r.get("type") == "file"]
    return Fields(
        titles=[element_text(t) for t in statement if local(t.tag) == "title" and element_text(t)],
        descriptions=[element_text(a) for a in _all(bibl, "abstract") if element_text(a)],
        creators=[_person(a, ("forename", "surname")) for a in _all(statement, "author")],
        date=element_text(produced[0]) if produced else None,
        language=language.get("ident") if language is not None else None,
        rights=rights,
        links=[u for u in uris + files if _is_http(u)],
    )


READERS = {"dc": _dublin_core, "arXiv": _arxiv, "arXivRaw": _arxiv, "TEI": _tei}


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if local(c.tag) == name), None)


def _all(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [e for e in element.iter() if local(e.tag) == name]


def _first(element: ET.Element | None, name: str) -> ET.Element | None:
    return next(iter(_all(element, name)), None)


def element_text(element: ET.Element | None) -> str:
    """The element's text with whitespace runs collapsed (metadata fields wrap lines freely)."""
    return "" if element is None else " ".join("".join(element.itertext()).split())


def _person(element: ET.Element, parts: tuple[str, ...]) -> str:
    return " ".join(t for t in (element_text(_first(element, p)) for p in parts) if t)


def _is_http(value: str) -> bool:
    return value.startswith(("http://", "https://"))
