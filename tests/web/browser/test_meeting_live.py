"""The live meeting page in Chromium, two people at once: the chair (Li Na, coordinator, Asia/Shanghai) and a
radiologist in Kolkata (Asia/Kolkata, UTC+05:30) who accepted a seat. Nothing is reloaded: everything the
other one does arrives over Socket.IO (`meeting:<id>`, `case:<id>`).

Setup through the API: a board meeting starting ten minutes from now (the live meeting opens 30 minutes
before its start), two radiology cases on its agenda, and the radiologist's seat. Radiology is the only
discipline the cases and the board's quorum need, so her signature completes the outcome."""
from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.web.browser.conftest import (ANY_TIME_OF_DAY, AXE, CASE_PROFORMA, DOMAIN, SCREENSHOTS, api_session, log_in,
                                       new_page, ok, violations_on)

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

HOST_ZONE = "Asia/Shanghai"
# Who takes the radiology seat: the first without a clashing booking (the demo books people weekly).
RADIOLOGISTS = ("radiologist.kolkata", "radiologist.almaty")


@pytest.fixture
def live_meeting(live_server):
    """{meeting_id, case_ids, specialist: (local part, name, zone)} for a meeting about to start."""
    url = live_server + "/api/v1"
    coordinator, referrer = api_session(live_server, "coordinator"), api_session(live_server, "referrer")
    me = ok(coordinator.get(f"{url}/me"))
    starts = (datetime.now(UTC) + timedelta(minutes=11)).replace(second=0, microsecond=0)
    local = starts.astimezone(ZoneInfo(HOST_ZONE))
    board = ok(coordinator.post(f"{url}/boards", json={
        "name": f"Lung Nodule Live MDT {local:%H%M}", "timezone": HOST_ZONE, "weekday": local.weekday(),
        "start_time": local.strftime("%H:%M"), "duration_minutes": 60, "cases_per_meeting": 4,
        "minutes_per_case": 10, "agenda_cutoff_hours": 0, "quorum": [{"discipline": "radiology", "count": 1}],
        "members": [{"user_id": me["id"], "role": "coordinator"}]}))
    meetings = ok(coordinator.get(f"{url}/boards/{board['id']}/meetings"))
    meeting_id = meetings[0]["id"]

    case_ids = []
    for number in (1, 2):
        case = ok(referrer.post(f"{url}/cases", json={
            **CASE_PROFORMA, "patient_reference": f"FCG-LIVE-{local:%H%M}-{number}", "board_id": board["id"],
            "diagnosis": f"Adenocarcinoma, right upper lobe (nodule {number})"}))
        ok(referrer.post(f"{url}/cases/{case['id']}/submit"))
        ok(coordinator.post(f"{url}/cases/{case['id']}/transitions", json={"to": "triaged"}))
        ok(coordinator.post(f"{url}/meetings/{meeting_id}/agenda", json={"case_id": case["id"]}))
        case_ids.append(case["id"])

    refusals = []
    for local_part in RADIOLOGISTS:
        specialist = api_session(live_server, local_part)
        profile = ok(specialist.get(f"{url}/me"))
        invited = coordinator.post(f"{url}/meetings/{meeting_id}/invitations",
                                   json={"user_id": profile["id"], "role": "seat", "discipline": "radiology",
                                         **ANY_TIME_OF_DAY})
        if invited.status_code in (409, 422):
            refusals.append(f"{local_part}: {invited.json().get('detail')}")
            continue   # booked elsewhere at this hour, or not licensed in China for these cases: the next radiologist
        invitation = ok(invited)
        ok(specialist.post(f"{url}/invitations/{invitation['id']}/answer", json={"answer": "accepted"}))
        return {"meeting_id": meeting_id, "case_ids": case_ids,
                "specialist": (local_part, profile["name"], profile["timezone"])}
    pytest.fail("no radiologist is free for the test meeting: " + "; ".join(refusals))


