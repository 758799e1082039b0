"""Every main page under the Content-Security-Policy in Chromium: no violation reported, and the
scripts that make pages live (htmx, live.js) still run."""
from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

# Recorded in the page itself, before any of its scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
});
"""

# Who signs in, and their pages: a path, or a page and the links to follow from it (the first link each
# selector matches) where the address depends on the demo's data.
PAGES = {
    "coordinator": ["/", "/coordinator", "/coordinator/cases", "/coordinator/search", "/coordinator/meetings",
                    "/inbox", ("/coordinator/cases", "a[href^='/cases/']"),
                    "/coordinator/boards", "/coordinator/boards/new",
                    ("/coordinator/boards", "a[href^='/coordinator/boards/']:not([href$='/new'])"),
                    "/coordinator/meetings/new", ("/coordinator/meetings", "a[href$='/invitations']"),
                    "/coordinator/rotas", "/coordinator/rotas/new",
                    ("/coordinator/rotas", "a[href^='/coordinator/rotas/']:not([href$='/new'])"),
                    "/coordinator/specialists",
                    ("/coordinator/specialists", "a[href^='/coordinator/specialists/']"),
                    "/reports",
                    ("/coordinator/cases", "[data-state='outcome_signed'] a[href^='/cases/']", "a#amend-outcome-link")],
    "referrer": ["/", "/cases", "/cases/new", ("/cases", "tbody th a")],
    "surgeon.dubai": ["/", "/schedule", "/me/availability", "/me/licences", "/me/calendar"],
    "radiologist.kolkata": ["/my/shifts"],
    "admin": ["/admin/users", "/admin/sites", "/admin/licences", "/admin/disciplines", "/admin/onboarding",
              ("/admin/users", "tbody th a")],
}


def open_page(page, path):
    """Go to `path` (or follow its links, see PAGES); the response of the last page loaded."""
    if isinstance(path, str):
        return page.goto(path)
    start, *links = path
    response = page.goto(start)
    for link in links:
        href = page.locator(link).first.get_attribute("href")
        assert href, (start, link)
        response = page.goto(href)
    return response


@pytest.mark.parametrize("person", sorted(PAGES))
def test_main_pages_report_no_policy_violation(sign_in, page, person):
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(person)
    seen = {}
    for path in PAGES[person]:
        response = open_page(page, path)
        assert response.status == 200, (path, page.url)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.htmx") == "object", path  # htmx ran
        seen[page.url] = page.evaluate("window.__cspViolations")
    assert all(not found for found in seen.values()), seen


def test_the_coordinator_s_meeting_pages_work_under_the_policy(sign_in, page):
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in("coordinator")
    page.goto("/coordinator/meetings")
    link = page.locator("a[href^='/meetings/']").first
    href = link.get_attribute("href")
    for path in (href, href.rstrip("/") + "/agenda" if "/agenda" not in href else href):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        expect(page.locator("main")).to_be_visible()
        assert page.evaluate("window.__cspViolations") == [], path


def test_the_live_meeting_page_works_under_the_policy(sign_in, page):
    """live.js connects and shows the room as live, with nothing blocked by the policy."""
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in("coordinator")
    page.goto("/coordinator/meetings")
    meeting = page.locator("a[href^='/meetings/']").first.get_attribute("href").split("/")[2]
    response = page.goto(f"/meetings/{meeting}/live")
    assert response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator("[data-live-status]")).to_contain_text("Live")  # live.js ran and connected
    assert page.evaluate("window.__cspViolations") == []
