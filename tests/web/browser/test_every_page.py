"""Every page, for each demo role, in Debian's Chromium: it meets WCAG 2.1 A and AA as axe-core (from npm,
pinned in package-lock.json) checks it (labels, names, contrast, landmarks, ARIA), and nothing makes it
scroll sideways at a phone's width (390 px) or a laptop's (1280 px). One walk per role: each page is
loaded once, checked with axe, then measured at both widths. Any violation fails with the rule, what it
means and where; any overflow with the widest elements."""
from __future__ import annotations

import os

import pytest

from tests.web.browser.conftest import violations_on

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

WIDTHS = (390, 1280)
# Who signs in, and their pages: a path, or a page and the links to follow from it (the first link each
# selector matches) where the address depends on the demo's data.
PAGES = {
    None: ["/login"],
    "referrer": ["/", "/inbox", "/profile", "/me/password", "/cases", "/cases/new", ("/cases", "tbody th a")],
    "surgeon.dubai": ["/", "/schedule", "/me/availability", "/me/licences", "/me/calendar",
                      ("/schedule", "a[href^='/meetings/']")],
    "coordinator": ["/", "/coordinator", "/coordinator/cases", "/coordinator/search", "/coordinator/rotas",
                    "/coordinator/boards/new",
                    "/coordinator/meetings", "/admin/licences", "/admin/onboarding",
                    ("/coordinator", "a[href^='/meetings/']"),
                    ("/coordinator", "a[href^='/meetings/']", "a[data-preparation-link]"),
                    ("/coordinator/meetings", "a[href$='/agenda']"),
                    ("/coordinator/meetings", "a[href$='/attendance']"),
                    ("/coordinator/cases", "a[href^='/cases/']"),
                    ("/coordinator/cases", "a[href^='/cases/']", "a[href$='/audit']")],
    "admin": ["/", "/admin/users", "/admin/users/invite", "/admin/sites", "/admin/sites/new", "/admin/disciplines",
              "/admin/licences?queue=pending", "/admin/licences?queue=expiring", "/admin/licences?queue=expired",
              "/admin/onboarding", ("/admin/users", "tbody th a"), ("/admin/sites", "tbody th a"),
              ("/admin/disciplines", "tbody th a")],
}
OVERFLOW = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
WIDEST = """limit => [...document.querySelectorAll('main *, header *')]
    .filter(e => e.getBoundingClientRect().right > limit + 1)
    .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                     + ' ' + Math.round(e.getBoundingClientRect().right))"""


def open_page(page, path) -> str:
    if isinstance(path, str):
        page.goto(path)
        return path
    start, *links = path
    page.goto(start)
    for link in links:
        page.goto(page.locator(link).first.get_attribute("href"))
    return page.url


@pytest.mark.parametrize("who", list(PAGES), ids=lambda who: who or "signed-out")
def test_every_page_meets_wcag_aa_and_fits_a_phone_and_a_laptop(who, page, sign_in, axe_source):
    if who:
        sign_in(who)
    problems = []
    for path in PAGES[who]:
        page.set_viewport_size({"width": WIDTHS[-1], "height": 844})
        shown = open_page(page, path)
        problems += violations_on(page, axe_source)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 844})
            scroll, client = page.evaluate(OVERFLOW)
            if scroll > client:
                problems.append(f"{shown} scrolls sideways at {width}px: {scroll} > {client} "
                                f"({page.evaluate(WIDEST, client)})")
        if path == "/cases/new":  # the referral form's short keyboard path: skip link, then the buttons
            page.get_by_role("link", name="Skip to “Save draft” and “Submit”").focus()
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Save draft")).to_be_focused()
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Submit")).to_be_focused()
    assert not problems, "\n".join(problems)
