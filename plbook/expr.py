"""`{{ }}` values and `expect` expressions: one sandboxed Jinja2 environment, checked early."""

from __future__ import annotations

import operator
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.parser import Parser

from plbook import shellwords
from plbook.expr_limits import BoundedEnvironment, TooCostly, bounded_evaluation

CONTEXT_NAMES = ("result", "inputs", "env", "vars", "secrets", "now")
NAMESPACES = ("inputs", "env", "vars", "secrets")


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated; the message says why in one sentence."""


def days(n: float) -> timedelta:
    """Give a span of `n` days, for `now - days(30)`."""
    return timedelta(days=n)


def hours(n: float) -> timedelta:
    """Give a span of `n` hours."""
    return timedelta(hours=n)


def minutes(n: float) -> timedelta:
    """Give a span of `n` minutes."""
    return timedelta(minutes=n)


def as_datetime(value: Any) -> datetime:
    """Give an aware datetime for an ISO 8601 text (`Z` allowed) or a datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"{value!r} is not a date and time")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def has_index(indexes: Any, keys: dict[str, int], **options: Any) -> bool:
    """Tell whether a list of indexes (a mongo `index_information` result) has this key pattern."""
    wanted = list(keys.items())
    for index in indexes or []:
        if [tuple(k) for k in index.get("key", [])] == [tuple(k) for k in wanted] and all(
            index.get(name) == value for name, value in options.items()
        ):
            return True
    return False


HELPERS = {
    "days": days,
    "hours": hours,
    "minutes": minutes,
    "as_datetime": as_datetime,
    "has_index": has_index,
}


def _make_environment(**options: Any) -> BoundedEnvironment:
    environment = BoundedEnvironment(undefined=StrictUndefined, autoescape=False, **options)
    environment.globals.update(HELPERS)
    environment.filters["as_datetime"] = as_datetime
    return environment


ENVIRONMENT = _make_environment()
SHELL_ENVIRONMENT = _make_environment(finalize=lambda value: shlex.quote(str(value)))
_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.DOTALL)


def has_template(text: str) -> bool:
    """Tell whether a string contains `{{ }}` or `{% %}` parts."""
    return "{{" in text or "{%" in text


EXPRESSION_HINT = "write a Jinja expression such as `result.status == 200`"
TEMPLATE_HINT = (
    "write values as `{{ expression }}`, e.g. `{{ env.api_url }}/api/health`, "
    "and end every `{% if %}` or `{% for %}` block"
)


@lru_cache(maxsize=65536)
def parse_expression(source: str) -> nodes.Expr:
    """Give the syntax tree of an `expect` or `save` expression."""
    try:
        parser = Parser(ENVIRONMENT, source, state="variable")
        tree = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError(
                f"unexpected '{parser.stream.current.value}' after the expression", 1
            )
    except TemplateSyntaxError as error:
        raise ExpressionError(
            f"expression syntax: {_sentence(error)} in {_quoted(source)}; {EXPRESSION_HINT}"
        ) from None
    except RecursionError:
        raise ExpressionError(f"expression nested too deeply; {EXPRESSION_HINT}") from None
    return tree


@lru_cache(maxsize=65536)
def parse_template(source: str) -> nodes.Template:
    """Give the syntax tree of a string with `{{ }}` parts."""
    try:
        return ENVIRONMENT.parse(source)
    except TemplateSyntaxError as error:
        where = f" (line {error.lineno} of the value)" if "\n" in source.strip() else ""
        raise ExpressionError(
            f"template syntax{where}: {_sentence(error)} in {_quoted(source)}; {TEMPLATE_HINT}"
        ) from None
    except RecursionError:
        raise ExpressionError(f"template nested too deeply; {TEMPLATE_HINT}") from None


def _sentence(error: TemplateSyntaxError) -> str:
    """Give Jinja's message as part of one line: no trailing period, no line breaks."""
    return " ".join(str(error.message or "invalid syntax").split()).rstrip(".")


def _quoted(source: str) -> str:
    """Give a value quoted on one line, shortened when long, to show where a syntax error is."""
    text = repr(" ".join(source.split()))
    return text if len(text) <= 80 else text[:76] + "...'"


@dataclass(frozen=True)
class Reference:
    """A `namespace.name` read by an expression, e.g. inputs.deployment_id."""

    namespace: str
    name: str


@dataclass(frozen=True)
class Reads:
    """What an expression or template reads: namespaced names, bare names, `__` attributes."""

    references: tuple[Reference, ...]
    names: tuple[str, ...]
    dunders: tuple[str, ...]


