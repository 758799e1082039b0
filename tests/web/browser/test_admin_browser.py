"""The administrator's workspace in Chromium against the demo-seeded server: the administrator invites a
coordinator, who opens the one-time link, chooses a password and signs in; the administrator previews a
partner site's CSV file and applies it; the menu button at phone width; axe-core on every new page.
Screenshots: admin-*.png, set-password.png."""
from __future__ import annotations

import os
import re
import sqlite3
from types import SimpleNamespace

import pytest

from tests.web.browser.conftest import AXE, SCREENSHOTS, new_page, violations_on

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "silver kettle monsoon 83"
CSV = ("email,name,disciplines,languages,timezone,weekly_hours,licence_country,licence_number,licence_expires_on\n"
       "dr.thapa@partner.example.org,Dr Sita Thapa,pathology,ne;en,Asia/Kathmandu,mon-fri 09:00-16:00,NP,NMC-77120,2031-05-31\n"
       "dr.gurung@partner.example.org,Dr Anil Gurung,radiology,en,Asia/Kathmandu,sun-thu 10:00-17:00,,,\n")


def nav(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def set_password_link(tmp_path_factory, email: str) -> str:
    """What the invitation e-mail links to (the outbox is not running): the database holds only the
    link's id and nonce, so the link is made from them with the server's SECRET_KEY, as the outbox does."""
    from app.accounts import password_links
    from config import TestingConfig

    databases = sorted(tmp_path_factory.getbasetemp().glob("browser-db*/meridian.sqlite"))
    assert databases, "the browser test server's database was not found"
    with sqlite3.connect(databases[-1]) as connection:
        row = connection.execute(
            "SELECT l.id, l.nonce FROM password_links l JOIN users u ON u.id = l.user_id "
            "WHERE u.email = ? AND l.purpose = 'invitation' ORDER BY l.id DESC", (email,)).fetchone()
    assert row and row[1], f"no invitation for {email}"
    record = SimpleNamespace(id=row[0], nonce=row[1])
    return password_links.link_path(record, password_links.link_key(TestingConfig.SECRET_KEY))


def test_an_administrator_invites_a_coordinator_and_onboards_specialists(sign_in, page, screenshot, browser,
                                                                       live_server, tmp_path_factory):
    axe_source = AXE.read_text(encoding="utf-8") if AXE.exists() else None
    problems: list[str] = []

    def check(name: str) -> None:
        screenshot(name)
        if axe_source:
            problems.extend(violations_on(page, axe_source))

    sign_in("admin")
    nav(page, "People").click()
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    check("admin-people")
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Full name").fill("Marat Seitkali")
    page.get_by_label("E-mail").fill("marat.seitkali@example.org")
    page.get_by_label("Site").select_option(index=1)
    page.get_by_label("Coordinator", exact=True).check()
    check("admin-invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Marat Seitkali is invited")
    expect(page.locator("main")).to_contain_text("Sent; unused")
    check("admin-person")

    for name, heading in (("Sites", "Sites and organisations"), ("Disciplines", "The discipline vocabulary"),
                          ("Licence checks", "Licence verification")):
        nav(page, name).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        check("admin-" + name.lower().replace(" ", "-"))
    expect(page.locator(".licence-queue li.card").first).to_be_visible()  # the demo's renewals wait here
    # The forms behind the lists, checked too.
    for path, heading in (("/admin/sites/new", "Add a site"), ("/admin/disciplines/pathology", "Pathology"),
                          (None, None)):
        if path is None:
            nav(page, "Sites").click()
            page.locator("tbody th a").first.click()
            expect(page.get_by_role("heading", name=re.compile("^Edit "))).to_be_visible()
        else:
            page.goto(path)
            expect(page.get_by_role("heading", name=re.compile(f"^{heading}"))).to_be_visible()
        if axe_source:
            problems.extend(violations_on(page, axe_source))
    screenshot("admin-site")

    # CSV onboarding: a dry run first (nothing saved), then apply what was previewed.
    nav(page, "Onboarding").click()
    if axe_source:
        problems.extend(violations_on(page, axe_source))
    page.get_by_label("Partner site").select_option(index=0)
    page.get_by_label("CSV file (UTF-8)").set_input_files(
        files=[{"name": "partner.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.get_by_role("heading", name="Dry run: nothing is saved yet")).to_be_visible()
    expect(page.locator(".import-report tbody tr")).to_have_count(2)
    expect(page.locator(".import-report")).to_contain_text("will create")
    check("admin-onboarding-preview")
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("status").first).to_contain_text("Onboarding applied: 2 created")
    expect(page.locator(".import-report")).to_contain_text("created")

    # The invited coordinator, in a browser of their own, opens the link from the e-mail.
    link = set_password_link(tmp_path_factory, "marat.seitkali@example.org")
    invited = new_page(browser, live_server)
    try:
        invited.goto(link)
        expect(invited.get_by_role("heading", name="Choose your password")).to_be_visible()
        invited.screenshot(path=str(SCREENSHOTS / "set-password.png"), full_page=True)
        if axe_source:
            problems.extend(violations_on(invited, axe_source))
        invited.get_by_label(re.compile("^New password \\(")).fill(NEW_PASSWORD)
        invited.get_by_label("New password again").fill(NEW_PASSWORD)
        invited.get_by_role("button", name="Set password").click()
        invited.wait_for_url("**/login")
        invited.get_by_label("E-mail").fill("marat.seitkali@example.org")
        invited.get_by_label("Password").fill(NEW_PASSWORD)
        invited.get_by_role("button", name="Sign in").click()
        invited.wait_for_url("**/")
        expect(invited.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_visible()
        invited.goto(link)  # the link worked once
        expect(invited.locator("main")).to_contain_text("expired or has already been used")
    finally:
        invited.context.close()

    # At phone width the navigation folds behind a menu button, opened and closed from the keyboard.
    page.set_viewport_size(PHONE)
    page.goto("/admin/users")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav(page, "Sites")).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav(page, "Sites")).to_be_visible()
    screenshot("admin-phone-menu", full_page=False)
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    assert not problems, "\n".join(problems)
