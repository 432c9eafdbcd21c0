"""The JSON report: the journal folded into one document, one entry per step in plan order."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

STATUSES = ("passed", "failed", "skipped", "interrupted", "not_run")


def build_report(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Give the report of a run from its journal events; an unfinished run shows as interrupted."""
    started = next(e for e in events if e["event"] == "run-started")
    finished = next((e for e in reversed(events) if e["event"] == "run-finished"), None)
    if finished is not None and events.index(finished) < _last_index(events, "run-resumed"):
        finished = None  # resumed after it finished: only a later finish counts
    steps: dict[str, dict[str, Any]] = {}
    for planned in started["plan"]:
        steps[planned["path"]] = {**planned, "status": "not_run"}
    for event in events:
        if event["event"] == "step-started":
            entry = steps.setdefault(event["path"], {})
            entry.clear()
            entry.update(
                {key: event[key] for key in ("path", "id", "title", "kind", "destructive")}
            )
            entry.update(status="interrupted", started_at=event["at"])
        elif event["event"] == "step-finished":
            steps[event["path"]].update(
                {k: v for k, v in event.items() if k not in ("event", "at")}
            )
            steps[event["path"]]["finished_at"] = event["at"]
    ordered = _in_plan_order(list(steps.values()))
    counts = {status: sum(1 for s in ordered if s["status"] == status) for status in STATUSES}
    status = finished["status"] if finished else "interrupted"
    last_time = events[-1].get("at", started["at"])
    return {
        "run_id": started["run_id"],
        "procedure": started["procedure"],
        "title": started["title"],
        "environment": started["environment"],
        "inputs": started["inputs"],
        "status": status,
        "exit_code": finished["exit_code"] if finished else 130,
        "started_at": started["at"],
        "finished_at": finished["at"] if finished else last_time,
        "duration_ms": _milliseconds(started["at"], finished["at"] if finished else last_time),
        "counts": counts,
        "problems": finished.get("problems", []) if finished else [],
        "next_procedure": finished.get("next_procedure") if finished else None,
        "vars": finished.get("vars", {}) if finished else {},
        "journal": started.get("journal"),
        "steps": ordered,
    }


def _last_index(events: list[dict[str, Any]], name: str) -> int:
    return max((i for i, e in enumerate(events) if e["event"] == name), default=-1)


def _in_plan_order(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give steps with each nested step right after the ones of its parent procedure step."""
    top = [s for s in steps if "/" not in s["path"]]
    ordered: list[dict[str, Any]] = []
    for step in top:
        ordered.append(step)
        ordered.extend(s for s in steps if s["path"].startswith(step["path"] + "/"))
    return ordered


def _milliseconds(start: str, end: str) -> int:
    return round(
        (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000
    )


def write_json_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
