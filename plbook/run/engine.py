"""Run a procedure: check what it needs, run its steps with retries and confirmation, journal it."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plbook import expr
from plbook.errors import PlbookError
from plbook.history.provenance import run_provenance
from plbook.model import Environment, Procedure
from plbook.run.context import Masker, RunContext, secret_values
from plbook.run.journal import RUNS_DIR, Journal, journal_path, new_run_id, read_journal, timestamp
from plbook.run.report_json import build_report, write_json_report
from plbook.steps import STEP_KINDS
from plbook.steps.base import StepFailed, StepSkipped

if TYPE_CHECKING:
    import httpx
    import pymongo

    from plbook.history.sink import HistorySink
    from plbook.load import Catalog
    from plbook.run.terminal import Terminal

DEFAULT_TIMEOUT = 30.0
SANDBOX_BIN = Path(__file__).resolve().parent.parent / "sandbox" / "bin"
EXIT_PASSED, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130
_SECRET_NAME = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)|secrets\[['\"]([A-Za-z_]\w*)['\"]\]")


@dataclass
class RunOptions:
    """How `plbook run` was called."""

    environment: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    yes: bool = False
    manual: str | None = None
    from_step: str | None = None
    only_step: str | None = None
    resume: str | None = None
    report: Path | None = None
    junit: Path | None = None
    evidence: Path | None = None
    interactive: bool = False
    runs_dir: Path = RUNS_DIR
    default_timeout: float = DEFAULT_TIMEOUT

    @property
    def manual_policy(self) -> str:
        """Give what manual steps do: ask in a terminal, skip elsewhere, unless told."""
        return self.manual or ("ask" if self.interactive else "skip")


@dataclass
class RunOutcome:
    """How a run ended, and where its record is."""

    exit_code: int
    run_id: str | None = None
    journal: Path | None = None
    report: dict[str, Any] | None = None
    next_procedure: str | None = None


def run_procedure(
    catalog: Catalog, procedure_id: str, options: RunOptions, terminal: Terminal
) -> RunOutcome:
    """Run a procedure as `plbook run` does; give the exit code and the report."""
    resumed = (
        read_journal(journal_path(options.resume, options.runs_dir)) if options.resume else None
    )
    if resumed:
        procedure_id = _resumed_procedure(resumed, procedure_id)
    procedure = catalog.get(procedure_id)
    environments = catalog.environments
    if environments is None:
        raise PlbookError("no environments.yaml beside the procedures; `plbook run` needs one")
    first = resumed[0] if resumed else None
    name = options.environment or (first["environment"] if first else environments.default)
    if name not in environments.environments:
        raise PlbookError(
            f"no environment '{name}'; choose one of: {', '.join(environments.environments)}"
        )
    environment = environments.environments[name]
    given = {**(first["inputs"] if first else {}), **options.inputs}
    inputs, input_problems = check_inputs(procedure, given)
    plan = _select_steps(procedure, options) if not resumed else _resume_plan(procedure, resumed)
    called = _called_procedures(catalog, procedure)
    needed_secrets = {s for p in called for s in p.requires.secrets}
    secrets = secret_values(environment, needed_secrets | _referenced_secrets(called))
    runner = _Runner(catalog, options, terminal, Masker(secrets.values()), environment)
    call_problems = input_problems + runner.call_problems(called, plan, environment)
    readiness = runner.readiness_problems(called, secrets, environment)
    context = RunContext(name, environment, inputs, secrets)
    if options.dry_run:
        for problem in call_problems + readiness:
            terminal.problem(runner.mask.text(problem))
        runner.print_plan(procedure, plan, context, depth=0)
        return RunOutcome(EXIT_INVALID if call_problems else EXIT_PASSED)
    if call_problems:
        raise PlbookError("\n".join(call_problems))
    if environment.confirm and options.interactive and not options.yes:
        if not terminal.confirm(f"Run '{procedure_id}' against {name}?"):
            terminal.problem("not run: the run was not confirmed")
            return RunOutcome(EXIT_INTERRUPTED)
    if resumed:
        context.vars = _restored_vars(resumed)
    outcome = runner.run(procedure, plan, context, readiness, resumed)
    following = outcome.next_procedure
    if following and options.interactive and terminal.confirm(f"Run '{following}' now?"):
        run_procedure(
            catalog,
            following,
            RunOptions(
                environment=name,
                yes=options.yes,
                manual=options.manual,
                evidence=options.evidence,
                interactive=True,
                runs_dir=options.runs_dir,
                default_timeout=options.default_timeout,
            ),
            terminal,
        )
    return outcome


def check_inputs(procedure: Procedure, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Give the inputs with defaults applied, and what is wrong with the given ones."""
    problems: list[str] = []
    for name in given:
        if name not in procedure.inputs:
            close = difflib.get_close_matches(name, procedure.inputs, n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"it takes: {', '.join(procedure.inputs) or 'none'}"
            )
            problems.append(f"--input {name}: '{procedure.id}' has no input '{name}'; {hint}")
    inputs: dict[str, Any] = {}
    for name, declared in procedure.inputs.items():
        if name in given:
            value = given[name]
            if declared.pattern and not re.search(declared.pattern, str(value)):
                problems.append(f"--input {name}={value}: does not match {declared.pattern}")
            inputs[name] = value
        elif declared.default is not None:
            inputs[name] = declared.default
        elif declared.required:
            example = declared.example or "VALUE"
            problems.append(
                f"missing input '{name}' ({declared.description or 'required'}); "
                f"add --input {name}={example}"
            )
    return inputs, problems


