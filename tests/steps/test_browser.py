"""The `browser` kind: its page view, its readiness, and real pages in headless Chromium."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import SESSION_COOKIE, TEST_SESSION_TOKEN, free_ports
from plbook.sandbox.dashboard_pages import LOADING_TEXT
from plbook.steps.base import StepFailed
from plbook.steps.browser import INSTALL_HINT, KIND, Spec
from steps.kind_support import KindRuntime

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed"
)


# The kind runs in a thread of its own, as in a `plbook run` process: the site tests keep a
# Playwright session (and its event loop) open in the main thread for the whole session.
BROWSER_THREAD = ThreadPoolExecutor(max_workers=1)


def spec(**fields: Any) -> Spec:
    return Spec.model_validate(fields)


def history_spec(**more: Any) -> Spec:
    return spec(
        url="{{ env.dashboard_url }}/history",
        cookies={SESSION_COOKIE: "{{ secrets.SESSION }}"},
        actions=[{"wait_for": {"gone": LOADING_TEXT, "timeout": "2s"}}],
        elements={"prompts": "#prompts li"},
        **more,
    )


def test_describe_numbers_the_actions_in_words_and_gives_the_twin_a_person_follows() -> None:
    view = KIND.describe(
        spec(
            url="{{ env.dashboard_url }}/",
            actions=[
                {"click": {"role": "link", "name": "History"}},
                {"fill": {"label": "Password", "value": "{{ secrets.PASSWORD }}"}},
                {"wait_for": {"text": "My saved prompt", "timeout": "2s"}},
                {"screenshot": "history"},
            ],
        )
    )
    assert view.action.splitlines() == [
        "1. Open {{ env.dashboard_url }}/",
        "2. Click the link 'History'",
        "3. Type $PASSWORD into 'Password'",
        "4. Wait until 'My saved prompt' appears (at most 2 s)",
        "5. Take a screenshot (history)",
    ]
    assert view.manual_equivalent == (
        "Open {{ env.dashboard_url }}/, click the link 'History', type $PASSWORD into "
        "'Password', wait until 'My saved prompt' appears (at most 2 s), "
        "take a screenshot (history)"
    )
    assert KIND.default_expect == ("result.status < 400",)


@pytest.mark.parametrize(
    "action",
    [
        {"click": {"text": "A"}, "goto": "http://x"},
        {"wait_for": {"timeout": "2s"}},
        {"wait_for": {"text": "A", "url": "**/x"}},
        {"click": {"role": "link", "text": "A"}},
        {"fill": {"value": "x"}},
        {"screenshot": "{{ secrets.TOKEN }}"},
    ],
)
def test_an_action_that_is_not_exactly_one_clear_thing_is_refused(action: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        spec(url="http://x", actions=[action])


def test_a_missing_browser_is_a_readiness_problem_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    problems = KIND.readiness_problems(
        spec(url="http://x"), {"browser_executable": "/nowhere/chromium"}
    )
    assert problems == [
        f"browser_executable '/nowhere/chromium' is not an executable; {INSTALL_HINT}"
    ]
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    assert KIND.readiness_problems(spec(url="http://x"), {}) == [
        f"no Chromium for browser steps: {INSTALL_HINT}"
    ]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(ports=SandboxPorts(*free_ports(4))) as running:
        yield running


@pytest.fixture
def dashboard(sandbox: Sandbox) -> Iterator[KindRuntime]:
    """Give a runtime that opens the sandbox's dashboard signed in; faults cleared after."""
    made = KindRuntime(
        env={"dashboard_url": sandbox.dashboard_url},
        secrets={"SESSION": TEST_SESSION_TOKEN},
        timeout=20,
    )
    yield made
    BROWSER_THREAD.submit(made.resources.close).result()
    sandbox.set_faults([])


def run(runtime: KindRuntime, written: Spec) -> dict[str, Any]:
    return BROWSER_THREAD.submit(lambda: KIND.run(KIND.resolve(written, runtime), runtime)).result()


@needs_chromium
@pytest.mark.browser
def test_history_gives_status_text_counts_timings_and_no_console_errors(dashboard) -> None:
    result = run(dashboard, history_spec())
    assert result["status"] == 200
    assert result["url"].endswith("/history")
    assert result["title"] == "History"
    assert LOADING_TEXT not in result["text"]
    assert result["elements"]["prompts"] >= 1
    assert result["console_errors"] == []
    assert 0 < result["timings"]["dom_content_loaded_ms"] <= result["timings"]["load_ms"]
    assert result["elapsed_ms"] > 0


@needs_chromium
@pytest.mark.browser
def test_one_browser_serves_the_run_and_each_step_gets_a_fresh_context(dashboard) -> None:
    run(dashboard, history_spec())
    signed_out = run(dashboard, spec(url="{{ env.dashboard_url }}/"))
    assert len(dashboard.opened) == 1
    assert "Sign in with Google" in signed_out["text"]  # the cookie of the step before is gone


@needs_chromium
@pytest.mark.browser
def test_a_stuck_loading_state_fails_with_the_loading_text_seen(dashboard, sandbox) -> None:
    sandbox.set_faults(["dashboard-stuck-loading"])
    with pytest.raises(StepFailed) as failed:
        run(dashboard, history_spec())
    assert str(failed.value) == (
        f"action 2 (wait_for): still loading after 2 s: '{LOADING_TEXT}' is still shown"
    )
    assert LOADING_TEXT in failed.value.result["text"]
    assert Path(failed.value.result["screenshots"][0]).name == "step-failed.png"


@needs_chromium
@pytest.mark.browser
def test_a_broken_deployment_fails_with_the_500_named(dashboard, sandbox) -> None:
    sandbox.set_faults(["bad-dashboard-deploy"])
    with pytest.raises(StepFailed) as failed:
        run(dashboard, history_spec())
    assert str(failed.value).startswith("the page answered 500 Internal Server Error: ")
    assert failed.value.result["status"] == 500


@needs_chromium
@pytest.mark.browser
def test_the_step_timeout_bounds_every_wait(dashboard, sandbox) -> None:
    sandbox.set_faults(["dashboard-stuck-loading"])
    run(dashboard, spec(url="{{ env.dashboard_url }}/"))  # the browser is started already
    short = KindRuntime(env=dashboard.env, secrets=dashboard.secrets, timeout=1.5)
    short.resources = dashboard.resources
    written = history_spec()
    waiting = spec(**{**written.model_dump(), "actions": [{"wait_for": {"gone": LOADING_TEXT}}]})
    started = time.monotonic()
    with pytest.raises(StepFailed, match="the step's timeout of 1.5 s ran out"):
        run(short, waiting)
    assert time.monotonic() - started < 4


@needs_chromium
@pytest.mark.browser
def test_click_and_screenshot_save_a_file_named_by_the_step(dashboard) -> None:
    result = run(
        dashboard,
        spec(
            url="{{ env.dashboard_url }}/",
            cookies={SESSION_COOKIE: "{{ secrets.SESSION }}"},
            actions=[
                {"click": {"role": "link", "name": "History"}},
                {"wait_for": {"url": "**/history"}},
                {"screenshot": "history"},
            ],
        ),
    )
    shot = Path(result["screenshots"][0])
    assert shot.name == "step-history.png"
    assert shot.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(
        StepFailed, match="action 2 \\(click\\): found nothing to click: the link 'Nowhere'"
    ):
        run(
            dashboard,
            spec(
                url="{{ env.dashboard_url }}/",
                actions=[{"click": {"role": "link", "name": "Nowhere"}}],
            ),
        )
