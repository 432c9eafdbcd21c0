"""`plbook verify`: run every selected procedure that is safe unattended, a few at once.

Each procedure is its own run, journaled and copied to the history as `plbook run` does. A
scheduled firing names its slot; the history's unique slot index lets one firing per slot,
procedure and environment record a run, so a scheduler that fires twice records nothing new.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from plbook.catalog import Catalog
from plbook.errors import PlbookError
from plbook.fields import format_duration
from plbook.history.setting import history_uri, open_store
from plbook.history.store import HistoryStore
from plbook.records import failure_lines
from plbook.run import RunOptions, run_procedure
from plbook.run.journal import new_run_id
from plbook.run.options import EXIT_PASSED
from plbook.run.plan import choose_environment, make_plan
from plbook.run.preflight import call_problems
from plbook.run.terminal import Terminal
from plbook.steps.base import UNATTENDED

NOTE_WIDTH = 120
VERDICTS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "already": "DONE"}


@dataclass(frozen=True)
class Verification:
    """One procedure's line in the table: its verdict, how long it took, its run, why."""

    procedure: str
    verdict: str
    seconds: float | None = None
    run_id: str | None = None
    note: str = ""


def verify_procedures(
    catalog: Catalog,
    procedure_ids: list[str],
    options: RunOptions,
    jobs: int,
    slot: str | None = None,
) -> list[Verification]:
    """Give how each procedure's unattended run went, up to `jobs` running at once."""
    choose_environment(catalog, options.environment)
    unattended = replace(options, manual=UNATTENDED, interactive=False)
    store = open_store(options.runs_dir, history_uri(options.history)) if slot else None

    def verify(procedure_id: str) -> Verification:
        try:
            return _verify_one(catalog, procedure_id, unattended, store, slot)
        except PlbookError as error:
            return Verification(procedure_id, "failed", note=" ".join(error.lines()))

    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="plbook-verify") as pool:
            # The longest first, so a long one does not start last and hold up the end.
            longest_first = sorted(procedure_ids, key=lambda pid: -_size(catalog, pid))
            done = dict(zip(longest_first, pool.map(verify, longest_first), strict=True))
        return [done[pid] for pid in procedure_ids]
    finally:
        if store is not None:
            store.close()


def _size(catalog: Catalog, procedure_id: str) -> float:
    """Give how long a procedure is expected to take: its estimate, else its number of steps."""
    procedure = catalog.get(procedure_id)
    return procedure.estimated_time or len(procedure.steps)


def _verify_one(
    catalog: Catalog,
    procedure_id: str,
    options: RunOptions,
    store: HistoryStore | None,
    slot: str | None,
) -> Verification:
    """Give the verification of one procedure: skipped, already done in the slot, or its run."""
    reason = unattended_problem(catalog, procedure_id, options)
    if reason is not None:
        return Verification(procedure_id, "skipped", note=reason)
    run_id, note = new_run_id(procedure_id), ""
    if store is not None and slot is not None:
        holder, note = _claim(store, slot, procedure_id, str(options.environment), run_id)
        if holder is not None:
            return Verification(procedure_id, "already", run_id=holder, note=note)
    output = io.StringIO()
    try:
        outcome = run_procedure(
            catalog, procedure_id, replace(options, run_id=run_id), Terminal(output, io.StringIO())
        )
    except PlbookError as cannot_start:  # a tool or secret missing: no run, say why
        return Verification(procedure_id, "failed", note=_short(str(cannot_start)))
    record = outcome.record
    verdict = "passed" if outcome.exit_code == EXIT_PASSED else "failed"
    if record is None:
        return Verification(procedure_id, verdict, note=output.getvalue().strip()[:200])
    failed = (step for step in record.steps if step.status == "failed")
    why = next((f"{step.path}: {line}" for step in failed for line in failure_lines(step)), "")
    detail = f"{record.counts['skipped']} skipped" if record.counts["skipped"] else ""
    return Verification(
        procedure_id,
        verdict,
        record.duration_ms / 1000,
        record.run_id,
        _short("; ".join(part for part in (note, why if verdict == "failed" else detail) if part)),
    )


def _claim(
    store: HistoryStore, slot: str, procedure_id: str, environment: str, run_id: str
) -> tuple[str | None, str]:
    """Give the run holding the slot if another firing took it, and a note for the table."""
    try:
        holder = store.claim_slot(slot, procedure_id, environment, run_id)
    except Exception as error:  # noqa: BLE001 - an unreachable history must not stop verification
        first_line = (str(error).splitlines() or [""])[0][:120]
        return None, f"slot not claimed ({type(error).__name__}: {first_line}); ran anyway"
    if holder is not None:
        return holder, f"already verified in slot {slot} (run {holder})"
    return None, ""


def unattended_problem(catalog: Catalog, procedure_id: str, options: RunOptions) -> str | None:
    """Give why a procedure cannot run unattended with these options, or None if it can."""
    plan = make_plan(catalog, procedure_id, options, None)
    missing = [name for name in plan.procedure.inputs if name not in plan.inputs]
    problems = call_problems(plan.called, plan.steps, plan.environment, options)
    if missing:
        problems.insert(0, f"needs --input {', '.join(missing)}")
    return _short("; ".join(problems)) if problems else None


def _short(note: str) -> str:
    """Give a note cut to the table's width."""
    return note if len(note) <= NOTE_WIDTH else note[: NOTE_WIDTH - 1] + "…"


def verification_table(rows: list[Verification]) -> list[str]:
    """Give the lines of the table `plbook verify` prints: procedure, verdict, time, run, note."""
    header = ("PROCEDURE", "VERDICT", "DURATION", "RUN", "NOTE")
    lines = [header] + [
        (
            row.procedure,
            VERDICTS[row.verdict],
            format_duration(round(row.seconds, 1)) if row.seconds is not None else "-",
            row.run_id or "-",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[-1]]).rstrip()
        for line in lines
    ]
