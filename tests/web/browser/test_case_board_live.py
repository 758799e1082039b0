"""Live case board in Chromium: a referrer submits a case in one browser; the coordinator's case board,
open in another, shows it in the Submitted column without a reload (Socket.IO `board:<id>` room)."""
from __future__ import annotations

import os
import re

import pytest

from tests.web.browser.conftest import DOMAIN, PASSWORD, fill_referral, new_page

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)


def test_coordinator_board_shows_a_newly_submitted_case_without_reload(sign_in, page, browser, live_server,
                                                                     screenshot):
    sign_in("coordinator")
    page.goto("/coordinator/cases")
    expect(page.locator("[data-live-status]")).to_contain_text("Live")
    page.evaluate("window.__notReloaded = true")
    submitted = page.locator('[data-state="submitted"]')
    before = submitted.locator("[data-case-id]").count()

    referrer = new_page(browser, live_server)
    context = referrer.context
    try:
        referrer.goto("/login")
        referrer.get_by_label("E-mail").fill(f"referrer@{DOMAIN}")
        referrer.get_by_label("Password").fill(PASSWORD)
        referrer.get_by_role("button", name="Sign in").click()
        referrer.wait_for_url("**/")
        referrer.goto("/cases/new")
        fill_referral(referrer, reference="FCG-2026-7777", diagnosis="Adenocarcinoma, right middle lobe",
                      question="Surgery or SBRT?", urgency="urgent", discipline="Radiology", sex="male",
                      born=1955, icd10="C34.2", summary="Incidental finding on CT.", language="zh",
                      board="Thoracic Oncology MDT")
        referrer.get_by_role("button", name="Submit").click()
        referrer.wait_for_url(re.compile(r"/cases/\d+$"))
        case_id = int(referrer.url.rsplit("/", 1)[1])
    finally:
        context.close()

    card = submitted.locator(f'[data-case-id="{case_id}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("urgent")
    expect(card).to_contain_text(re.compile(r"\d+ h \d\d min left"))
    assert submitted.locator("[data-case-id]").count() == before + 1
    assert page.evaluate("window.__notReloaded") is True
    screenshot("coordinator-case-board")


def test_board_resumes_after_a_dropped_connection_without_missing_an_update(sign_in, page, live_server):
    """live.js keeps the last seq per room and, on reconnect, asks for everything after it."""
    import requests

    sign_in("coordinator")
    page.goto("/coordinator/cases")
    expect(page.locator("[data-live-status]")).to_contain_text("Live")
    room = page.locator("[data-case-board]").get_attribute("data-rooms").split()[0]
    page.evaluate("""room => {
        window.__seen = [];
        window.MeridianCaseBoard.live.subscribe(room, e => window.__seen.push(e.data.case_id + ':' + e.data.to));
    }""", room)
    # Only drop the connection once the board's subscription is acknowledged (it knows the room's seq).
    page.wait_for_function("room => window.MeridianCaseBoard.live.lastSeq(room) !== undefined", arg=room)
    page.evaluate("window.MeridianCaseBoard.live.socket.disconnect()")
    page.wait_for_function("!window.MeridianCaseBoard.live.socket.connected")

    # While the page is offline, the coordinator triages a case through the API.
    token = requests.post(f"{live_server}/api/v1/auth/token", timeout=10,
                          json={"email": f"coordinator@{DOMAIN}", "password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    board_id = int(room.split(":")[1])
    waiting = requests.get(f"{live_server}/api/v1/cases?state=submitted&board_id={board_id}", headers=auth,
                           timeout=10).json()
    case_id = waiting[0]["id"]
    moved = requests.post(f"{live_server}/api/v1/cases/{case_id}/transitions", headers=auth, timeout=10,
                          json={"to": "triaged"})
    assert moved.status_code == 200, moved.text

    page.evaluate("window.MeridianCaseBoard.live.socket.connect()")
    page.wait_for_function("id => window.__seen.includes(id + ':triaged')", arg=case_id)
    assert page.evaluate("window.__seen").count(f"{case_id}:triaged") == 1  # once, not twice
    expect(page.locator(f'[data-state="triaged"] [data-case-id="{case_id}"]')).to_be_visible()
