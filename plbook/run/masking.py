"""Secrets out of sight: every form of a value masked, and put back where a resume needs it."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, quote_plus, unquote

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


def secrets_held(value: Any, secrets: dict[str, str]) -> list[str]:
    """Give the secrets a saved value holds, in the order they occur: `NAME`, or `NAME|strip`."""
    by_value: dict[str, str] = {}
    for name, secret in secrets.items():
        by_value.setdefault(secret.strip(), f"{name}|strip")
        by_value[secret] = name
    by_value = {v: held for v, held in by_value.items() if len(v) >= SHORTEST_MASKED}
    if not by_value:
        return []
    pattern = re.compile("|".join(re.escape(v) for v in sorted(by_value, key=len, reverse=True)))
    return [by_value[found] for text in _texts(value) for found in pattern.findall(text)]


def with_secrets_restored(value: Any, held: list[str], secrets: dict[str, str]) -> Any:
    """Give a journaled (masked) value with each mask put back as the secret it hid, in order."""
    pending = iter(held)

    def secret_of(entry: str) -> str:
        name, _, form = entry.partition("|")
        secret = secrets.get(name, MASK)
        return secret.strip() if form == "strip" else secret

    def restore(text: str) -> str:
        return re.sub(re.escape(MASK), lambda _: secret_of(next(pending, "")), text)

    return _map_texts(value, restore)


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def _map_texts(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _map_texts(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_texts(item, change) for item in value]
    return value


def restored_secret_vars(
    saved: dict[str, Any], events: list[dict[str, Any]], secrets: dict[str, str]
) -> dict[str, Any]:
    """Give a resumed run's vars with the secrets they held put back (the journal masks them)."""
    held: dict[str, list[str]] = {}
    for event in events:
        if event.get("event") == "step-finished" and event.get("status") == "passed":
            held.update(event.get("saved_secrets", {}))
    return {
        name: with_secrets_restored(value, held[name], secrets) if held.get(name) else value
        for name, value in saved.items()
    }


def too_short_secrets(secrets: dict[str, str]) -> list[str]:
    """Give a problem line for each secret too short to be masked (its value is not shown)."""
    return [
        f"secret {name} is shorter than {SHORTEST_MASKED} characters, too short to be masked "
        "safely; use the real value (check the variable is set right)"
        for name, value in sorted(secrets.items())
        if len(value.strip()) < SHORTEST_MASKED
    ]
