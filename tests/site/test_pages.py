"""Procedure pages as Markdown: criteria in words, run lines, secrets, template overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_helpers import FIXTURES

from plbook.catalog import load_catalog
from plbook.site import markdown
from plbook.site.criteria import expectation_in_words
from plbook.site.pages import (
    render_procedure_index,
    render_procedure_page,
    run_line,
    secret_names,
    template_environment,
)


@pytest.fixture(scope="module")
def catalog():
    loaded = load_catalog([FIXTURES / "procedures"])
    assert not loaded.problems
    return loaded


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("result.status == 200", "The HTTP status is 200"),
        ('result.json.data.status == "ok"', '`data.status` in the JSON body is "ok"'),
        ("result.exit_code == 0", "The exit code is 0"),
        ("result.document is not none", "The document found is set"),
        ("result.data | length >= 1", "The number of objects listed is at least 1"),
        ("result.elapsed_ms < 2000", "The response time in milliseconds is below 2000"),
        (
            "result.headers['content-type'] != 'text/html'",
            'The `content-type` header is not "text/html"',
        ),
        ("vars.plan in ['free', 'pro']", 'The saved value `plan` is one of "free", "pro"'),
        (
            'result.json.data.sessionId.startswith("cs_")',
            '`data.sessionId` in the JSON body starts with "cs_"',
        ),
        (
            "result.json.data.usageCount == vars.usage_before + 1",
            "`data.usageCount` in the JSON body is the saved value `usage_before` plus 1",
        ),
        (
            '"MONGODB_URI" in result.stdout.split()',
            '"MONGODB_URI" is one of the words of the command\'s output',
        ),
        (
            "has_index(result.indexes, {'email': 1}, unique=true)",
            "A unique index on `email` ascending exists",
        ),
        (
            "result.document.lastResetAt | as_datetime > now - days(30)",
            "`lastResetAt` of the document is above 30 days before now",
        ),
    ],
)
def test_expectations_read_as_sentences(expression: str, words: str) -> None:
    assert expectation_in_words(expression) == words


def test_an_expectation_beyond_words_is_left_to_its_code() -> None:
    assert expectation_in_words("result.json.items | selectattr('ok') | list") is None
    assert expectation_in_words("result.status ==") is None


def test_run_line_names_required_inputs_with_their_example(catalog) -> None:
    assert (
        run_line(catalog.get("rollback-api"))
        == "plbook run rollback-api --input deployment_id=dep-1234"
    )
    assert run_line(catalog.get("status-investigating")) == "plbook run status-investigating"


def test_secrets_listed_are_declared_referenced_and_implied(catalog) -> None:
    assert secret_names(catalog.get("rollback-api")) == ["RAILWAY_TOKEN"]
    assert secret_names(catalog.get("smoke-health")) == ["TEST_USER_TOKEN"]
    assert secret_names(catalog.get("check-database")) == ["MONGODB_URI", "STRIPE_SECRET_KEY"]


def test_http_step_shows_a_curl_line_that_expands_the_secret(catalog) -> None:
    page = render_procedure_page(catalog.get("smoke-health"), catalog.environments)
    assert '-H "Authorization: Bearer $TEST_USER_TOKEN"' in page
    assert "secrets.TEST_USER_TOKEN" not in page


def test_page_template_can_be_overridden(tmp_path: Path, catalog) -> None:
    (tmp_path / "procedure.md.j2").write_text("# {{ procedure.title }}\n\nOur own layout.\n")
    page = render_procedure_page(
        catalog.get("rollback-api"), templates=template_environment(tmp_path)
    )
    assert page == "# Roll back the backend API\n\nOur own layout.\n"


def test_index_groups_procedures_in_category_order(catalog) -> None:
    index = render_procedure_index(p.procedure for p in catalog.procedures.values())
    headings = [line for line in index.splitlines() if line.startswith("## ")]
    assert [h.split("](")[0] for h in headings] == [
        "## [Smoke tests",
        "## [Troubleshooting",
        "## [Rollback",
        "## [Communication templates",
    ]
    assert "[Roll back the backend API](rollback-api.md)" in index


def test_code_survives_backticks_and_pipes() -> None:
    assert markdown.code_span("a `b` c") == "`` a `b` c ``"
    assert markdown.fence("echo ```", "bash") == "````bash\necho ```\n````"
    assert markdown.table_cell("a | b\nc") == "a \\| b c"
