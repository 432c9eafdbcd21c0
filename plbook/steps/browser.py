"""`browser`: a page opened in headless Chromium and a few actions on it, as a person would do.

`result`: status (of the main document), url, title, text, elements, console_errors,
timings, screenshots, elapsed_ms. Playwright drives the browser: one browser per run (a run
resource), a fresh context per step, and every wait bounded by what is left of the step's
timeout.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from plbook.fields import Identifier, Strict, Wait
from plbook.steps.base import (
    StepFailed,
    StepKind,
    StepRuntime,
    StepView,
    resolve_model,
    with_secret_placeholders,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright

EXECUTABLE_VALUE = "browser_executable"
"""The environment value naming the Chromium to drive (default: the system's `chromium`)."""
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser")
INSTALL_HINT = (
    "install Chromium (`sudo apt-get install chromium`) or Playwright's own "
    "(`python -m playwright install chromium`), or set browser_executable in the environment"
)
LONGEST_TEXT = 20_000
DEFAULT_WAIT = 5.0
# Headless as the project's tests run it; background networking off so that the browser
# talks only to the pages a step opens. Chromium refuses to run as root with its sandbox.
LAUNCH_ARGS = ("--disable-gpu", "--no-first-run", "--disable-background-networking")


class Target(Strict):
    """What to act on: an element by its role and accessible name, or by its text."""

    role: str | None = Field(None, description="ARIA role: link, button, heading, textbox...")
    name: str | None = Field(None, description="Accessible name of the element with `role`.")
    text: str | None = Field(None, description="Visible text of the element.")

    @model_validator(mode="after")
    def _one_way(self) -> Target:
        if (self.role is None) == (self.text is None) or (self.name and not self.role):
            raise ValueError("give `role` (with an optional `name`) or `text`, not both")
        return self


class Fill(Strict):
    """A form field typed into, found by its label or placeholder."""

    label: str | None = Field(None, description="The field's label text.")
    placeholder: str | None = Field(None, description="The field's placeholder text.")
    value: str = Field(description="What to type; `{{ secrets.X }}` is masked everywhere.")

    @model_validator(mode="after")
    def _one_field(self) -> Fill:
        if (self.label is None) == (self.placeholder is None):
            raise ValueError("give the field's `label` or its `placeholder`, one of them")
        return self


class WaitFor(Strict):
    """A wait until text, an element or a URL appears, or until text is gone (a loading state)."""

    text: str | None = Field(None, description="Visible text that must appear.")
    role: str | None = Field(None, description="ARIA role of an element that must appear.")
    name: str | None = Field(None, description="Accessible name of that element.")
    url: str | None = Field(None, description="URL glob the page must reach (`**/history`).")
    gone: str | None = Field(None, description="Visible text that must disappear (`Loading…`).")
    timeout: Wait = Field(DEFAULT_WAIT, description="Longest wait (within the step's timeout).")

    @model_validator(mode="after")
    def _one_condition(self) -> WaitFor:
        given = [n for n in ("text", "role", "url", "gone") if getattr(self, n) is not None]
        if len(given) != 1 or (self.name and not self.role):
            raise ValueError("give exactly one of `text`, `role` (with `name`), `url` or `gone`")
        return self


class Action(Strict):
    """One action, in order: exactly one of goto, click, fill, wait_for, screenshot."""

    goto: str | None = Field(None, description="Open this URL.")
    click: Target | None = Field(None, description="Click an element: {role, name} or {text}.")
    fill: Fill | None = Field(None, description="Type into a field: {label or placeholder, value}.")
    wait_for: WaitFor | None = Field(None, description="Wait for text, a role, a URL, or `gone`.")
    screenshot: Identifier | None = Field(
        None, description="Save a screenshot under this name with the run's evidence."
    )

    @model_validator(mode="after")
    def _one_action(self) -> Action:
        given = [n for n in type(self).model_fields if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("an action is exactly one of goto, click, fill, wait_for, screenshot")
        return self

    @property
    def verb(self) -> str:
        """Give the name of the action (`click`)."""
        return next(n for n in type(self).model_fields if getattr(self, n) is not None)


class Viewport(Strict):
    """The browser window's size in CSS pixels."""

    width: int = Field(1280, gt=0, le=10_000, description="Width in CSS pixels.")
    height: int = Field(800, gt=0, le=10_000, description="Height in CSS pixels.")


class Spec(Strict):
    """The page to open and what to do on it."""

    url: str = Field(description="The page opened first, usually from `{{ env.dashboard_url }}`.")
    viewport: Viewport | None = Field(None, description="Window size; default 1280 x 800.")
    cookies: dict[str, str] = Field(
        default_factory=dict,
        description="Cookies set for the URL's site before it opens (a session token).",
    )
    actions: list[Action] = Field(
        default_factory=list, max_length=50, description="What to do on the page, in order."
    )
    elements: dict[str, str] = Field(
        default_factory=dict, description="CSS selectors counted at the end: `result.elements.X`."
    )


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _target_words(target: Target | WaitFor) -> str:
    if target.role is None:
        return f"'{target.text}'"
    return f"the {target.role} '{target.name}'" if target.name else f"the {target.role}"


def _wait_words(wait: WaitFor) -> str:
    if wait.text is not None:
        condition = f"'{wait.text}' appears"
    elif wait.gone is not None:
        condition = f"'{wait.gone}' is gone"
    elif wait.url is not None:
        condition = f"the address matches {wait.url}"
    else:
        condition = f"{_target_words(wait)} appears"
    return f"wait until {condition} (at most {_seconds(wait.timeout)})"


def action_words(action: Action) -> str:
    """Give an action as a person reads it: "click the link 'History'"."""
    if action.goto is not None:
        return f"open {action.goto}"
    if action.click is not None:
        return f"click {_target_words(action.click)}"
    if action.fill is not None:
        field = action.fill.label or action.fill.placeholder
        return f"type {action.fill.value} into '{field}'"
    if action.wait_for is not None:
        return _wait_words(action.wait_for)
    return f"take a screenshot ({action.screenshot})"


def _all_words(spec: Spec) -> list[str]:
    opening = f"open {spec.url}"
    if spec.cookies:
        opening += " signed in (cookie " + ", ".join(spec.cookies) + ")"
    return [opening] + [action_words(action) for action in spec.actions]


class BrowserKind(StepKind[Spec]):
    """A page in headless Chromium; passes when the main document answers below 400."""

    name = "browser"
    label = "Browser check"
    spec_type = Spec
    default_expect = ("result.status < 400",)
    result_words = {
        "status": "the page's HTTP status",
        "url": "the page's final address",
        "title": "the page title",
        "text": "the page's visible text",
        "elements": "the element counts",
        "console_errors": "the browser console errors",
        "timings": "the page load timings",
        "elapsed_ms": "the time the step took in milliseconds",
    }
    result_part_words = {
        "elements": "the number of `{part}` elements",
        "timings": "the page's `{part}`",
    }

    def describe(self, spec: Spec) -> StepView:
        """Give the actions numbered, in words, and the one line a person follows instead."""
        words = [with_secret_placeholders(w) for w in _all_words(spec)]
        numbered = [f"{number}. {w[0].upper()}{w[1:]}" for number, w in enumerate(words, 1)]
        if spec.elements:
            counted = ", ".join(f"{name} ({css})" for name, css in spec.elements.items())
            numbered.append(f"{len(numbered) + 1}. Count the elements {counted}")
        twin = ", ".join(words)
        return StepView(
            action="\n".join(numbered),
            manual_equivalent=twin[0].upper() + twin[1:],
            heading="In a browser",
            criteria=["The page answers with a status below 400"],
        )

    def action_line(self, spec: Spec) -> str:
        """Give the actions on one line, as the twin reads."""
        return self.describe(spec).manual_equivalent or spec.url

    def resolve(self, spec: Spec, runtime: StepRuntime) -> Spec:
        """Give the spec with every `{{ }}` value filled in."""
        return resolve_model(spec, runtime)

    def shown_files(self, result: Mapping[str, Any]) -> list[str]:
        """Give the screenshots the step took: its page shows them from the last verified run."""
        return [Path(str(path)).name for path in result.get("screenshots") or ()]

    def readiness_problems(self, spec: Spec, environment: Mapping[str, Any]) -> list[str]:
        """Give what stops a browser from starting here: Playwright or Chromium missing."""
        if importlib.util.find_spec("playwright") is None:
            return ["browser steps need Playwright: pip install playwright"]
        try:
            find_executable(environment)
        except StepFailed as missing:
            return [str(missing)]
        return []

    def run(self, spec: Spec, runtime: StepRuntime) -> dict[str, Any]:
        """Open the page in a fresh context, do the actions; give what the page showed."""
        from playwright.sync_api import Error

        started = time.monotonic()
        executable = find_executable({EXECUTABLE_VALUE: runtime.env_value(EXECUTABLE_VALUE)})
        browser = runtime.resource(
            (_BROWSER, executable), lambda: RunBrowser(executable, runtime.remaining())
        ).browser
        viewport = spec.viewport or Viewport.model_validate({})
        context = browser.new_context(viewport={"width": viewport.width, "height": viewport.height})
        # Also bounds what takes no timeout of its own (counting elements, reading the title).
        context.set_default_timeout(max(runtime.remaining(), 0.001) * 1000)
        try:
            if spec.cookies:
                cookies = [
                    {"name": k, "value": v, "url": spec.url} for k, v in spec.cookies.items()
                ]
                context.add_cookies(cookies)  # type: ignore[arg-type]
            visit = Visit(context.new_page(), runtime, started)
            try:
                visit.perform(spec)
            except StepFailed as failure:
                raise StepFailed(str(failure), visit.seen(spec, failed=True)) from None
            except Error as error:
                problem = str(error).splitlines()[0]
                raise StepFailed(f"the browser failed: {problem}", visit.seen(spec)) from None
            return visit.seen(spec)
        finally:
            context.close()


KIND = BrowserKind()
_BROWSER = "browser.chromium"


def find_executable(environment: Mapping[str, Any]) -> str | None:
    """Give the Chromium to launch: the environment's, the system's, else None (Playwright's)."""
    chosen = environment.get(EXECUTABLE_VALUE)
    if chosen:
        path = shutil.which(str(chosen))
        if path is None:
            raise StepFailed(f"{EXECUTABLE_VALUE} '{chosen}' is not an executable; {INSTALL_HINT}")
        return path
    for name in SYSTEM_CHROMIUMS:
        if path := shutil.which(name):
            return path
    if _playwright_chromium_installed():
        return None
    raise StepFailed(f"no Chromium for browser steps: {INSTALL_HINT}")


def _playwright_chromium_installed() -> bool:
    """Tell whether `playwright install chromium` has put a browser in its cache."""
    cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache/ms-playwright")
    return bool(glob.glob(os.path.join(cache, "chromium*-*")))


class RunBrowser:
    """Playwright and one headless Chromium, started once for a run and closed at its end."""

    def __init__(self, executable: str | None, timeout: float) -> None:
        from playwright.sync_api import Error, sync_playwright

        self._playwright: Playwright = sync_playwright().start()
        args = [*LAUNCH_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
        try:
            self.browser: Browser = self._playwright.chromium.launch(
                executable_path=executable, headless=True, args=args, timeout=timeout * 1000
            )
        except Error as error:
            self._playwright.stop()
            first = str(error).splitlines()[0]
            raise StepFailed(
                f"cannot start Chromium ({executable or 'Playwright'}): {first}"
            ) from None

    def close(self) -> None:
        """Close the browser, then Playwright."""
        try:
            self.browser.close()
        finally:
            self._playwright.stop()


class Visit:
    """One step's tab: the actions done on it and what it showed, within the step's deadline."""

    def __init__(self, page: Page, runtime: StepRuntime, started: float) -> None:
        self.page = page
        self.runtime = runtime
        self.started = started
        self.status: int | None = None
        self.status_text = ""
        self.console_errors: list[str] = []
        self.screenshots: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _response(self, response: Any) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.status, self.status_text = response.status, response.status_text

    def budget(self, seconds: float | None = None) -> float:
        """Give the milliseconds an action may wait: its own limit within the step's deadline."""
        left = self.runtime.remaining()
        if left <= 0:
            raise StepFailed(f"the step's timeout of {_seconds(self.runtime.timeout)} ran out")
        return min(left, seconds if seconds is not None else left) * 1000

    def perform(self, spec: Spec) -> None:
        """Open the page, then do each action in order; StepFailed names the one that failed."""
        self.goto(spec.url)
        for number, action in enumerate(spec.actions, start=2):
            try:
                self._do(action)
            except StepFailed as failure:
                raise StepFailed(f"action {number} ({action.verb}): {failure}") from None

    def goto(self, url: str) -> None:
        """Open `url` and wait for its load; a main document of 400 or more fails the step."""
        from playwright.sync_api import TimeoutError

        try:
            self.page.goto(url, timeout=self.budget())
        except TimeoutError:
            raise StepFailed(f"{url} did not load within the step's timeout") from None
        self._check_status()

    def _check_status(self) -> None:
        if self.status is not None and self.status >= 400:
            answer = f"{self.status} {self.status_text}".strip()
            raise StepFailed(f"the page answered {answer}: {self.page.url}")

    def _do(self, action: Action) -> None:
        from playwright.sync_api import TimeoutError

        steps: dict[str, Callable[[Any], None]] = {
            "goto": self.goto,
            "click": self._click,
            "fill": self._fill,
            "wait_for": self._wait_for,
            "screenshot": self._screenshot,
        }
        try:
            steps[action.verb](getattr(action, action.verb))
        except TimeoutError:
            if self.runtime.remaining() < 0.05:
                # The step's own timeout cut the wait short: say so, not the wait's limit.
                timeout = _seconds(self.runtime.timeout)
                raise StepFailed(f"the step's timeout of {timeout} ran out") from None
            raise StepFailed(_timeout_words(action, self.page.url)) from None
        self._check_status()

    def _locate(self, target: Target | WaitFor) -> Locator:
        if target.role is not None:
            found = self.page.get_by_role(target.role, name=target.name)  # type: ignore[arg-type]
        else:
            found = self.page.get_by_text(str(target.text))
        return found.first

    def _click(self, target: Target) -> None:
        self._locate(target).click(timeout=self.budget(DEFAULT_WAIT))

    def _fill(self, fill: Fill) -> None:
        found = (
            self.page.get_by_label(fill.label)
            if fill.label is not None
            else self.page.get_by_placeholder(str(fill.placeholder))
        )
        found.first.fill(fill.value, timeout=self.budget(DEFAULT_WAIT))

    def _wait_for(self, wait: WaitFor) -> None:
        budget = self.budget(wait.timeout)
        if wait.url is not None:
            self.page.wait_for_url(wait.url, timeout=budget)
        elif wait.gone is not None:
            self.page.get_by_text(wait.gone).first.wait_for(state="hidden", timeout=budget)
        else:
            self._locate(wait).wait_for(state="visible", timeout=budget)

    def _screenshot(self, name: str) -> None:
        path = self.runtime.evidence_path(f"{name}.png")
        self.page.screenshot(path=str(path), timeout=self.budget())
        self.screenshots.append(str(path))

    def seen(self, spec: Spec, failed: bool = False) -> dict[str, Any]:
        """Give the page as it is now: status, address, title, text, counts, errors, timings."""
        from playwright.sync_api import Error

        result: dict[str, Any] = {"status": self.status, "url": self.page.url}
        try:
            if failed and self.runtime.remaining() > 0:
                self._screenshot("failed")
            result["title"] = self.page.title()
            text = str(self.page.evaluate(_VISIBLE_TEXT))
            result["text"] = text[:LONGEST_TEXT]
            result["elements"] = {
                name: self.page.locator(css).count() for name, css in spec.elements.items()
            }
            result["timings"] = self.page.evaluate(_TIMINGS)
        except Error:
            result.setdefault("title", "")  # the page went away: give what is known
        result["console_errors"] = list(self.console_errors)
        result["screenshots"] = list(self.screenshots)
        result["elapsed_ms"] = round((time.monotonic() - self.started) * 1000, 1)
        return result


def _timeout_words(action: Action, url: str) -> str:
    if action.wait_for is not None:
        wait = action.wait_for
        after = _seconds(wait.timeout)
        if wait.gone is not None:
            return f"still loading after {after}: '{wait.gone}' is still shown"
        if wait.url is not None:
            return f"the page did not reach {wait.url} within {after}; it is at {url}"
        what = _target_words(wait)
        return f"{what} did not appear within {after}"
    if action.click is not None:
        return f"found nothing to click: {_target_words(action.click)}"
    if action.fill is not None:
        return f"found no field '{action.fill.label or action.fill.placeholder}' to type into"
    return f"{action.verb} did not finish within the step's timeout"


_VISIBLE_TEXT = "() => document.body ? document.body.innerText : ''"
_TIMINGS = """() => {
  const entry = performance.getEntriesByType("navigation")[0];
  if (!entry) return {};
  return {dom_content_loaded_ms: Math.round(entry.domContentLoadedEventEnd),
          load_ms: Math.round(entry.loadEventEnd)};
}"""