def _select_steps(procedure: Procedure, options: RunOptions) -> list[Any]:
    ids = [step.id for step in procedure.steps]
    for flag, chosen in (("--from", options.from_step), ("--only", options.only_step)):
        if chosen is not None and chosen not in ids:
            close = difflib.get_close_matches(chosen, ids, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"its steps: {', '.join(ids)}"
            raise PlbookError(f"{flag} {chosen}: '{procedure.id}' has no step '{chosen}'; {hint}")
    if options.only_step:
        return [procedure.step(options.only_step)]
    if options.from_step:
        return list(procedure.steps[ids.index(options.from_step) :])
    return list(procedure.steps)


def _resumed_procedure(events: list[dict[str, Any]], procedure_id: str) -> str:
    recorded = events[0]["procedure"]
    if procedure_id != recorded:
        raise PlbookError(
            f"--resume {events[0]['run_id']}: that run is of '{recorded}', "
            f"not '{procedure_id}'; run `plbook run {recorded} --resume ...`"
        )
    return recorded


def _resume_plan(procedure: Procedure, events: list[dict[str, Any]]) -> list[Any]:
    """Give the planned steps from the first one that did not pass or skip."""
    report = build_report(events)
    done = {s["path"] for s in report["steps"] if s["status"] in ("passed", "skipped")}
    planned = [procedure.step(p["path"]) for p in events[0]["plan"]]
    for index, step in enumerate(planned):
        if step.id not in done:
            return planned[index:]
    raise PlbookError(f"--resume {events[0]['run_id']}: every step of that run already passed")


def _restored_vars(events: list[dict[str, Any]]) -> dict[str, Any]:
    restored: dict[str, Any] = {}
    for event in events:
        if (
            event["event"] == "step-finished"
            and "/" not in event["path"]
            and event["status"] == "passed"
        ):
            restored.update(event.get("saved", {}))
    return restored


def _called_procedures(catalog: Catalog, procedure: Procedure) -> list[Procedure]:
    """Give the procedure and every procedure it runs, directly or not, each once."""
    found: dict[str, Procedure] = {}
    pending = [procedure]
    while pending:
        current = pending.pop()
        if current.id in found:
            continue
        found[str(current.id)] = current
        for step in current.steps:
            if step.kind == "procedure" and step.spec.id in catalog.procedures:
                pending.append(catalog.get(step.spec.id))
    return list(found.values())


def _referenced_secrets(procedures: list[Procedure]) -> set[str]:
    names: set[str] = set()
    for procedure in procedures:
        for step in procedure.steps:
            text = step.model_dump_json()
            names |= {a or b for a, b in _SECRET_NAME.findall(text)}
            if step.kind == "mongo" and step.spec.uri is None:
                names.add("MONGODB_URI")
    return names


class _Runner:
    """One run: the shared clients, the journal, and the step loop."""

    def __init__(
        self,
        catalog: Catalog,
        options: RunOptions,
        terminal: Terminal,
        mask: Masker,
        environment: Environment,
    ) -> None:
        self.catalog = catalog
        self.options = options
        self.terminal = terminal
        self.mask = mask
        self.environment = environment
        self.journal: Journal | None = None
        self.history: HistorySink | None = None
        self.next_procedure: str | None = None
        self.failed = False
        self._http: httpx.Client | None = None
        self._mongo: dict[tuple[str, float], pymongo.MongoClient[dict[str, Any]]] = {}
        # plbook's own bin folder goes last, so a `plbook validate` step works from a venv too.
        path = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
        self.path = (
            os.pathsep.join([str(SANDBOX_BIN), path]) if environment.stand_in_tools else path
        )

    # --- before step 1 -------------------------------------------------------------------------

    def call_problems(
        self, procedures: list[Procedure], plan: list[Any], environment: Environment
    ) -> list[str]:
        """Give what makes this call impossible to run as given."""
        problems: list[str] = []
        unattended = not self.options.interactive and not self.options.yes
        if unattended and environment.confirm:
            problems.append("this environment asks for confirmation; without a terminal, add --yes")
        if unattended:
            destructive = [
                f"{p.id}#{s.id}"
                for p in procedures
                for s in p.steps
                if s.destructive and (p is not procedures[0] or s in plan)
            ]
            if destructive:
                problems.append(
                    f"destructive steps need --yes without a terminal: {', '.join(destructive)}"
                )
        if self.options.manual_policy == "ask" and not self.options.interactive:
            problems.append("--manual ask needs a terminal; use --manual skip or --manual fail")
        return problems

    def readiness_problems(
        self, procedures: list[Procedure], secrets: dict[str, str], environment: Environment
    ) -> list[str]:
        """Give the tools missing from PATH and the secrets without a value."""
        problems: list[str] = []
        tools = sorted({t for p in procedures for t in p.requires.tools})
        for tool in tools:
            if shutil.which(tool, path=self.path) is None:
                problems.append(f"tool '{tool}' is not on PATH; install it before running")
        wanted = {s for p in procedures for s in p.requires.secrets} | _referenced_secrets(
            procedures
        )
        for name in sorted(wanted - set(secrets)):
            problems.append(
                f"secret {name} is not set; export {name}=... "
                "(it is read from the environment variable)"
            )
        return problems

    # --- the run -------------------------------------------------------------------------------

    def run(
        self,
        procedure: Procedure,
        plan: list[Any],
        context: RunContext,
        readiness: list[str],
        resumed: list[dict[str, Any]] | None,
    ) -> RunOutcome:
        if resumed:
            run_id = resumed[0]["run_id"]
            path = journal_path(run_id, self.options.runs_dir)
        else:
            run_id = new_run_id(str(procedure.id))
            path = self.options.runs_dir / f"{run_id}.jsonl"
        self.journal = self.open_journal(path)
        if resumed:
            self.emit(
                {"event": "run-resumed", "run_id": run_id, "from": plan[0].id, "vars": context.vars}
            )
        else:
            self.emit(
                {
                    "event": "run-started",
                    "run_id": run_id,
                    "procedure": procedure.id,
                    "title": procedure.title,
                    "environment": context.environment_name,
                    "inputs": context.inputs,
                    "journal": str(path),
                    "plan": [_planned(step, step.id) for step in plan],
                }
            )
        # A crash keeps "interrupted": the record is finished and written, then the bug shows.
        status, exit_code = "interrupted", EXIT_FAILED
        try:
            if readiness:
                for problem in readiness:
                    self.terminal.problem(self.mask.text(problem))
                status = "failed"
            else:
                self.run_steps(procedure, plan, context, prefix="")
                status, exit_code = (
                    ("failed", EXIT_FAILED) if self.failed else ("passed", EXIT_PASSED)
                )
        except KeyboardInterrupt:
            status, exit_code = "interrupted", EXIT_INTERRUPTED
        finally:
            self.emit(
                {
                    "event": "run-finished",
                    "status": status,
                    "exit_code": exit_code,
                    "problems": readiness,
                    "next_procedure": self.next_procedure,
                    "vars": context.vars,
                }
            )
            self.journal.close()
            self._close_clients()
            report = build_report(read_journal(path))
            self.write_reports(report)
            self.terminal.summary(report)
            if self.history is not None:
                self.history.close()
        return RunOutcome(exit_code, run_id, path, report, self.next_procedure)

    def write_reports(self, report: dict[str, Any]) -> None:
        if self.options.report:
            write_json_report(report, self.options.report)
        if self.options.junit:
            from plbook.run.junit import write_junit

            write_junit(report, self.options.junit)
        if self.options.evidence:
            from plbook.run.evidence import write_evidence

            written = write_evidence(report, self.options.evidence)
            self.terminal.note(f"evidence: {written}")

    def open_journal(self, path: Path) -> Journal:
        """Give the run's journal, opened; its copy in the shared history opens after it."""
        # Imported here: plbook.history reads journals with plbook.run's journal module.
        from plbook.history.sink import open_history_sink

        journal = Journal(path)
        self.history = open_history_sink(path, self.terminal.note)
        return journal

    def emit(self, event: dict[str, Any]) -> None:
        """Record an event in the journal, then the history, and show it; secrets masked first."""
        if event["event"] in ("run-started", "run-resumed"):
            event = {**event, **run_provenance(Path(self.catalog.environments_file or ".").parent)}
        event = self.mask.data({**event, "at": timestamp()})
        assert self.journal is not None
        self.journal.write(event)
        if self.history is not None:
            self.history.event(event)
        self.terminal.event(event)

    def run_steps(
        self, procedure: Procedure, plan: list[Any], context: RunContext, prefix: str
    ) -> bool:
        """Run steps in order; give whether none failed. Stops at a failure unless told to go on."""
        passed = True
        for index, step in enumerate(plan, start=1):
            if not self.run_step(step, context, prefix, index, len(plan)):
                passed = False
                if step.on_failure.then != "continue":
                    break
        return passed

    def run_step(self, step: Any, context: RunContext, prefix: str, index: int, total: int) -> bool:
        """Run one step to its verdict and record it; give whether it did not fail."""
        path = prefix + step.id
        self.emit(
            {
                "event": "step-started",
                **_planned(step, path),
                "index": index,
                "total": total,
                "depth": path.count("/"),
            }
        )
        started = time.monotonic()
        record: dict[str, Any] = {"event": "step-finished", "path": path, "attempts": 0}
        try:
            record.update(self.verdict(step, context, path, record))
        except KeyboardInterrupt:
            record.update(status="interrupted", error="interrupted (Ctrl-C)")
            raise
        except Exception as error:
            record.update(
                status="interrupted", error=f"plbook crashed: {type(error).__name__}: {error}"
            )
            raise
        finally:
            record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            self.emit(record)
        if record["status"] != "failed":
            return True
        self.failed = True
        if step.on_failure.run and self.next_procedure is None:
            self.next_procedure = step.on_failure.run
        return False

    def verdict(
        self, step: Any, context: RunContext, path: str, record: dict[str, Any]
    ) -> dict[str, Any]:
        """Give the step's status, result, failed expectations and saved vars."""
        module = STEP_KINDS[step.kind]
        runtime = _StepRuntime(self, context, step, path)
        guidance = {"hint": step.on_failure.hint, "on_failure_run": step.on_failure.run}
        try:
            resolved = module.resolve(step.spec, runtime)
        except expr.ExpressionError as error:
            return {"status": "failed", "error": f"cannot fill in a value: {error}", **guidance}
        record["action"] = _action(step.kind, resolved)
        if step.destructive and not self.options.yes:
            if not self.terminal.confirm_destructive(self.mask.text(record["action"])):
                return {"status": "skipped", "error": "not confirmed: the change was not made"}
        retry = step.retry
        deadline = time.monotonic() + retry.timeout if retry and retry.timeout else None
        while True:
            record["attempts"] += 1
            outcome = self.attempt(step, module, resolved, runtime, context)
            if outcome["status"] != "failed" or retry is None:
                break
            if retry.attempts is not None and record["attempts"] >= retry.attempts:
                break
            if deadline is not None and time.monotonic() + retry.interval >= deadline:
                break
            time.sleep(retry.interval)
        if outcome["status"] == "failed":
            outcome.update(guidance)
        return outcome

    def attempt(
        self, step: Any, module: Any, resolved: Any, runtime: _StepRuntime, context: RunContext
    ) -> dict[str, Any]:
        """Run the step once and check its expectations."""
        try:
            result = module.run(resolved, runtime)
        except StepFailed as failure:
            return {"status": "failed", "error": str(failure), "result": failure.result}
        except StepSkipped as skip:
            return {"status": "skipped", "error": str(skip), "result": skip.result}
        names = context.names(result)
        failures = []
        for source in step.expectations:
            try:
                holds, problem = bool(expr.evaluate(source, names)), None
            except expr.ExpressionError as error:
                holds, problem = False, str(error)
            if not holds:
                failures.append(
                    {"expression": source, "values": expr.explain(source, names), "error": problem}
                )
        if failures:
            return {"status": "failed", "result": result, "failures": failures}
        saved: dict[str, Any] = {}
        for name, source in step.save.items():
            try:
                saved[name] = expr.evaluate(source, names)
            except expr.ExpressionError as error:
                return {
                    "status": "failed",
                    "result": result,
                    "error": f"cannot save vars.{name} = {source}: {error}",
                }
        context.vars.update(saved)
        return {"status": "passed", "result": result, "saved": saved}

    def run_nested(
        self, procedure_id: str, inputs: dict[str, Any], context: RunContext, path: str
    ) -> bool:
        """Run another procedure's steps inline under `path/`; give whether none failed."""
        procedure = self.catalog.get(procedure_id)
        given, problems = check_inputs(procedure, inputs)
        if problems:
            raise StepFailed("; ".join(problems))
        return self.run_steps(
            procedure, list(procedure.steps), context.for_procedure(given), prefix=path + "/"
        )

    # --- clients -------------------------------------------------------------------------------

    def http_client(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client()
        return self._http

    def mongo_client(self, uri: str, timeout: float) -> pymongo.MongoClient[dict[str, Any]]:
        key = (uri, timeout)
        if key not in self._mongo:
            import pymongo

            milliseconds = int(timeout * 1000)
            self._mongo[key] = pymongo.MongoClient(
                uri,
                tz_aware=True,
                serverSelectionTimeoutMS=milliseconds,
                connectTimeoutMS=milliseconds,
                socketTimeoutMS=milliseconds,
            )
        return self._mongo[key]

    def _close_clients(self) -> None:
        if self._http is not None:
            self._http.close()
        for client in self._mongo.values():
            client.close()

    # --- dry run -------------------------------------------------------------------------------

    def print_plan(
        self, procedure: Procedure, plan: list[Any], context: RunContext, depth: int
    ) -> None:
        """Show every step with its values filled in (secrets masked), running nothing."""
        for index, step in enumerate(plan, start=1):
            runtime = _StepRuntime(self, context, step, step.id)
            try:
                action = _action(step.kind, STEP_KINDS[step.kind].resolve(step.spec, runtime))
            except expr.ExpressionError:
                action = (
                    _action(step.kind, step.spec) + "\n(some values are known only at run time)"
                )
            self.terminal.plan_step(depth, index, step, self.mask.text(action))
            if step.kind == "procedure" and depth < 8:
                nested = self.catalog.get(step.spec.id)
                given, _ = check_inputs(nested, dict(step.spec.inputs))
                self.print_plan(nested, list(nested.steps), context.for_procedure(given), depth + 1)


class _StepRuntime:
    """What one step's kind may use (see plbook.steps.base.StepRuntime)."""

    def __init__(self, runner: _Runner, context: RunContext, step: Any, path: str) -> None:
        self._runner = runner
        self._context = context
        self._path = path
        self.timeout = float(step.timeout or runner.options.default_timeout)

    def render(self, value: Any, *, shell: bool = False) -> Any:
        return expr.render(value, self._context.names(), shell=shell)

    def env_value(self, name: str) -> Any:
        return self._context.env.get(name)

    def secret(self, name: str) -> str | None:
        return self._context.secrets.get(name)

    def http_client(self) -> httpx.Client:
        return self._runner.http_client()

    def mongo_client(self, uri: str) -> pymongo.MongoClient[dict[str, Any]]:
        return self._runner.mongo_client(uri, self.timeout)

    def subprocess_environment(self) -> dict[str, str]:
        return {**os.environ, "PATH": self._runner.path}

    def ask_manual(self, instruction: str) -> str:
        policy = self._runner.options.manual_policy
        if policy != "ask":
            return policy
        return self._runner.terminal.ask_manual(self._runner.mask.text(instruction))

    def show_message(self, text: str) -> None:
        self._runner.terminal.message(self._runner.mask.text(text))

    def run_procedure(self, procedure_id: str, inputs: dict[str, Any]) -> bool:
        return self._runner.run_nested(procedure_id, inputs, self._context, self._path)


def _planned(step: Any, path: str) -> dict[str, Any]:
    return {
        "path": path,
        "id": step.id,
        "title": step.title,
        "kind": step.kind,
        "destructive": step.destructive,
    }


def _action(kind: str, spec: Any) -> str:
    """Give the exact action of a resolved step, as its page shows it."""
    view = STEP_KINDS[kind].describe(spec)
    if kind == "http" and view.manual_equivalent:
        return view.manual_equivalent
    return view.action
