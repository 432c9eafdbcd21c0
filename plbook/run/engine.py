"""Run a procedure: plan it, check it can run, run its steps, journal it, write its reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plbook.catalog import Catalog
from plbook.errors import PlbookError
from plbook.history.sink import open_history_sink
from plbook.records import RunRecord, journal_path, read_journal, read_run
from plbook.run.context import RunContext, secret_values
from plbook.run.dry_run import print_plan
from plbook.run.journal import Journal, Recorder, new_run_id
from plbook.run.masking import Masker, restored_secret_vars, too_short_secrets
from plbook.run.operator import audit_fields
from plbook.run.options import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_PASSED,
    RunOptions,
    RunOutcome,
)
from plbook.run.plan import Plan, make_plan, planned_entry
from plbook.run.preflight import call_problems, readiness_problems
from plbook.run.reporters import REPORTERS, report_problems
from plbook.run.runtime import tool_path
from plbook.run.signals import exit_code_of, stop_signals_interrupt
from plbook.run.steploop import StepLoop
from plbook.run.terminal import Terminal


def run_procedure(
    catalog: Catalog, procedure_id: str, options: RunOptions, terminal: Terminal
) -> RunOutcome:
    """Run a procedure as `plbook run` does; give the exit code and the run's record."""
    resumed = (
        read_journal(journal_path(options.resume, options.runs_dir)) if options.resume else None
    )
    plan = make_plan(catalog, procedure_id, options, resumed)
    secrets = secret_values(plan.environment, plan.secrets)
    context = RunContext(plan.environment_name, plan.environment, plan.inputs, secrets)
    mask = Masker(secrets.values())
    refused = too_short_secrets({n: v for n, v in secrets.items() if n in plan.secrets})
    refused += report_problems(options.reports)
    if options.dry_run:
        problems = plan.input_problems + plan.missing_problems + refused
        return _dry_run(catalog, plan, context, mask, problems, terminal)
    # In a terminal a missing input is asked for when the first step that reads it comes.
    asked_later = [] if options.interactive else plan.missing_problems
    problems = (
        plan.input_problems
        + asked_later
        + call_problems(plan.called, plan.steps, plan.environment, options, plan.environment_name)
        + refused
    )
    if problems:
        raise PlbookError("\n".join(problems))
    # A missing tool or secret is a call that cannot run: exit 2 before any journal exists.
    readiness = _readiness(plan, context, tool_path(plan.environment))
    if readiness:
        raise PlbookError("\n".join(mask.text(problem) for problem in readiness))
    # The question comes after the preflight: nobody confirms a run that cannot start.
    if plan.environment.confirm and options.interactive:
        question = f"Run '{plan.procedure.id}' against {plan.environment_name}?"
        if not terminal.prompts.confirm(question):
            terminal.console.problem("not run: the run was not confirmed")
            return RunOutcome(EXIT_INTERRUPTED)
    restored = restored_secret_vars(plan.vars, plan.resumed or [], secrets)
    context.vars = {**restored, **options.variables}
    outcome = _run(catalog, plan, context, mask, terminal, options)
    _offer_next(catalog, outcome, plan, options, terminal)
    return outcome


def _dry_run(
    catalog: Catalog,
    plan: Plan,
    context: RunContext,
    mask: Masker,
    problems: list[str],
    terminal: Terminal,
) -> RunOutcome:
    """Show what the run would do, and what would stop it; run nothing, ask nothing."""
    terminal.console.write(
        f"DRY RUN: plbook run {plan.procedure.id} --env {plan.environment_name} "
        "(nothing runs, nothing is asked)"
    )
    readiness = _readiness(plan, context, tool_path(plan.environment))
    for problem in problems + readiness:
        terminal.console.problem(mask.text(problem))
    print_plan(catalog, plan.steps, context, terminal.console, mask)
    return RunOutcome(EXIT_INVALID if problems else EXIT_PASSED)


def _readiness(plan: Plan, context: RunContext, path: str) -> list[str]:
    return readiness_problems(
        plan.tools, plan.checked_steps, plan.secrets, context.secrets, context.env, path
    )


