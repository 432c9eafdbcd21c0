"""Freshness on the built site: last runs read from a real nx-27017 history at build time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pymongo
import pytest
import yaml
from site_helpers import build_project, make_project, served, visible_text

from plbook.model import Procedure
from plbook.sandbox.addresses import free_ports
from plbook.sandbox.mongo_server import MongoServer
from plbook.site.freshness import Freshness


@pytest.fixture(scope="module")
def mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    server = MongoServer(free_ports(1)[0], tmp_path_factory.mktemp("freshness-mongo"))
    server.start()
    yield server
    server.stop()


def _add_procedure(project: Path, procedure_id: str, **extra: object) -> None:
    procedure = {
        "title": f"Echo check {procedure_id}",
        "summary": "Two shell steps that always pass.",
        "category": "smoke-test",
        **extra,
        "steps": [
            {"id": "hello", "title": "Say hello", "shell": "echo hello"},
            {"id": "count", "title": "Count", "shell": "seq 2"},
        ],
    }
    (project / "procedures" / f"{procedure_id}.yaml").write_text(yaml.safe_dump(procedure))


CI_VARIABLES = {
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "JENKINS_URL",
    "PLBOOK_CI_NAME",
    "PLBOOK_CI_URL",
}


def _run(project: Path, procedure_id: str) -> None:
    # A person's run, even when the suite itself runs in CI: the page then names user@host.
    outside_ci = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env = {**outside_ci, "NO_COLOR": "1", "PLBOOK_HISTORY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "plbook", "run", procedure_id, "--env", "sandbox"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _article(site: Path, url: str) -> str:
    text = (site / url / "index.html").read_text()
    return visible_text(text[text.index("<article") : text.index("</article>")])


def test_a_page_shows_its_last_run_from_the_mongodb_history_and_a_never_run_one_says_so(
    tmp_path: Path, mongo: MongoServer
) -> None:
    project = make_project(tmp_path / "project")
    (project / "plbook.yaml").write_text(
        f"history: mongodb://127.0.0.1:{mongo.port}/freshness\n"
        "categories:\n  smoke-test: {verify_every: 7d}\n"
    )
    _add_procedure(project, "echo-fresh")
    _add_procedure(project, "echo-stale", verify_every="1s")
    _run(project, "echo-fresh")
    _run(project, "echo-stale")
    time.sleep(1.5)
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        f"mongodb://127.0.0.1:{mongo.port}/freshness", serverSelectionTimeoutMS=5000
    )
    stored = sorted(run["procedure"] for run in client.freshness.runs.find())
    client.close()
    assert stored == ["echo-fresh", "echo-stale"]
    for journal in (project / ".plbook" / "runs").glob("*.jsonl"):
        journal.unlink()  # what the page shows now can only come from MongoDB
    site = build_project(project)

    fresh = _article(site, "procedures/echo-fresh")
    assert re.search(r"sandbox passed \d{4}-\d\d-\d\d \d\d:\d\d \S+@\S+ \d+(ms|\.\ds|s)", fresh)
    assert "It should pass at least every 168h" in fresh
    assert re.search(r"Say hello .*last passed \d{4}-\d\d-\d\d \d\d:\d\d UTC", fresh)
    assert "Stale" not in fresh and "never verified" not in fresh

    stale = _article(site, "procedures/echo-stale")
    assert "Stale: last passed" in stale and "(1s)" in stale

    never = _article(site, "procedures/check-database")
    assert "This procedure was never verified" in never
    assert "never passed" in never

    index = _article(site, "procedures")
    by_freshness = index[index.index("By freshness") :]
    assert by_freshness.index("never verified") < by_freshness.index("Echo check echo-stale")
    assert by_freshness.index("Echo check echo-stale") < by_freshness.index("Echo check echo-fresh")
    assert re.search(r"Echo check echo-stale .*?\d{4}-\d\d-\d\d stale", index)


def test_an_unreachable_history_leaves_the_build_going_and_the_pages_saying_so(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "project")
    (project / "plbook.yaml").write_text(f"history: mongodb://127.0.0.1:{free_ports(1)[0]}/gone\n")
    started = time.monotonic()
    site = build_project(project)
    assert time.monotonic() - started < 60
    page = _article(site, "procedures/check-database")
    assert "Not known: the run history could not be read" in page
    assert "never verified" not in page


class _OnePage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b"<!doctype html><title>Status</title><h1>All systems go</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def status_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OnePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_a_browser_step_shows_the_screenshot_of_the_last_verified_run_also_when_run_inline(
    tmp_path: Path, status_page: str, browser: Any
) -> None:
    project = make_project(tmp_path / "project")
    procedures = project / "procedures"
    (procedures / "status-page.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "Status page shows all systems go",
                "summary": "A browser check with a screenshot.",
                "category": "smoke-test",
                "steps": [
                    {
                        "id": "look",
                        "title": "The status page says all systems go",
                        "browser": {
                            "url": status_page,
                            "actions": [{"screenshot": "status"}],
                        },
                        "expect": ["'All systems go' in result.text"],
                    }
                ],
            }
        )
    )
    (procedures / "all-checks.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "All checks",
                "summary": "Runs the status page check inline.",
                "category": "smoke-test",
                "steps": [{"id": "status", "title": "Status", "procedure": "status-page"}],
            }
        )
    )
    _run(project, "all-checks")  # status-page never ran alone: it was verified inside all-checks
    saved = list((project / ".plbook" / "files").glob("*/status--look-status.png"))
    assert len(saved) == 1
    run_id = saved[0].parent.name

    site = build_project(project)
    article = _article(site, "procedures/status-page")
    assert "sandbox passed" in article and f"run {run_id} (inside All checks)" in article
    assert f"status--look-status.png, saved by the last verified run ({run_id}, passed" in article
    copied = site / "procedures" / "evidence" / run_id / "status--look-status.png"
    assert copied.read_bytes() == saved[0].read_bytes()
    assert "This procedure was never verified" not in _article(site, "procedures/all-checks")

    with served(site) as url:
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(f"{url}/procedures/status-page/")
        image = tab.locator("figure.plbook-shown img")
        image.scroll_into_view_if_needed()
        tab.wait_for_function("() => document.querySelector('figure.plbook-shown img').complete")
        assert image.evaluate("img => img.naturalWidth") > 0
        context.close()

    # The pages written for Zensical carry the same file, beside the page that shows it.
    done = subprocess.run(
        [sys.executable, "-m", "plbook", "pages"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = project / "runbook" / "procedures" / "evidence" / run_id / "status--look-status.png"
    assert written.read_bytes() == saved[0].read_bytes()
    assert (
        f"(evidence/{run_id}/status--look-status.png)"
        in (project / "runbook" / "procedures" / "status-page.md").read_text()
    )


def test_a_history_cannot_make_the_site_copy_files_from_elsewhere(tmp_path: Path) -> None:
    runs_dir = tmp_path / ".plbook" / "runs"
    secret = tmp_path / ".plbook" / "files" / "x"
    secret.parent.mkdir(parents=True)
    secret.write_text("not for the site")
    (runs_dir.with_name("files") / "ok-run").mkdir()
    (runs_dir.with_name("files") / "ok-run" / "look-shot.png").write_bytes(b"png")
    procedure = Procedure.model_validate(
        {
            "id": "p",
            "title": "P",
            "summary": "S.",
            "category": "smoke-test",
            "steps": [{"id": "look", "title": "Look", "shell": "true"}],
        }
    )

    def shown(run_id: str, files: list[str]) -> dict[str, list[str]]:
        run = {
            "run_id": run_id,
            "procedure": "p",
            "environment": "sandbox",
            "status": "passed",
            "finished_at": datetime.now(timezone.utc),
            "steps": [{"path": "look", "status": "passed", "files": files}],
        }
        fresh = Freshness(runs=[run], runs_dir=runs_dir).of(procedure, None)
        return {k: [f.name for f in v] for k, v in fresh.shown_files.items()}

    assert shown("ok-run", ["look-shot.png", "missing.png"]) == {"look": ["look-shot.png"]}
    assert shown("ok-run", ["../x", "/etc/passwd", ".hidden", "../../files/x"]) == {}
    assert shown("..", ["files/x"]) == {}
    assert shown("../files", ["x"]) == {}
