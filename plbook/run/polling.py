"""A step's retry budget as it is spent: whether to try again, and what to show while polling."""

from __future__ import annotations

import time
from typing import Any

from plbook.records import Attempt
from plbook.steps import Retry


class Poll:
    """The polling of one step: started now, bounded by its attempts and its time budget."""

    def __init__(self, retry: Retry | None, path: str) -> None:
        self.retry = retry
        self.path = path
        self.interval = retry.interval if retry else 0.0
        self.deadline = (
            time.monotonic() + retry.timeout if retry is not None and retry.timeout else None
        )

    def another(self, attempts: int) -> bool:
        """Give whether a failed attempt is followed by another within the budget."""
        if self.retry is None:
            return False
        if self.retry.attempts is not None and attempts >= self.retry.attempts:
            return False
        return self.deadline is None or time.monotonic() + self.interval < self.deadline

    def left(self) -> float | None:
        """Give the seconds left of the time budget, or None when it has none."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def event(self, attempts: int, outcome: Attempt) -> dict[str, Any]:
        """Give the `attempt-failed` event of a poll: which attempt, what it saw, what is left."""
        return {
            "event": "attempt-failed",
            "path": self.path,
            "attempt": attempts,
            "of": self.retry.attempts if self.retry else None,
            "left_s": None if (left := self.left()) is None else round(left, 1),
            "seen": last_seen(outcome),
        }


def last_seen(outcome: Attempt) -> str:
    """Give what a failed attempt saw, in one line: the value the first failed check read."""
    for failure in outcome.failures:
        if failure.values:
            return failure.values[0]
        return f"not {failure.expression}"
    return outcome.error or "failed"
