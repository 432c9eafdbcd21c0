"""Twin conformance: each step's manual twin, run with the real clients, reaches plbook's verdict.

A procedure runs in-process against a fresh sandbox through the real executor; right after
each of its steps, the step's twin runs with real curl, real mongosh and the sandbox's stripe
stand-in, on the same state (a read) or on a fresh sandbox of its own (a write, which must not
change what the run sees). The step's own expectations judge the twin's output.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any

from bson import json_util

from plbook import expr
from plbook.catalog import Catalog
from plbook.model import Environment, Procedure
from plbook.run import engine
from plbook.run.options import RunOptions
from plbook.run.steploop import StepLoop, Verdict
from plbook.run.terminal import Terminal
from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import SANDBOX_API_VARIABLE, free_ports
from plbook.sandbox.ports import follow_text
from plbook.steps import StepBase
from plbook.steps.twin import INPUTS, SECRETS, VARS, Placeholder
from plbook.twins import StepTwin, step_twin, twin_context

ROOT = Path(__file__).resolve().parents[2]
MONGOSH_BIN = ROOT / ".tools" / "node_modules" / ".bin"
ENVIRONMENT = "sandbox"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Comparison:
    """One step's verdicts: plbook's and its twin's, and why the twin's was what it was."""

    procedure: str
    step: str
    plbook: str
    twin: str
    detail: str = ""

    @property
    def agrees(self) -> bool:
        """Tell whether the twin reached plbook's verdict."""
        return self.plbook == self.twin


def moved_environment(environment: Environment, ports: SandboxPorts) -> Environment:
    """Give the sandbox environment with its addresses moved to a sandbox's ports."""
    return environment.model_copy(
        update={
            "values": {
                k: follow_text(v, ports) if isinstance(v, str) else v
                for k, v in environment.values.items()
            },
            "secrets": {
                k: follow_text(v, ports) if v else v for k, v in environment.secrets.items()
            },
        }
    )


@contextmanager
def fresh_sandbox(faults: tuple[str, ...] = ()) -> Iterator[Sandbox]:
    """Give a freshly seeded sandbox on free ports, with these faults."""
    with Sandbox(faults=list(faults), ports=SandboxPorts(*free_ports(4))) as sandbox:
        yield sandbox


def writes(step: StepBase) -> bool:
    """Tell whether running a step twice could change what either run sees."""
    spec = step.spec
    method = getattr(spec, "method", "GET")
    return bool(step.destructive or step.kind_contract.writes(spec) or method not in _SAFE_METHODS)


def twin_shell_environment(
    procedure: Procedure,
    step: StepBase,
    environment: Environment,
    inputs: dict[str, Any],
    saved: dict[str, Any],
) -> dict[str, str]:
    """Give the variables a person exports before pasting the step's twin (vars as JSON)."""
    context = twin_context(procedure, step, environment.values)
    variables = {
        **os.environ,
        "PATH": os.pathsep.join(
            [
                *(str(d) for d in environment.tool_directories()),
                str(MONGOSH_BIN),
                os.environ["PATH"],
            ]
        ),
    }
    for name, value in environment.secrets.items():
        if value is not None:
            variables[context.variable(Placeholder(SECRETS, name))] = value
    for name, value in inputs.items():
        variables[context.variable(Placeholder(INPUTS, name))] = str(value)
    for name, value in saved.items():
        variables[context.variable(Placeholder(VARS, name))] = json_util.dumps(
            value, json_options=json_util.RELAXED_JSON_OPTIONS
        )
    return variables


