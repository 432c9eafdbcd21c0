"""The manual twin's values: a step resolved for one environment, what a person supplies left open.

A twin is resolved like a run, with the chosen environment's values filled in, but inputs,
secrets, saved vars and `now` become placeholders: `str` subclasses whose text is a marker,
so they pass the kinds' spec models and survive inside longer strings. Each kind then writes
a placeholder in its own tool's syntax (`$EMAIL` for curl, `process.env.EMAIL` in mongosh).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from plbook import expr

INPUTS, SECRETS, VARS, NOW = "inputs", "secrets", "vars", "now"
_MARKER = re.compile(r"\x1b(inputs|secrets|vars|now):([A-Za-z0-9_]*):(-?[0-9.]+)\x1b")
_SHELL_QUOTED_MARKER = re.compile("'(" + _MARKER.pattern + ")'")


class Placeholder(str):
    """A value the person supplies: an input, a secret, a saved var, or `now` plus an offset."""

    source: str
    name: str
    offset: float
    """Seconds added to `now`."""

    def __new__(cls, source: str, name: str = "", offset: float = 0.0) -> Placeholder:
        made = super().__new__(cls, f"\x1b{source}:{name}:{offset:.3f}\x1b")
        made.source, made.name, made.offset = source, name, offset
        return made

    def __add__(self, other: Any) -> Any:
        if self.source == NOW and isinstance(other, timedelta):
            return Placeholder(NOW, "", self.offset + other.total_seconds())
        return str(self) + other

    def __sub__(self, other: Any) -> Placeholder:
        if self.source == NOW and isinstance(other, timedelta):
            return Placeholder(NOW, "", self.offset - other.total_seconds())
        return NotImplemented


class _Names(dict[str, Placeholder]):
    """Every `inputs.NAME` (or `secrets.`, `vars.`) is a placeholder for NAME."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def __missing__(self, name: str) -> Placeholder:
        return Placeholder(self.source, name)


def parts(text: str) -> Iterator[str | Placeholder]:
    """Give a text as its literal pieces and the placeholders between them, in order."""
    position = 0
    for match in _MARKER.finditer(text):
        if match.start() > position:
            yield text[position : match.start()]
        yield Placeholder(match.group(1), match.group(2), float(match.group(3)))
        position = match.end()
    if position < len(text):
        yield text[position:]


def whole(value: Any) -> Placeholder | None:
    """Give the placeholder a value is exactly (a typed value), else None."""
    if not isinstance(value, str):
        return None
    pieces = list(parts(value))
    return pieces[0] if len(pieces) == 1 and isinstance(pieces[0], Placeholder) else None


def placeholders_in(value: Any) -> Iterator[Placeholder]:
    """Give every placeholder in a value, nested lists and mappings too."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from placeholders_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from placeholders_in(item)
    elif isinstance(value, str):
        yield from (piece for piece in parts(value) if isinstance(piece, Placeholder))


@dataclass(frozen=True)
class Twin:
    """A step's manual twin for one environment: the command line, and why it is not exact."""

    command: str
    not_exact: str | None = None
    """Why the line cannot do exactly what the step does (None: it is exact)."""


@dataclass(frozen=True)
class TwinJson:
    """A twin that prints its answer as JSON, for shell lines that keep part of it (`jq`)."""

    command: str
    fields: Mapping[str, str]
    """Each `result` field it prints, with the jq path to it in the printed JSON (`.data`)."""


@dataclass(frozen=True)
class TwinContext:
    """What a kind's twin may know besides its resolved spec: the environment and the step."""

    values: Mapping[str, Any] = field(default_factory=dict)
    """The chosen environment's values."""
    inputs: frozenset[str] = frozenset()
    """The procedure's input names (a var named like one gets its own variable)."""
    secrets: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset()
    """The `result` fields the step's expectations and saves read (`elapsed_ms`)."""

    def variable(self, placeholder: Placeholder) -> str:
        """Give the shell variable a placeholder is read from (`inputs.email` -> `EMAIL`)."""
        if placeholder.source == SECRETS:
            return placeholder.name
        name = placeholder.name.upper()
        if placeholder.source == VARS and (placeholder.name in self.inputs or name in self.secrets):
            return "VAR_" + name  # a var named like an input keeps its own variable
        return name


