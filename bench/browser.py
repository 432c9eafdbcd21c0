"""Benchmark browser steps: 20 checks of the sandbox dashboard by `plbook run` and by Playwright.

    .venv/bin/python bench/browser.py [--repeat 3]

Each contender is a fresh process that starts headless Chromium (Debian's, with the same
flags) and loads the signed-in history page 20 times, each in a fresh context, waiting for
the loading state to go and checking the page's text and its list of prompts; the figure is
the median wall time of the repeats. The sandbox runs on free ports.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plbook.sandbox import Sandbox, SandboxPorts
from plbook.sandbox.addresses import SESSION_COOKIE, TEST_SESSION_TOKEN, free_ports
from plbook.sandbox.dashboard_pages import LOADING_TEXT
from plbook.steps.browser import LAUNCH_ARGS, find_executable

CHECKS = 20
GOAL_RATIO = 1.3


def _plain_script(dashboard_url: str, executable: str | None) -> str:
    return f"""
import os
from playwright.sync_api import sync_playwright
args = {list(LAUNCH_ARGS)!r} + (["--no-sandbox"] if os.geteuid() == 0 else [])
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path={executable!r}, headless=True, args=args)
    for _ in range({CHECKS}):
        context = browser.new_context()
        context.add_cookies([{{"name": {SESSION_COOKIE!r}, "value": {TEST_SESSION_TOKEN!r},
                              "url": {dashboard_url!r} + "/history"}}])
        page = context.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        response = page.goto({dashboard_url!r} + "/history")
        assert response.status == 200
        page.get_by_text({LOADING_TEXT!r}).first.wait_for(state="hidden", timeout=2000)
        assert "Saved Prompts" in page.evaluate("document.body.innerText")
        assert page.locator("#prompts li").count() >= 1
        assert not errors
        context.close()
    browser.close()
"""


def _procedure() -> str:
    step = (
        "  - id: history-NUMBER\n"
        "    title: History check NUMBER\n"
        "    browser:\n"
        '      url: "{{ env.dashboard_url }}/history"\n'
        f'      cookies: {{{SESSION_COOKIE}: "{{{{ secrets.SESSION }}}}"}}\n'
        f"      actions: [{{wait_for: {{gone: {LOADING_TEXT}, timeout: 2s}}}}]\n"
        "      elements: {prompts: '#prompts li'}\n"
        "    expect:\n"
        "      - result.status == 200\n"
        "      - \"'Saved Prompts' in result.text\"\n"
        "      - result.elements.prompts >= 1\n"
        "      - result.console_errors | length == 0\n"
    )
    steps = "".join(step.replace("NUMBER", str(n)) for n in range(CHECKS))
    return (
        "title: Twenty browser checks\nsummary: The browser benchmark.\n"
        "category: smoke-test\nsteps:\n" + steps
    )


def _time(command: list[str], cwd: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs per contender (median).")
    repeat = parser.parse_args().repeat
    executable = find_executable({})
    work = Path(tempfile.mkdtemp(prefix="plbook-bench-browser-"))
    try:
        with Sandbox(ports=SandboxPorts(*free_ports(4))) as sandbox:
            procedures = work / "procedures"
            procedures.mkdir()
            (procedures / "environments.yaml").write_text(
                "default: bench\nenvironments:\n  bench:\n"
                f"    values: {{dashboard_url: '{sandbox.dashboard_url}'}}\n"
                f"    secrets: {{SESSION: {TEST_SESSION_TOKEN}}}\n"
            )
            (procedures / "bench-browser.yaml").write_text(_procedure())
            (work / "plain.py").write_text(_plain_script(sandbox.dashboard_url, executable))
            python = sys.executable
            run = [python, "-m", "plbook", "run", "bench-browser", "--path", "procedures"]
            figures = {
                "plain Playwright": _time([python, "plain.py"], work, repeat),
                "plbook run": _time(run, work, repeat),
            }
        baseline = figures["plain Playwright"]
        print(f"{CHECKS} browser checks, whole process, median of {repeat}:")
        for name, seconds in figures.items():
            print(f"  {name:<17} {seconds:6.3f} s  {seconds / baseline:4.2f}x the plain script")
        ratio = figures["plbook run"] / baseline
        print(
            f"goal: plbook run at most {GOAL_RATIO:g}x the plain script: "
            f"{'met' if ratio <= GOAL_RATIO else 'NOT met'} ({ratio:.2f}x)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