def _signed_in_page(browser, live_server, local_part, errors):
    page = new_page(browser, live_server)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, f"{local_part}@{DOMAIN}")
    return page.context, page


def _offset(zone: str) -> str:
    offset = datetime.now(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    return f"UTC{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def test_chair_and_specialist_run_a_meeting_live(sign_in, page, browser, live_server, live_meeting, screenshot):
    meeting_id, (first, second) = live_meeting["meeting_id"], live_meeting["case_ids"]
    local_part, specialist_name, specialist_zone = live_meeting["specialist"]
    chair = sign_in("coordinator")
    chair.goto(f"/meetings/{meeting_id}")
    chair.get_by_role("link", name="Live meeting page").click()
    chair.wait_for_url(f"**/meetings/{meeting_id}/live")
    expect(chair.locator("[data-live-status]")).to_contain_text("Live")

    errors: list[str] = []
    context, specialist = _signed_in_page(browser, live_server, local_part, errors)
    try:
        specialist.goto(f"/meetings/{meeting_id}/live")
        expect(specialist.locator("[data-live-status]")).to_contain_text("Live")
        specialist.evaluate("window.__notReloaded = true")
        assert specialist.locator("[data-chair-controls]").count() == 0   # controls are the chair's only

        # The specialist's page opened in presence: the chair sees her, in her own local time and zone.
        presence = chair.locator("[data-presence]")
        expect(presence).to_contain_text(specialist_name)
        expect(presence).to_contain_text(re.compile(
            rf"{re.escape(specialist_name)} — \d\d:\d\d \({re.escape(specialist_zone)}, "
            rf"{re.escape(_offset(specialist_zone))}\)"))

        # The chair starts: the first case is current on both pages.
        chair.get_by_role("button", name="Start meeting").click()
        expect(specialist.locator("[data-meeting-status]")).to_have_text("in progress")
        expect(specialist.locator(f'li[data-case-id="{first}"]')).to_have_attribute("aria-current", "true")

        # ... and moves to the second case (by keyboard).
        chair.get_by_role("button", name=f"Make case #{second} current").focus()
        chair.keyboard.press("Enter")
        current = specialist.locator(f'li[data-case-id="{second}"]')
        expect(current).to_have_attribute("aria-current", "true")
        expect(current.locator("[data-current-label]")).to_be_visible()
        expect(specialist.locator(f'li[data-case-id="{first}"]')).not_to_have_attribute("aria-current", "true")
        expect(specialist.locator(f'li[data-case-id="{first}"] [data-current-label]')).to_be_hidden()

        # Notes saved by the specialist (keyboard only) appear on the chair's page.
        notes = "Nodule enlarged from 1.9 to 2.4 cm over 6 months; solid component, spiculated."
        specialist.get_by_label("Shared notes for the case under discussion").fill(notes)
        specialist.keyboard.press("Tab")
        expect(specialist.get_by_role("button", name="Save notes")).to_be_focused()
        specialist.keyboard.press("Enter")
        expect(chair.get_by_label("Shared notes for the case under discussion")).to_have_value(notes)

        # While the case is under discussion the chair drafts the outcome, with staging and an action.
        chair.get_by_role("button", name="Save draft").click()     # empty: the error sits beside the field
        expect(chair.locator("#outcome-recommendation-error")).to_have_text(
            "Write the board's recommendation: it must not be empty.")
        expect(chair.get_by_label("Recommendation")).to_have_attribute("aria-invalid", "true")
        chair.get_by_label("Recommendation").fill("Right upper lobectomy with systematic nodal dissection.")
        chair.get_by_label("Category").select_option("surgery")
        chair.get_by_label("Rationale (optional)").fill("Fit for surgery; growing solid nodule.")
        chair.get_by_label("TNM edition").select_option("8")
        chair.get_by_label("cT", exact=True).fill("cT1c")
        chair.get_by_label("cN", exact=True).fill("N0")
        chair.get_by_role("button", name="Add an action").click()
        chair.get_by_label("What", exact=True).fill("Book the lobectomy")
        due = datetime.now(UTC).date() + timedelta(days=14)
        chair.get_by_label("By when", exact=True).fill(due.isoformat())
        if AXE.exists():   # the open draft form: staging fields, the actions editor, the field's error
            problems = violations_on(chair, AXE.read_text())
            assert not problems, "\n".join(problems)
        chair.get_by_role("button", name="Save draft").click()
        expect(specialist.locator("[data-outcome-version]")).to_contain_text("cT1c cN0 (TNM edition 8)")
        expect(chair.get_by_label("What", exact=True)).to_have_value("Book the lobectomy")
        expect(specialist.locator('[data-outcome-field="actions"]')).to_contain_text("Book the lobectomy")
        # the due date as the reader's language writes it, not as the API sends it
        expect(specialist.locator('[data-outcome-field="actions"]')).to_contain_text(
            f"by {due.day} {('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')[due.month - 1]} {due.year}")

        # The chair closes the discussion; the specialist signs the draft.
        chair.get_by_role("button", name=f"Mark case #{second} discussed").click()
        expect(specialist.locator(f'li[data-case-id="{second}"]')).to_have_attribute("data-status", "discussed")
        discussed_notes = specialist.get_by_label("Shared notes for the case under discussion")
        expect(discussed_notes).to_have_value(notes)       # the discussed case's notes stay, read only
        expect(discussed_notes).not_to_be_editable()
        expect(specialist.locator("[data-outcome-status]")).to_contain_text("waiting for signatures from: Radiology")
        expect(specialist.locator("[data-outcome-version]")).to_contain_text("Right upper lobectomy")
        specialist.get_by_role("button", name="Sign outcome").click()
        expect(specialist.locator("[data-outcome-status]")).to_contain_text("Signed")
        expect(chair.locator("[data-outcome-status]")).to_contain_text("Signed")
        expect(chair.locator("[data-signatures]")).to_contain_text(f"{specialist_name} (Radiology) signed at")
        expect(chair.locator("[data-signatures]")).to_contain_text("(Asia/Shanghai, UTC+08:00)")

        screenshot("meeting-live-chair")
        specialist.screenshot(path=str(SCREENSHOTS / "meeting-live-specialist.png"), full_page=True)
        if AXE.exists():   # WCAG 2.1 AA, as tests/web/browser/test_every_page.py checks the other pages
            problems = violations_on(chair, AXE.read_text()) + violations_on(specialist, AXE.read_text())
            assert not problems, "\n".join(problems)

        # The coordinator amends the signed outcome (as from the case page): the specialist's page shows the
        # new draft to sign, and why it replaces the signed one.
        coordinator = api_session(live_server, "coordinator")
        outcome = ok(coordinator.get(f"{live_server}/api/v1/cases/{second}/outcome"))["current"]
        ok(coordinator.post(f"{live_server}/api/v1/outcomes/{outcome['id']}/amend", json={
            "category": "radiotherapy", "recommendation": "Stereotactic radiotherapy, 54 Gy in 3 fractions.",
            "reason": "The patient declined surgery after the meeting."}))
        expect(specialist.locator("[data-outcome-status]")).to_contain_text("Draft version 2")
        expect(specialist.locator('[data-outcome-field="amendment_reason"]')).to_have_text(
            "The patient declined surgery after the meeting.")
        expect(specialist.get_by_text("Why it was amended", exact=True)).to_be_visible()
        assert specialist.evaluate("window.__notReloaded") is True

        # The chair finishes; the specialist's page follows.
        chair.once("dialog", lambda dialog: dialog.accept())
        chair.get_by_role("button", name="Finish meeting").click()
        expect(specialist.locator("[data-meeting-status]")).to_have_text("finished")
        assert specialist.evaluate("window.__notReloaded") is True
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the specialist's page: {errors}"
