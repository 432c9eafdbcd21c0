"""What a run knows: the environment, inputs, secrets, saved vars, and the mask for secrets."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, quote_plus, unquote

from plbook import expr
from plbook.model import Environment

MASK = "*****"
# A secret shorter than this would mask ordinary words; such a value is refused before step 1.
SHORTEST_MASKED = 4


def masked_forms(value: str) -> set[str]:
    """Give the forms of a secret value that must never be shown.

    As CI systems do: the value, its stripped form (a token read with `$(cat token)` keeps its
    newline), its base64, URL-encoded, JSON-escaped and Python-repr forms, and the password of a
    connection string, which client libraries quote in their errors.
    """
    stripped = value.strip()
    forms = {value, stripped}
    for each in (value, stripped):
        raw = each.encode()
        forms |= {
            base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode(),
            base64.b64encode(raw).decode().rstrip("="),
            quote(each, safe=""),
            quote_plus(each),
            json.dumps(each)[1:-1],
            repr(each)[1:-1],
        }
    forms |= _connection_string_secrets(stripped)
    return {form for form in forms if len(form) >= SHORTEST_MASKED}


def _connection_string_secrets(value: str) -> set[str]:
    """Give a URL's password, and what follows the last colon of its address when not a port."""
    if "://" not in value:
        return set()
    address = value.split("://", 1)[1].split("/", 1)[0]
    credentials, _, hosts = address.rpartition("@")
    found = {unquote(credentials.partition(":")[2])} if credentials else set()
    after_colon = hosts.rpartition(":")[2] if ":" in hosts else ""
    if after_colon and not after_colon.isdigit():
        found.add(after_colon)  # "user@host:s3cr3t" is read as a port, and quoted back
    return found


class Masker:
    """Replaces every secret value, in every form it may take, with `*****` in text and data."""

    def __init__(self, secret_values: Iterable[str]) -> None:
        forms: set[str] = set()
        for value in secret_values:
            if value:
                forms |= masked_forms(value)
        values = sorted(forms, key=len, reverse=True)
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


def too_short_secrets(secrets: dict[str, str]) -> list[str]:
    """Give a problem line for each secret too short to be masked (its value is not shown)."""
    return [
        f"secret {name} is shorter than {SHORTEST_MASKED} characters, too short to be masked "
        "safely; use the real value (check the variable is set right)"
        for name, value in sorted(secrets.items())
        if len(value.strip()) < SHORTEST_MASKED
    ]


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
