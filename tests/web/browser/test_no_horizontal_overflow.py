"""Every page, for each demo role, at phone width (390 px) and at a laptop's (1280 px): nothing makes the
page scroll sideways (document.documentElement.scrollWidth <= clientWidth). One test visiting them all,
so the server and the browser start once."""
from __future__ import annotations

import os

import pytest

from tests.web.browser.conftest import new_page

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

WIDTHS = (390, 1280)
# Who signs in, and their pages: a path, or (a page, a link on it to follow) where the address depends on
# the demo's data.
PAGES = {
    None: ["/login"],
    "referrer": ["/", "/inbox", "/profile", "/me/password", "/cases", "/cases/new", ("/cases", "tbody th a")],
    "surgeon.dubai": ["/", "/schedule", "/me/availability", "/me/licences", "/me/calendar",
                      ("/schedule", "a[href^='/meetings/']")],
    "coordinator": ["/", "/coordinator", "/coordinator/cases", "/coordinator/search", "/coordinator/rotas",
                    "/coordinator/meetings", "/admin/licences", "/admin/onboarding",
                    ("/coordinator/meetings", "a[href$='/agenda']"),
                    ("/coordinator/meetings", "a[href$='/attendance']"),
                    ("/coordinator/cases", "a[href^='/cases/']")],
    "admin": ["/", "/admin/users", "/admin/users/invite", "/admin/sites", "/admin/sites/new", "/admin/disciplines",
              "/admin/licences?queue=pending", "/admin/licences?queue=expiring", "/admin/licences?queue=expired",
              "/admin/onboarding", ("/admin/users", "tbody th a"), ("/admin/sites", "tbody th a"),
              ("/admin/disciplines", "tbody th a")],
}
OVERFLOW = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def test_no_page_scrolls_sideways_at_phone_or_laptop_width(browser, live_server):
    from tests.web.browser.conftest import DOMAIN, PASSWORD

    wide = []
    for who, paths in PAGES.items():
        page = new_page(browser, live_server, viewport={"width": WIDTHS[0], "height": 844})
        try:
            if who:
                page.goto("/login")
                page.get_by_label("E-mail").fill(f"{who}@{DOMAIN}")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/")
            for path in paths:
                if isinstance(path, tuple):
                    page.goto(path[0])
                    target = page.locator(path[1]).first.get_attribute("href")
                else:
                    target = path
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 844})
                    page.goto(target)
                    page.wait_for_load_state("networkidle")
                    scroll, client = page.evaluate(OVERFLOW)
                    if scroll > client:
                        culprits = page.evaluate("""limit => [...document.querySelectorAll('main *, header *')]
                            .filter(e => e.getBoundingClientRect().right > limit + 1)
                            .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                                             + ' ' + Math.round(e.getBoundingClientRect().right))""", client)
                        wide.append(f"{who or 'signed out'} {target} at {width}px: {scroll} > {client} ({culprits})")
                if target == "/cases/new":  # the referral form's short keyboard path: skip link, then the buttons
                    page.get_by_role("link", name="Skip to “Save draft” and “Submit”").focus()
                    page.keyboard.press("Enter")
                    page.keyboard.press("Tab")
                    expect(page.get_by_role("button", name="Save draft")).to_be_focused()
                    page.keyboard.press("Tab")
                    expect(page.get_by_role("button", name="Submit")).to_be_focused()
        finally:
            page.context.close()
    assert not wide, "\n".join(wide)
