"""The runbook's pages show every step's twin filled in per environment, and no secret value."""

from __future__ import annotations

import html
import re
from pathlib import Path

import yaml
from site_helpers import step_card, visible_text

ROOT = Path(__file__).resolve().parents[2]
_CODE_BLOCK = re.compile(r'<div class="(?P<classes>[^"]*highlight[^"]*)"><pre.*?</pre>', re.DOTALL)


def _article(site: Path, procedure_id: str) -> str:
    text = (site / "procedures" / procedure_id / "index.html").read_text()
    return text[text.index("<article") : text.index("</article>")]


def _sandbox_secret_values() -> list[str]:
    environments = yaml.safe_load((ROOT / "procedures" / "environments.yaml").read_text())
    secrets = environments["environments"]["sandbox"]["secrets"]
    return sorted({value for value in secrets.values() if value})


def test_no_built_page_contains_the_value_of_a_sandbox_secret(runbook_site: Path) -> None:
    values = _sandbox_secret_values()
    assert values
    for page in runbook_site.rglob("*.html"):
        text = html.unescape(page.read_text())
        for value in values:
            assert value not in text, f"{page.relative_to(runbook_site)} shows a secret value"


def test_the_quota_desync_twins_hide_the_api_token(runbook_site: Path) -> None:
    card = visible_text(step_card(_article(runbook_site, "troubleshoot-quota-desync"), "find-user"))

    assert card.count('{"apiToken": 0}') >= 3  # the projection, in every environment's twin
    assert "tok_plbook_sandbox_test_user" not in card


def test_no_copyable_block_keeps_a_template(runbook_site: Path) -> None:
    for page in (runbook_site / "procedures").rglob("index.html"):
        for block in _CODE_BLOCK.finditer(page.read_text()):
            if "no-copy" in block.group("classes").split():
                continue  # an "As written" block: shown for authors, not offered to copy
            text = html.unescape(re.sub(r"<[^>]+>", "", block.group(0)))
            assert "{{" not in text and "{%" not in text, f"{page}: {text[:200]}"


def test_each_step_shows_its_twin_per_environment_and_its_source_as_written(
    runbook_site: Path,
) -> None:
    card = step_card(_article(runbook_site, "troubleshoot-api-latency"), "sample-usage")
    text = visible_text(card)

    for api in ("http://127.0.0.1:8787", "https://api.staging.promptlens.app"):
        assert (
            f'curl -sS -i --compressed --max-time 5 {api}/api/usage -H "Authorization: Bearer '
            "${TEST_USER_TOKEN}\" -w '\\ntime_total: %{time_total}s\\n'"
        ) in text
    assert "GET {{ env.api_url }}/api/usage" in text  # the collapsed "As written"
    assert "<details" in card


def test_a_page_says_what_to_set_first(runbook_site: Path) -> None:
    article = _article(runbook_site, "troubleshoot-quota-desync")
    exports = visible_text(article[article.index("plbook-exports") :][:6000])

    assert "export EMAIL=test@example.com" in exports
    assert ': "${STRIPE_SECRET_KEY:?export STRIPE_SECRET_KEY first}"' in exports
    # vars.canceled_ids is kept by the twin of the step that saves it, not set by hand.
    assert "CANCELED_IDS" not in exports
    saving = visible_text(step_card(article, "canceled-subscriptions"))
    assert "export CANCELED_IDS=$(stripe subscriptions list -d status=canceled" in saving
    assert "jq -c '[.data[].id]')" in saving


def test_no_resolved_action_shows_a_placeholder_marker(runbook_site: Path) -> None:
    for page in (runbook_site / "procedures").rglob("index.html"):
        text = page.read_text()
        assert "\\u001b" not in text and "\x1b" not in text, page


def test_a_title_with_braces_keeps_its_step_anchor(runbook_site: Path) -> None:
    article = _article(runbook_site, "troubleshoot-api-latency")

    assert 'id="step-prompts-index"' in article
    assert "{userId: 1, createdAt: -1}" in visible_text(article)