def _run(
    catalog: Catalog,
    plan: Plan,
    context: RunContext,
    mask: Masker,
    terminal: Terminal,
    options: RunOptions,
) -> RunOutcome:
    """Run the planned steps with a journal, then write the reports; give the outcome."""
    run_id, path = _journal_of(plan, options)
    journal = Journal(path)
    history = open_history_sink(path, options.history, terminal.console.note)
    recorder = Recorder(journal, mask, terminal.console, history)
    loop = StepLoop(catalog, options, recorder, terminal.prompts, plan.environment)
    loop.askable = {name: plan.procedure.inputs[name] for name in plan.missing_inputs}
    recorder.emit(_start_event(plan, run_id, path, context, options))
    status, exit_code = "interrupted", EXIT_FAILED
    try:
        with stop_signals_interrupt():
            loop.run_steps(plan.procedure, plan.steps, context, prefix="")
            status, exit_code = _ending(loop)
    except KeyboardInterrupt as interrupt:
        status, exit_code = "interrupted", exit_code_of(interrupt)
    finally:
        recorder.emit(
            {
                "event": "run-finished",
                "status": status,
                "exit_code": exit_code,
                "next_procedure": loop.next_procedure,
                "also_procedures": loop.next_procedures[1:],
                "vars": context.vars,
            }
        )
        recorder.close()
        loop.resources.close()
        record = read_run(path)
        _write_reports(record, options, terminal)
        terminal.console.summary(record)
    return RunOutcome(exit_code, run_id, path, record, loop.next_procedure)


def _ending(loop: StepLoop) -> tuple[str, int]:
    """Give how a run whose steps all ran (or were stopped at a declined change) ended."""
    if loop.stopped:
        return "interrupted", EXIT_INTERRUPTED
    return ("failed", EXIT_FAILED) if loop.failed else ("passed", EXIT_PASSED)


def _journal_of(plan: Plan, options: RunOptions) -> tuple[str, Path]:
    """Give the run id and journal: the resumed run's, else a new one."""
    if plan.resumed:
        run_id = str(plan.resumed[0]["run_id"])
        return run_id, journal_path(run_id, options.runs_dir)
    run_id = options.run_id or new_run_id(plan.procedure.id)
    return run_id, options.runs_dir / f"{run_id}.jsonl"


def _start_event(
    plan: Plan, run_id: str, path: Path, context: RunContext, options: RunOptions
) -> dict[str, Any]:
    """Give the event that opens a run's journal, or the one that resumes it, with who ran it."""
    audit = audit_fields(Path(plan.procedure.source or ".").resolve().parent)
    if plan.resumed:
        return {
            "event": "run-resumed",
            "run_id": run_id,
            "from": plan.steps[0].id,
            "inputs": options.inputs,
            "vars": context.vars,
            **audit,
        }
    return {
        "event": "run-started",
        "run_id": run_id,
        "procedure": plan.procedure.id,
        "title": plan.procedure.title,
        "environment": context.environment_name,
        "inputs": context.inputs,
        "journal": str(path),
        "plan": [planned_entry(step, step.id) for step in plan.steps],
        "vars_given": options.variables,
        **audit,
    }


def _write_reports(record: RunRecord, options: RunOptions, terminal: Terminal) -> None:
    """Write every report asked for; say where those that announce themselves went."""
    for name, target in options.reports.items():
        reporter = REPORTERS[name]
        written = reporter.write(record, target)
        if reporter.announced:
            terminal.console.note(f"{name}: {written}")


def _offer_next(
    catalog: Catalog, outcome: RunOutcome, plan: Plan, options: RunOptions, terminal: Terminal
) -> None:
    """In a terminal, offer to run the procedure a failed step names, then run it if asked."""
    following = outcome.next_procedure
    if not following or not options.interactive:
        return
    if not terminal.prompts.confirm(f"Run '{following}' now?"):
        return
    terminal.console.write("")
    run_procedure(
        catalog,
        following,
        RunOptions(
            environment=plan.environment_name,
            yes=options.yes,
            manual=options.manual,
            evidence=options.evidence,
            interactive=True,
            confirm_env=options.confirm_env,
            runs_dir=options.runs_dir,
            history=options.history,
            default_timeout=options.default_timeout,
        ),
        terminal,
    )