def _walk(tree: nodes.Node) -> Iterator[nodes.Node]:
    """Give every node of a tree, parents first (faster than Node.find_all for a full walk)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        children: list[nodes.Node] = []
        for name in node.fields:
            value = getattr(node, name, None)
            if isinstance(value, nodes.Node):
                children.append(value)
            elif isinstance(value, list):
                children.extend(item for item in value if isinstance(item, nodes.Node))
        stack.extend(reversed(children))


def references(tree: nodes.Node) -> Reads:
    """Give what a tree reads: namespaced names, bare names, and attributes starting with `__`."""
    refs: list[Reference] = []
    loaded: list[str] = []
    assigned: set[str] = set()
    dunders: list[str] = []
    for node in _walk(tree):
        if isinstance(node, nodes.Name):
            if node.ctx == "load":
                loaded.append(node.name)
            elif node.ctx in ("store", "param"):
                assigned.add(node.name)
        elif isinstance(node, nodes.Getattr):
            if node.attr.startswith("__"):
                dunders.append(node.attr)
            elif isinstance(node.node, nodes.Name) and node.node.name in NAMESPACES:
                refs.append(Reference(node.node.name, node.attr))
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            key = node.arg.value
            if isinstance(key, str) and key.startswith("__"):
                dunders.append(key)
            elif (
                isinstance(key, str)
                and isinstance(node.node, nodes.Name)
                and (node.node.name in NAMESPACES)
            ):
                refs.append(Reference(node.node.name, key))
    names = tuple(name for name in loaded if name not in assigned)
    return Reads(tuple(refs), names, tuple(dunders))


@lru_cache(maxsize=65536)
def expression_reads(source: str) -> Reads:
    """Give what an `expect` or `save` expression reads; cached, as runbooks repeat expressions."""
    return references(parse_expression(source))


@lru_cache(maxsize=65536)
def template_reads(source: str) -> Reads:
    """Give what the `{{ }}` parts of a value read; cached like `expression_reads`."""
    return references(parse_template(source))


@lru_cache(maxsize=1)
def known_names() -> frozenset[str]:
    """Give every bare name an expression may use."""
    return frozenset(CONTEXT_NAMES) | frozenset(HELPERS) | frozenset(ENVIRONMENT.globals)


class _NeedsCompiler(Exception):
    """A tree the direct evaluator leaves to Jinja's compiler (filters, tests, calls...)."""


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lteq": operator.le,
    "gt": operator.gt,
    "gteq": operator.ge,
    "in": lambda left, right: left in right,
    "notin": lambda left, right: left not in right,
}


def _evaluate_tree(node: nodes.Node, context: dict[str, Any]) -> Any:
    """Give the value of the common, simple expressions straight from their syntax tree.

    Compiling a Jinja expression to Python costs far more than evaluating it once, and most
    of a runbook's values are unique (`result.status == 200`, `{{ env.api_url }}/x`). Lookups go
    through the sandboxed environment's own getattr/getitem, so the sandbox's rules and
    undefined values behave exactly as in compiled code.
    """
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        if node.name in context:
            return context[node.name]
        raise _NeedsCompiler
    if isinstance(node, nodes.Getattr):
        return ENVIRONMENT.getattr(_evaluate_tree(node.node, context), node.attr)
    if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Slice):
        return ENVIRONMENT.getitem(
            _evaluate_tree(node.node, context), _evaluate_tree(node.arg, context)
        )
    if isinstance(node, nodes.Compare):
        left = _evaluate_tree(node.expr, context)
        for operand in node.ops:
            right = _evaluate_tree(operand.expr, context)
            if not _COMPARISONS[operand.op](left, right):
                return False
            left = right
        return True
    if isinstance(node, nodes.And):
        return _evaluate_tree(node.left, context) and _evaluate_tree(node.right, context)
    if isinstance(node, nodes.Or):
        return _evaluate_tree(node.left, context) or _evaluate_tree(node.right, context)
    if isinstance(node, nodes.Not):
        return not _evaluate_tree(node.node, context)
    if isinstance(node, nodes.List) or (isinstance(node, nodes.Tuple) and node.ctx == "load"):
        items = [_evaluate_tree(item, context) for item in node.items]
        return items if isinstance(node, nodes.List) else tuple(items)
    raise _NeedsCompiler


@lru_cache(maxsize=4096)
def _compiled_expression(source: str) -> Callable[..., Any]:
    return ENVIRONMENT.compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compiled_template(source: str, shell: bool) -> Template:
    return (SHELL_ENVIRONMENT if shell else ENVIRONMENT).from_string(source)


@contextmanager
def _user_code_errors() -> Iterator[None]:
    """Turn whatever an expression raises into an ExpressionError: a failed check, not a crash."""
    try:
        yield
    except UndefinedError as error:
        raise ExpressionError(f"{error.message}") from None
    except SecurityError as error:
        raise ExpressionError(f"not allowed: {error}") from None
    except TooCostly as error:
        raise ExpressionError(str(error)) from None
    except ExpressionError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure of user code is a failed check
        raise ExpressionError(f"{type(error).__name__}: {error}") from None


