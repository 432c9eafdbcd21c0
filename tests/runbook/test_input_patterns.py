"""The shipped runbook's input patterns: an input on a command line cannot be an option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plbook import expr
from plbook.catalog import load_catalog

PROCEDURES = Path(__file__).resolve().parents[2] / "procedures"
OPTION_LIKE = ["-h", "--help", "--scope=other", "-rf"]


def _inputs_on_command_lines() -> list[tuple[str, str, str | None]]:
    """Give (procedure, input, pattern) for every input substituted into a shell command."""
    catalog = load_catalog([PROCEDURES])
    found: dict[tuple[str, str], str | None] = {}
    for procedure_id, loaded in catalog.procedures.items():
        procedure = loaded.procedure
        for step in procedure.steps:
            if step.kind != "shell":
                continue
            for reference in expr.template_reads(step.shell).references:
                if reference.namespace == "inputs":
                    declared = procedure.inputs[reference.name]
                    found[(procedure_id, reference.name)] = declared.pattern
    return [(procedure, name, pattern) for (procedure, name), pattern in sorted(found.items())]


INPUTS = _inputs_on_command_lines()


def test_some_inputs_reach_command_lines() -> None:
    assert {procedure for procedure, _, _ in INPUTS} >= {"rollback-railway", "rollback-render"}


@pytest.mark.parametrize(("procedure", "name", "pattern"), INPUTS)
def test_input_on_a_command_line_refuses_option_like_values(
    procedure: str, name: str, pattern: str | None
) -> None:
    assert pattern, f"{procedure}: input '{name}' reaches a command line without a pattern"
    for value in OPTION_LIKE:
        assert not re.fullmatch(pattern, value), f"{procedure}: {name}={value} matches {pattern}"