class TwinRuntime:
    """A step runtime that resolves for the page: the environment's values, placeholders else."""

    timeout = 30.0
    output_limit = 0
    """Nothing runs, so nothing is kept."""

    def __init__(self, environment_name: str, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.names: dict[str, Any] = {
            "result": None,
            INPUTS: _Names(INPUTS),
            VARS: _Names(VARS),
            SECRETS: _Names(SECRETS),
            "env": {**values, "name": environment_name},
            NOW: Placeholder(NOW),
        }

    @property
    def deadline(self) -> float:
        """Give no deadline: nothing runs."""
        return float("inf")

    def remaining(self) -> float:
        """Give the whole timeout: nothing runs."""
        return self.timeout

    def render(
        self, value: Any, *, shell: bool = False, overrides: Mapping[str, Any] | None = None
    ) -> Any:
        """Give `value` with the environment's values filled in and placeholders for the rest."""
        return expr.render(value, {**self.names, **(overrides or {})}, shell=shell)

    def input_values(self) -> Mapping[str, Any]:
        """Give no input values: an input stays a shell variable the person sets (curl encodes)."""
        return {}

    def holds_secret(self, text: str) -> bool:
        """Tell no: a twin holds no secret value, only the names of secrets."""
        return False

    def env_value(self, name: str) -> Any:
        """Give the environment's value `name`."""
        return self.values.get(name)

    def secret(self, name: str) -> str | None:
        """Give the placeholder of a secret: its value is never written down."""
        return Placeholder(SECRETS, name)

    def resource(self, key: Any, open_resource: Callable[[], Any]) -> Any:
        """Refuse: a twin opens nothing."""
        raise RuntimeError("a twin is resolved without opening any client")

    def subprocess_environment(self) -> dict[str, str]:
        """Give no environment: a twin starts nothing."""
        return {}

    def ask_manual(self, instruction: str) -> str:
        """Refuse: a twin asks nobody."""
        raise RuntimeError("a twin is resolved without asking")

    def show_message(self, text: str) -> None:
        """Refuse: a twin shows nothing."""
        raise RuntimeError("a twin is resolved without showing messages")

    def evidence_path(self, name: str) -> Path:
        """Refuse: a twin keeps no evidence."""
        raise RuntimeError("a twin is resolved without keeping evidence")

    def show_output(self, line: str) -> None:
        """Refuse: a twin prints nothing."""
        raise RuntimeError("a twin is resolved without running anything")

    def run_procedure(self, procedure_id: str, inputs: dict[str, Any]) -> bool:
        """Refuse: a twin runs nothing."""
        raise RuntimeError("a twin is resolved without running procedures")


def shell_word(text: str, names: TwinContext, var_text: Callable[[str], str] | None = None) -> str:
    """Give `text` as one bash word in which only its placeholders expand (`"Bearer $TOKEN"`).

    A var holds JSON; `var_text` gives how a var is written where its text is wanted.
    """
    pieces = list(parts(text))
    if not any(isinstance(piece, Placeholder) for piece in pieces):
        return shlex.quote(text)
    out = []
    for piece in pieces:
        if isinstance(piece, Placeholder):
            variable = names.variable(piece)
            if piece.source == VARS:
                out.append(var_text(variable) if var_text else f'$(jq -r . <<<"${variable}")')
            else:
                out.append("${" + variable + "}")
        else:
            out.append(re.sub(r'(["\\`$])', r"\\\1", piece))
    return '"' + "".join(out) + '"'


def shown(text: str, names: TwinContext) -> str:
    """Give a text for reading, each placeholder as its `$VARIABLE` (and `now` as `now`).

    A placeholder a shell command quoted (`'$EMAIL'`) is written `"$EMAIL"`, so that it expands.
    """
    text = text.replace("\\u001b", "\x1b")  # a marker inside JSON the action shows
    text = _SHELL_QUOTED_MARKER.sub(lambda match: f'"{match.group(1)}"', text)
    out = []
    for piece in parts(text):
        if isinstance(piece, Placeholder):
            if piece.source == NOW:
                out.append("now" + (f" {piece.offset:+g}s" if piece.offset else ""))
            else:
                out.append("$" + names.variable(piece))
        else:
            out.append(piece)
    return "".join(out)
