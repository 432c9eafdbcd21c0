"""Safe Markdown fragments from arbitrary text: code spans, fences, table cells, prose."""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")


def code_span(text: object) -> str:
    """Give `text` as one inline code span, whatever backticks it holds."""
    value = " ".join(str(text).split("\n"))
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if longest or value.startswith("`") or value.endswith("`") else ""
    return f"{ticks}{pad}{value}{pad}{ticks}"


def fence(text: str, language: str = "text", *, copy: bool = True) -> str:
    """Give `text` as a fenced code block longer than any backtick run inside it.

    `copy=False` marks a block for reading only (Material shows no copy button on `.no-copy`).
    """
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    info = language if copy else f"{{ .{language} .no-copy }}"
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def prose(text: object) -> str:
    """Give author text as Markdown that cannot open a raw HTML tag by accident."""
    return str(text).replace("<", "&lt;")


def table_cell(text: object) -> str:
    """Give text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def html_text(text: object) -> str:
    """Give text escaped for a raw HTML element in the page."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_INLINE_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+!-])")


def plain_text(text: object) -> str:
    """Give author text shown as written: no HTML, no links or emphasis, no `{ attributes }`.

    For titles and other one-line names, which are never Markdown: a title such as
    `Index {userId: 1}` must not be read as attributes, nor `[x](javascript:...)` as a link.
    """
    return _INLINE_SYNTAX.sub(r"\\\1", html_text(" ".join(str(text).split())))
