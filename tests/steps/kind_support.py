"""A step runtime for running one kind in-process: what resolve() and run() need, and no run."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from plbook import expr
from plbook.run.runtime import Resources

ResourceT = TypeVar("ResourceT")


class KindRuntime:
    """A `StepRuntime` over plain values: what a kind's resolve() and run() need, and no run."""

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
        inputs: dict[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.env = env or {}
        self.secrets = secrets or {}
        self.inputs = inputs or {}
        self.timeout = timeout
        self.output_limit = 10 * 1024 * 1024
        self.resources = Resources()
        self.answers: list[str] = []
        self.shown: list[str] = []
        self.printed: list[str] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.nested_passes = True
        self.opened: dict[Hashable, Any] = {}
        self._deadline = time.monotonic() + timeout
        self.evidence_folder = Path(tempfile.mkdtemp(prefix="plbook-kind-"))

    @property
    def deadline(self) -> float:
        return self._deadline

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def render(
        self, value: Any, *, shell: bool = False, overrides: Mapping[str, Any] | None = None
    ) -> Any:
        names = {"inputs": self.inputs, "env": self.env, "secrets": self.secrets, "vars": {}}
        names.update(overrides or {})
        return expr.render(value, names, shell=shell)

    def input_values(self) -> Mapping[str, Any]:
        return self.inputs

    def holds_secret(self, text: str) -> bool:
        return any(value in text for value in self.secrets.values())

    def env_value(self, name: str) -> Any:
        return self.env.get(name)

    def secret(self, name: str) -> str | None:
        return self.secrets.get(name)

    def resource(self, key: Hashable, open_resource: Callable[[], ResourceT]) -> ResourceT:
        opened = self.resources.get(key, open_resource)
        self.opened.setdefault(key, opened)
        return opened

    def evidence_path(self, name: str) -> Path:
        return self.evidence_folder / f"step-{name}"

    def subprocess_environment(self) -> dict[str, str]:
        return dict(os.environ)

    def ask_manual(self, instruction: str) -> str:
        self.shown.append(instruction)
        return self.answers.pop(0)

    def show_message(self, text: str) -> None:
        self.shown.append(text)

    def show_output(self, line: str) -> None:
        self.printed.append(line)

    def run_procedure(self, procedure_id: str, inputs: dict[str, Any]) -> bool:
        self.calls.append((procedure_id, inputs))
        return self.nested_passes
