"""The main story, end to end, in Chromium, with four people in their own browsers:

1. a referrer in Fangchenggang submits a case through the pro-forma;
2. the coordinator's case board, already open, shows it without a reload;
3. the coordinator triages it and puts it on the board's meeting from the case page;
4. a specialist in another time zone sees the meeting at his own local time and accepts;
5. the live meeting runs with the chair and the specialist seeing the same current case;
6. the outcome is drafted and signed there;
7. the referrer's inbox count goes up live; she opens the case and reads the signed recommendation.

Set up through the API beforehand, as a coordinator would configure it: a board whose weekly meeting
starts a few minutes from now (the live meeting opens 30 minutes before its start) and the
specialist's seat on it (the scheduler's seat filling needs the specialist inside working hours,
which depends on when the test runs). A specialist already booked at that hour is passed over for
the next candidate in another zone.
"""
from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.web.browser.conftest import (ANY_TIME_OF_DAY, DOMAIN, SCREENSHOTS, api_session, fill_referral, log_in,
                                       new_page, ok)

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

HOST_ZONE = "Asia/Shanghai"
# Specialists outside the host's zone, each with the discipline the case will need.
CANDIDATES = (("pathologist.kathmandu", "pathology"), ("oncologist.moscow", "medical-oncology"),
              ("surgeon.dubai", "thoracic-surgery"))


@pytest.fixture
def planned_board(live_server):
    """A board meeting starting in 12 minutes, with a seat for a specialist in another zone."""
    url = live_server + "/api/v1"
    coordinator = api_session(live_server, "coordinator")
    me = ok(coordinator.get(f"{url}/me"))
    names = {d["code"]: d["name"] for d in ok(coordinator.get(f"{url}/disciplines"))}
    starts = (datetime.now(UTC) + timedelta(minutes=12)).replace(second=0, microsecond=0)
    local = starts.astimezone(ZoneInfo(HOST_ZONE))
    for local_part, discipline in CANDIDATES:
        board = ok(coordinator.post(f"{url}/boards", json={
            "name": f"Story MDT {local:%H%M} {discipline}", "timezone": HOST_ZONE, "weekday": local.weekday(),
            "start_time": local.strftime("%H:%M"), "duration_minutes": 60, "cases_per_meeting": 4,
            "minutes_per_case": 15, "agenda_cutoff_hours": 0, "quorum": [{"discipline": discipline, "count": 1}],
            "members": [{"user_id": me["id"], "role": "coordinator"}]}))
        meeting = ok(coordinator.get(f"{url}/boards/{board['id']}/meetings"))[0]
        specialist = ok(api_session(live_server, local_part).get(f"{url}/me"))
        invited = coordinator.post(f"{url}/meetings/{meeting['id']}/invitations",
                                   json={"user_id": specialist["id"], "role": "seat", "discipline": discipline,
                                         **ANY_TIME_OF_DAY})
        if invited.status_code == 409:
            continue   # booked elsewhere at this hour
        ok(invited)
        # The story reads the pages in English; the Moscow oncologist has saved Russian, so for this test
        # he follows his browser (English) and gets his own choice back afterwards.
        his_session = api_session(live_server, local_part)
        ok(his_session.patch(f"{url}/me", json={"locale": None}))
        yield {"board": board, "meeting_id": meeting["id"], "starts": starts, "discipline": names[discipline],
               "specialist": (local_part, specialist["name"], specialist["timezone"])}
        ok(his_session.patch(f"{url}/me", json={"locale": specialist["locale"]}))
        return
    pytest.fail("no candidate specialist is free at the test meeting's time")


def _browser_of(browser, live_server, local_part, errors):
    page = new_page(browser, live_server)
    page.on("pageerror", lambda error: errors.append(f"{local_part}: {error}"))
    log_in(page, f"{local_part}@{DOMAIN}")
    return page.context, page


