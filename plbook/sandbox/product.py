"""PromptLens's product rules as the backend applies them: plans, quotas, the optimizer."""

from __future__ import annotations

from datetime import timedelta

FREE_LIMIT = 50
# The runbook does not state the Pro quota; the sandbox uses 1000 requests a month.
PRO_LIMIT = 1000
PLAN_LIMITS = {"free": FREE_LIMIT, "pro": PRO_LIMIT}
QUOTA_PERIOD = timedelta(days=30)


def optimize_prompt(prompt: str) -> str:
    """Give the sandbox's deterministic stand-in for the Gemini-optimized prompt."""
    return (
        "You are an expert assistant. "
        f"Task: {prompt.strip()}\n"
        "Be specific, state your assumptions, and answer in a clear structure."
    )
