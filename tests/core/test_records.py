"""Run records read from journals: what the terminal, reporters, history and site all read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plbook.records import Failure, StepRecord, failure_lines, latest_run, run_from_events

PLAN = [
    {"path": "check", "id": "check", "title": "Check", "kind": "http", "destructive": False},
    {"path": "fix", "id": "fix", "title": "Fix", "kind": "shell", "destructive": True},
]


def journal(run_id: str, *, finished: bool, at: str = "2026-01-01T10:00:00.000+00:00") -> list:
    events: list[dict[str, Any]] = [
        {
            "event": "run-started",
            "run_id": run_id,
            "procedure": "api",
            "title": "API",
            "environment": "test",
            "inputs": {},
            "journal": f"{run_id}.jsonl",
            "plan": PLAN,
            "at": at,
        },
        {"event": "step-started", **PLAN[0], "index": 1, "total": 2, "at": at},
        {
            "event": "step-finished",
            **PLAN[0],
            "status": "failed",
            "attempts": 2,
            "failures": [{"expression": "result.status == 200", "values": ["was 503"]}],
            "hint": "Look at the logs",
            "duration_ms": 12.5,
            "at": "2026-01-01T10:00:01.000+00:00",
        },
    ]
    if finished:
        events.append(
            {
                "event": "run-finished",
                "status": "failed",
                "exit_code": 1,
                "next_procedure": None,
                "vars": {},
                "at": "2026-01-01T10:00:02.000+00:00",
            }
        )
    return events


def test_a_journal_reads_as_a_typed_run_in_plan_order() -> None:
    run = run_from_events(journal("r1", finished=True))
    assert (run.status, run.exit_code, run.duration_ms) == ("failed", 1, 2000)
    check, fix = run.steps
    assert (check.status, check.attempts, fix.status) == ("failed", 2, "not_run")
    assert check.failures == (Failure("result.status == 200", ("was 503",)),)
    assert run.counts["failed"] == 1 and run.counts["not_run"] == 1


def test_a_run_without_its_finish_is_interrupted() -> None:
    run = run_from_events(journal("r2", finished=False))
    assert (run.status, run.exit_code) == ("interrupted", 130)


def test_failure_lines_say_the_error_each_expectation_and_the_hint() -> None:
    step = StepRecord(
        "check",
        "check",
        "Check",
        "http",
        status="failed",
        error="cannot connect",
        failures=(Failure("result.status == 200", ("result.status was 503",)),),
        hint="Restart it",
    )
    assert failure_lines(step) == [
        "cannot connect",
        "expected: result.status == 200",
        "  result.status was 503",
        "hint: Restart it",
    ]


def test_the_latest_run_of_a_procedure_is_the_newest_journal(tmp_path: Path) -> None:
    for run_id in ("20260101-100000-api-aaaa", "20260102-100000-api-bbbb"):
        lines = [json.dumps(e) for e in journal(run_id, finished=True)]
        (tmp_path / f"{run_id}.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "20260103-100000-api-cccc.jsonl").write_text("")
    latest = latest_run("api", tmp_path)
    assert latest is not None and latest.run_id == "20260102-100000-api-bbbb"
    assert latest_run("other", tmp_path) is None
