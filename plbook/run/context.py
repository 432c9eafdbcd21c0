"""What a run knows: the environment, inputs, secrets, saved vars, and the mask for secrets."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from plbook import expr
from plbook.model import Environment

MASK = "*****"
# A secret shorter than this would mask ordinary words; such values are not secrets worth the name.
SHORTEST_MASKED = 4


class Masker:
    """Replaces every secret value with `*****` in text and in nested data."""

    def __init__(self, secret_values: Iterable[str]) -> None:
        values = sorted(
            {v for v in secret_values if v and len(v) >= SHORTEST_MASKED}, key=len, reverse=True
        )
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def text(self, text: str) -> str:
        """Give `text` with every secret value masked."""
        return self._pattern.sub(MASK, text) if self._pattern else text

    def data(self, value: Any) -> Any:
        """Give `value` as plain JSON-ready data with every secret value masked, keys included."""
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        return self.text(str(value))


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
