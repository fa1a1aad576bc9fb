"""Licence expressions: alternatives (OR: the reader chooses) and conjunctions (AND: all apply).

SPDX expressions ("MIT OR Apache-2.0", "(CC-BY-SA-3.0 OR GFDL-1.3) AND MIT") are parsed by
`license-expression`; any part may be any statement the table resolves ("CC BY-SA 3.0 or GFDL").
An expression is read as one only when every part names a licence: prose that happens to contain
"and"/"or" stays one statement. Combining is the policy's: see `Policy.resolve`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from license_expression import AND, OR, ExpressionError, LicenseWithExceptionSymbol, Licensing

_OPERATOR = re.compile(r"\b(?:or|and|with)\b|[()]", re.IGNORECASE)
_LICENSING = Licensing()  # no known symbols: every part is kept as written


@dataclass(frozen=True)
class Expression:
    """`operator` "OR" or "AND" over `parts`, each a statement or a nested Expression."""

    operator: str
    parts: tuple[Expression | str, ...]


def parse(statement: str, exceptions: frozenset[str]) -> Expression | str | None:
    """The expression `statement` writes; a str for ``X WITH <SPDX exception>`` (the licence
    X: an exception only adds permissions); None when it is a single statement or a WITH whose
    exception is not an SPDX exception.
    """
    if not _OPERATOR.search(statement):
        return None
    try:
        parsed = _LICENSING.parse(statement, simple=False)
    except (ExpressionError, TypeError, ValueError):
        return None
    tree = _tree(parsed, exceptions)
    return tree if isinstance(tree, Expression) or tree != statement else None


def _tree(node: object, exceptions: frozenset[str]) -> Expression | str | None:
    if isinstance(node, AND | OR):
        parts = tuple(_tree(arg, exceptions) for arg in node.args)
        if any(part is None for part in parts):
            return None
        return Expression("AND" if isinstance(node, AND) else "OR", parts)  # type: ignore[arg-type]
    if isinstance(node, LicenseWithExceptionSymbol):
        known = node.exception_symbol.key.lower() in exceptions
        return node.license_symbol.key if known else None
    key = getattr(node, "key", None)
    return key if isinstance(key, str) else None


def alternatives(statements: list[str] | tuple[str, ...]) -> str:
    """One statement offering each of `statements` as an alternative: "A OR B".

    For configs that list the terms a collection is offered under (a wiki's ``licence:
    [CC-BY-SA-3.0, GFDL-1.3]``): the reader may choose either, so the evidence says so.
    """
    parts = [s.strip() for s in statements if s.strip()]
    return " OR ".join(f"({p})" if _OPERATOR.search(p) else p for p in parts)
