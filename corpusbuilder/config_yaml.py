"""corpus.yaml read as plain data with the line of every key, refusing what YAML does silently.

PyYAML keeps the last of two equal keys (a second ``name:`` renamed a source without a word),
expands aliases (a 250-byte alias bomb became a 126 MB dataset card) and composes nested values
recursively (``a: [[[…`` 400 deep was a RecursionError). Here a duplicate key, an anchor, an
alias, a merge key (``<<``) or a value nested more than `MAX_DEPTH` deep is an error with its
line. The line of every key path is kept so that a later validation error can name its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]
MAX_DEPTH = 50  # corpus.yaml needs 5 levels; the composer recurses about 3 frames per level


class YamlProblem(ValueError):
    """The text is not acceptable YAML; `line` (1-based) is where, when known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


def dotted(path: KeyPath) -> str:
    """``sources[0].path``: a key path as the user reads it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Loaded:
    data: Any
    lines: dict[KeyPath, int]

    def line(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest written parent (a missing key's mapping)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if self.depth >= MAX_DEPTH:
            raise YamlProblem(
                event.start_mark.line + 1,
                f"nested more than {MAX_DEPTH} levels deep (an unclosed [ or {{?);"
                " corpus.yaml needs a few levels",
            )
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise YamlProblem(
                event.start_mark.line + 1,
                f"YAML anchors and aliases ({sign}{event.anchor}) are not accepted;"
                " write the value out where it is used",
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read(text: str) -> Loaded:
    """`text` as Python data (an empty document is ``{}``) with the line of every key path."""
    lines: dict[KeyPath, int] = {}
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = {} if node is None else _value(loader, node, (), lines)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = "; ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise YamlProblem(mark.line + 1 if mark else None, f"not valid YAML: {what}") from None
    except yaml.YAMLError as exc:  # a ReaderError (a control character) has no line
        raise YamlProblem(None, f"not valid YAML: {' '.join(str(exc).split())}") from None
    return Loaded(data, lines)


def _value(loader: _Loader, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> Any:
    if isinstance(node, yaml.MappingNode):
        return _mapping(loader, node, path, lines)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, child in enumerate(node.value):
            lines[(*path, index)] = child.start_mark.line + 1
            items.append(_value(loader, child, (*path, index), lines))
        return items
    return loader.construct_object(node, deep=True)


def _mapping(
    loader: _Loader, node: yaml.MappingNode, path: KeyPath, lines: dict[KeyPath, int]
) -> dict:
    result: dict = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise YamlProblem(line, "merge keys (<<) are not accepted; write the keys out")
        if not isinstance(key_node, yaml.ScalarNode):
            where = f"{dotted(path)}: " if path else ""
            raise YamlProblem(line, f"{where}a key must be a plain word, not a mapping or a list")
        key = loader.construct_object(key_node)
        where = (*path, key)
        if where in lines:
            raise YamlProblem(
                line,
                f"{dotted(where)}: duplicate key (first on line {lines[where]}); keep one"
                " (YAML would silently keep the last)",
            )
        lines[where] = line
        result[key] = _value(loader, value_node, where, lines)
    return result
