"""The Jinja2 sandbox behind `expr`, bounded: what an expression builds, how long it runs, what
it may change.

A procedure's expressions run on the on-call engineer's machine, so a typo or a hostile file must
not take it down: no value an expression builds may exceed MAX_SIZE characters or items, one
evaluation may build at most MAX_BUILT in all, may run for at most TIME_LIMIT seconds, and may not
change the values it reads (`(secrets or {}).update(...)` is refused, as is any change to a list,
dict or set). Sizes are checked before the work where the work is one big step (`'a' * 10**10`,
`10 ** 10**9`, a width of a billion in a format), and after it otherwise.
"""

from __future__ import annotations

import functools
import math
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from copy import copy
from typing import Any

from jinja2 import Environment, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SIZE = 16 * 1024 * 1024
"""Most characters (of a text) or items (of a list, counted deeply) in one value built."""

MAX_BUILT = 8 * MAX_SIZE
"""Most characters and items one evaluation may build in all."""

MAX_INT_BITS = 1_000_000
"""Largest whole number an expression may build (about 300,000 digits)."""

TIME_LIMIT = 1.0
"""Seconds one evaluation may take."""

_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
# A width or precision inside a printf-style conversion (`%0999d`, `%.5f`, `%*d`).
_PRINTF_NUMBERS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%]?)")
_DIGITS = re.compile(r"\d+")


class TooCostly(Exception):
    """An expression that would build too much or run too long; the message says which."""


_state = threading.local()


@contextmanager
def bounded_evaluation() -> Iterator[None]:
    """Give a block in which expressions share one time limit and one building budget."""
    if getattr(_state, "deadline", None) is not None:
        yield  # a nested evaluation (a macro, a filter's callback) counts against the outer one
        return
    _state.deadline = time.monotonic() + TIME_LIMIT
    _state.built = 0
    try:
        yield
    finally:
        _state.deadline = None


def check_time() -> None:
    """Raise TooCostly when the current evaluation has run past its time limit."""
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise TooCostly(
            f"the expression ran for more than {TIME_LIMIT:g} s (loops too large?); "
            "check fewer or smaller values"
        )


def weight(value: Any, budget: int = MAX_SIZE) -> int:
    """Give the characters and items in `value`, counted deeply; stops counting past `budget`."""
    total = 0
    pending = [value]
    while pending and total <= budget:
        item = pending.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            pending.extend(item)
    return total


def _too_large(size: float) -> TooCostly:
    return TooCostly(
        f"the expression would build a value of {size:,.0f} characters or items, more than "
        f"the {MAX_SIZE:,} allowed; work on a smaller part of the data"
    )


def _too_many_bits() -> TooCostly:
    return TooCostly(
        f"the expression would build a number of more than {MAX_INT_BITS:,} bits; "
        "use smaller numbers"
    )


