"""Docs CI: every procedure of the runbook runs green against a freshly started, healthy sandbox.

Manual steps are skipped and destructive steps allowed, as in CI; required inputs take their
documented `example`, so the examples on the pages cannot rot either.
"""

from __future__ import annotations

import pytest
from sandbox_runs import PROCEDURES, plbook_run

PROCEDURE_IDS = sorted(p.stem for p in PROCEDURES.glob("*.yaml") if p.name != "environments.yaml")


@pytest.mark.parametrize("procedure_id", PROCEDURE_IDS)
def test_procedure_passes_against_a_healthy_sandbox(procedure_id, sandbox, tmp_path):
    outcome = plbook_run(procedure_id, "--report", str(tmp_path / "run.json"))
    assert outcome.exit_code == 0, outcome.output[-4000:]
