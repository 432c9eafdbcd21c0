"""What every step kind shares: how it is shown on a page (StepView) and secret placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECRET_REF = re.compile(r"\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class StepView:
    """A step as a reader sees it: the exact action, its manual twin and implied pass criteria."""

    action: str
    language: str = "text"
    manual_equivalent: str | None = None
    criteria: list[str] = field(default_factory=list)


def with_secret_placeholders(text: str) -> str:
    """Give `text` with every `{{ secrets.NAME }}` shown as the shell variable `$NAME`."""
    return _SECRET_REF.sub(lambda m: "$" + m.group(1), text)
