"""Plain text views of the history: the table of runs and one run's timeline."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from plbook.fields import format_duration
from plbook.history.documents import parse_time, provenance

VERDICTS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "interrupted": "STOP"}
_SHOWN_ELSEWHERE = {"event", "at", "run_id", "journal", "plan", "title", "vars"}


def who(run: dict[str, Any]) -> str:
    """Give who ran it: the CI job when there is one, else user@host."""
    ci = run.get("ci")
    if ci:
        return " ".join(part for part in (ci.get("name"), ci.get("job")) if part)
    if run.get("operator"):
        return f"{run['operator']}@{run.get('host') or '?'}"
    return "-"


def duration(milliseconds: float | None) -> str:
    """Give a run's or step's duration in short form, `-` while unknown."""
    if milliseconds is None:
        return "-"
    return format_duration(
        round(milliseconds / 1000, 1) if milliseconds >= 1000 else 0.001 * max(milliseconds, 1)
    )


def runs_table(runs: list[dict[str, Any]]) -> list[str]:
    """Give the lines of the runs table: when, procedure, env, verdict, duration, who, run."""
    header = ("WHEN (UTC)", "PROCEDURE", "ENV", "VERDICT", "DURATION", "WHO", "RUN")
    rows = [header] + [
        (
            f"{run['started_at']:%Y-%m-%d %H:%M}",
            str(run.get("procedure") or "-"),
            str(run.get("environment") or "-"),
            str(run.get("status") or "-"),
            duration(run.get("duration_ms")),
            who(run),
            str(run["run_id"]),
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]


def run_timeline(events: list[dict[str, Any]]) -> list[str]:
    """Give a run's timeline: who ran it and how, then each event with its offset from the start."""
    started = events[0]
    start = parse_time(started["at"])
    audit = provenance(started)
    lines = [
        f"run {started['run_id']}: {started.get('procedure')} on {started.get('environment')}, "
        f"started {start:%Y-%m-%d %H:%M:%S} UTC",
        f"  by {who(audit)}"
        + (f" ({audit['ci']['url']})" if (audit.get("ci") or {}).get("url") else ""),
    ]
    for label, key in (
        ("command", "command"),
        ("plbook", "plbook_version"),
        ("commit", "git_commit"),
    ):
        if audit.get(key):
            lines.append(f"  {label}: {audit[key]}")
    if started.get("inputs"):
        lines.append("  inputs: " + ", ".join(f"{k}={v}" for k, v in started["inputs"].items()))
    for event in events:
        offset = (
            f"+{(parse_time(event['at']) - start).total_seconds():.1f}s" if event.get("at") else ""
        )
        stamp = f"{_clock(event.get('at'))} {offset:>8}"
        body = _describe(event)
        lines.append(f"{stamp}  {body[0]}")
        lines += [f"{' ' * len(stamp)}    {line}" for line in body[1:]]
    return lines


def _clock(at: str | None) -> str:
    return f"{parse_time(at):%H:%M:%S}" if at else "--:--:--"


def _describe(event: dict[str, Any]) -> list[str]:
    """Give the lines telling what one event says happened."""
    kind = event.get("event")
    indent = "  " * str(event.get("path", "")).count("/")
    if kind == "run-started":
        return [f"started: {len(event.get('plan', []))} steps planned"]
    if kind == "run-resumed":
        return [f"resumed at step {event.get('from')} by {who(event)}"]
    if kind == "step-started":
        return [
            f"{indent}step {event.get('index')}/{event.get('total')} {event['path']}: "
            f"{event.get('title')}"
        ]
    if kind == "step-finished":
        return [indent + line for line in _step_verdict(event)]
    if kind == "run-finished":
        lines = [f"finished: {event.get('status')} (exit {event.get('exit_code')})"]
        if event.get("next_procedure"):
            lines.append(f"next: plbook run {event['next_procedure']}")
        return lines
    # Events this view does not know yet (answers, confirmations) still show, field by field.
    fields = {k: v for k, v in event.items() if k not in _SHOWN_ELSEWHERE}
    return [f"{kind}: {json.dumps(fields, ensure_ascii=False, default=str)}"]


def _step_verdict(event: dict[str, Any]) -> list[str]:
    attempts = event.get("attempts", 0)
    timing = duration(event.get("duration_ms")) + (f", {attempts} attempts" if attempts > 1 else "")
    status = str(event.get("status"))
    lines = [f"  {VERDICTS.get(status, status.upper())} {event['path']} ({timing})"]
    answer = (
        (event.get("result") or {}).get("answer") if isinstance(event.get("result"), dict) else None
    )
    if answer:
        lines.append(f"    answered: {answer}")
    if event.get("error") and status != "passed":
        lines.append(f"    {event['error']}")
    for failure in event.get("failures", []):
        lines.append(f"    expected: {failure['expression']}")
        lines += [f"      {value}" for value in failure.get("values", [])]
    if status == "failed" and event.get("hint"):
        lines.append(f"    hint: {event['hint']}")
    return lines


def as_json(run: dict[str, Any]) -> dict[str, Any]:
    """Give a run document as JSON-ready data, times in ISO 8601."""
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in run.items() if k != "_id"
    }
