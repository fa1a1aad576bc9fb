"""Claims are read, not grepped: hedged, partial and mixed statements are unknown, rule named.

Project Gutenberg's catalog-wide "Nearly all the individual works … are in the public domain in
the United States" names no book's licence; "may be in the public domain in some countries" and
"Images are public domain; text © … All rights reserved." grant nothing either. A property test
wraps every open statement of the vocabularies in such hedges and asserts none is allowed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpusbuilder.licences import Policy
from corpusbuilder.source import LicenceEvidence
from sources.gutenberg_catalog import COLLECTION_STATEMENT

POLICY = Policy.load()  # for hypothesis tests (function-scoped fixtures do not mix with @given)
HEDGES = [  # (template, the rule it must name)
    ("Nearly all the individual works in the collection are {s}", "hedged:nearly all"),
    ("Most of the items are {s}", "hedged:most of"),
    ("This work may be {s}", "hedged:may be"),
    ("The text might be available under {s}", "hedged:might be"),
    ("{s} in some countries", "hedged:in some countries"),
    ("Believed to be {s}", "hedged:believed to be"),
    ("Probably {s}", "hedged:probably"),
    ("We think this is {s}", "hedged:we think"),
    ("Images are {s}; text © 2001 Example Press. All rights reserved.", "partial:images"),
    ("Metadata is available under {s}", "partial:metadata"),
    ("{s}. All rights reserved.", "mixed:all rights reserved"),
    ("{s} — tous droits réservés", "mixed:tous droits réservés"),
]
OPEN_STATEMENTS = sorted(
    {
        form
        for entry in POLICY.vocabulary
        if entry.id != "no_information" and POLICY.get(entry.id).allowed
        for form in (entry.id, *entry.aliases, *entry.urls)
    }
)


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        (COLLECTION_STATEMENT, "hedged:nearly all"),
        ("This book may be in the public domain in some countries.", "hedged:may be"),
        ("Images are public domain; text © 1998 Example Press. All rights reserved.",
         "partial:images"),
        ("Public domain. All rights reserved.", "mixed:all rights reserved"),
        ("CC BY 4.0, all rights reserved", "mixed:all rights reserved"),
        ("Believed to be in the public domain", "hedged:believed to be"),
        ("Probably CC0", "hedged:probably"),
        ("We think this is public domain.", "hedged:we think"),
        ("Mostly CC BY-SA 4.0", "hedged:mostly"),
        ("CC BY 4.0 except the photographs", "partial:except"),
    ],
)  # fmt: skip
def test_hedged_partial_and_mixed_claims_are_unknown(statement, rule):
    res = POLICY.resolve(statement)
    assert (res.licence, res.status, res.rule) == (None, "unknown", rule)


@pytest.mark.parametrize(
    "statement",
    [
        # Project Gutenberg's per-book header: territory and "almost no restrictions", not a hedge
        "This ebook is for the use of anyone anywhere in the United States and most other parts"
        " of the world at no cost and with almost no restrictions whatsoever.",
        "This text may be freely copied and distributed. Public domain.",
        "Copyright either not claimed or not renewed; item is in the public domain.",
        "Except where otherwise noted, content on this site is licensed under CC BY 4.0",
        "published under the most recent version of the Creative Commons CC-BY licence",
    ],
)
def test_permissions_and_plain_claims_are_not_hedges(statement):
    res = POLICY.resolve(statement)
    assert res.status == "allowed", res
    assert not res.rule.startswith(("hedged:", "partial:", "mixed:"))


def test_a_pg_catalog_book_is_not_released_on_the_catalog_wide_statement():
    statement = LicenceEvidence(COLLECTION_STATEMENT, "pg#license", "collection", jurisdiction="US")
    decision = POLICY.decide([statement])
    assert (decision.status, decision.licence) == ("unknown", None)
    assert decision.rule.startswith("unrecognised statement 'Nearly all")
    assert decision.rule.endswith("(hedged:nearly all)")


def test_every_open_vocabulary_statement_hedged_is_not_allowed(capsys):
    """Exhaustive: every template around every open form the vocabularies give."""
    allowed = []
    for statement in OPEN_STATEMENTS:
        for template, _rule in HEDGES:
            res = POLICY.resolve(template.format(s=statement))
            if res.status == "allowed":
                allowed.append(res)
    cases = f"{len(OPEN_STATEMENTS)} open statements x {len(HEDGES)} hedges"
    with capsys.disabled():
        print(f"\nhedges: {len(OPEN_STATEMENTS) * len(HEDGES)} cases ({cases}); allowed: {allowed}")
    assert allowed == []


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(OPEN_STATEMENTS),
    st.sampled_from(HEDGES),
    st.sampled_from([str, str.upper, str.lower, lambda s: s + ".", lambda s: f"“{s}”"]),
)
def test_hedges_around_open_statements_name_their_rule(statement, hedge, style):
    template, rule = hedge
    res = POLICY.resolve(style(template.format(s=statement)))
    assert res.status != "allowed", res
    # read as a hedge, or (a bare id inside prose) not recognised, or the reservation alone
    assert res.licence in (None, "all-rights-reserved") and res.rule, res
