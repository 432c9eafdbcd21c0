"""Pass criteria in words: `result.status == 200` reads "the HTTP status is 200"."""

from __future__ import annotations

from typing import Any

from jinja2 import nodes

from plbook.expr import ExpressionError, parse_expression

_RESULT_WORDS = {
    "status": "the HTTP status",
    "json": "the JSON body",
    "text": "the response body",
    "headers": "the response headers",
    "elapsed_ms": "the response time in milliseconds",
    "exit_code": "the exit code",
    "stdout": "the command's output",
    "stderr": "the command's error output",
    "document": "the document found",
    "documents": "the documents found",
    "count": "the number of documents",
    "indexes": "the indexes",
    "reply": "the command's reply",
    "matched": "the number of documents matched",
    "modified": "the number of documents changed",
    "inserted_id": "the id of the inserted document",
    "deleted": "the number of documents deleted",
    "data": "the objects listed",
    "has_more": "whether more objects exist",
    "object": "the object",
    "answer": "the answer",
    "passed": "whether the procedure passed",
}
_OF_WORDS = {
    "json": "in the JSON body",
    "headers": "header",
    "document": "of the document",
    "reply": "of the reply",
    "object": "of the object",
}
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


def expectation_in_words(source: str) -> str | None:
    """Give an expectation as an English sentence, or None when it is beyond plain words."""
    try:
        words = _say(parse_expression(source))
    except (_Unsaid, ExpressionError):
        return None
    return words[:1].upper() + words[1:]


def _path(node: nodes.Node) -> list[Any]:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        return _path(node.node) + [node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return _path(node.node) + [node.arg.value]
    raise _Unsaid


def _say_path(parts: list[Any]) -> str:
    head, rest = parts[0], [str(p) for p in parts[1:]]
    if head == "now" and not rest:
        return "now"
    if head in _NAMESPACE_WORDS and len(rest) == 1:
        return f"{_NAMESPACE_WORDS[head]} `{rest[0]}`"
    if head != "result" or not rest:
        raise _Unsaid
    field, inner = rest[0], rest[1:]
    if not inner:
        return _RESULT_WORDS.get(field, f"`{field}` of the result")
    if field == "headers":
        return f"the `{'.'.join(inner)}` header"
    where = _OF_WORDS.get(field, f"of `result.{field}`")
    return f"`{'.'.join(inner)}` {where}"


def _say_const(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _say(node: nodes.Node) -> str:
    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        return _say_path(_path(node))
    if isinstance(node, nodes.Const):
        return _say_const(node.value)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return ", ".join(_say(item) for item in node.items)
    if isinstance(node, nodes.Compare) and len(node.ops) == 1:
        operand = node.ops[0]
        if operand.op not in _COMPARISONS:
            raise _Unsaid
        return f"{_say(node.expr)} {_COMPARISONS[operand.op]} {_say(operand.expr)}"
    if isinstance(node, nodes.Test) and node.name in _TESTS and not node.args:
        return f"{_say(node.node)} {_TESTS[node.name]}"
    if isinstance(node, nodes.Not) and isinstance(node.node, nodes.Test):
        test = node.node
        if test.name == "none":
            return f"{_say(test.node)} is set"
        raise _Unsaid
    if isinstance(node, nodes.And):
        return f"{_say(node.left)} and {_say(node.right)}"
    if isinstance(node, nodes.Or):
        return f"{_say(node.left)} or {_say(node.right)}"
    if isinstance(node, nodes.Filter) and node.name == "length" and node.node is not None:
        return f"the number of {_say(node.node).removeprefix('the ')}"
    if isinstance(node, nodes.Filter) and node.name == "as_datetime" and node.node is not None:
        return _say(node.node)
    if isinstance(node, nodes.Sub) and isinstance(node.right, nodes.Call):
        return f"{_say(node.right)} before {_say(node.left)}"
    if isinstance(node, nodes.Add) and isinstance(node.right, nodes.Call):
        return f"{_say(node.right)} after {_say(node.left)}"
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        return _say_call(node)
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        return _say_method(node)
    if isinstance(node, (nodes.Add, nodes.Sub, nodes.Mul)):
        word = {nodes.Add: "plus", nodes.Sub: "minus", nodes.Mul: "times"}[type(node)]
        return f"{_say(node.left)} {word} {_say(node.right)}"
    raise _Unsaid


def _say_method(node: nodes.Call) -> str:
    method = node.node.attr  # type: ignore[attr-defined]
    subject = _say(node.node.node)  # type: ignore[attr-defined]
    if method in ("startswith", "endswith") and len(node.args) == 1:
        return f"{subject} {method[:-4]} with {_say(node.args[0])}"
    if method == "split" and not node.args:
        return f"the words of {subject}"
    raise _Unsaid


def _say_call(node: nodes.Call) -> str:
    name = node.node.name  # type: ignore[attr-defined]
    if name == "as_datetime" and len(node.args) == 1:
        return _say(node.args[0])
    if name in ("days", "hours", "minutes") and len(node.args) == 1:
        return f"{_say(node.args[0])} {name}"
    if name == "has_index" and len(node.args) == 2 and isinstance(node.args[1], nodes.Dict):
        keys = ", ".join(
            f"`{item.key.value}` {'ascending' if _say(item.value) == '1' else 'descending'}"
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