def counted(value: Any) -> Any:
    """Give `value`, once checked against MAX_SIZE and added to the evaluation's budget."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise _too_many_bits()
        return value
    if not isinstance(value, _SIZED):
        return value
    size = weight(value)
    if size > MAX_SIZE:
        raise _too_large(size)
    if getattr(_state, "deadline", None) is not None:
        _state.built += size
        if _state.built > MAX_BUILT:
            raise TooCostly(
                f"the expression built more than {MAX_BUILT:,} characters or items in all; "
                "work on a smaller part of the data"
            )
    return value


def _refuse_large_numbers(arguments: Iterable[Any]) -> None:
    """Refuse a width, count or repeat past MAX_SIZE before the work it would ask for."""
    for argument in arguments:
        if isinstance(argument, int) and not isinstance(argument, bool) and argument > MAX_SIZE:
            raise _too_large(argument)


def _check_repeat(left: Any, right: Any) -> None:
    """Refuse `sequence * count` and `number * number` results past the limits, before them."""
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise _too_many_bits()
        return
    sequence, count = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(sequence, _SIZED) and isinstance(count, int) and count > 0:
        size = weight(sequence, MAX_SIZE // count) * count
        if size > MAX_SIZE:
            raise _too_large(size)


def _check_power(base: Any, exponent: Any) -> None:
    """Refuse `base ** exponent` on whole numbers when the result would pass MAX_INT_BITS."""
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0:
        return
    if abs(base) > 1 and exponent * math.log2(abs(base)) > MAX_INT_BITS:
        raise _too_many_bits()


def _check_printf(text: Any, arguments: Any) -> None:
    """Refuse `text % arguments` when a width or precision would pass MAX_SIZE."""
    if not isinstance(text, str):
        return
    given = arguments if isinstance(arguments, tuple) else (arguments,)
    position = 0  # the argument the next conversion takes
    for width, precision, conversion in _PRINTF_NUMBERS.findall(text):
        for number in (width, precision):
            if number == "*" and position < len(given):
                _refuse_large_numbers(given[position : position + 1])
                position += 1
            elif number.isdigit() and int(number) > MAX_SIZE:
                raise _too_large(int(number))
        position += conversion != "%"


def _check_format(text: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse `text.format(...)` when a width or precision would pass MAX_SIZE."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format itself says what is wrong
    for _, _, spec, _ in fields:
        for number in _DIGITS.findall(spec or ""):
            if int(number) > MAX_SIZE:
                raise _too_large(int(number))
        if spec and "{" in spec:
            _refuse_large_numbers([*args, *kwargs.values()])


def _check_str_method(method: Any, args: tuple[Any, ...]) -> None:
    """Refuse the text methods whose result can be far longer than their inputs, before them."""
    text = getattr(method, "__self__", None)
    if not isinstance(text, str) or not args:
        return
    name = getattr(method, "__name__", "")
    if name in ("ljust", "rjust", "center", "zfill"):
        _refuse_large_numbers(args[:1])
        return
    if name == "replace" and isinstance(args[0], str) and len(args) > 1:
        old, new = args[0], args[1]
        found = len(text) + 1 if not old else text.count(old)
        size = len(text) + found * (len(str(new)) - len(old))
    elif name == "expandtabs" and isinstance(args[0], int):
        size = len(text) + text.count("\t") * args[0]
    elif name == "join" and isinstance(args[0], (list, tuple)):
        size = weight(args[0]) + len(text) * len(args[0])
    else:
        return
    if size > MAX_SIZE:
        raise _too_large(size)


def _bounded_iteration(iterable: Any) -> Iterator[Any]:
    """Give the items of a `{% for %}` loop, stopping the loop at the time limit."""
    for item in iterable:
        check_time()
        yield item


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Give a filter that keeps to the limits: checked before where it can be, after always."""

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        check_time()
        # The value and the arguments, without the context Jinja passes to some filters.
        values = [a for a in args if not isinstance(a, (Context, EvalContext, Environment))]
        if name in _SIZING_FILTERS:
            _refuse_large_numbers([*values[1:], *kwargs.values()])
        if values and isinstance(values[0], str):
            _check_text_filter(name, values[0], values[1:], kwargs)
        if name == "join" and values and isinstance(values[0], (list, tuple)):
            separator = values[1] if len(values) > 1 else kwargs.get("d", "")
            _check_str_method(str(separator).join, (values[0],))
        return counted(function(*args, **kwargs))

    return bounded


_SIZING_FILTERS = frozenset({"center", "indent", "batch", "slice", "wordwrap", "truncate"})


def _check_text_filter(name: str, text: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Refuse the text filters whose result can be far longer than their inputs, before them."""
    if name == "indent":
        width = kwargs.get("width", args[0] if args else 4)
        pad = len(width) if isinstance(width, str) else int(width)
        size = len(text) + (text.count("\n") + 1) * pad
        if size > MAX_SIZE:
            raise _too_large(size)
    elif name == "format":
        _check_printf(text, tuple(args) or kwargs)
    elif name == "replace" and len(args) >= 2:
        _check_str_method(text.replace, (args[0], args[1]))


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles templates whose loops watch the clock and whose `~` joins count what they build."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        bounded = copy(node)
        bounded.iter = nodes.Call(
            nodes.EnvironmentAttribute("bounded_iteration"), [node.iter], [], None, None
        )
        super().visit_For(bounded, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.counted(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox that keeps every evaluation within MAX_SIZE, MAX_BUILT and TIME_LIMIT."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    bounded_iteration = staticmethod(_bounded_iteration)
    counted = staticmethod(counted)

    def __init__(self, **options: Any) -> None:
        finalize = options.pop("finalize", None)
        super().__init__(finalize=self._finalize_output(finalize), **options)
        # Lorem ipsum has no place in a runbook, and `lipsum(n=10**6)` builds half a gigabyte.
        del self.globals["lipsum"]
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    @staticmethod
    def _finalize_output(then: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        """Give the function each `{{ }}` output passes through: counted, then `then`."""

        def finalize(value: Any) -> Any:
            counted(value)
            return then(value) if then else value

        return finalize

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Give `left operator right`, refusing results past the limits before building them."""
        check_time()
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%":
            _check_printf(left, right)
        return counted(self.binop_table[operator](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Give the result of a call from an expression, within the limits."""
        check_time()
        _check_str_method(__obj, args)
        return counted(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Give `str.format` / `format_map` refusing widths past MAX_SIZE, as the sandbox's."""
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        text = value.__self__

        @functools.wraps(formatter)
        def bounded(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if value.__name__ == "format_map" and args else kwargs
            _check_format(text, args, dict(mapping) if isinstance(mapping, dict) else {})
            return counted(formatter(*args, **kwargs))

        return bounded
