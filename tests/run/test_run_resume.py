"""`--resume` after the procedure changed: a clear one-line error, never a traceback."""

from __future__ import annotations

from run_support import Runbook

PROCEDURE = """
title: Two steps
summary: The second one fails until it is fixed.
category: rollback
steps:
  - id: first
    title: First
    shell: "true"
  - id: {second}
    title: Second
    shell: "false"
"""


def test_resuming_a_run_whose_step_was_renamed_says_so(runbook: Runbook) -> None:
    runbook.add("two-steps", PROCEDURE.format(second="second"))
    failed = runbook.run("two-steps")
    assert failed.code == 1
    run_id = failed.report["run_id"]
    runbook.add("two-steps", PROCEDURE.format(second="second-renamed"))
    resumed = runbook.run("two-steps", "--resume", run_id)
    assert resumed.code == 2
    assert "Traceback" not in resumed.stderr
    assert resumed.stderr.strip() == (
        f"--resume {run_id}: 'two-steps' no longer has step 'second' (renamed or removed "
        "since that run); start a new run with `plbook run two-steps`"
    )


def test_resuming_from_an_empty_journal_says_it_is_not_a_run(runbook: Runbook) -> None:
    runbook.add("two-steps", PROCEDURE.format(second="second"))
    runs = runbook.directory / ".plbook" / "runs"
    runs.mkdir(parents=True)
    (runs / "empty.jsonl").write_text("")
    resumed = runbook.run("two-steps", "--resume", "empty")
    assert resumed.code == 2
    assert resumed.stderr.strip() == (
        "--resume: that journal has no run-started event; start a new run"
    )
