"""Before step 1: what makes a call impossible, and what the environment lacks to run it."""

from __future__ import annotations

import shutil

from plbook.model import Environment, Procedure
from plbook.run.options import RunOptions
from plbook.steps import StepBase


def call_problems(
    procedures: list[Procedure],
    steps: list[StepBase],
    environment: Environment,
    options: RunOptions,
    environment_name: str = "",
) -> list[str]:
    """Give what makes this call impossible to run as given (a flag it needs, a terminal)."""
    problems: list[str] = []
    unattended = not options.interactive and not options.yes
    if not options.interactive and environment.confirm:
        problems += _unattended_confirm_problems(procedures, steps, options, environment_name)
    if unattended:
        destructive = [
            f"{p.id}#{s.id}"
            for p in procedures
            for s in p.steps
            if s.destructive and (p is not procedures[0] or s in steps)
        ]
        if destructive:
            problems.append(
                f"destructive steps need --yes without a terminal: {', '.join(destructive)}"
            )
    if options.manual_policy == "ask" and not options.interactive:
        problems.append("--manual ask needs a terminal; use --manual skip or --manual fail")
    return problems


def _unattended_confirm_problems(
    procedures: list[Procedure], steps: list[StepBase], options: RunOptions, name: str
) -> list[str]:
    """Give what a run without a terminal lacks against an environment that asks to confirm."""
    if not options.yes:
        return [
            "this environment asks for confirmation; without a terminal, add --yes "
            f"--confirm-env {name or 'NAME'}"
        ]
    problems: list[str] = []
    if options.confirm_env != name:
        given = f" (given: {options.confirm_env})" if options.confirm_env else ""
        problems.append(
            f"{name} asks for confirmation: without a terminal, --yes needs --confirm-env "
            f"{name} too{given}"
        )
    manual = [
        f"{p.id}#{s.id}"
        for p in procedures
        for s in p.steps
        if s.kind_contract.asks_a_person and (p is not procedures[0] or s in steps)
    ]
    if manual and options.manual is None:
        problems.append(
            f"--yes does not answer manual steps against {name}: add --manual skip or "
            f"--manual fail ({', '.join(manual)})"
        )
    return problems


def readiness_problems(
    tools: set[str],
    steps: list[StepBase],
    wanted_secrets: set[str],
    secrets: dict[str, str],
    environment_values: dict[str, object],
    path: str,
) -> list[str]:
    """Give the tools missing from PATH, the secrets without a value, and what kinds lack."""
    problems: list[str] = []
    for tool in sorted(tools):
        if shutil.which(tool, path=path) is None:
            problems.append(f"tool '{tool}' is not on PATH; install it before running")
    for name in sorted(wanted_secrets - set(secrets)):
        problems.append(
            f"secret {name} is not set; export {name}=... "
            "(it is read from the environment variable)"
        )
    for step in steps:
        problems.extend(step.kind_contract.readiness_problems(step.spec, environment_values))
    return list(dict.fromkeys(problems))
