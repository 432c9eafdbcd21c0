"""Field types shared by the procedure model and every step kind: durations, names, strictness."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

DURATION_HINT = "write a number with a unit, e.g. 500ms, 5s, 2m, 1h or 1h30m"
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> float:
    """Give the number of seconds a duration such as `2m30s`, `500ms` or `5` stands for."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; {DURATION_HINT}")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration; {DURATION_HINT}")
    return _seconds_in(value)


@lru_cache(maxsize=1024)
def _seconds_in(value: str) -> float:
    """Give the seconds of a written duration; cached, as a runbook repeats a few durations."""
    text = value.strip().replace(" ", "")
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"'{value}' is not a duration; {DURATION_HINT}")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def format_duration(seconds: float) -> str:
    """Give a short human form of a duration: `500ms`, `5s`, `2m`, `1h30m`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")


DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$",
            "examples": ["500ms", "5s", "2m", "1h30m"],
        },
        {"type": "number", "exclusiveMinimum": 0},
    ]
}
"""How editors see a duration: text with units, or a positive number of seconds."""

LONGEST_DURATION = 366 * 86400.0
"""Longest duration the format takes anywhere: past a year, a duration is a typo."""

LONGEST_WAIT = 86400.0
"""Longest a step may wait (its timeout, its retry budget, its pause between attempts)."""


def _at_most(limit: float, what: str) -> AfterValidator:
    """Give a validator refusing durations past `limit`; `what` names the limit in words."""

    def check(seconds: float) -> float:
        if seconds > limit:
            raise ValueError(f"longer than {what}; write a shorter duration")
        return seconds

    return AfterValidator(check)


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    Field(gt=0),
    _at_most(LONGEST_DURATION, "366 days, the longest duration plbook takes"),
    WithJsonSchema(DURATION_SCHEMA),
]
"""A positive duration in seconds, written in YAML as `5s`, `2m`, `500ms` or a number of seconds."""

Wait = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    Field(gt=0),
    _at_most(LONGEST_WAIT, "1 day, the longest a step may wait"),
    WithJsonSchema(DURATION_SCHEMA),
]
"""A Duration a step waits for (a timeout, a retry budget or interval): at most a day."""

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
"""A procedure or step id: lowercase letters, digits and dashes, like `rollback-railway`."""

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
"""An input, value, secret or variable name usable in `{{ }}`: letters, digits and underscores."""


class Strict(BaseModel):
    """A part of the format: unknown keys are errors, names as written in YAML."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)


# Where a link's target starts in Markdown or HTML: `](`, a `[ref]:` definition, `<`, `href=`.
_LINK_TARGET = re.compile(
    r"""(?:\]\(|^\s*\[[^\]]*\]:|<|\b(?:href|src|action|formaction)\s*=)\s*["']?<?""",
    re.IGNORECASE | re.MULTILINE,
)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")


def _refuse_script_links(text: str) -> str:
    """Give `text` unchanged, or refuse it when a link in it would run script in a browser."""
    if ":" not in text:
        return text
    for match in _LINK_TARGET.finditer(text):
        # Browsers ignore case, entities, tabs and line breaks in a scheme: `J&#97;va\tscript:`.
        start = text[match.end() : match.end() + 64]
        if "&" in start:
            import html  # only for the rare text with entities: it loads a large table

            start = html.unescape(start)
        target = _INVISIBLE.sub("", start).lower()
        scheme = next((s for s in _SCRIPT_SCHEMES if target.startswith(s)), None)
        if scheme:
            raise ValueError(
                f"a `{scheme}` link would run code in the reader's browser; "
                "link to an https:// page or a plbook: procedure instead"
            )
    return text


Prose = Annotated[str, AfterValidator(_refuse_script_links)]
"""Text shown on a page as Markdown: any link in it is to a page, never `javascript:` or `data:`."""


SIZE_HINT = "write a number of bytes with a unit, e.g. 512KiB, 10MiB or 1GiB"
_SIZE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?")
_UNIT_BYTES = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "KB": 1000, "MB": 1000**2}
_UNIT_BYTES["GB"] = 1000**3


def parse_size(value: Any) -> int:
    """Give the number of bytes a size such as `10MiB`, `512KiB` or `4096` stands for."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    written = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if written is None:
        raise ValueError(f"{value!r} is not a size; {SIZE_HINT}")
    return int(written.group(1)) * _UNIT_BYTES[written.group(2) or "B"]


Size = Annotated[
    int,
    BeforeValidator(parse_size),
    Field(gt=0),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "examples": ["10MiB", "512KiB"]}, {"type": "integer"}]}
    ),
]
"""A positive number of bytes, written in YAML as `10MiB`, `512KiB` or a plain number."""
