"""`plbook show ID --env NAME --twin`: the manual twins of every step, ready to paste."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).with_name("plbook")
PLBOOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plbook"]


def show(*arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PLBOOK_SANDBOX_PORTS"}
    return subprocess.run(
        [*PLBOOK, "show", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )


def test_twin_lines_are_filled_in_for_the_chosen_environment() -> None:
    done = show("troubleshoot-quota-desync", "--env", "production", "--twin")

    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("# production: set these first\nexport EMAIL=test@example.com")
    assert "{{" not in text
    assert (
        'mongosh "${MONGODB_URI}" --quiet --json=relaxed --eval \'db.users.findOne('
        '{"email": process.env.EMAIL}, {"apiToken": 0})\'' in text
    )
    # Stripe's own API needs no --api-base; the secret is a variable, never its value.
    assert (
        "stripe subscriptions list -d status=canceled -d limit=100 "
        '--api-key "${STRIPE_SECRET_KEY}"\n' in text
    )
    assert "export CANCELED_IDS=$(stripe subscriptions list" in text
    assert (
        "sk_test_plbook_sandbox"
        not in show("troubleshoot-quota-desync", "--env", "sandbox", "--twin").stdout
    )


def test_env_without_twin_is_a_usage_error() -> None:
    done = show("smoke-tests", "--env", "production")

    assert done.returncode == 2
    assert "--env goes with --twin" in done.stderr
