"""The "At a glance" block under a procedure's title: the command, what it needs, what pass means.

An engineer paged at 3 a.m. reads this and nothing else before acting, so it names the run line
per environment, the inputs and secrets to have at hand, how many steps change a live system and
the first move when the run fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from plbook.model import EnvironmentsFile, Procedure

ENVIRONMENT_ORDER = ("sandbox", "staging", "production")
"""Tab order: the safe place to try first, the live one last."""


@dataclass(frozen=True)
class FirstMove:
    """What the page says to do first when the run fails."""

    step_number: int
    step_id: str
    step_title: str
    hint: str | None
    runs: list[str]
    """The procedures its failure names (a conditional `run` names several, first match wins)."""


@dataclass(frozen=True)
class Glance:
    """What the block shows."""

    run_lines: dict[str, str]
    """Environment name to its `plbook run ... --env NAME` line, sandbox first."""
    inputs: dict[str, str]
    """Required input name to its description."""
    automated: int
    manual: int
    destructive: int
    first_move: FirstMove | None


def environment_names(environments: EnvironmentsFile | None) -> list[str]:
    """Give the environments in tab order: sandbox, staging, production, then the rest by name."""
    if environments is None:
        return []
    names = list(environments.environments)
    known = [name for name in ENVIRONMENT_ORDER if name in names]
    return known + sorted(name for name in names if name not in known)


def at_a_glance(
    procedure: Procedure, environments: EnvironmentsFile | None, run_line: str
) -> Glance:
    """Give the at-a-glance facts of a procedure; `run_line` is its line without `--env`."""
    names = environment_names(environments) or [""]
    # A person's steps are the ones their kind shows as a checklist item to tick.
    manual = sum(1 for step in procedure.steps if step.kind_contract.describe(step.spec).checklist)
    return Glance(
        run_lines={name: _with_environment(run_line, name) for name in names},
        inputs={name: spec.description for name, spec in procedure.inputs.items() if spec.required},
        automated=len(procedure.steps) - manual,
        manual=manual,
        destructive=sum(1 for step in procedure.steps if step.destructive),
        first_move=_first_move(procedure),
    )


def _with_environment(run_line: str, name: str) -> str:
    """Give `plbook run ID --env NAME ...`: the environment right after the id, before inputs."""
    if not name:
        return run_line
    words = run_line.split(" ", 3)
    return " ".join([*words[:3], "--env", name, *words[3:]])


def _first_move(procedure: Procedure) -> FirstMove | None:
    for number, step in enumerate(procedure.steps, 1):
        if step.on_failure.hint or step.on_failure.run:
            runs = [choice.run for choice in step.on_failure.choices]
            return FirstMove(number, step.id, step.title, step.on_failure.hint, runs)
    return None
