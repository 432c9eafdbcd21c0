"""`--resume` after the procedure changed: a clear one-line error, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from run_support import CANARY, Runbook

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


def test_resuming_from_a_journal_without_its_start_says_it_is_not_a_run(runbook: Runbook) -> None:
    runbook.add("two-steps", PROCEDURE.format(second="second"))
    failed = runbook.run("two-steps")
    journal = runbook.directory / failed.report["journal"]
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(lines[1:]))
    resumed = runbook.run("two-steps", "--resume", failed.report["run_id"])
    assert resumed.code == 2
    assert "Traceback" not in resumed.stderr
    assert resumed.stderr.strip() == (
        "--resume: that journal has no run-started event; start a new run"
    )


def test_a_line_cut_by_a_crash_is_dropped_before_the_resume_appends(runbook: Runbook) -> None:
    runbook.add("two-steps", PROCEDURE.format(second="second"))
    failed = runbook.run("two-steps")
    journal = runbook.directory / failed.report["journal"]
    text = journal.read_text()
    journal.write_text(text + '{"event": "step-started", "path": "sec')
    runbook.add("two-steps", PROCEDURE.format(second="second").replace('"false"', '"true"'))
    resumed = runbook.run("two-steps", "--resume", failed.report["run_id"])
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    lines = journal.read_text().splitlines()
    assert all(json.loads(line) for line in lines)
    assert journal.read_text().startswith(text)


def test_a_saved_var_that_held_a_secret_resumes_with_its_real_value(
    runbook: Runbook, tmp_path: Path
) -> None:
    flag = tmp_path / "ready"
    runbook.add(
        "token-then-wait",
        f"""
title: Token, then wait
summary: Saves a header with the token in it, then waits for a flag file.
category: rollback
steps:
  - id: keep
    title: Keep the header
    shell: "true"
    save: {{header: "'Bearer ' ~ secrets.API_TOKEN"}}
  - id: wait
    title: The flag is there and the header is whole
    shell: "test -f {flag} && test {{{{ vars.header }}}} = 'Bearer {CANARY}'"
""",
    )
    failed = runbook.run("token-then-wait")
    assert failed.code == 1
    assert CANARY not in failed.every_record()
    flag.write_text("")
    resumed = runbook.run("token-then-wait", "--resume", failed.report["run_id"])
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert CANARY not in resumed.every_record() + resumed.stdout
