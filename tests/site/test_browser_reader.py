"""The runbook as a reader meets it in headless Chromium: on a phone, ticking checklists, with axe.

axe-core (installed into .ci/node_modules by `.ci/setup --browser`) checks accessibility; a
critical or serious violation whose element is plbook's markup fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import REPO, served

pytestmark = pytest.mark.browser

AXE = REPO / ".ci/node_modules/axe-core/axe.min.js"
PHONE = {"width": 390, "height": 844}
# A procedure with manual and destructive steps and long commands; the home page; a reference page.
AXE_PAGES = ["/", "/procedures/rollback-railway/", "/quick-reference/"]
PLBOOK_MARKUP = "[class*=plbook-], [id^=step-], [id^=symptom-], .task-list-item, .plbook-built"
"""Elements plbook's templates and CSS make; a violation elsewhere is the theme's or the page's."""


@pytest.fixture(scope="module")
def runbook_url(runbook_site: Path) -> Iterator[str]:
    with served(runbook_site) as url:
        yield url


@pytest.fixture
def phone(browser, runbook_url: str) -> Iterator[object]:
    context = browser.new_context(base_url=runbook_url, viewport=PHONE, device_scale_factor=2)
    yield context.new_page()
    context.close()


def test_on_a_phone_no_command_is_cut_and_the_copy_button_covers_no_text(
    phone, tmp_path: Path
) -> None:
    for path in ["/procedures/rollback-railway/", "/procedures/troubleshoot-stripe-payments/"]:
        phone.goto(path)
        phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        blocks = phone.eval_on_selector_all(
            "article pre > code",
            """codes => codes.filter(c => c.offsetParent !== null).map(c => {
                const pre = c.parentElement, box = pre.getBoundingClientRect();
                const button = pre.parentElement.querySelector("button.md-clipboard");
                const range = document.createRange();
                range.selectNodeContents(c);
                const lines = [...range.getClientRects()];
                const b = button ? button.getBoundingClientRect() : null;
                const covered = b ? lines.some(r => r.right > b.left && r.left < b.right
                                                  && r.bottom > b.top && r.top < b.bottom) : false;
                return {text: c.textContent.slice(0, 60), scroll: c.scrollWidth,
                        width: c.clientWidth, right: box.right, covered};
            })""",
        )
        assert len(blocks) > 3
        cut = [b for b in blocks if b["scroll"] > b["width"] + 1 or b["right"] > PHONE["width"]]
        assert not cut, f"{path}: code blocks wider than the phone: {cut}"
        covered = [b["text"] for b in blocks if b["covered"]]
        assert not covered, f"{path}: the copy button covers {covered}"


def test_manual_steps_tick_and_stay_ticked_after_a_reload(browser, runbook_url: str) -> None:
    context = browser.new_context(base_url=runbook_url)
    page = context.new_page()
    page.goto("/procedures/rollback-railway/")
    box = page.locator(".plbook-step--manual input[type=checkbox]").first
    assert box.is_enabled()
    # Named for screen readers after its step (the first manual step is step 2).
    assert box.get_attribute("aria-label").startswith("Done: 2. Redeploy the previous")
    box.check(force=True)  # Material draws the box over the input; the click goes to the input
    page.reload()
    assert page.locator(".plbook-step--manual input[type=checkbox]").first.is_checked()
    context.close()


def axe_violations(page, path: str) -> list[dict]:
    """Give axe-core's critical and serious violations on one page, with their elements."""
    page.goto(path)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (ours) => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "critical" || v.impact === "serious")
                .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => {
                    const el = document.querySelector(n.target[0]);
                    return {target: n.target[0], ours: !!(el && el.closest(ours))};
                })}));
        }""",
        PLBOOK_MARKUP,
    )


def test_axe_finds_no_serious_violation_in_plbook_markup(browser, runbook_url: str) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed; run `bash .ci/setup --browser`")
    context = browser.new_context(base_url=runbook_url)
    page = context.new_page()
    report = {path: axe_violations(page, path) for path in AXE_PAGES}
    context.close()
    for path, violations in report.items():
        counts = [f"{v['id']} ({v['impact']}, {len(v['nodes'])})" for v in violations]
        print(f"\naxe {path}: {', '.join(counts) or 'none'}")
    ours = {
        path: [(v["id"], n["target"]) for v in violations for n in v["nodes"] if n["ours"]]
        for path, violations in report.items()
    }
    assert not [found for found in ours.values() if found], ours
