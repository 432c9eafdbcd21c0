"""What a run knows: the environment, inputs, secrets and saved vars."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plbook import expr
from plbook.model import Environment


def secret_values(environment: Environment, names: Iterable[str]) -> dict[str, str]:
    """Give the secrets that have a value: the environment variable, else the default."""
    found: dict[str, str] = {}
    for name in set(names) | set(environment.secrets):
        value = os.environ.get(name) or environment.secrets.get(name)
        if value:
            found[name] = value
    return found


@dataclass
class RunContext:
    """The values a procedure's `{{ }}` parts and expectations read."""

    environment_name: str
    environment: Environment
    inputs: dict[str, Any]
    secrets: dict[str, str]
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, Any]:
        """Give the environment's values, with `name` its own name."""
        return {**self.environment.values, "name": self.environment_name}

    def names(self, result: Any = None) -> dict[str, Any]:
        """Give the names an expression may read, `result` included."""
        return {
            "result": result,
            "inputs": self.inputs,
            "env": self.env,
            "vars": self.vars,
            "secrets": self.secrets,
            "now": expr.now(),
        }

    def for_procedure(self, inputs: dict[str, Any]) -> RunContext:
        """Give the context of a nested procedure: same environment and secrets, its own inputs."""
        return RunContext(self.environment_name, self.environment, inputs, self.secrets)