def evaluate(source: str, context: dict[str, Any]) -> Any:
    """Give the value of an expression in `context`."""
    tree = parse_expression(source)
    with _user_code_errors():
        try:
            value = _evaluate_tree(tree, context)
        except _NeedsCompiler:
            with bounded_evaluation():
                value = _compiled_expression(source)(**context)
        if isinstance(value, Undefined):
            # Say now why it is undefined, rather than fail later wherever the value is used.
            value._fail_with_undefined_error()
        return value


def _render_template(source: str, context: dict[str, Any], shell: bool) -> str:
    """Give a template's text: directly for plain `{{ value }}` parts, else compiled by Jinja."""
    tree = parse_template(source)
    with _user_code_errors():
        try:
            parts: list[str] = []
            quoting = shellwords.BARE
            for output in tree.body:
                if not isinstance(output, nodes.Output):
                    raise _NeedsCompiler
                for child in output.nodes:
                    if isinstance(child, nodes.TemplateData):
                        parts.append(child.data)
                        quoting = shellwords.quote_state_after(child.data, quoting)
                        continue
                    text = str(_evaluate_tree(child, context))
                    parts.append(shellwords.quote_in(text, quoting) if shell else text)
            return "".join(parts)
        except _NeedsCompiler:
            with bounded_evaluation():
                return _compiled_template(source, shell).render(**context)


def render(value: Any, context: dict[str, Any], *, shell: bool = False) -> Any:
    """Give `value` with every `{{ }}` filled in, in nested lists and mappings too.

    A string that is exactly one `{{ expression }}` keeps the expression's own type (a number,
    a date), so `{lastResetAt: "{{ now - days(30) }}"}` stores a date. In shell commands every
    substituted value is shell-quoted.
    """
    if isinstance(value, dict):
        return {k: render(v, context, shell=shell) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context, shell=shell) for v in value]
    if not isinstance(value, str) or not has_template(value):
        return value
    single = _SINGLE_EXPRESSION.match(value)
    if single and not shell and "}}" not in single.group(1) and "{%" not in value:
        return evaluate(single.group(1).strip(), context)
    return _render_template(value, context, shell)


def now() -> datetime:
    """Give the current time, timezone-aware in UTC, as `now` in expressions."""
    return datetime.now(timezone.utc)


def explain(source: str, context: dict[str, Any]) -> list[str]:
    """Give the values an expression read, as `result.status was 200`, for a failed check."""
    tree = parse_expression(source)
    parts: list[str] = []
    seen: set[str] = set()
    # A called method (`result.text.startswith`) says nothing useful; its receiver does.
    callees = {id(call.node) for call in tree.find_all(nodes.Call)}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if id(node) in callees:
            continue
        if isinstance(node, nodes.Name) and (node.name in HELPERS or node.name == "now"):
            continue
        text = _source_of(node)
        if text is None or text in seen or any(text in s and s != text for s in seen):
            continue
        seen.add(text)
        try:
            value = evaluate(text, context)
        except ExpressionError as error:
            parts.append(f"{text}: {error}")
            continue
        shown = repr(value)
        parts.append(f"{text} was {shown if len(shown) <= 200 else shown[:197] + '...'}")
    return parts


def _source_of(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        inner = _source_of(node.node)
        return f"{inner}.{node.attr}" if inner else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        inner = _source_of(node.node)
        return f"{inner}[{node.arg.value!r}]" if inner else None
    return None


def _secret_reference(tokens: list[tuple[str, str]]) -> str | None:
    """Give NAME when the tokens inside one `{{ }}` are just `secrets.NAME` or `secrets['NAME']`."""
    words = [(kind, value) for kind, value in tokens if kind != "whitespace"]
    if len(words) == 3 and words[0] == ("name", "secrets") and words[1] == ("operator", "."):
        return words[2][1] if words[2][0] == "name" else None
    if (
        len(words) == 4
        and words[0] == ("name", "secrets")
        and words[1] == ("operator", "[")
        and words[2][0] == "string"
        and words[3] == ("operator", "]")
    ):
        return words[2][1][1:-1]
    return None


def replace_secret_references(text: str, placeholder: Callable[[str], str]) -> str:
    """Give `text` with each `{{ secrets.NAME }}` part replaced by `placeholder(NAME)`.

    Read from Jinja's own tokens, so only a whole secret reference is replaced; text that does
    not tokenise back to itself (whitespace control, a syntax error) is given unchanged.
    """
    if "secrets" not in text or not has_template(text):
        return text
    try:
        tokens = [(kind, value) for _, kind, value in ENVIRONMENT.lex(text)]
    except TemplateSyntaxError:
        return text
    if "".join(value for _, value in tokens) != text:
        return text
    parts: list[str] = []
    inside: list[tuple[str, str]] | None = None
    for kind, value in tokens:
        if kind == "variable_begin":
            inside = []
        elif kind == "variable_end" and inside is not None:
            name = _secret_reference(inside)
            written = "{{" + "".join(v for _, v in inside) + "}}"
            parts.append(placeholder(name) if name else written)
            inside = None
        elif inside is not None:
            inside.append((kind, value))
        else:
            parts.append(value)
    return "".join(parts)
