"""The licence policy's `decide`: which of a document's statements count, and how they combine.

Item-level evidence before collection-level, neutral statements, conflicts, dual licences,
rejections, missing evidence and claims limited to one jurisdiction.
"""

from __future__ import annotations

import pytest

from corpusbuilder.licences import Policy
from corpusbuilder.source import LicenceEvidence


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def _ev(statement: str, kind: str = "item") -> LicenceEvidence:
    return LicenceEvidence(statement, locator="test#rights", kind=kind)


def test_item_evidence_takes_precedence_over_collection(policy):
    d = policy.decide([_ev("CC BY-NC 4.0", "collection"), _ev("CC BY 4.0")])
    assert (d.licence, d.status) == ("CC-BY-4.0", "allowed")
    assert d.rule == "allowed: CC-BY-4.0 by alias:cc by 4 0"
    assert [r.licence for r in d.resolutions] == ["CC-BY-NC-4.0", "CC-BY-4.0"]


def test_collection_evidence_is_used_when_items_resolve_to_nothing(policy):
    d = policy.decide([_ev("info:eu-repo/semantics/openAccess"), _ev("CC BY-SA 3.0", "collection")])
    assert (d.licence, d.status) == ("CC-BY-SA-3.0", "allowed")  # the access level is neutral
    assert policy.decide([_ev("Open Access")]).status == "unknown"


def test_allowed_and_rejected_together_is_a_conflict(policy):
    d = policy.decide([_ev("CC BY 4.0"), _ev("All rights reserved", "sidecar")])
    assert (d.licence, d.status) == (None, "unknown")
    assert d.rule == "conflict: allowed CC-BY-4.0 vs rejected all-rights-reserved"


def test_unrecognised_next_to_allowed_is_a_conflict(policy):
    d = policy.decide([_ev("CC BY 4.0"), _ev("Licence maison, voir conditions")])
    assert d.status == "unknown"
    assert d.rule.startswith("conflict: unrecognised statement 'Licence maison")


def test_dual_licence_takes_the_most_open(policy):
    d = policy.decide([_ev("CC BY-SA 3.0"), _ev("GFDL 1.2"), _ev("CC0")])
    assert (d.licence, d.status) == ("CC0-1.0", "allowed")
    assert d.rule == "dual: CC0-1.0|CC-BY-SA-3.0|GFDL-1.2 -> CC0-1.0"


def test_rejected_and_nothing(policy):
    d = policy.decide([_ev("http://arxiv.org/licenses/nonexclusive-distrib/1.0/")])
    rule = "rejected: arxiv-nonexclusive-1.0 by url:arxiv.org/licenses/nonexclusive-distrib"
    assert (d.licence, d.status, d.rule) == ("arxiv-nonexclusive-1.0", "rejected", rule)
    assert policy.decide([]).rule == "no evidence"
    assert policy.decide([_ev("Unspecified")]).rule == "no licence statement"
    assert policy.decide([_ev("Various")]).rule.startswith("unrecognised statement 'Various'")


def test_a_policy_can_require_more_than_a_claim_limited_to_one_jurisdiction():
    """Project Gutenberg's "Public domain in the USA." suffices by default, not when a corpus
    lists the jurisdictions whose limited claims it accepts."""
    evidence = [
        LicenceEvidence("Public domain in the USA.", "pg#dcterms:rights", jurisdiction="US")
    ]
    assert Policy.load().decide(evidence).status == "allowed"
    assert Policy.load(overrides={"jurisdictions": ["US"]}).decide(evidence).status == "allowed"
    strict = Policy.load(overrides={"jurisdictions": []})
    decision = strict.decide(evidence)
    assert (decision.status, decision.licence) == ("rejected", "public-domain")
    assert "jurisdiction: public-domain only in US; accepted: none" in decision.rule
    worldwide = [LicenceEvidence("CC0 1.0", "x#rights")]
    assert strict.decide(worldwide).status == "allowed"  # no territorial limit
    assert strict.hash != Policy.load().hash
