"""How fresh each procedure is: its last run per environment and when each step last passed.

Read once per build from the history (local journals or MongoDB), in bounded time; a history that
cannot be read leaves every page saying so, and the build goes on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from plbook.config import ProjectConfig
from plbook.fields import format_duration
from plbook.history.setting import history_uri, open_store
from plbook.history.store import RunQuery
from plbook.history.timeline import who
from plbook.model import Procedure
from plbook.records import files_folder

EVIDENCE_FOLDER = "evidence"
"""Where the site keeps the files pages show from runs, inside the procedure pages' folder."""
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
    within: str | None = None
    """The procedure whose run called this one inline (`smoke-tests`), when it was not run alone."""


@dataclass(frozen=True)
class ShownFile:
    """A file a step of the last verified run saved, found where that run kept it."""

    run_id: str
    name: str
    source: Path

    @property
    def site_path(self) -> str:
        """Give its path in the site, relative to the procedure pages' folder."""
        return f"{EVIDENCE_FOLDER}/{self.run_id}/{self.name}"


@dataclass(frozen=True)
class ProcedureFreshness:
    """One procedure's freshness: last run per environment, last pass per step, staleness."""

    last_runs: list[LastRun] = field(default_factory=list)
    step_passed: dict[str, datetime] = field(default_factory=dict)
    last_passed: datetime | None = None
    verify_every: float | None = None
    stale: bool = False
    unavailable: str | None = None
    shown_files: dict[str, list[ShownFile]] = field(default_factory=dict)
    """By step id: the files the last verified run's step saved for its page (screenshots)."""

    @property
    def never_verified(self) -> bool:
        """Tell whether no run of the procedure ever passed (or none is known)."""
        return self.last_passed is None


@dataclass
class Freshness:
    """What the history says at build time, for every procedure."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    """Every run read, plus a run of each procedure another one called inline (see `calls`)."""
    unavailable: str | None = None
    runs_dir: Path | None = None
    """The local runs folder: beside it, each run's files (a MongoDB history holds none)."""
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
                    steps[step["path"]] = _moment(step["finished_at"])
        passed = [run for run in mine if run["status"] == "passed"]
        verified = max(passed, key=lambda run: run["finished_at"]) if passed else None
        last_passed = verified["finished_at"] if verified else None
        stale = budget is not None and (
            last_passed is None or (self.now - last_passed).total_seconds() > budget
        )
        return ProcedureFreshness(
            last_runs=[_last_run(run) for _, run in sorted(latest.items())],
            step_passed=steps,
            last_passed=last_passed,
            verify_every=budget,
            stale=stale,
            shown_files=self._shown_files(verified) if verified else {},
        )

    def _shown_files(self, run: dict[str, Any]) -> dict[str, list[ShownFile]]:
        """Give the files the run's own steps saved that are on this machine, by step id."""
        run_id = str(run["run_id"])
        if self.runs_dir is None or not _plain_name(run_id):
            return {}
        folder = files_folder(run_id, self.runs_dir)
        shown: dict[str, list[ShownFile]] = {}
        for step in run.get("steps") or ():
            if "/" in str(step["path"]):
                continue  # a step of a procedure it called: that procedure's page shows it
            for name in step.get("files") or ():
                # Plain names in the run's folder only: a history document names nothing else.
                if _plain_name(name) and (folder / name).is_file():
                    shown.setdefault(step["path"], []).append(
                        ShownFile(run_id, name, folder / name)
                    )
        return shown


def with_inline_runs(
    runs: list[dict[str, Any]], calls: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Give the runs plus, for each step that ran a procedure inline, that procedure's run.

    `calls` gives, per procedure, the procedure each of its `procedure:` steps runs. A called
    run has the caller's run id, who and environment, the calling step's verdict and times, and
    its own steps: smoke-tests passing verifies each smoke test it ran.
    """
    found = list(runs)
    for run in runs:
        found += _runs_within(run, calls)
    return found


def _runs_within(run: dict[str, Any], calls: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    called = calls.get(run["procedure"], {})
    within: list[dict[str, Any]] = []
    for step in run.get("steps") or ():
        procedure = called.get(step["path"])
        if procedure is None or step["status"] not in ("passed", "failed"):
            continue  # not a call, or a call that did not run (skipped, not reached)
        prefix = step["path"] + "/"
        inner = {
            **run,
            "procedure": procedure,
            "status": step["status"],
            "finished_at": _moment(step["finished_at"]) if step.get("finished_at") else None,
            "duration_ms": step.get("duration_ms"),
            "within": run.get("within") or run["procedure"],
            "steps": [
                {**inner, "path": inner["path"].removeprefix(prefix)}
                for inner in run.get("steps") or ()
                if inner["path"].startswith(prefix)
            ],
        }
        within += [inner, *_runs_within(inner, calls)]
    return within


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
        return Freshness(
            runs=[_with_aware_times(run) for run in found["runs"]], runs_dir=config.runs_dir
        )
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
        within=run.get("within"),
    )


def _plain_name(name: object) -> bool:
    """Tell whether `name` is a file name plbook could have given (no folder, no dot first)."""
    return isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", name) is not None


def _with_aware_times(run: dict[str, Any]) -> dict[str, Any]:
    for key in ("started_at", "finished_at"):
        if isinstance(run.get(key), datetime):
            run[key] = _aware(run[key])
    return run


def _moment(text: str) -> datetime:
    """Give a step's recorded ISO time as an aware datetime."""
    return _aware(datetime.fromisoformat(text))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def procedures_freshness(
    procedures: Iterable[Procedure], config: ProjectConfig
) -> dict[str, ProcedureFreshness]:
    """Give every procedure's freshness by id, from one bounded read of the project's history."""
    procedures = list(procedures)
    history = read_freshness(config)
    history.runs = with_inline_runs(history.runs, _calls(procedures))
    return {procedure.id: history.of(procedure, config) for procedure in procedures}


def _calls(procedures: list[Procedure]) -> dict[str, dict[str, str]]:
    """Give, per procedure, the procedure each of its steps runs inline, by step id."""
    calls: dict[str, dict[str, str]] = {}
    for procedure in procedures:
        for step in procedure.steps:
            called = step.called_procedure
            if called is not None:
                calls.setdefault(procedure.id, {})[step.id] = called
    return calls
