"""The site end to end: `mkdocs build` from fixture procedures, checked on the HTML readers see."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from mkdocs.exceptions import Abort
from site_helpers import build_project, make_project, step_card, visible_text

from plbook.sandbox.addresses import free_ports

PLBOOK = [sys.executable, "-m", "plbook"]


def test_procedure_page_shows_what_to_do_before_the_steps(read_page: Callable[[str], str]) -> None:
    text = visible_text(read_page("procedures/rollback-api"))
    for expected in [
        "Roll back the backend API",
        "Redeploy the last good backend deployment and prove the API is healthy.",
        "Rollback backend 3m 5 steps",
        "When to use it Any post-deployment smoke test fails",
        "Symptoms MongoError: connection pool exhausted",
        "Tools on PATH: railway",
        "$RAILWAY_TOKEN",
        "env.api_url https://api.promptlens.app https://api.staging.promptlens.app http://127.0.0.1:8787",
        "deployment_id yes — Deployment to restore",
        "plbook run rollback-api --input deployment_id=dep-1234",
    ]:
        assert expected in text
    assert text.index("Symptoms") < text.index("Run it") < text.index("1. Confirm the failure")


def test_steps_are_numbered_anchored_sections_in_order(read_page: Callable[[str], str]) -> None:
    article = read_page("procedures/rollback-api")
    anchors = ["confirm-cause", "deployments", "rollback", "health", "smoke"]
    positions = [
        article.index(f'<h3 id="step-{anchor}">{number}. ')
        for number, anchor in enumerate(anchors, 1)
    ]
    assert positions == sorted(positions)


def test_a_step_shows_its_request_criteria_budget_and_failure_guidance(
    read_page: Callable[[str], str],
) -> None:
    card = step_card(read_page("procedures/rollback-api"), "health")
    text = visible_text(card)
    assert "HTTP request timeout 5s retries up to 2m, every 5s" in text
    assert "GET {{ env.api_url }}/api/health" in text
    assert "curl --max-time 5 -i -X GET '{{ env.api_url }}/api/health'" in text
    assert "The HTTP status is 200 result.status == 200" in text
    assert '`data.database` in the JSON body is "connected"' not in text  # backticks became code
    assert 'data.database in the JSON body is "connected"' in text
    assert '<div class="admonition failure">' in card
    assert "Check Railway logs and MongoDB Atlas status." in text
    assert '<a href="../check-database/">Check the database and Stripe webhooks</a>' in card
    assert "The run stops here." in text


def test_destructive_steps_carry_a_warning_and_only_they_do(
    read_page: Callable[[str], str],
) -> None:
    article = read_page("procedures/rollback-api")
    destructive = step_card(article, "rollback")
    assert '<div class="admonition warning">' in destructive
    assert (
        "railway rollback --service backend --deployment {{ inputs.deployment_id }}"
        in visible_text(destructive)
    )
    for other in ["confirm-cause", "deployments", "health", "smoke"]:
        assert "admonition warning" not in step_card(article, other)


def test_manual_step_reads_as_a_checklist_item(read_page: Callable[[str], str]) -> None:
    card = step_card(read_page("procedures/rollback-api"), "confirm-cause")
    assert '<li class="task-list-item">' in card
    assert "Compare the deploy time with the first alert." in visible_text(card)


def test_each_executable_step_shows_its_manual_equivalent(read_page: Callable[[str], str]) -> None:
    article = read_page("procedures/check-database")
    assert 'mongosh "$MONGODB_URI" --eval \'db.adminCommand({"ping": 1})\'' in visible_text(
        step_card(article, "ping")
    )
    assert "mongosh \"$MONGODB_URI\" --eval 'db.users.getIndexes()'" in visible_text(
        step_card(article, "email-index")
    )
    assert "A unique index on email ascending exists" in visible_text(
        step_card(article, "email-index")
    )
    assert "stripe webhook_endpoints list --limit=10 --api-key $STRIPE_SECRET_KEY" in visible_text(
        step_card(article, "webhooks")
    )
    usage = visible_text(step_card(read_page("procedures/smoke-health"), "usage"))
    assert (
        "curl -i -X GET '{{ env.api_url }}/api/usage' -H \"Authorization: Bearer $TEST_USER_TOKEN\""
        in usage
    )


def test_a_procedure_step_links_to_the_procedure_it_runs(read_page: Callable[[str], str]) -> None:
    card = step_card(read_page("procedures/rollback-api"), "smoke")
    assert '<a href="../smoke-health/">Usage endpoint answers for the test user</a>' in card
    assert "plbook run smoke-health" in visible_text(card)


def test_index_lists_every_procedure_by_category(read_page: Callable[[str], str]) -> None:
    article = read_page("procedures")
    text = visible_text(article)
    assert text.index("Smoke tests") < text.index("Troubleshooting") < text.index("Rollback")
    for pid in ["rollback-api", "smoke-health", "check-database", "status-investigating"]:
        assert f'href="{pid}/"' in article
    category = read_page("procedures/category/rollback")
    assert '<a href="../../rollback-api/">Roll back the backend API</a>' in category
    assert "smoke-health" not in category


def test_navigation_holds_categories_not_every_procedure(site: Path) -> None:
    page = (site / "procedures/check-database/index.html").read_text()
    sidebar = page[
        page.index("md-nav--primary") : page.index("</nav>", page.index("md-nav--primary"))
    ]
    assert 'href="../category/rollback/"' in sidebar
    assert "rollback-api" not in sidebar


def test_tag_pages_list_the_procedures(read_page: Callable[[str], str]) -> None:
    tags = read_page("tags")
    railway = tags[tags.index('id="tag:railway"') : tags.index('id="tag:rollback"')]
    assert '<a href="../procedures/rollback-api/">' in railway
    assert "railway Roll back the backend API" in visible_text(railway)


def test_plbook_links_in_reference_pages_point_at_procedures_and_steps(
    read_page: Callable[[str], str],
) -> None:
    home = read_page(".")
    assert '<a href="procedures/rollback-api/">roll back the API</a>' in home
    assert '<a href="procedures/rollback-api/#step-health">check the health step</a>' in home
    assert "<code>[text](plbook:ID)</code>" in home  # code is shown, not rewritten
    reference = read_page("quick-reference")
    assert '<a href="../procedures/check-database/#step-ping">' in reference


def test_search_index_finds_titles_steps_commands_and_symptoms(site: Path) -> None:
    index = json.loads((site / "search/search_index.json").read_text())
    entries = {doc["location"]: doc for doc in index["docs"]}
    assert entries["procedures/rollback-api/"]["title"] == "Roll back the backend API"
    assert entries["procedures/rollback-api/"]["boost"] > entries["quick-reference/"].get(
        "boost", 1
    )
    assert (
        "3. Redeploy the previous deployment"
        == entries["procedures/rollback-api/#step-rollback"]["title"]
    )
    assert (
        "railway rollback --service backend"
        in entries["procedures/rollback-api/#step-rollback"]["text"]
    )
    assert (
        "MongoError: connection pool exhausted"
        in entries["procedures/rollback-api/#symptoms"]["text"]
    )
    assert set(entries["procedures/rollback-api/"]["tags"]) == {"railway", "rollback"}


def test_a_link_to_a_missing_procedure_fails_the_strict_build(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (project / "runbook/broken.md").write_text(
        "# Broken\n\n[gone](plbook:rollback-nowhere) and [no step](plbook:rollback-api#step-nope)\n"
    )
    with caplog.at_level(logging.WARNING), pytest.raises(Abort):
        build_project(project)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("'broken.md'" in w and "'rollback-nowhere'" in w for w in warnings)
    assert any("'broken.md'" in w and "'nope'" in w and "'rollback-api'" in w for w in warnings)


def test_an_invalid_procedure_fails_the_build_with_its_location(
    project: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "procedures/smoke-health.yaml").write_text("title: Half written\nsummary: x\n")
    monkeypatch.chdir(project)
    with pytest.raises(Abort):
        build_project(project)
    assert "\nprocedures/smoke-health.yaml:1:1: missing required key 'category'" in caplog.text


def test_template_override_from_custom_dir_is_used_and_not_published(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides"
    (overrides / "plbook").mkdir(parents=True)
    (overrides / "plbook/procedure.md.j2").write_text(
        "# {{ procedure.title }}\n\nHouse style for {{ procedure.id }}.\n"
    )
    site = build_project(make_project(tmp_path / "project", custom_dir=overrides))
    assert (
        "House style for rollback-api." in (site / "procedures/rollback-api/index.html").read_text()
    )
    assert not list(site.rglob("*.j2"))


def test_secret_values_never_reach_the_site(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "canary-secret-5f0c1e"
    for name in ["MONGODB_URI", "STRIPE_SECRET_KEY", "TEST_USER_TOKEN", "RAILWAY_TOKEN"]:
        monkeypatch.setenv(name, f"{canary}-{name}")
    site = build_project(project)
    built = [path for path in site.rglob("*") if path.is_file()]
    assert len(built) > 20
    assert not [path for path in built if canary.encode() in path.read_bytes()]
    assert "$TEST_USER_TOKEN" in (site / "procedures/smoke-health/index.html").read_text()


def test_plbook_build_validates_first_and_reports_file_line_column(project: Path) -> None:
    (project / "procedures/smoke-health.yaml").write_text("title: Half written\nsummary: x\n")
    done = subprocess.run(
        [*PLBOOK, "build"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "procedures/smoke-health.yaml:1:1: missing required key" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "site").exists()


def test_plbook_build_builds_the_site_strictly(project: Path) -> None:
    done = subprocess.run(
        [*PLBOOK, "build"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (project / "site/procedures/rollback-api/index.html").exists()
    (project / "runbook/broken.md").write_text("# Broken\n\n[gone](plbook:nowhere)\n")
    done = subprocess.run(
        [*PLBOOK, "build"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "links to procedure 'nowhere'" in done.stderr


def test_serve_rebuilds_when_a_procedure_changes(project: Path) -> None:
    port = free_ports(1)[0]
    server = subprocess.Popen(
        [*PLBOOK, "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}/procedures/smoke-health/"
    try:
        assert "Usage endpoint answers" in _wait_for_page(url, "Usage endpoint answers")
        source = project / "procedures/smoke-health.yaml"
        source.write_text(
            source.read_text().replace("Usage endpoint answers", "Quota endpoint answers")
        )
        assert "Quota endpoint answers" in _wait_for_page(url, "Quota endpoint answers")
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for_page(url: str, text: str, within: float = 60) -> str:
    deadline = time.monotonic() + within
    body = ""
    while time.monotonic() < deadline:
        try:
            body = httpx.get(url, timeout=5).text
        except httpx.HTTPError:
            body = ""
        if text in body:
            return body
        time.sleep(0.3)
    return body


def test_titles_tags_and_summaries_are_shown_as_written_never_as_markup(project: Path) -> None:
    (project / "procedures/hostile-text.yaml").write_text(
        "title: 'Index {userId: 1} <img src=x onerror=alert(1)> <a href=\"#x\">go</a>'\n"
        "summary: '\"><script>alert(3)</script>'\n"
        "category: troubleshooting\n"
        "tags: ['<b>bold-tag</b>']\n"
        "steps:\n"
        "  - id: look\n"
        "    title: 'Check {a: 1} <i>it</i> **now**'\n"
        "    manual: Look at the dashboard.\n"
    )
    site = build_project(project)
    pages = [path.read_text() for path in site.rglob("*.html")]
    for markup in [
        "<img src=x",
        "<script>alert(3)",
        '<a href="#x">go',
        "<b>bold-tag",
        "<i>it</i>",
    ]:
        assert not [page for page in pages if markup in page], markup
    page = (site / "procedures/hostile-text/index.html").read_text()
    article = page[page.index("<article") : page.index("</article>")]
    text = visible_text(article)
    assert 'Index {userId: 1} <img src=x onerror=alert(1)> <a href="#x">go</a>' in text
    assert "Check {a: 1} <i>it</i> **now**" in text
    assert 'id="step-look"' in article


def test_plbook_pages_writes_markdown_any_engine_can_build(project: Path) -> None:
    done = subprocess.run(
        [*PLBOOK, "pages"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    folder = project / "runbook/procedures"
    page = (folder / "rollback-api.md").read_text()
    assert "{ #step-health }" in page and "(check-database.md)" in page
    assert (folder / "category/rollback.md").is_file() and (folder / "plbook.css").is_file()
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    (project / "procedures/status-investigating.yaml").unlink()
    assert subprocess.run([*PLBOOK, "pages"], cwd=project, timeout=120).returncode == 0
    assert not (
        folder / "status-investigating.md"
    ).exists()  # a removed procedure leaves no stale page
    site = build_project(project)  # the plugin makes the written pages again, in memory
    assert (site / "procedures/rollback-api/index.html").is_file()


def test_plbook_pages_refuses_a_folder_it_did_not_write(project: Path) -> None:
    (project / "runbook/procedures").mkdir()
    (project / "runbook/procedures/notes.md").write_text("# Mine\n")
    done = subprocess.run(
        [*PLBOOK, "pages"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "was not written by `plbook pages`" in done.stderr and "Traceback" not in done.stderr
    assert (project / "runbook/procedures/notes.md").read_text() == "# Mine\n"


def test_plbook_build_fails_loudly_when_an_engine_drops_the_procedure_pages(
    project: Path,
) -> None:
    mkdocs_yml = project / "mkdocs.yml"
    mkdocs_yml.write_text(mkdocs_yml.read_text() + "plugins: [search, tags]\n")
    (project / "runbook/index.md").write_text("# Home\n\nNo links to procedures here.\n")
    (project / "runbook/quick-reference.md").unlink()
    done = subprocess.run(
        [*PLBOOK, "build"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "without the pages of 4 procedures" in done.stderr


def test_procedure_pages_have_edit_link_to_yaml_breadcrumbs_and_prev_next(site: Path) -> None:
    page = (site / "procedures/check-database/index.html").read_text()
    assert (
        'href="https://github.com/promptlens/runbook/edit/main/procedures/check-database.yaml"'
        ' title="Edit this page"' in page
    )
    path = page[page.index('<nav class="md-path"') : page.index("</nav>", page.index("md-path"))]
    assert "Procedures" in visible_text(path)
    rollback = (site / "procedures/rollback-api/index.html").read_text()
    assert 'rel="canonical" href="https://runbook.promptlens.app/procedures/rollback-api/"' in (
        rollback
    )
    home = (site / "index.html").read_text()
    assert f'Built on <time datetime="{time.strftime("%Y-%m-%d", time.gmtime())}' in home


def test_procedure_pages_lead_to_their_neighbours_in_the_category_listing(
    runbook_site: Path,
) -> None:
    page = (runbook_site / "procedures/rollback-railway/index.html").read_text()
    assert 'aria-label="Previous: Pre-rollback checklist"' in page
    assert 'aria-label="Next: Roll back the backend API on Render"' in page
