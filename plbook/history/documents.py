"""The history's shapes: one document per run and one per journal event, made from journal events.

Both stores give runs in this shape, so `plbook history` reads the same from either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plbook.records import StepRecord, run_from_events
from plbook.steps import STEP_KINDS

PROVENANCE = ("operator", "host", "command", "plbook_version", "git_commit", "ci")
"""Who and what started a run, as a `runs` document keeps them (flat, to query and index)."""
_RUN_EVENTS = ("run-started", "run-resumed", "run-finished")


class NotAJournal(ValueError):
    """The events do not start with a run-started event, so they are not a plbook run."""


def run_document(events: list[dict[str, Any]], *, live: bool = False) -> dict[str, Any]:
    """Give the `runs` document of a run from its events; `live` marks an unfinished one running."""
    if not events or events[0].get("event") != "run-started":
        raise NotAJournal("its first line is not a run-started event")
    started = events[0]
    record = run_from_events(events)
    finished = _finished(events)
    document: dict[str, Any] = {
        "_id": started["run_id"],
        "run_id": started["run_id"],
        "procedure": started["procedure"],
        "title": started.get("title"),
        "environment": started["environment"],
        "inputs": started.get("inputs", {}),
        **provenance(started),
        "started_at": parse_time(started["at"]),
        "finished_at": parse_time(record.finished_at) if finished else None,
        "duration_ms": record.duration_ms if finished else None,
        "status": record.status if finished or not live else "running",
        "exit_code": record.exit_code if finished else None,
        "counts": dict(record.counts),
        "next_procedure": record.next_procedure,
        # Enough of each step for the site's "last passed" per step and the files it shows
        # (a screenshot), without reading events.
        "steps": [
            {
                "path": step.path,
                "status": step.status,
                "finished_at": step.finished_at,
                "duration_ms": step.duration_ms,
                **({"files": shown} if (shown := _shown_files(step)) else {}),
            }
            for step in record.steps
        ],
        "resumes": [
            {"at": e["at"], **provenance(e)} for e in events if e.get("event") == "run-resumed"
        ],
        "events": len(events),
    }
    return document


def _shown_files(step: StepRecord) -> list[str]:
    """Give the files a passed step's page shows from its run, as its kind names them."""
    kind = STEP_KINDS.get(step.kind)
    if kind is None or step.status != "passed" or not isinstance(step.result, dict):
        return []
    return kind.shown_files(step.result)


def provenance(event: dict[str, Any]) -> dict[str, Any]:
    """Give the PROVENANCE fields of a run-started or run-resumed event's audit trail."""
    operator = event.get("operator") or {}
    return {
        "operator": operator.get("user"),
        "host": operator.get("host"),
        "command": event.get("command_line"),
        "plbook_version": event.get("plbook_version"),
        "git_commit": event.get("git_commit"),
        "ci": event.get("ci"),
    }


def _finished(events: list[dict[str, Any]]) -> bool:
    """Give whether the last run-level event says the run ended (a resume reopens it)."""
    last = next((e["event"] for e in reversed(events) if e.get("event") in _RUN_EVENTS), None)
    return last == "run-finished"


def event_document(run_id: str, seq: int, event: dict[str, Any]) -> dict[str, Any]:
    """Give the `events` document of one journal event: its place in the run and the event."""
    return {
        "run_id": run_id,
        "seq": seq,
        "event": event.get("event"),
        "at": parse_time(event["at"]) if event.get("at") else None,
        "data": event,
    }


def parse_time(text: str) -> datetime:
    """Give the aware datetime of a journal timestamp."""
    return datetime.fromisoformat(text)
