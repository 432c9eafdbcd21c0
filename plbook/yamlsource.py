"""YAML text to plain Python data, keeping the line and column of every key and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from plbook.errors import PlbookError

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 100_000
"""Most values a document may expand to; aliases past this are an alias bomb, not a procedure."""

Path = tuple[str | int, ...]


@dataclass
class Positions:
    """Where each value (and each mapping key) of a document starts, 1-based."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Give the position of the deepest known part of `path` (the key itself when asked)."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)


class _Builder:
    """Builds data from composed nodes, recording positions and refusing duplicate keys."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions = Positions()
        self.count = 0
        self.scalars = SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> PlbookError:
        mark = node.start_mark
        return PlbookError.at(self.file, mark.line + 1, mark.column + 1, message)

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                node,
                f"the document expands to more than {MAX_NODES:,} values (nested YAML aliases?); "
                "write the values out instead of multiplying aliases",
            )
        self.positions.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.scalars.construct_object(node)
        except yaml.YAMLError as error:
            raise self.fail(node, f"{getattr(error, 'problem', error)}; write a plain value") from None

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise self.fail(source, "`<<` merges only mappings")
                    pairs.extend(p for p in self._pairs(source) if p[0].value not in
                                 {k.value for k, _ in node.value})
            else:
                pairs.append((key, value))
        return pairs

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in self._pairs(node):
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a key must be a plain name, not a list or mapping")
            # Keys are names: keep the text as written, so `on:` or `yes:` stay words, not booleans.
            key = str(key_node.value)
            if key in result:
                first = self.positions.keys[path + (key,)]
                raise self.fail(
                    key_node, f"duplicate key '{key}' (first at line {first[0]}); keep only one"
                )
            self.positions.keys[path + (key,)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, path + (key,))
        return result


def parse_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """Give the data of one YAML document and the positions of its parts."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        raise PlbookError.at(file, line, column, f"YAML syntax: {problem}") from None
    except yaml.YAMLError as error:
        position = getattr(error, "position", None)
        raise PlbookError.at(file, 1, (position or 0) + 1, f"YAML: {error}") from None
    if node is None:
        return None, Positions()
    builder = _Builder(file)
    return builder.build(node, ()), builder.positions
