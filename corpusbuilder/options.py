"""What an adapter accepts in its ``sources:`` entry, declared once as a pydantic model.

An adapter sets ``Options`` (a `SourceOptions` subclass, every field with a description). The same
declaration validates the entry when corpus.yaml is loaded (with file and line), when the adapter
is constructed (tests, notebooks), and renders the README's option table and the JSON Schema, so
none of them can drift from what the adapter really reads. An adapter that declares nothing gets
`OpenOptions`: any key, checked by its own ``__init__``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corpusbuilder import registry
from corpusbuilder.config_errors import ConfigError, problems
from corpusbuilder.config_yaml import dotted

RESERVED = frozenset({"name", "adapter"})  # the source's own keys, beside the options
MAX_DOCUMENT_BYTES = 32 * 2**20


class StrictOptions(BaseModel):
    """Options where unknown keys, wrong types and bad values are refused (nested ones too)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SourceOptions(StrictOptions):
    """Base of an adapter's ``Options``.

    Every adapter bounds the size of one document, so memory is bounded by configuration, not by
    the input: a larger one is a ``too_large`` skip, left unread where the format allows.
    """

    max_document_bytes: int = Field(
        MAX_DOCUMENT_BYTES,
        ge=1,
        description="a document (text, JSONL line or page) larger than this is a too_large skip",
    )


class OpenOptions(BaseModel):
    """The options of an adapter that declares none: anything, left to the adapter."""

    model_config = ConfigDict(extra="allow", frozen=True)


def options_of(adapter: type) -> type[BaseModel]:
    """The adapter's ``Options`` model (`OpenOptions` when it declares none)."""
    model = getattr(adapter, "Options", None) or OpenOptions
    clash = RESERVED & set(model.model_fields)
    if clash:
        raise TypeError(
            f"{adapter.__name__}.Options declares {sorted(clash)}: the source's own keys"
        )
    return model


def checked(adapter: Any, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """`config` validated by the adapter's ``Options``, as the plain dict adapters read.

    Every declared option is present (defaults filled in) and JSON-safe: the dict is recorded in
    the ledger as the source's configuration. A bad option is a one-line `ConfigError` (a
    ValueError) naming the adapter and the key.
    """
    model = options_of(type(adapter))
    try:
        return model.model_validate(dict(config or {})).model_dump(mode="json", by_alias=True)
    except ValidationError as exc:
        first, *rest = problems(exc, model.model_json_schema())
        key = f"{dotted(first.path)}: " if first.path else ""
        more = f" (and {len(rest)} more)" if rest else ""
        raise ConfigError(f"{adapter.name}: {key}{first.text}{more}") from None


def options_table() -> str:
    """The markdown table of every registered adapter's options, as in the README."""
    rows = ["| adapter | option | type | default | description |", "|---|---|---|---|---|"]
    for name in registry.names():
        model = options_of(registry.load(name))
        properties = model.model_json_schema().get("properties", {})
        common = SourceOptions.model_fields  # after the adapter's own options
        for attribute, field in sorted(model.model_fields.items(), key=lambda f: f[0] in common):
            key = field.alias or attribute
            default = field.get_default(call_default_factory=True)
            shown = "required" if field.is_required() else _default(default)
            kind = _type_name(properties.get(key, {}))
            rows.append(f"| `{name}` | `{key}` | {kind} | {shown} | {_cell(field.description)} |")
    return "\n".join(rows) + "\n"


def _cell(text: str | None) -> str:
    """`text` safe in a markdown table cell: no column break, no HTML tag."""
    return (text or "").replace("|", "\\|").replace("<", "&lt;")


def _default(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    long = isinstance(value, list | dict) and len(text) > 40
    return f"{len(value)} items" if long else f"`{text}`"


def _type_name(node: dict) -> str:
    """A JSON Schema type said briefly: string, list of integer, mapping (null left out)."""
    if "anyOf" in node:
        kinds = [_type_name(choice) for choice in node["anyOf"] if choice.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds))
    if node.get("type") == "array":
        return f"list of {_type_name(node.get('items', {}))}"
    if node.get("type") == "object" or "$ref" in node:
        return "mapping"
    return str(node.get("type", "any"))


if __name__ == "__main__":  # python -m corpusbuilder.options > the README's table
    print(options_table(), end="")