def _local(instant: datetime, zone: str) -> str:
    """As the pages print it in English: 'Mon, 23 Nov 2026, 20:57 (Asia/Kathmandu, UTC+05:45)'."""
    local = instant.astimezone(ZoneInfo(zone))
    minutes = int(local.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{local:%a}, {local.day} {local:%b %Y}, {local:%H:%M} ({zone}, UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"


def test_a_case_goes_from_referral_to_signed_outcome_across_roles_and_zones(
        page, sign_in, browser, live_server, planned_board):
    board, meeting_id, starts = planned_board["board"], planned_board["meeting_id"], planned_board["starts"]
    specialist_login, specialist_name, specialist_zone = planned_board["specialist"]
    errors: list[str] = []
    contexts = []
    try:
        # The coordinator keeps the case board open.
        coordinator = sign_in("coordinator")
        coordinator.goto(f"/coordinator/cases?board={board['id']}")
        expect(coordinator.locator("[data-live-status]")).to_contain_text("Live")
        coordinator.evaluate("window.__notReloaded = true")

        # 1. The referrer submits a case for the board.
        context, referrer = _browser_of(browser, live_server, "referrer", errors)
        contexts.append(context)
        referrer.goto("/cases/new")
        fill_referral(referrer, reference="FCG-2026-STORY", diagnosis="Adenocarcinoma, left upper lobe, cT2a N0",
                      summary="3.1 cm LUL mass on CT; PET-avid; no nodal uptake.", urgency="routine",
                      question="Lobectomy, or neoadjuvant treatment first?",
                      discipline=planned_board["discipline"], board=board["name"])
        screenshot_page(referrer, "referrer-new-case")
        referrer.get_by_role("button", name="Submit").click()
        referrer.wait_for_url(re.compile(r"/cases/\d+$"))
        case_id = int(referrer.url.rsplit("/", 1)[1])

        # 2. The case board shows it without a reload.
        card = coordinator.locator(f'[data-state="submitted"] [data-case-id="{case_id}"]')
        expect(card).to_be_visible()
        assert coordinator.evaluate("window.__notReloaded") is True

        # 3. The coordinator triages it and puts it on the meeting's agenda from the case page.
        coordinator.goto(f"/cases/{case_id}")
        coordinator.locator("#move-triaged").click()
        expect(coordinator.locator("#meeting_id")).to_be_visible()
        coordinator.locator("#meeting_id").select_option(str(meeting_id))
        coordinator.locator("#move-scheduled").click()
        expect(coordinator.locator("#case-actions")).to_contain_text("scheduled")

        # 4. The specialist, in another zone, sees the meeting at his local time and accepts.
        context, specialist = _browser_of(browser, live_server, specialist_login, errors)
        contexts.append(context)
        expect(specialist.locator("[data-viewer-zone]")).to_have_text(specialist_zone)
        specialist.goto("/schedule")
        invitation = specialist.locator(".invitations .invitation", has_text=board["name"])
        expect(invitation).to_contain_text(_local(starts, specialist_zone))
        invitation.get_by_role("button", name="Accept").click()
        expect(invitation.locator("[data-answer]")).to_have_text("accepted")

        # 5. The live meeting: the chair starts it and both see the same current case.
        coordinator.goto(f"/meetings/{meeting_id}/live")
        expect(coordinator.locator("[data-live-status]")).to_contain_text("Live")
        specialist.goto(f"/meetings/{meeting_id}/live")
        expect(specialist.locator("[data-live-status]")).to_contain_text("Live")
        expect(coordinator.locator("[data-presence]")).to_contain_text(specialist_name)
        coordinator.get_by_role("button", name="Start meeting").click()
        for participant in (coordinator, specialist):
            expect(participant.locator(f'li[data-case-id="{case_id}"]')).to_have_attribute(
                "aria-current", "true")

        # 6. Discussed; the chair drafts the outcome and the specialist signs it.
        coordinator.get_by_role("button", name=f"Mark case #{case_id} discussed").click()
        expect(specialist.locator(f'li[data-case-id="{case_id}"]')).to_have_attribute(
            "data-status", "discussed")
        recommendation = "Neoadjuvant chemo-immunotherapy, then left upper lobectomy."
        coordinator.get_by_label("Recommendation").fill(recommendation)
        coordinator.get_by_label("Category").select_option("systemic_therapy")
        coordinator.get_by_role("button", name="Save draft").click()
        expect(specialist.locator("[data-outcome-version]")).to_contain_text(recommendation)
        badge = referrer.locator("[data-unread-count]")   # the referrer's page has stayed open since step 1
        unread = int(badge.inner_text())
        specialist.get_by_role("button", name="Sign outcome").click()
        expect(coordinator.locator("[data-outcome-status]")).to_contain_text("Signed")

        # 7. The referrer's inbox count goes up without a reload; she reads the signed outcome.
        expect(badge).to_have_text(str(unread + 1))
        referrer.goto(f"/cases/{case_id}")
        outcome = referrer.locator("article.outcome")
        expect(outcome).to_contain_text(recommendation)
        expect(outcome).to_contain_text(f"Signed by {specialist_name}")
        expect(outcome).to_contain_text("(Asia/Shanghai, UTC+08:00)")
        screenshot_page(referrer, "referrer-case-outcome")
    finally:
        for context in contexts:
            context.close()
    assert not errors, f"JavaScript errors: {errors}"


def screenshot_page(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
