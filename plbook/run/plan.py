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
from plbook.references import names_read, secrets_used
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
    missing_inputs: list[str] = field(default_factory=list)
    """Required inputs not given: asked for in a terminal when a step needs them."""
    missing_problems: list[str] = field(default_factory=list)
    """What to say of the missing inputs where nobody can be asked."""
    checked_steps: list[StepBase] = field(default_factory=list)
    """The steps that may run: those selected and every step of what they call."""
    tools: set[str] = field(default_factory=set)
    """The tools the steps that may run need on PATH."""


def make_plan(
    catalog: Catalog,
    procedure_id: str,
    options: RunOptions,
    resumed: list[dict[str, Any]] | None,
) -> Plan:
    """Give the plan of a run of `procedure_id` (or of the resumed run's procedure)."""
    if resumed is not None:
        procedure_id = resumed_procedure(resumed, procedure_id)
        check_resume_call(resumed, options)
    procedure = catalog.get(procedure_id)
    first = resumed[0] if resumed else None
    name, environment = choose_environment(catalog, options.environment or _recorded_env(first))
    if resumed is not None:
        steps = resume_plan(procedure, resumed)
    else:
        steps = select_steps(procedure, options.from_step, options.only_step)
    partial = len(steps) < len(procedure.steps)
    given = {**(run_from_events(resumed).inputs if resumed else {}), **options.inputs}
    needed = names_read(steps, "inputs") if partial else None
    inputs, problems = check_inputs(procedure, given, needed)
    input_problems = check_inputs(procedure, given, set())[1]
    callees = [catalog.get(c) for s in steps if (c := s.called_procedure) in catalog.procedures]
    called = [procedure] + [p for c in callees for p in called_procedures(catalog, c)]
    called = list({p.id: p for p in called}.values())
    checked = steps + [step for p in called[1:] for step in p.steps]
    return Plan(
        procedure=procedure,
        steps=steps,
        environment_name=name,
        environment=environment,
        inputs=inputs,
        input_problems=input_problems,
        called=called,
        secrets=_secrets_of(procedure, called[1:], checked, partial),
        resumed=resumed,
        vars=restored_vars(resumed) if resumed else {},
        missing_inputs=missing_inputs(procedure, given, needed),
        missing_problems=[p for p in problems if p not in input_problems],
        checked_steps=checked,
        tools=_tools_of(procedure, called[1:], steps, partial),
    )


def _secrets_of(
    procedure: Procedure, callees: list[Procedure], steps: list[StepBase], partial: bool
) -> set[str]:
    """Give the secrets the steps that may run read or imply, and those their procedures declare."""
    declared = set() if partial else set(procedure.requires.secrets)
    return declared | needed_secrets(callees) | secrets_used(steps)


def _tools_of(
    procedure: Procedure, callees: list[Procedure], steps: list[StepBase], partial: bool
) -> set[str]:
    """Give the tools needed on PATH: all the procedure's, or those the selected steps name."""
    tools = {tool for callee in callees for tool in callee.requires.tools}
    if not partial:
        return tools | set(procedure.requires.tools)
    actions = " ".join(step.kind_contract.action_line(step.spec) for step in steps)
    words = set(re.findall(r"[\w.-]+", actions))
    return tools | {tool for tool in procedure.requires.tools if tool in words}


def check_resume_call(events: list[dict[str, Any]], options: RunOptions) -> None:
    """Refuse what a resume cannot honour: another step selection or another environment."""
    run_id, recorded = events[0]["run_id"], events[0]["environment"]
    for flag, chosen in (("--from", options.from_step), ("--only", options.only_step)):
        if chosen is not None:
            raise PlbookError(
                f"--resume {run_id} continues at its first unfinished step, so {flag} does not "
                f"apply; start a new run with {flag} {chosen} instead"
            )
    if options.environment is not None and options.environment != recorded:
        raise PlbookError(
            f"--resume {run_id}: that run is against {recorded}, not {options.environment}; "
            f"resume it with --env {recorded} (or leave --env out), or start a new run"
        )


def missing_inputs(
    procedure: Procedure, given: dict[str, Any], needed: set[str] | None = None
) -> list[str]:
    """Give the required inputs without a value that the steps to run need."""
    return [
        name
        for name, declared in procedure.inputs.items()
        if declared.required
        and declared.default is None
        and name not in given
        and (needed is None or name in needed)
    ]


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


def check_inputs(
    procedure: Procedure, given: dict[str, Any], needed: set[str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Give the inputs with defaults applied, and what is wrong with the given ones.

    A required input is missing only if `needed` (the inputs the steps to run read) names it.
    """
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
        elif declared.required and (needed is None or name in needed):
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
