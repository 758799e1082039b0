"""Every main page checked with axe-core (from npm, pinned in package-lock.json) in Debian's Chromium
against WCAG 2.1 A and AA: labels, names, contrast, landmarks, ARIA. Any violation fails the test
with the rule, what it means and where."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Who signs in, and the pages they use: a path, or (a page, links to follow from it in turn) for
# pages whose address depends on the demo's data.
PAGES = {
    None: ["/login"],
    "referrer": ["/", "/inbox", "/cases", "/cases/new", ("/cases", "tbody th a")],
    "surgeon.dubai": ["/", "/schedule", "/me/availability", "/me/licences", "/me/calendar",
                      ("/schedule", "a[href^='/meetings/']")],
    "coordinator": ["/coordinator", "/coordinator/cases", "/coordinator/search", "/coordinator/rotas",
                    "/coordinator/meetings", ("/coordinator", "a[href^='/meetings/']"),
                    ("/coordinator/meetings", "a[href$='/agenda']"),
                    ("/coordinator/meetings", "a[href$='/attendance']"),
                    ("/coordinator", "a[href^='/meetings/']", "a[data-preparation-link]"),
                    ("/coordinator/cases", "a[href^='/cases/']"),
                    ("/coordinator/cases", "a[href^='/cases/']", "a[href$='/audit']")],
}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        message = f"{AXE.relative_to(ROOT)} is missing: run 'npm ci'"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text()


def violations_on(page, axe_source) -> list[str]:
    page.wait_for_load_state("networkidle")
    # Evaluated by the driver, not added as an inline <script>: the pages' CSP forbids inline scripts.
    page.evaluate(axe_source + "\n;undefined")
    found = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
                                 .then(result => result.violations.map(v => ({
                                     id: v.id, help: v.help,
                                     where: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)})))""",
                          WCAG_TAGS)
    return [f"{page.url} {v['id']} ({v['help']}): " + " | ".join(v["where"]) for v in found]


@pytest.mark.parametrize("who", list(PAGES), ids=lambda who: who or "signed-out")
def test_pages_meet_wcag_aa(who, page, sign_in, axe_source):
    if who:
        sign_in(who)
    problems = []
    for path in PAGES[who]:
        if isinstance(path, tuple):
            start, *links = path
            page.goto(start)
            for link in links:
                page.locator(link).first.click()
                page.wait_for_load_state()
        else:
            page.goto(path)
        problems += violations_on(page, axe_source)
    assert not problems, "\n".join(problems)
