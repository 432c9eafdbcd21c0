"""Typed run records: a run, its steps, their attempts and failed expectations, read from a journal.

The journal (JSON lines under `.plbook/runs/`, written by `plbook.run`) is the one record of a
run; everything that shows a run (the terminal, the reporters, the history, the site's "last
verified") reads these frozen records, so this module imports neither `run` nor `site`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from plbook.errors import PlbookError

RUNS_DIR = Path(".plbook") / "runs"
STATUSES = ("passed", "failed", "skipped", "interrupted", "not_run")
PLANNED_FIELDS = ("path", "id", "title", "kind", "destructive")
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Failure:
    """An expectation that did not hold, with the values it read."""

    expression: str
    values: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One try of a step: its verdict, what it saw, and what it kept for later steps."""

    status: str
    result: Any = None
    failures: tuple[Failure, ...] = ()
    error: str | None = None
    saved: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRecord:
    """A step of a run: planned, then started, then finished with a verdict."""

    path: str
    id: str
    title: str
    kind: str
    destructive: bool = False
    status: str = "not_run"
    attempts: int = 0
    action: str | None = None
    result: Any = None
    failures: tuple[Failure, ...] = ()
    error: str | None = None
    hint: str | None = None
    on_failure_run: str | None = None
    saved: Mapping[str, Any] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None


@dataclass(frozen=True)
class Answer:
    """A question the run asked and its answer: who gave it, when, and whether a flag did."""

    at: str
    path: str
    question: str
    answer: str
    user: str
    given_by: str
    """`person` when typed in the terminal, else the flag or default that answered."""


@dataclass(frozen=True)
class Moment:
    """One line of a run's timeline: when, which step (or "" for the run), and what happened."""

    at: str
    path: str
    what: str


@dataclass(frozen=True)
class RunRecord:
    """A whole run: what ran against what, each step in plan order, and how it ended."""

    run_id: str
    procedure: str
    title: str
    environment: str
    inputs: Mapping[str, Any]
    status: str
    exit_code: int
    started_at: str
    finished_at: str
    duration_ms: int
    counts: Mapping[str, int]
    next_procedure: str | None
    vars: Mapping[str, Any]
    journal: str | None
    steps: tuple[StepRecord, ...]
    also_procedures: tuple[str, ...] = ()
    """Procedures inner failed steps name, after `next_procedure`."""
    operator: Mapping[str, str] = field(default_factory=dict)
    command_line: str | None = None
    plbook_version: str | None = None
    answers: tuple[Answer, ...] = ()
    resumes: tuple[Mapping[str, Any], ...] = ()
    timeline: tuple[Moment, ...] = ()


def failure_lines(step: StepRecord) -> list[str]:
    """Give the lines that explain a verdict: the error, each failed expectation, the hint."""
    lines: list[str] = []
    if step.error and step.status != "passed":
        lines.append(step.error)
    for failure in step.failures:
        lines.append(f"expected: {failure.expression}")
        lines += [f"  {value}" for value in failure.values]
    if step.status == "failed" and step.hint:
        lines.append(f"hint: {step.hint}")
    return lines


def failures_from_data(items: Any) -> tuple[Failure, ...]:
    """Give failed expectations from their journal form."""
    return tuple(
        Failure(item["expression"], tuple(item.get("values", ())), item.get("error"))
        for item in items or ()
    )


_STEP_FIELDS = {f.name for f in fields(StepRecord)}


