"""What a run will do, decided before it starts: steps, inputs, called procedures, secrets.

Pure functions of the catalog, the procedure, the call and the journal of a resumed run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plbook.catalog import Catalog
from plbook.errors import PlbookError, did_you_mean
from plbook.model import Environment, Procedure
from plbook.records import run_from_events
from plbook.references import secrets_used
from plbook.run.options import RunOptions
from plbook.steps import StepBase


@dataclass
class Plan:
    """A run decided: the procedure, its steps to run, where, with what, and what it calls."""

    procedure: Procedure
    steps: list[StepBase]
    environment_name: str
    environment: Environment
    inputs: dict[str, Any]
    input_problems: list[str]
    called: list[Procedure]
    secrets: set[str]
    """The secrets the run and what it calls declare, read or imply."""
    resumed: list[dict[str, Any]] | None = None
    vars: dict[str, Any] = field(default_factory=dict)


def make_plan(
    catalog: Catalog,
    procedure_id: str,
    options: RunOptions,
    resumed: list[dict[str, Any]] | None,
) -> Plan:
    """Give the plan of a run of `procedure_id` (or of the resumed run's procedure)."""
    if resumed is not None:
        procedure_id = resumed_procedure(resumed, procedure_id)
    procedure = catalog.get(procedure_id)
    first = resumed[0] if resumed else None
    name, environment = choose_environment(catalog, options.environment or _recorded_env(first))
    given = {**(first["inputs"] if first else {}), **options.inputs}
    inputs, input_problems = check_inputs(procedure, given)
    if resumed is not None:
        steps = resume_plan(procedure, resumed)
    else:
        steps = select_steps(procedure, options.from_step, options.only_step)
    called = called_procedures(catalog, procedure)
    return Plan(
        procedure=procedure,
        steps=steps,
        environment_name=name,
        environment=environment,
        inputs=inputs,
        input_problems=input_problems,
        called=called,
        secrets=needed_secrets(called),
        resumed=resumed,
        vars=restored_vars(resumed) if resumed else {},
    )


def _recorded_env(first: dict[str, Any] | None) -> str | None:
    return first["environment"] if first else None


def choose_environment(catalog: Catalog, name: str | None) -> tuple[str, Environment]:
    """Give the environment a run uses: the one asked for, else the file's default."""
    environments = catalog.environments
    if environments is None:
        raise PlbookError("no environments.yaml beside the procedures; `plbook run` needs one")
    chosen = name or environments.default
    if chosen not in environments.environments:
        raise PlbookError(
            f"no environment '{chosen}'; choose one of: {', '.join(environments.environments)}"
        )
    return chosen, environments.environments[chosen]


def check_inputs(procedure: Procedure, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Give the inputs with defaults applied, and what is wrong with the given ones."""
    problems: list[str] = []
    for name in given:
        if name not in procedure.inputs:
            hint = did_you_mean(name, procedure.inputs) or (
                f"it takes: {', '.join(procedure.inputs) or 'none'}"
            )
            problems.append(f"--input {name}: '{procedure.id}' has no input '{name}'; {hint}")
    inputs: dict[str, Any] = {}
    for name, declared in procedure.inputs.items():
        if name in given:
            value = given[name]
            # The whole value: `$` alone would let a trailing newline through.
            if declared.pattern and not re.fullmatch(declared.pattern, str(value)):
                shown = value if str(value).isprintable() else repr(str(value))
                problems.append(f"--input {name}={shown}: does not match {declared.pattern}")
            inputs[name] = value
        elif declared.default is not None:
            inputs[name] = declared.default
        elif declared.required:
            example = declared.example or "VALUE"
            problems.append(
                f"missing input '{name}' ({declared.description or 'required'}); "
                f"add --input {name}={example}"
            )
    return inputs, problems


def select_steps(
    procedure: Procedure, from_step: str | None, only_step: str | None
) -> list[StepBase]:
    """Give the steps `--from` or `--only` choose, or all of them."""
    ids = [step.id for step in procedure.steps]
    for flag, chosen in (("--from", from_step), ("--only", only_step)):
        if chosen is not None and chosen not in ids:
            hint = did_you_mean(chosen, ids) or f"its steps: {', '.join(ids)}"
            raise PlbookError(f"{flag} {chosen}: '{procedure.id}' has no step '{chosen}'; {hint}")
    if only_step:
        return [procedure.step(only_step)]
    if from_step:
        return list(procedure.steps[ids.index(from_step) :])
    return list(procedure.steps)


def resumed_procedure(events: list[dict[str, Any]], procedure_id: str) -> str:
    """Give the procedure of a resumed run, or a user error when another one was asked for."""
    if not events or events[0].get("event") != "run-started":
        raise PlbookError("--resume: that journal has no run-started event; start a new run")
    recorded = str(events[0]["procedure"])
    if procedure_id != recorded:
        raise PlbookError(
            f"--resume {events[0]['run_id']}: that run is of '{recorded}', "
            f"not '{procedure_id}'; run `plbook run {recorded} --resume ...`"
        )
    return recorded


def resume_plan(procedure: Procedure, events: list[dict[str, Any]]) -> list[StepBase]:
    """Give the planned steps from the first one that did not pass or skip."""
    run_id = events[0]["run_id"]
    done = {s.path for s in run_from_events(events).steps if s.status in ("passed", "skipped")}
    ids = {step.id for step in procedure.steps}
    planned = [str(p["path"]) for p in events[0]["plan"]]
    renamed = [path for path in planned if path not in ids]
    if renamed:
        raise PlbookError(
            f"--resume {run_id}: '{procedure.id}' no longer has step "
            f"{', '.join(repr(p) for p in renamed)} (renamed or removed since that run); "
            f"start a new run with `plbook run {procedure.id}`"
        )
    for index, path in enumerate(planned):
        if path not in done:
            return [procedure.step(p) for p in planned[index:]]
    raise PlbookError(f"--resume {run_id}: every step of that run already passed")


def restored_vars(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Give the vars saved by the top-level steps that passed in a resumed run."""
    restored: dict[str, Any] = {}
    for event in events:
        if (
            event["event"] == "step-finished"
            and "/" not in event["path"]
            and event["status"] == "passed"
        ):
            restored.update(event.get("saved", {}))
    return restored


def called_procedures(catalog: Catalog, procedure: Procedure) -> list[Procedure]:
    """Give the procedure and every procedure it runs, directly or not, each once."""
    found: dict[str, Procedure] = {}
    pending = [procedure]
    while pending:
        current = pending.pop()
        if current.id in found:
            continue
        found[current.id] = current
        for step in current.steps:
            callee = step.called_procedure
            if callee is not None and callee in catalog.procedures:
                pending.append(catalog.get(callee))
    return list(found.values())


def needed_secrets(procedures: Iterable[Procedure]) -> set[str]:
    """Give the secrets the procedures declare, read, or imply through their steps' kinds."""
    chosen = list(procedures)
    declared = {name for p in chosen for name in p.requires.secrets}
    return declared | secrets_used(step for p in chosen for step in p.steps)


def planned_entry(step: StepBase, path: str) -> dict[str, Any]:
    """Give a step as the journal plans it."""
    return {
        "path": path,
        "id": step.id,
        "title": step.title,
        "kind": step.kind,
        "destructive": step.destructive,
    }
