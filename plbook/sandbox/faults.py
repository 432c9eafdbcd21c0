"""The faults the sandbox can inject, so troubleshooting procedures have something to find."""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, str] = {
    "db-down": "The MongoDB server is stopped; /api/health answers 503 with database disconnected.",
    "slow-api": "Every backend API response is delayed about 1.5 s; /api/health still answers 200.",
    "bad-webhook-secret": (
        "The backend's STRIPE_WEBHOOK_SECRET is wrong, so signed Stripe events are rejected "
        "with 400 and the user is not upgraded."
    ),
    "quota-desync": (
        "The data holds free users whose usageCount exceeds the limit of 50 and a pro user "
        "whose Stripe subscription is canceled."
    ),
    "bad-deploy": (
        "The current backend deployment is a bad one: every /api/* answers 500 until it is "
        "rolled back with `railway rollback`."
    ),
    "bad-dashboard-deploy": (
        "The current dashboard deployment is a bad one: its pages answer 500 until a previous "
        "deployment is promoted with `vercel promote`."
    ),
    "dashboard-stuck-loading": (
        "The dashboard's history page answers 200 but never leaves its loading state: its "
        "client script looks for the prompts where the API does not put them."
    ),
}

SLOW_API_DELAY_SECONDS = 1.5


class UnknownFaultError(ValueError):
    """A fault name that the sandbox does not know."""


def check_fault_names(names: Iterable[str]) -> list[str]:
    """Give the fault names in FAULTS order, or raise UnknownFaultError naming the unknown ones."""
    wanted = set(names)
    unknown = sorted(wanted - FAULTS.keys())
    if unknown:
        raise UnknownFaultError(
            f"unknown fault {', '.join(unknown)}; known faults: {', '.join(FAULTS)}"
        )
    return [name for name in FAULTS if name in wanted]
