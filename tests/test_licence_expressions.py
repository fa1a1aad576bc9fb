"""Licence expressions (OR: the reader chooses; AND: all apply), dual-licensed wikis, territorial
claims of every adapter, and `licences resolve -c` applying the corpus policy."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from corpusbuilder.cli import cli
from corpusbuilder.licences import Policy, alternatives
from corpusbuilder.source import LicenceEvidence

WIKI = alternatives(["CC-BY-SA-3.0", "GFDL-1.3"])  # how the mediawiki adapter records its terms


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


@pytest.mark.parametrize(
    ("statement", "licence", "status", "rule"),
    [
        ("MIT OR Apache-2.0", "Apache-2.0", "allowed",
         "or: Apache-2.0 chosen of Apache-2.0 OR MIT (the most open allowed)"),
        ("CC BY-SA 3.0 or CC0", "CC0-1.0", "allowed",
         "or: CC0-1.0 chosen of CC0-1.0 OR CC-BY-SA-3.0 (the most open allowed)"),
        ("CC-BY-NC-4.0 OR CC-BY-ND-4.0", "CC-BY-NC-4.0", "rejected",
         "or: no alternative of CC-BY-NC-4.0 OR CC-BY-ND-4.0 allowed"),
        ("MIT AND CC-BY-SA-4.0", "CC-BY-SA-4.0", "allowed",
         "and: all of MIT AND CC-BY-SA-4.0 allowed; CC-BY-SA-4.0 binds most"),
        ("CC-BY-4.0 AND CC-BY-NC-4.0", "CC-BY-NC-4.0", "rejected",
         "and: CC-BY-NC-4.0 of CC-BY-4.0 AND CC-BY-NC-4.0 not allowed"),
        ("(MIT AND BSD-3-Clause) OR CC-BY-NC-4.0", "MIT", "allowed",
         "or: MIT chosen of MIT OR CC-BY-NC-4.0 (the most open allowed)"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only", "allowed",
         "id:GPL-2.0-only"),  # an SPDX exception only adds permissions
    ],
)  # fmt: skip
def test_expressions(policy, statement, licence, status, rule):
    res = policy.resolve(statement)
    assert (res.licence, res.status, res.rule) == (licence, status, rule)


def test_prose_with_and_or_is_one_statement(policy):
    res = policy.resolve("Copyright not claimed or not renewed; item is in the public domain.")
    assert (res.licence, res.rule) == ("public-domain", r"pattern:\bpublic[ -]?domain\b")
    assert policy.resolve("MIT or something else").licence is None  # a part names no licence


def test_a_dual_licensed_wiki_is_allowed_under_the_alternative_the_policy_allows():
    """README's example: `licence: [CC-BY-SA-3.0, GFDL-1.3]` with `deny: [GFDL-1.3]`."""
    assert WIKI == "CC-BY-SA-3.0 OR GFDL-1.3"
    strict = Policy.load(overrides={"deny": ["GFDL-1.3"]})
    decision = strict.decide([LicenceEvidence(WIKI, "enwiki.xml#config:licence", "collection")])
    assert (decision.status, decision.licence) == ("allowed", "CC-BY-SA-3.0")
    assert decision.rule == (
        "allowed: CC-BY-SA-3.0 by or: CC-BY-SA-3.0 chosen of CC-BY-SA-3.0 OR GFDL-1.3"
        " (the most open allowed)"
    )
    neither = Policy.load(overrides={"deny": ["GFDL-1.3", "CC-BY-SA-3.0"]})
    assert neither.resolve(WIKI).status == "rejected"


@pytest.mark.parametrize(
    ("statement", "where"),
    [
        ("This work is in the public domain in the United States.", "US"),
        ("Public domain in the USA.", "US"),
        ("http://rightsstatements.org/vocab/NoC-US/1.0/", "US"),
        ("Ce texte est dans le domaine public in Canada", "CA"),
    ],
)
def test_jurisdictions_apply_to_every_adapters_evidence(statement, where):
    """An OAI record's or a sidecar's territorial claim counts like Gutenberg's, which sets
    `jurisdiction` itself: the limit is read from the statement when the adapter set none."""
    evidence = [LicenceEvidence(statement, "oai#dc:rights")]  # no jurisdiction set
    assert Policy.load().decide(evidence).status == "allowed"
    strict = Policy.load(overrides={"jurisdictions": []})
    decision = strict.decide(evidence)
    assert (decision.status, decision.licence) == ("rejected", "public-domain")
    assert f"jurisdiction: public-domain only in {where}; accepted: none" in decision.rule
    accepting = Policy.load(overrides={"jurisdictions": [where]})
    assert accepting.decide(evidence).status == "allowed"
    assert strict.decide([LicenceEvidence("CC0 1.0", "oai#dc:rights")]).status == "allowed"


def _resolve(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, [*args, "licences", "resolve", "--json", "GFDL-1.3"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_licences_resolve_applies_the_corpus_policy(tmp_path):
    config = tmp_path / "corpus.yaml"
    config.write_text(
        "name: strict\nsources:\n  - {name: texts, adapter: local, path: texts.jsonl}\n"
        "licences:\n  deny: [GFDL-1.3]\n  jurisdictions: []\n",
        encoding="utf-8",
    )
    assert _resolve(["-c", str(tmp_path / "absent.yaml")])["status"] == "allowed"
    assert _resolve(["-c", str(config)])["status"] == "rejected"
    result = CliRunner().invoke(
        cli, ["-c", str(config), "licences", "resolve", "Public domain in the USA."]
    )
    assert result.output.split("\t")[:3] == [
        "public-domain", "rejected", "jurisdiction: public-domain only in US; accepted: none"
    ]  # fmt: skip
