"""`shell`: a command line run as a subprocess; substituted values are shell-quoted."""

from __future__ import annotations

from plbook.steps.base import StepView, with_secret_placeholders

Spec = str
"""The command line, with `{{ }}` values that are quoted when substituted."""

DEFAULT_EXPECT = ["result.exit_code == 0"]


def describe(spec: Spec) -> StepView:
    """Give the command as it runs; it is its own manual equivalent."""
    return StepView(
        action=with_secret_placeholders(spec),
        language="bash",
        criteria=["The command exits with code 0"],
    )
