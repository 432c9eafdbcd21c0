"""Quoting a value for the place in a bash command line where it is put, as one word."""

from __future__ import annotations

import re
import shlex

BARE, SINGLE, DOUBLE = "", "'", '"'


def quote_state_after(text: str, state: str = BARE) -> str:
    """Give the quoting in force after `text`, read from `state`: bare, single or double."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif state == SINGLE:
            state = BARE if char == "'" else state
        elif char == "\\":
            escaped = True
        elif state == DOUBLE:
            state = BARE if char == '"' else state
        elif char in (SINGLE, DOUBLE):
            state = char
    return state


def quote_in(text: str, state: str) -> str:
    """Give `text` written so that bash reads it as is, where `state` quoting is in force."""
    if state == DOUBLE:
        return re.sub(r'(["\\$`])', r"\\\1", text)
    if state == SINGLE:
        return text.replace("'", "'\\''")
    return shlex.quote(text)
