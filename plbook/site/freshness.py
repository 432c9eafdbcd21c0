"""How fresh each procedure is: its last run per environment and when each step last passed.

Read once per build from the history (local journals or MongoDB), in bounded time; a history that
cannot be read leaves every page saying so, and the build goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from plbook.config import ProjectConfig
from plbook.fields import format_duration
from plbook.history.setting import history_uri, open_store
from plbook.history.store import RunQuery
from plbook.history.timeline import who
from plbook.model import Procedure

READ_SECONDS = 10.0
"""How long a build waits for the history before it says the history is unavailable."""
RUNS_READ = 5000
"""How many of the newest runs a build reads: enough for every procedure's recent ones."""


@dataclass(frozen=True)
class LastRun:
    """A run as a page shows it: verdict, when, by whom, how long, where its evidence is."""

    environment: str
    status: str
    finished_at: datetime
    who: str
    duration: str
    evidence_url: str | None
    run_id: str


@dataclass(frozen=True)
class ProcedureFreshness:
    """One procedure's freshness: last run per environment, last pass per step, staleness."""

    last_runs: list[LastRun] = field(default_factory=list)
    step_passed: dict[str, datetime] = field(default_factory=dict)
    last_passed: datetime | None = None
    verify_every: float | None = None
    stale: bool = False
    unavailable: str | None = None

    @property
    def never_verified(self) -> bool:
        """Tell whether no run of the procedure ever passed (or none is known)."""
        return self.last_passed is None


@dataclass
class Freshness:
    """What the history says at build time, for every procedure."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    unavailable: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def of(self, procedure: Procedure, config: ProjectConfig | None) -> ProcedureFreshness:
        """Give one procedure's freshness; its budget is its own, else its category's."""
        budget = procedure.verify_every
        if budget is None and config is not None:
            budget = config.verify_every(procedure.category)
        if self.unavailable is not None:
            return ProcedureFreshness(verify_every=budget, unavailable=self.unavailable)
        mine = [run for run in self.runs if run["procedure"] == procedure.id and run["finished_at"]]
        latest: dict[str, dict[str, Any]] = {}
        steps: dict[str, datetime] = {}
        for run in sorted(mine, key=lambda r: r["finished_at"]):
            latest[run["environment"]] = run
            for step in run.get("steps") or ():
                if step["status"] == "passed" and step.get("finished_at"):
                    steps[step["path"]] = _aware(datetime.fromisoformat(step["finished_at"]))
        passed = [run["finished_at"] for run in mine if run["status"] == "passed"]
        last_passed = max(passed) if passed else None
        stale = budget is not None and (
            last_passed is None or (self.now - last_passed).total_seconds() > budget
        )
        return ProcedureFreshness(
            last_runs=[_last_run(run) for _, run in sorted(latest.items())],
            step_passed=steps,
            last_passed=last_passed,
            verify_every=budget,
            stale=stale,
        )


def read_freshness(config: ProjectConfig, seconds: float = READ_SECONDS) -> Freshness:
    """Give the runs the history holds, read within `seconds`, or why it could not be read."""
    found: dict[str, Any] = {}

    def read() -> None:
        try:
            store = open_store(config.runs_dir, history_uri(config.history))
            try:
                found["runs"] = store.runs(RunQuery(limit=RUNS_READ))
                found["where"] = store.where
            finally:
                store.close()
        except Exception as error:  # noqa: BLE001 - any history failure must leave the build unharmed
            found["error"] = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:160]}"

    # A daemon thread: a history that never answers cannot hold the build past the deadline.
    reader = threading.Thread(target=read, name="plbook-freshness", daemon=True)
    reader.start()
    reader.join(seconds)
    if "runs" in found:
        return Freshness(runs=[_with_aware_times(run) for run in found["runs"]])
    reason = found.get("error") or f"no answer within {seconds:g}s"
    return Freshness(unavailable=f"the run history could not be read ({reason})")


def _last_run(run: dict[str, Any]) -> LastRun:
    ci = run.get("ci") or {}
    return LastRun(
        environment=str(run["environment"]),
        status=str(run["status"]),
        finished_at=run["finished_at"],
        who=who(run),
        duration=format_duration(round((run.get("duration_ms") or 0) / 1000, 1)),
        evidence_url=ci.get("url") or None,
        run_id=str(run["run_id"]),
    )


def _with_aware_times(run: dict[str, Any]) -> dict[str, Any]:
    for key in ("started_at", "finished_at"):
        if isinstance(run.get(key), datetime):
            run[key] = _aware(run[key])
    return run


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def procedures_freshness(
    procedures: Iterable[Procedure], config: ProjectConfig
) -> dict[str, ProcedureFreshness]:
    """Give every procedure's freshness by id, from one bounded read of the project's history."""
    history = read_freshness(config)
    return {procedure.id: history.of(procedure, config) for procedure in procedures}
