"""What a step's kind may use while it runs: values, secrets, resources, questions, a deadline."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from plbook import expr
from plbook.model import Environment
from plbook.run.context import RunContext

ResourceT = TypeVar("ResourceT")


class Resources:
    """The clients kinds open during a run, each once, all closed when the run ends."""

    def __init__(self) -> None:
        self._opened: dict[Hashable, Any] = {}
        self._stack = ExitStack()

    def get(self, key: Hashable, open_resource: Callable[[], ResourceT]) -> ResourceT:
        """Give the resource under `key`, opening it on first use."""
        if key not in self._opened:
            resource = open_resource()
            if isinstance(resource, AbstractContextManager):
                self._stack.enter_context(resource)
            elif callable(close := getattr(resource, "close", None)):
                self._stack.callback(close)
            self._opened[key] = resource
        return cast(ResourceT, self._opened[key])

    def close(self) -> None:
        """Close every resource opened, the last opened first."""
        self._opened.clear()
        self._stack.close()


def tool_path(environment: Environment) -> str:
    """Give the PATH a run's commands see: the environment's tool folders first."""
    # plbook's own bin folder goes last, so a `plbook validate` step works from a venv too.
    folders = [str(folder) for folder in environment.tool_directories()]
    folders += [os.environ.get("PATH", ""), str(Path(sys.executable).parent)]
    return os.pathsep.join(folders)


class StepHost(Protocol):
    """What the step loop gives a runtime: the run's resources, questions and nested runs."""

    resources: Resources
    path: str
    evidence_folder: Path

    def ask_manual(self, instruction: str, path: str) -> str:
        """Give pass, fail or skip for the manual instruction of the step at `path`."""

    def show_message(self, text: str) -> None:
        """Show a rendered message."""

    def show_output(self, path: str, line: str) -> None:
        """Show a line the step at `path` printed, as it prints it."""

    def holds_secret(self, text: str) -> bool:
        """Tell whether text contains a secret of the run in a form the mask hides."""

    def run_nested(
        self, procedure_id: str, inputs: dict[str, Any], context: RunContext, path: str
    ) -> bool:
        """Run another procedure inline under `path/`; give whether none of its checks failed."""


class RunStepRuntime:
    """The runtime of one step of a run (see `plbook.steps.base.StepRuntime`)."""

    def __init__(
        self, host: StepHost, context: RunContext, limits: tuple[float, int], path: str
    ) -> None:
        self._host = host
        self._context = context
        self._path = path
        self.timeout, self.output_limit = limits
        self._deadline = time.monotonic() + self.timeout

    @property
    def step_path(self) -> str:
        """Give the path of the step this runtime runs (`smoke/health`)."""
        return self._path

    def start_attempt(self, budget_end: float | None = None) -> None:
        """Start the clock of a new attempt: `timeout` from now, and never past `budget_end`."""
        self._deadline = time.monotonic() + self.timeout
        if budget_end is not None:
            self._deadline = min(self._deadline, budget_end)

    @property
    def deadline(self) -> float:
        """Give the `time.monotonic()` moment by which the current attempt must end."""
        return self._deadline

    def remaining(self) -> float:
        """Give the seconds left before the attempt's deadline (never below zero)."""
        return max(0.0, self._deadline - time.monotonic())

    def render(
        self, value: Any, *, shell: bool = False, overrides: Mapping[str, Any] | None = None
    ) -> Any:
        """Give `value` with every `{{ }}` filled in from the run (`overrides` replacing names)."""
        names = self._context.names()
        if overrides:
            names.update(overrides)
        return expr.render(value, names, shell=shell)

    def input_values(self) -> Mapping[str, Any]:
        """Give the inputs of the procedure the step belongs to."""
        return self._context.inputs

    def holds_secret(self, text: str) -> bool:
        """Tell whether text contains a secret of the run."""
        return self._host.holds_secret(text)

    def env_value(self, name: str) -> Any:
        """Give the chosen environment's value `name`."""
        return self._context.env.get(name)

    def secret(self, name: str) -> str | None:
        """Give a secret's value, or None when it is not set."""
        return self._context.secrets.get(name)

    def resource(self, key: Hashable, open_resource: Callable[[], ResourceT]) -> ResourceT:
        """Give the run's resource under `key`, opened on first use and closed at the end."""
        return self._host.resources.get(key, open_resource)

    def evidence_path(self, name: str) -> Path:
        """Give where the step saves a file kept with the run's evidence."""
        self._host.evidence_folder.mkdir(parents=True, exist_ok=True)
        return self._host.evidence_folder / f"{self._path.replace('/', '--')}-{name}"

    def subprocess_environment(self) -> dict[str, str]:
        """Give the environment variables a subprocess runs with."""
        return {**os.environ, "PATH": self._host.path}

    def ask_manual(self, instruction: str) -> str:
        """Give a person's answer to a manual step."""
        return self._host.ask_manual(instruction, self._path)

    def show_message(self, text: str) -> None:
        """Show a rendered message."""
        self._host.show_message(text)

    def show_output(self, line: str) -> None:
        """Show a line the step printed, as it prints it."""
        self._host.show_output(self._path, line)

    def run_procedure(self, procedure_id: str, inputs: dict[str, Any]) -> bool:
        """Run another procedure inline; give whether every check passed."""
        return self._host.run_nested(procedure_id, inputs, self._context, self._path)
