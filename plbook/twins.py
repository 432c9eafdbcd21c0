"""A procedure's manual twins for one environment: each step's twin line and what to set first.

Read by the site (the page's environment tabs), `plbook show --twin` and the conformance test
alike. What a person supplies is a shell variable: inputs (`$EMAIL`), secrets (`$MONGODB_URI`,
never a value) and vars saved by earlier steps (`$CANCELED_IDS`, holding the value as JSON).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plbook import expr
from plbook.model import Environment, Procedure
from plbook.steps import StepBase
from plbook.steps.twin import (
    INPUTS,
    NOW,
    SECRETS,
    VARS,
    Placeholder,
    Twin,
    TwinContext,
    TwinJson,
    TwinRuntime,
    placeholders_in,
    shown,
)

_RESULT_FIELD = re.compile(r"\bresult\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Export:
    """One line of the "set these first" block: a variable the twins read, and what it holds."""

    variable: str
    line: str
    note: str


@dataclass(frozen=True)
class StepTwin:
    """One step's twin in one environment, with the action it resolves to."""

    step: StepBase
    action: str | None
    """The step's action with the environment's values filled in (None: they cannot be)."""
    twin: Twin | None
    spec: Any
    """The spec resolved for the environment, placeholders left (what `twin_result` reads)."""
    setters: dict[str, str] = field(default_factory=dict)
    """Var name to the line that keeps it for later twins (`export USER_ID=$(…)`)."""


@dataclass(frozen=True)
class ProcedureTwins:
    """The twins of a procedure's steps in one environment, and the exports they need."""

    environment: str
    exports: list[Export]
    steps: list[StepTwin]


def twin_context(procedure: Procedure, step: StepBase, values: Mapping[str, Any]) -> TwinContext:
    """Give what a kind's twin may know of a step: the environment, names, fields it reads."""
    read = " ".join(step.expectations + list(step.save.values()))
    return TwinContext(
        values=values,
        inputs=frozenset(procedure.inputs),
        secrets=frozenset(procedure.requires.secrets),
        result_fields=frozenset(_RESULT_FIELD.findall(read)),
    )


def step_twin(
    procedure: Procedure, step: StepBase, environment_name: str, environment: Environment
) -> StepTwin:
    """Give one step's twin in an environment (None for kinds that have none)."""
    kind = step.kind_contract
    runtime = TwinRuntime(environment_name, environment.values)
    context = twin_context(procedure, step, environment.values)
    try:
        resolved = kind.resolve(step.spec, runtime)
    except expr.ExpressionError:
        # A value this environment lacks, or one only a run knows (`now.strftime(...)`).
        return StepTwin(step, None, None, None)
    action = shown(kind.describe(resolved).action, context)
    twin = kind.twin(resolved, context)
    setters = _setters(step, kind.twin_json(resolved, context), context) if twin else {}
    return StepTwin(step, action, twin, resolved, setters)


def _setters(step: StepBase, printed: TwinJson | None, context: TwinContext) -> dict[str, str]:
    """Give the `export VAR=$(… | jq …)` line of each save the twin's JSON can answer."""
    if printed is None:
        return {}
    lines = {}
    for name, source in step.save.items():
        path = _jq_path(source, printed.fields)
        if path is not None:
            variable = context.variable(Placeholder(VARS, name))
            lines[name] = f"export {variable}=$({printed.command} | jq -c {shlex.quote(path)})"
    return lines


_PLAIN_PATH = re.compile(r"^result\.(\w+)((?:\.\w+|\[\d+\])*)$")
_MAPPED_PATH = re.compile(
    r"""^result\.(\w+)((?:\.\w+)*) \| map\(attribute=["'](\w+)["']\) \| list$"""
)


def _jq_path(source: str, fields: Mapping[str, str]) -> str | None:
    """Give the jq filter of a save expression over the twin's JSON, when it is a plain path."""
    expression = source.strip()
    plain, mapped = _PLAIN_PATH.match(expression), _MAPPED_PATH.match(expression)
    found = plain or mapped
    if found is None or found.group(1) not in fields:
        return None
    prefix = fields[found.group(1)].rstrip(".")
    path = prefix + found.group(2)
    if mapped:
        return f"[{path or '.'}[].{mapped.group(3)}]"
    return path or "."


def procedure_twins(
    procedure: Procedure, environment_name: str, environment: Environment
) -> ProcedureTwins:
    """Give every step's twin in an environment and the exports they read, in order."""
    steps = [step_twin(procedure, step, environment_name, environment) for step in procedure.steps]
    return ProcedureTwins(environment_name, _exports(procedure, steps), steps)


def _exports(procedure: Procedure, steps: list[StepTwin]) -> list[Export]:
    """Give the lines that set what the twins read: inputs, secrets (checked only) and vars."""
    used: dict[str, Placeholder] = {}
    kept = {name for twin in steps for name in twin.setters}
    for twin in steps:
        if twin.twin is None or twin.spec is None:
            continue
        context = twin_context(procedure, twin.step, {})
        for placeholder in placeholders_in(twin.spec.model_dump(by_alias=True)):
            if placeholder.source != NOW and not (
                placeholder.source == VARS and placeholder.name in kept
            ):
                used.setdefault(context.variable(placeholder), placeholder)
    order = {INPUTS: 0, SECRETS: 1, VARS: 2}
    ordered = sorted(used.items(), key=lambda item: (order[item[1].source], item[0]))
    return [_export(procedure, variable, placeholder) for variable, placeholder in ordered]


def _export(procedure: Procedure, variable: str, placeholder: Placeholder) -> Export:
    name = placeholder.name
    if placeholder.source == SECRETS:
        line = f': "${{{variable}:?export {variable} first}}"'
        return Export(variable, line, "secret: set it in your shell, never on a page")
    if placeholder.source == INPUTS:
        declared = procedure.inputs.get(name)
        value = None if declared is None else (declared.example or declared.default)
        shown_value = shlex.quote(str(value)) if value is not None else "''"
        what = declared.description if declared is not None else ""
        note = f"input {name}" + (f": {what}" if what else "")
        return Export(variable, f"export {variable}={shown_value}", note)
    return Export(variable, f"export {variable}=''", _var_note(procedure, name))


def _var_note(procedure: Procedure, name: str) -> str:
    """Give where a saved var comes from: the step that saves it, and the expression."""
    for step in procedure.steps:
        if name in step.save:
            return f"vars.{name} as JSON: `{step.save[name]}` of step {step.id}"
    return f"vars.{name} as JSON"


def export_text(exports: list[Export]) -> str:
    """Give the "set these first" lines, each with what it holds."""
    return "\n".join(f"{export.line}  # {export.note}" for export in exports)


def twin_text(twins: ProcedureTwins) -> str:
    """Give what `plbook show ID --env NAME --twin` prints: exports, then each step's line."""
    out = [f"# {twins.environment}: set these first", export_text(twins.exports) or "# (nothing)"]
    for number, twin in enumerate(twins.steps, 1):
        if twin.twin is None:
            continue
        out += ["", f"# {number}. {twin.step.title} (#{twin.step.id})"]
        if twin.twin.not_exact:
            out.append(f"# not exact: {twin.twin.not_exact}")
        out.append(twin.twin.command)
        out += [
            f"# keeps vars.{name} for later steps\n{line}" for name, line in twin.setters.items()
        ]
    return "\n".join(out) + "\n"
