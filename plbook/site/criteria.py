"""Pass criteria in words: `result.status == 200` reads "the HTTP status is 200"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import nodes

from plbook.expr import ExpressionError, parse_expression
from plbook.steps import STEP_KINDS

_NAMESPACE_WORDS = {
    "vars": "the saved value",
    "inputs": "the input",
    "env": "the environment value",
}
_COMPARISONS = {
    "eq": "is",
    "ne": "is not",
    "lt": "is below",
    "lteq": "is at most",
    "gt": "is above",
    "gteq": "is at least",
    "in": "is one of",
    "notin": "is not one of",
}
_TESTS = {
    "none": "is empty",
    "defined": "is present",
    "undefined": "is missing",
    "true": "is true",
    "false": "is false",
    "string": "is text",
    "number": "is a number",
}


class _Unsaid(Exception):
    """A part of an expression this module has no words for."""


@dataclass(frozen=True)
class _Words:
    """What a kind's `result` fields, and the parts inside them, are called."""

    fields: Mapping[str, str]
    parts: Mapping[str, str]


@cache
def _words_of(kind: str | None) -> _Words:
    """Give the words of one kind's result, or of every kind's when the kind is not known."""
    kinds = [STEP_KINDS[kind]] if kind in STEP_KINDS else list(STEP_KINDS.values())
    fields: dict[str, str] = {}
    parts: dict[str, str] = {}
    for each in kinds:
        fields = {**each.result_words, **fields}
        parts = {**each.result_part_words, **parts}
    return _Words(fields, parts)


def expectation_in_words(source: str, kind: str | None = None) -> str | None:
    """Give an expectation of a step of `kind` as an English sentence, or None when beyond words."""
    try:
        words = _Saying(_words_of(kind)).say(parse_expression(source))
    except (_Unsaid, ExpressionError):
        return None
    return words[:1].upper() + words[1:]


def condition_in_words(source: str, kind: str | None = None) -> str | None:
    """Give a condition (`when`) in words to follow "if" (a bare value reads "... is true")."""
    saying = _Saying(_words_of(kind))
    try:
        node = parse_expression(source)
        if isinstance(node, nodes.Not) and isinstance(node.node, (nodes.Name, nodes.Getattr)):
            words = saying.say(node.node) + " is false"
        elif isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            words = saying.say(node) + " is true"
        else:
            words = saying.say(node)
    except (_Unsaid, ExpressionError):
        return None
    return words


def _path(node: nodes.Node) -> list[Any]:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        return _path(node.node) + [node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return _path(node.node) + [node.arg.value]
    raise _Unsaid


def _say_const(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


class _Saying:
    """Says expressions in words, with the words of one kind's result."""

    def __init__(self, words: _Words) -> None:
        self.words = words

    def _say_path(self, parts: list[Any]) -> str:
        head, rest = parts[0], [str(p) for p in parts[1:]]
        if head == "now" and not rest:
            return "now"
        if head in _NAMESPACE_WORDS and len(rest) == 1:
            return f"{_NAMESPACE_WORDS[head]} `{rest[0]}`"
        if head != "result" or not rest:
            raise _Unsaid
        field, inner = rest[0], rest[1:]
        if not inner:
            return self.words.fields.get(field, f"`{field}` of the result")
        part = self.words.parts.get(field, "`{part}` of `result." + field + "`")
        return part.format(part=".".join(inner))

    def say(self, node: nodes.Node) -> str:
        """Give an expression's syntax tree in words, or raise _Unsaid."""
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            return self._say_path(_path(node))
        if isinstance(node, nodes.Const):
            return _say_const(node.value)
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return ", ".join(self.say(item) for item in node.items)
        if isinstance(node, nodes.Compare) and len(node.ops) == 1:
            operand = node.ops[0]
            if operand.op not in _COMPARISONS:
                raise _Unsaid
            return f"{self.say(node.expr)} {_COMPARISONS[operand.op]} {self.say(operand.expr)}"
        if isinstance(node, nodes.Test) and node.name in _TESTS and not node.args:
            return f"{self.say(node.node)} {_TESTS[node.name]}"
        if isinstance(node, nodes.Not) and isinstance(node.node, nodes.Test):
            test = node.node
            opposite = {"none": "is set", "defined": "is missing", "undefined": "is present"}
            if test.name in opposite and not test.args:
                return f"{self.say(test.node)} {opposite[test.name]}"
            raise _Unsaid
        if isinstance(node, nodes.And):
            return f"{self.say(node.left)} and {self.say(node.right)}"
        if isinstance(node, nodes.Or):
            return f"{self.say(node.left)} or {self.say(node.right)}"
        if isinstance(node, nodes.Filter) and node.name == "length" and node.node is not None:
            return f"the number of {self.say(node.node).removeprefix('the ')}"
        if isinstance(node, nodes.Filter) and node.name == "as_datetime" and node.node is not None:
            return self.say(node.node)
        if isinstance(node, nodes.Sub) and isinstance(node.right, nodes.Call):
            return f"{self.say(node.right)} before {self.say(node.left)}"
        if isinstance(node, nodes.Add) and isinstance(node.right, nodes.Call):
            return f"{self.say(node.right)} after {self.say(node.left)}"
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            return self._say_call(node)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            return self._say_method(node)
        if isinstance(node, (nodes.Add, nodes.Sub, nodes.Mul)):
            word = {nodes.Add: "plus", nodes.Sub: "minus", nodes.Mul: "times"}[type(node)]
            return f"{self.say(node.left)} {word} {self.say(node.right)}"
        raise _Unsaid

    def _say_method(self, node: nodes.Call) -> str:
        method = node.node.attr  # type: ignore[attr-defined]
        subject = self.say(node.node.node)  # type: ignore[attr-defined]
        if method in ("startswith", "endswith") and len(node.args) == 1:
            return f"{subject} {method[:-4]} with {self.say(node.args[0])}"
        if method == "split" and not node.args:
            return f"the words of {subject}"
        raise _Unsaid

    def _say_call(self, node: nodes.Call) -> str:
        name = node.node.name  # type: ignore[attr-defined]
        if name == "as_datetime" and len(node.args) == 1:
            return self.say(node.args[0])
        if name in ("days", "hours", "minutes") and len(node.args) == 1:
            return f"{self.say(node.args[0])} {name}"
        if name == "has_index" and len(node.args) == 2 and isinstance(node.args[1], nodes.Dict):
            keys = ", ".join(
                f"`{item.key.value}` {'ascending' if self.say(item.value) == '1' else 'descending'}"
                for item in node.args[1].items
                if isinstance(item.key, nodes.Const)
            )
            options = [
                kw.key
                for kw in node.kwargs
                if isinstance(kw.value, nodes.Const) and kw.value.value is True
            ]
            kind = " ".join(options + ["index"])
            return f"a {kind} on {keys} exists"
        raise _Unsaid