def twin_verdict(
    twin: StepTwin, variables: dict[str, str], names: dict[str, Any], timeout: float
) -> tuple[str, str, dict[str, Any]]:
    """Give the twin's verdict by the step's own expectations, why, and what it would save."""
    assert twin.twin is not None
    step = twin.step
    try:
        done = subprocess.run(
            ["bash", "-c", twin.twin.command],
            env=variables,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return "failed", f"no answer within {timeout:g}s", {}
    # Bytes, decoded as they are: universal newlines would turn a body's \r\n into \n.
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        problem = (done.stderr.decode("utf-8", "replace") or output)[-300:]
        return "failed", f"exit {done.returncode}: {problem}", {}
    try:
        result = step.kind_contract.twin_result(twin.spec, output)
    except Exception as error:  # noqa: BLE001 - output the kind cannot read is a failed twin
        return "failed", f"unreadable output ({error}): {output[:300]}", {}
    judged = {**names, "result": result}
    for expectation in step.expectations:
        try:
            holds = expr.evaluate(expectation, judged)
        except expr.ExpressionError as error:
            return "failed", f"{expectation}: {error}", {}
        if not holds:
            return "failed", f"{expectation} does not hold", {}
    saved = {}
    for name, source in step.save.items():
        try:
            saved[name] = expr.evaluate(source, judged)
        except expr.ExpressionError as error:
            return "failed", f"cannot save vars.{name}: {error}", {}
    return "passed", "", saved


@dataclass
class Checker:
    """Compares each top-level step of one procedure's run with its twin."""

    procedure: Procedure
    environment: Environment
    """The sandbox environment moved to the run's sandbox."""
    written_down: Environment
    """The sandbox environment as environments.yaml gives it (default ports)."""
    faults: tuple[str, ...] = ()
    comparisons: list[Comparison] = field(default_factory=list)

    def compare(
        self, step: StepBase, verdict: Verdict, names: dict[str, Any], timeout: float
    ) -> None:
        """Run the step's twin (if it has one) after plbook ran the step, and record both."""
        if writes(step):
            with fresh_sandbox(self.faults) as other:
                self._compare_in(
                    moved_environment(self.written_down, other.ports), step, verdict, names, timeout
                )
        else:
            self._compare_in(self.environment, step, verdict, names, timeout)

    def _compare_in(
        self,
        environment: Environment,
        step: StepBase,
        verdict: Verdict,
        names: dict[str, Any],
        timeout: float,
    ) -> None:
        twin = step_twin(self.procedure, step, ENVIRONMENT, environment)
        if twin.twin is None:
            return
        variables = twin_shell_environment(
            self.procedure, step, environment, names["inputs"], names["vars"]
        )
        env = {**environment.values, "name": ENVIRONMENT}
        judged = {**names, "env": env}
        status, detail, saved = twin_verdict(twin, variables, judged, timeout + 20)
        ours = verdict.attempt.status
        fresh = environment is not self.environment  # a write made anew: new ids, other saves
        if (
            status == ours == "passed"
            and not fresh
            and not _same(saved, dict(verdict.attempt.saved))
        ):
            status, detail = (
                "drift",
                f"saves {saved!r}, plbook saved {dict(verdict.attempt.saved)!r}",
            )
        if status == ours == "passed" and not fresh:
            status, detail = self._check_setters(
                twin, variables, dict(verdict.attempt.saved), timeout
            )
        if twin.twin.not_exact and status == ours:
            status, detail = "not exact", twin.twin.not_exact
        self.comparisons.append(Comparison(self.procedure.id, step.id, ours, status, detail))

    def _check_setters(
        self, twin: StepTwin, variables: dict[str, str], saved: dict[str, Any], timeout: float
    ) -> tuple[str, str]:
        """Give "passed" when each `export VAR=$(…)` line keeps what plbook saved, else why not."""
        context = twin_context(self.procedure, twin.step, {})
        for name, line in twin.setters.items():
            variable = context.variable(Placeholder(VARS, name))
            done = subprocess.run(
                ["bash", "-c", f'{line} && printf %s "${variable}"'],
                env=variables,
                capture_output=True,
                timeout=timeout + 20,
            )
            kept = done.stdout.decode("utf-8", "replace")
            try:
                value = json_util.loads(kept, json_options=_EJSON)
            except ValueError:
                return "drift", f"vars.{name}: its line kept {kept[:200]!r}"
            if not _same({name: value}, {name: saved.get(name)}):
                return "drift", f"vars.{name}: its line keeps {value!r}, plbook {saved.get(name)!r}"
        return "passed", ""


_EJSON = json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=timezone.utc)


def _same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    return json_util.dumps(left, sort_keys=True) == json_util.dumps(right, sort_keys=True)


def comparing_loop(checker: Checker) -> Callable[..., StepLoop]:
    """Give a StepLoop factory whose loop hands each top-level step's verdict to the checker."""

    class ComparingLoop(StepLoop):
        def verdict(self, step: StepBase, context: Any, path: str, *rest: Any) -> Verdict:
            names = {**context.names(), "vars": dict(context.vars)}
            verdict = super().verdict(step, context, path, *rest)
            if "/" not in path and verdict.attempt.status != "skipped":
                checker.compare(step, verdict, names, self.limits_of(step)[0])
            return verdict

    return ComparingLoop


def run_and_compare(
    catalog: Catalog,
    procedure_id: str,
    inputs: dict[str, str],
    runs: Path,
    monkeypatch: Any,
    faults: tuple[str, ...] = (),
) -> list[Comparison]:
    """Run a procedure on a fresh sandbox with these faults, comparing each step with a twin."""
    assert catalog.environments is not None
    listed = catalog.environments.environments
    original = listed[ENVIRONMENT]
    with fresh_sandbox(faults) as sandbox:
        moved = moved_environment(original, sandbox.ports)
        listed[ENVIRONMENT] = moved
        monkeypatch.setenv(SANDBOX_API_VARIABLE, sandbox.api_url)
        monkeypatch.setenv("STRIPE_API_BASE", sandbox.stripe_api_base)
        checker = Checker(catalog.get(procedure_id), moved, original, faults)
        monkeypatch.setattr(engine, "StepLoop", comparing_loop(checker))
        options = RunOptions(
            environment=ENVIRONMENT, inputs=inputs, yes=True, manual="skip", runs_dir=runs
        )
        try:
            engine.run_procedure(
                catalog, procedure_id, options, Terminal(io.StringIO(), io.StringIO())
            )
        finally:
            listed[ENVIRONMENT] = original
    return checker.comparisons