def step_from_event(event: Mapping[str, Any], base: StepRecord | None = None) -> StepRecord:
    """Give a step record from a journal event (`step-started` or `step-finished`)."""
    known = {k: v for k, v in event.items() if k in _STEP_FIELDS and k != "failures"}
    if "failures" in event:
        known["failures"] = failures_from_data(event["failures"])
    if base is None:
        return StepRecord(**known)
    return replace(base, **known)


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Give the events of a journal; a line cut short by a crash is left out."""
    events: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def files_folder(run_id: str, runs_dir: Path = RUNS_DIR) -> Path:
    """Give where a run keeps the files its steps save (screenshots): `.plbook/files/RUN_ID/`.

    Beside `runs/`, which holds journals only.
    """
    return runs_dir.with_name("files") / run_id


def journal_path(run: str, runs_dir: Path = RUNS_DIR) -> Path:
    """Give the journal of a run given by id or path, or a user error naming recent runs."""
    candidate = Path(run)
    if candidate.suffix == ".jsonl" and candidate.exists():
        return candidate
    path = runs_dir / f"{run}.jsonl"
    if not path.exists():
        known = sorted(p.stem for p in runs_dir.glob("*.jsonl"))[-3:]
        hint = f"; recent runs: {', '.join(known)}" if known else f"; no runs under {runs_dir}"
        raise PlbookError(f"no run '{run}'{hint}")
    return path


def run_from_events(events: list[dict[str, Any]]) -> RunRecord:
    """Give the record of a run from its journal events; an unfinished run is interrupted."""
    started = next((e for e in events if e["event"] == "run-started"), None)
    if started is None:
        raise PlbookError("the run journal has no run-started event; it is not a plbook run")
    finished = _last_finish(events)
    steps = _in_plan_order(list(_steps(started, events).values()))
    end = finished["at"] if finished else events[-1].get("at", started["at"])
    resumes = tuple(e for e in events if e["event"] == "run-resumed")
    inputs = dict(started["inputs"])
    for event in events:
        if event["event"] == "run-resumed":
            inputs.update(event.get("inputs", {}))
        elif event["event"] == "answer" and "input" in event:
            inputs[event["input"]] = event["answer"]
    return RunRecord(
        run_id=started["run_id"],
        procedure=started["procedure"],
        title=started["title"],
        environment=started["environment"],
        inputs=inputs,
        status=finished["status"] if finished else "interrupted",
        exit_code=finished["exit_code"] if finished else EXIT_INTERRUPTED,
        started_at=started["at"],
        finished_at=end,
        duration_ms=_active_milliseconds(events),
        counts={status: sum(1 for s in steps if s.status == status) for status in STATUSES},
        next_procedure=finished.get("next_procedure") if finished else None,
        vars=finished.get("vars", {}) if finished else {},
        journal=started.get("journal"),
        steps=tuple(steps),
        also_procedures=tuple(finished.get("also_procedures", ())) if finished else (),
        operator=started.get("operator", {}),
        command_line=started.get("command_line"),
        plbook_version=started.get("plbook_version"),
        answers=tuple(_answer(e) for e in events if e["event"] == "answer"),
        resumes=resumes,
        timeline=tuple(moment for e in events if (moment := _moment(e)) is not None),
    )


def _answer(event: Mapping[str, Any]) -> Answer:
    return Answer(
        event["at"],
        event["path"],
        event["question"],
        event["answer"],
        event.get("user", ""),
        event.get("given_by", ""),
    )


def _moment(event: Mapping[str, Any]) -> Moment | None:
    """Give the timeline line of an event, or None for events the timeline leaves out."""
    name, path = event["event"], event.get("path", "")
    if name in ("run-started", "run-resumed"):
        who = event.get("operator", {})
        by = f" by {who.get('user')}@{who.get('host')}" if who else ""
        verb = "started" if name == "run-started" else f"resumed at {event.get('from')}"
        return Moment(event["at"], "", f"run {verb}{by}")
    if name == "run-finished":
        return Moment(event["at"], "", f"run {event['status']} (exit {event['exit_code']})")
    if name == "attempt-failed":
        return Moment(event["at"], path, f"attempt {event['attempt']} failed: {event['seen']}")
    if name == "step-finished":
        attempts = event.get("attempts", 0)
        after = f" after {attempts} attempts" if attempts > 1 else ""
        why = f": {event['error']}" if event.get("error") and event["status"] != "passed" else ""
        return Moment(event["at"], path, f"{event['status']}{after}{why}")
    if name == "answer":
        return Moment(event["at"], path, f"{event['question']}: {event['answer']}")
    return None


def _active_milliseconds(events: list[dict[str, Any]]) -> int:
    """Give the time a run was running: each start or resume to the last event before the next."""
    total, segment_start, last = 0, None, None
    for event in events:
        at = event.get("at")
        if at is None:
            continue
        if event["event"] in ("run-started", "run-resumed"):
            if segment_start is not None and last is not None:
                total += _milliseconds(segment_start, last)
            segment_start = at
        last = at
    if segment_start is not None and last is not None:
        total += _milliseconds(segment_start, last)
    return total


def _last_finish(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Give the run's last `run-finished` event, unless the run was resumed after it."""
    finishes = [i for i, e in enumerate(events) if e["event"] == "run-finished"]
    resumes = [i for i, e in enumerate(events) if e["event"] == "run-resumed"]
    if not finishes or (resumes and resumes[-1] > finishes[-1]):
        return None
    return events[finishes[-1]]


def _steps(started: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, StepRecord]:
    """Give each step by path: planned ones first, then as the events started and finished them."""
    steps = {p["path"]: step_from_event(p) for p in started["plan"]}
    for event in events:
        if event["event"] == "step-started":
            planned = {key: event[key] for key in PLANNED_FIELDS}
            steps[event["path"]] = StepRecord(
                **planned, status="interrupted", started_at=event["at"]
            )
        elif event["event"] == "step-finished":
            finished = {k: v for k, v in event.items() if k not in ("event", "at")}
            steps[event["path"]] = step_from_event(
                {**finished, "finished_at": event["at"]}, steps[event["path"]]
            )
    return steps


def _in_plan_order(steps: list[StepRecord]) -> list[StepRecord]:
    """Give steps with each nested step right after the ones of its parent procedure step."""
    nested: dict[str, list[StepRecord]] = {}
    for step in steps:
        if "/" in step.path:
            nested.setdefault(step.path.split("/", 1)[0], []).append(step)
    ordered: list[StepRecord] = []
    for step in (s for s in steps if "/" not in s.path):
        ordered.append(step)
        ordered.extend(nested.get(step.path, ()))
    return ordered


def _milliseconds(start: str, end: str) -> int:
    return round(
        (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000
    )


def read_run(path: Path) -> RunRecord:
    """Give the record of the run journaled at `path`."""
    return run_from_events(read_journal(path))


def latest_run(procedure_id: str, runs_dir: Path = RUNS_DIR) -> RunRecord | None:
    """Give the most recent run of a procedure kept under `runs_dir`, or None."""
    # Run ids start with the time they started, so names sort by time.
    for path in sorted(runs_dir.glob(f"*-{procedure_id}-*.jsonl"), reverse=True):
        try:
            record = read_run(path)
        except PlbookError:
            continue  # an empty or foreign file beside the journals is not a run
        if record.procedure == procedure_id:
            return record
    return None


def run_data(run: RunRecord) -> dict[str, Any]:
    """Give a run as JSON-ready data: the JSON report's document."""
    return asdict(run)
