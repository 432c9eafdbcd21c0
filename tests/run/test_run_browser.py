"""`plbook run` with browser steps, as a real process: a secret typed into a page stays secret."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from run_support import CANARY, Runbook

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is missing"),
]

# A sign-in form that shows, and logs to the console, what was typed: the worst a page can do.
SIGN_IN_PAGE = b"""<!doctype html><html><head><title>Sign in</title></head><body>
<label>Password <input id="password"></label>
<button onclick="const v = document.getElementById('password').value;
  document.getElementById('out').textContent = 'Welcome ' + v; console.error('typed ' + v);">
Sign in</button><p id="out"></p></body></html>"""

PROCEDURE = """
title: Sign in with a secret
summary: A password typed into a page that echoes it.
category: smoke-test
steps:
  - id: sign-in
    title: The page accepts the password
    browser:
      url: "{{ env.page_url }}/"
      actions:
        - fill: {label: Password, value: "{{ secrets.PAGE_PASSWORD }}"}
        - click: {role: button, name: Sign in}
        - wait_for: {text: Welcome}
        - screenshot: signed-in
    expect:
      - "'Welcome' in result.text"
      - result.console_errors | length == 0
"""


class _SignInPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(SIGN_IN_PAGE)))
        self.end_headers()
        self.wfile.write(SIGN_IN_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SignInPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_filled_secret_leaves_no_trace_in_records_or_screenshot_names(
    tmp_path: Path, page_url: str
) -> None:
    runbook = Runbook(tmp_path, {"page_url": page_url}, {"PAGE_PASSWORD": None})
    runbook.add("sign-in", PROCEDURE)
    finished = runbook.run("sign-in", env={"PAGE_PASSWORD": CANARY})
    # The page echoed the secret into its text and console: the run saw it, and masked it.
    assert finished.code == 1, finished.stdout + finished.stderr
    step = finished.step("sign-in")
    assert step["result"]["console_errors"] == ["typed *****"]
    assert "Welcome *****" in step["result"]["text"]
    written = finished.stdout + finished.stderr + finished.every_record()
    assert CANARY not in written
    names = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")]
    screenshots = [n for n in names if n.endswith(".png")]
    assert screenshots and all(n.endswith("sign-in-signed-in.png") for n in screenshots)
    assert not any(CANARY in n for n in names)
