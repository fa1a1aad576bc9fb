"""pydantic's validation errors said the way a corpus.yaml author reads them, one line each.

pydantic reports where an error is as a location that also names union branches
(``sources.0.local.pth``) and says "Extra inputs are not permitted". Here the location becomes the
key path as written (``sources[0].pth``) and the wording says what to write instead: the nearest
valid key, the expected type, the allowed range. The JSON Schema of the model is the one map of
valid keys and their descriptions, so the suggestions always agree with what editors are told.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from corpusbuilder.config_yaml import KeyPath, dotted
from corpusbuilder.errors import UserError

EXPECTED = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}
BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}


class ConfigError(UserError, ValueError):
    """corpus.yaml or an adapter's options are wrong; the message says what to fix, on one line."""


@dataclass(frozen=True)
class Problem:
    path: KeyPath  # as written in the file, e.g. ("sources", 0, "path")
    text: str  # what is wrong and what to write, e.g. "unknown key; did you mean sources[0].path?"


def problems(exc: ValidationError, schema: dict) -> list[Problem]:
    """One problem per key path, in pydantic's order; of a union's branches, the deepest."""
    found = []
    for error in exc.errors():
        path, node = _locate(schema, tuple(error["loc"]))
        if error["type"].startswith("union_tag_"):  # about the discriminating key itself
            path = (*path, error["ctx"]["discriminator"].strip("'"))
        found.append((path, node, error))
    paths = [path for path, _, _ in found]
    grouped: dict[KeyPath, list] = {}
    for path, node, error in found:
        if not any(len(other) > len(path) and other[: len(path)] == path for other in paths):
            grouped.setdefault(path, []).append((node, error))
    return [Problem(path, _phrase(schema, path, errors)) for path, errors in grouped.items()]


def _phrase(schema: dict, path: KeyPath, errors: list) -> str:
    specific = [(node, e) for node, e in errors if e["type"] not in (*EXPECTED, "literal_error")]
    if len(errors) > 1 and not specific:  # one value of a type no branch of a union takes
        wanted = [_expected(error) for _, error in errors]
        return f"must be {' or '.join(dict.fromkeys(wanted))}, not {_shown(errors[0][1]['input'])}"
    node, error = (specific or errors)[0]
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown(schema, path, error["loc"])
    if kind == "missing":
        about = node and (node.get("description") or _collapse(schema, node).get("description"))
        return f"required: {about}" if about else "required"
    if kind == "union_tag_invalid":
        available = ctx["expected_tags"].replace("'", "")
        return f"unknown source {ctx['tag']!r}; available: {available}"
    if kind == "union_tag_not_found":
        return "required: the adapter that reads this source (`corpusbuilder sources` lists them)"
    if kind in BOUNDS:
        key, sign = BOUNDS[kind]
        return f"must be {sign} {ctx[key]}, not {_shown(error['input'])}"
    if kind in ("too_short", "string_too_short"):
        least = ctx["min_length"]
        return "must not be empty" if least == 1 else f"must have at least {least} items"
    if kind in ("value_error", "assertion_error"):
        return str(ctx["error"])
    if kind in EXPECTED or kind == "literal_error":
        return f"must be {_expected(error)}, not {_shown(error['input'])}{_hint(error)}"
    return error["msg"][:1].lower() + error["msg"][1:]


def _expected(error: dict) -> str:
    if error["type"] == "literal_error":
        return error["ctx"]["expected"].replace("False", "false").replace("True", "true")
    return EXPECTED.get(error["type"], error["msg"])


def _hint(error: dict) -> str:
    value, kind = error["input"], error["type"]
    if kind == "list_type" and isinstance(value, str):
        return f"; write [{value}]"
    if kind == "string_type" and isinstance(value, bool):
        return " (YAML reads yes, no, on and off as true or false): quote it"
    if kind == "string_type" and isinstance(value, int | float | date):
        return "; quote it"
    return ""


def _shown(value: Any) -> str:
    """`value` as the YAML author wrote it: "en", true, null, 1.5, a mapping."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None or isinstance(value, str | int | float):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _unknown(schema: dict, path: KeyPath, loc: tuple) -> str:
    _, parent = _locate(schema, loc[:-1])
    valid = list(_collapse(schema, parent).get("properties", {})) if parent else []
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
    if close:
        return f"unknown key; did you mean {dotted((*path[:-1], close[0]))}?"
    return f"unknown key; valid keys: {', '.join(valid)}" if valid else "unknown key"


def _locate(schema: dict, loc: tuple) -> tuple[KeyPath, dict | None]:
    """The key path of a pydantic location as written, and the schema node it ends at.

    A union (a source's adapter, ``near_dedup: false | {…}``) inserts the name of the branch
    into the location; it is no key of the file, so it is dropped here.
    """
    path: list = []
    node: dict | None = schema
    for part in loc:
        node = _collapse(schema, node) if node is not None else None
        if node is not None and ("oneOf" in node or "anyOf" in node):
            node = _branch(node, part)
            continue
        path.append(part)
        node = _child(node, part) if node is not None else None
    return tuple(path), node


def _collapse(schema: dict, node: dict) -> dict:
    """`node` with references followed and ``X | None`` read as X (pydantic adds no branch)."""
    while True:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        choices = node.get("anyOf") or node.get("oneOf") or []
        real = [choice for choice in choices if choice.get("type") != "null"]
        if len(real) != 1:
            return node
        node = real[0]


def _branch(node: dict, name: Any) -> dict | None:
    mapping = node.get("discriminator", {}).get("mapping", {})
    if name in mapping:
        return {"$ref": mapping[name]}
    for choice in node.get("anyOf") or node.get("oneOf") or []:
        model = choice.get("$ref", "").rsplit("/", 1)[-1]
        if model and (name == model or str(name).endswith(f" {model}]")):  # validated model
            return choice
    return None


def _child(node: dict, part: Any) -> dict | None:
    if part in node.get("properties", {}):
        return node["properties"][part]
    if isinstance(part, int) and "items" in node:
        return node["items"]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None
