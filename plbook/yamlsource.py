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

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings; procedures need a handful of levels."""

MAX_TEXT = 10_000_000
"""Most characters of text a document may expand to; past this, aliases multiply a long value."""

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(
    _YAML_TAG + name
    # `value` and `yaml` are what PyYAML resolves a bare `=` or `!` to: its constructor explains.
    for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map", "value", "yaml")
)
"""The tags of plain data; any other tag (`!custom`, `!!python/...`, `!!binary`) is refused."""


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
        self.text = 0
        self.scalars = SafeConstructor()
        self.values = self.positions.values
        self.keys = self.positions.keys

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
        mark = node.start_mark
        self.values[path] = (mark.line + 1, mark.column + 1)
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, _tag_problem(node.tag))
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self._scalar(node)
        if len(path) >= MAX_DEPTH:
            raise self.fail(
                node, f"nested more than {MAX_DEPTH} levels deep; flatten the structure"
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self._text(item, path + (i,)) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.scalars.construct_object(node)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or error
            raise self.fail(node, f"{problem}; write a plain value or quote it") from None
        except Exception as error:  # noqa: BLE001 - PyYAML's constructors fail in many ways
            # e.g. 2024-02-30 looks like a date but is none; `!!int` with no digits is no number.
            shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            reason = f" ({error})" if isinstance(error, ValueError) else ""
            raise self.fail(
                node,
                f"'{shown}' is not a valid {node.tag.rsplit(':', 1)[-1]}{reason}; "
                "quote it to keep it as text",
            ) from None

    def _pairs(
        self, node: yaml.MappingNode, merging: tuple[yaml.Node, ...] = ()
    ) -> list[tuple[yaml.Node, yaml.Node]]:
        """Give the key/value nodes of a mapping, `<<` merges resolved (own keys win)."""
        pairs = [(key, value) for key, value in node.value if key.tag != _MERGE]
        if len(pairs) == len(node.value):
            return pairs
        names = {key.value for key, _ in pairs if isinstance(key, yaml.ScalarNode)}
        for key, value in node.value:
            if key.tag != _MERGE:
                continue
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise self.fail(
                        source, "`<<` merges only mappings; write `<<: *anchor` of a mapping"
                    )
                if source is node or source in merging:
                    raise self.fail(
                        source, "a mapping merges itself through `<<`; remove that merge"
                    )
                self.count += len(source.value)
                if self.count > MAX_NODES:
                    raise self.fail(
                        source,
                        f"the document expands to more than {MAX_NODES:,} values "
                        "(nested `<<` merges?); write the values out instead",
                    )
                for merged_key, merged_value in self._pairs(source, merging + (node,)):
                    name = merged_key.value if isinstance(merged_key, yaml.ScalarNode) else None
                    if name is None or name not in names:
                        names.add(name)
                        pairs.append((merged_key, merged_value))
        return pairs

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in self._pairs(node):
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a key must be a plain name, not a list or mapping")
            # Keys are names: keep the text as written, so `on:` or `yes:` stay words, not booleans.
            key = str(key_node.value)
            if key in result:
                first = self.keys[path + (key,)]
                raise self.fail(
                    key_node, f"duplicate key '{key}' (first at line {first[0]}); keep only one"
                )
            self.text += len(key)
            mark = key_node.start_mark
            child = path + (key,)
            self.keys[child] = (mark.line + 1, mark.column + 1)
            result[key] = self._text(value_node, child)
        return result

    def _text(self, node: yaml.Node, path: Path) -> Any:
        """Give a value, taking a shortcut for plain text: most values of a procedure are text."""
        if node.__class__ is not yaml.ScalarNode or node.tag != _STR:
            return self.build(node, path)
        # Counted, but checked against MAX_NODES by the enclosing list or mapping only.
        self.count += 1
        mark = node.start_mark
        self.values[path] = (mark.line + 1, mark.column + 1)
        value = node.value
        self.text += len(value)
        if self.text > MAX_TEXT:
            # An alias gives its anchor's node: this is the long value being repeated.
            raise self.fail(
                node,
                f"the document expands to more than {MAX_TEXT // 1_000_000} MB of text "
                "(a long value repeated through YAML aliases?); write the value out once",
            )
        return value


def _tag_problem(tag: str) -> str:
    """Give the message for a YAML tag that is not plain data, naming it as written."""
    shown = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
    if shown.startswith("!!python/"):
        return (
            f"YAML tag '{shown}' is not allowed: plbook never builds Python objects from a "
            "procedure; remove the tag"
        )
    return (
        f"YAML tag '{shown}' is not allowed: a procedure holds only text, numbers, booleans, "
        "dates, lists and mappings; remove the tag (quote the value to keep it as text)"
    )


def parse_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """Give the data of one YAML document and the positions of its parts."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        raise PlbookError.at(file, *_syntax_problem(error, text)) from None
    except yaml.reader.ReaderError as error:
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        character = error.character if isinstance(error.character, int) else ord(error.character)
        raise PlbookError.at(
            file,
            line,
            column,
            f"character #x{character:04x} is not allowed in YAML (a control character); delete it",
        ) from None
    if node is None:
        return None, Positions()
    builder = _Builder(file)
    return builder.build(node, ()), builder.positions


def _syntax_problem(error: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """Give the line, column and one-line message of a YAML syntax error."""
    problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
    mark, context = error.problem_mark or error.context_mark, error.context_mark
    if mark is not None and context is not None and error.context and mark.line >= text.count("\n"):
        # The file ended inside a bracket or quote: the place to fix is where it was opened.
        opened = str(error.context).replace("while ", "while still ", 1)
        mark, problem = context, f"the file ends {opened} that starts here"
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if "the file ends" in problem:
        hint = "close it"
    elif "tab" in problem or "'\\t'" in problem:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "quote a value that contains ': '"
    else:
        hint = "check the brackets, quotes and indentation here"
    return line, column, f"YAML syntax: {problem}; {hint}"
