"""The one error type for what a user did wrong: a bad procedure or a bad call."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake, located as `file:line:col` so an editor can jump to it."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class PlbookError(Exception):
    """A user mistake: printed once at the CLI boundary, exit code 2, never a traceback."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("plbook", 0, 0, problems)]
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, file: str, line: int, column: int, message: str) -> PlbookError:
        """Give an error for a single located problem."""
        return cls([Problem(file, line, column, message)])

    def lines(self) -> list[str]:
        """Give one printable line per problem; a call error without a place prints bare."""
        return [p.message if p.line == 0 else str(p) for p in self.problems]


def did_you_mean(
    word: str, options: Iterable[str], *, count: int = 1, quoted: bool = True, cutoff: float = 0.6
) -> str | None:
    """Give `did you mean 'x'?` for the options closest to a mistyped word, or None."""
    close = difflib.get_close_matches(word, list(options), n=count, cutoff=cutoff)
    if not close:
        return None
    return "did you mean " + ", ".join(f"'{c}'" if quoted else c for c in close) + "?"
