"""Freshness on the built site: last runs read from a real nx-27017 history at build time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
import yaml
from site_helpers import build_project, make_project, visible_text

from plbook.sandbox.addresses import free_ports
from plbook.sandbox.mongo_server import MongoServer


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
