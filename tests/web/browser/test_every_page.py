"""Every page, for each demo role, in Debian's Chromium: it meets WCAG 2.1 A and AA as axe-core (from npm,
pinned in package-lock.json) checks it (labels, names, contrast, landmarks, ARIA), and nothing makes it
scroll sideways at a phone's width (390 px) or a laptop's (1280 px). One walk per role: each page is
loaded once, checked with axe, then measured at both widths. Any violation fails with the rule, what it
means and where; any overflow with the widest elements."""
from __future__ import annotations

import os
import re

import pytest

from tests.web.browser.conftest import DOMAIN, log_in, new_page, violations_on
from tests.web.browser.test_admin_browser import set_password_link

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

WIDTHS = (390, 1280)
# Who signs in, and their pages: a path, or a page and the links to follow from it (the first link each
# selector matches) where the address depends on the demo's data.
# INVITED: a real one-time set-password link, made by the administrator on the invite page, opened signed out.
INVITED = "set-password link"
PAGES = {
    None: ["/login", INVITED],
    "referrer": ["/", "/inbox", "/profile", "/me/password", "/cases", "/cases/new", ("/cases", "tbody th a")],
    "surgeon.dubai": ["/", "/schedule", "/me/availability", "/me/licences", "/me/calendar", "/my/shifts",
                      ("/schedule", "a[href^='/meetings/']")],
    "radiologist.almaty": ["/my/shifts"],   # on the demo's radiology rota, with a colleague's cover to take
    "coordinator": ["/", "/coordinator", "/coordinator/cases", "/coordinator/search", "/coordinator/rotas",
                    "/coordinator/boards", "/coordinator/boards/new", "/coordinator/meetings/new",
                    "/coordinator/specialists", "/coordinator/rotas/new",
                    "/coordinator/meetings", "/admin/licences", "/admin/onboarding",
                    ("/coordinator/boards", "tbody th a[href^='/coordinator/boards/']"),
                    ("/coordinator/meetings", "a[href$='/invitations']"),
                    ("/coordinator/specialists", "tbody th a[href^='/coordinator/specialists/']"),
                    ("/coordinator/rotas", "tbody th a[href^='/coordinator/rotas/']"),
                    ("/coordinator", "a[href^='/meetings/']"),
                    ("/coordinator", "a[href^='/meetings/']", "a[data-preparation-link]"),
                    ("/coordinator/meetings", "a[href$='/agenda']"),
                    ("/coordinator/meetings", "a[href$='/attendance']"),
                    ("/coordinator/cases", "a[href^='/cases/']"),
                    ("/coordinator/cases", "a[href^='/cases/']", "a[href$='/audit']"),
                    # the demo's signed outcome, amended from its case page
                    ("/coordinator/cases", "[data-state='outcome_signed'] a[href^='/cases/']",
                     "a#amend-outcome-link")],
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


def invitation_link(browser, base_url: str, tmp_path_factory, email: str) -> str:
    """The administrator invites `email` on the invite page (in a browser of their own); the one-time
    set-password link the invitation e-mail carries, read from the served database."""
    admin = new_page(browser, base_url)
    try:
        log_in(admin, f"admin@{DOMAIN}")
        admin.goto("/admin/users/invite")
        admin.get_by_label("Full name").fill("Aigerim Nurlanova")
        admin.get_by_label("E-mail").fill(email)
        admin.get_by_label("Site").select_option(index=1)
        admin.get_by_label("Coordinator", exact=True).check()
        admin.get_by_role("button", name="Send invitation").click()
        admin.wait_for_url(re.compile(r"/admin/users/\d+$"))
    finally:
        admin.context.close()
    return set_password_link(tmp_path_factory, email)


def open_page(page, path) -> str:
    """Open `path` (following its links); a page that answers an error fails here, not measured as fine."""
    def go(address):
        response = page.goto(address)
        assert response is not None and response.status < 400, f"{address} answered {response and response.status}"

    if isinstance(path, str):
        go(path)
        return path
    start, *links = path
    go(start)
    for link in links:
        go(page.locator(link).first.get_attribute("href"))
    return page.url


@pytest.mark.parametrize("who", list(PAGES), ids=lambda who: who or "signed-out")
def test_every_page_meets_wcag_aa_and_fits_a_phone_and_a_laptop(who, page, sign_in, axe_source, browser,
                                                                 live_server, tmp_path_factory):
    if who:
        sign_in(who)
    problems = []
    for path in PAGES[who]:
        invited = path == INVITED
        if invited:
            path = invitation_link(browser, live_server, tmp_path_factory, "every.page.invitee@example.org")
        page.set_viewport_size({"width": WIDTHS[-1], "height": 844})
        shown = open_page(page, path)
        if invited:
            expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
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
