"""The licence policy: vocabularies → table, resolution, expressions, claims, decisions.

`Policy.load()` reads licences.yaml; other modules import `Policy` and `format_resolution` from
here. See licences.yaml for the order of the rules and the vocabularies the table comes from.
"""

from corpusbuilder.licences.expressions import alternatives
from corpusbuilder.licences.policy import DEFAULT_PATH, Policy, format_resolution
from corpusbuilder.licences.records import (
    CLAUSE_FLAGS,
    FLAGS,
    Entry,
    Licence,
    LicenceDecision,
    Resolution,
)

__all__ = [
    "CLAUSE_FLAGS",
    "DEFAULT_PATH",
    "FLAGS",
    "Entry",
    "Licence",
    "LicenceDecision",
    "Policy",
    "Resolution",
    "alternatives",
    "format_resolution",
]
