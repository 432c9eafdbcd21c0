"""Stripe's form encoding: `line_items[0][price]=p&expand[]=x` read back into nested data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def decode_stripe_form(body: str) -> dict[str, Any]:
    """Give the nested dicts and lists that a Stripe form-encoded body stands for."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head = key.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(key[len(head) :])]
        node: dict[str, Any] = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        # `expand[]=x` appends; the list is held as a dict keyed by position until the end.
        node[parts[-1] or str(len(node))] = value
    return _lists_from_numbered_dicts(root)


def _lists_from_numbered_dicts(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _lists_from_numbered_dicts(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
