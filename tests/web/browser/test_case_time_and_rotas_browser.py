"""One story in Chromium against the demo-seeded server: a coordinator finds a time for a triaged case from
the case itself and books it (the case on the new meeting's agenda, the coordinator chairing, already
accepted), then creates a rota, chooses its members and publishes its shifts; a member asks for cover and a
colleague takes the shift in one click. axe-core (WCAG 2.1 AA) on each new page. Screenshots:
time-search-for-case.png, coordinator-rota.png, my-shifts.png."""
from __future__ import annotations

import os
import re
import uuid
from datetime import date, timedelta

import pytest

from app.timekeeping import now_utc
from tests.web.browser.conftest import CASE_PROFORMA, api_session, ok, violations_on

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)


def no_violations(page, axe_source) -> None:
    problems = violations_on(page, axe_source)
    assert not problems, "\n".join(problems)


def a_triaged_case(base_url: str, coordinator) -> dict:
    """A case of the test's own on the Thoracic board, submitted and triaged: the demo's triaged cases may
    have been scheduled by other tests on the same server."""
    url = base_url + "/api/v1"
    referrer = api_session(base_url, "referrer")
    board = next(b for b in ok(coordinator.get(f"{url}/boards")) if b["name"] == "Thoracic Oncology MDT")
    case = ok(referrer.post(f"{url}/cases", json={**CASE_PROFORMA, "board_id": board["id"],
                                                  "patient_reference": f"FCG-TIME-{uuid.uuid4().hex[:8]}",
                                                  "diagnosis": "Adenocarcinoma, right upper lobe"}))
    ok(referrer.post(f"{url}/cases/{case['id']}/submit"))
    ok(coordinator.post(f"{url}/cases/{case['id']}/transitions", json={"to": "triaged"}))
    return case


def test_time_from_a_case_a_published_rota_and_cover_taken(sign_in, page, live_server, screenshot, axe_source):
    coordinator = api_session(live_server, "coordinator")
    case = a_triaged_case(live_server, coordinator)

    # From the case: "Find a time for this case" opens the search filled in from the case and its board.
    sign_in("coordinator")
    page.goto(f"/cases/{case['id']}")
    page.get_by_role("link", name="Find a time for this case").click()
    page.wait_for_url(re.compile(rf"/coordinator/search\?case={case['id']}$"))
    expect(page.locator("#case-searched")).to_be_visible()
    ticked = page.locator("input[name=discipline]:checked")
    assert ticked.count() >= 1
    no_violations(page, axe_source)
    screenshot("time-search-for-case")
    # The licence follows the case (a seat on its meeting needs one where it was referred); the coordinator
    # relaxes the language and looks a week ahead.
    expect(page.locator("#licence-rule")).to_contain_text("China (CN)")
    page.get_by_label(re.compile("^Shared language")).fill("")
    first = date.fromisoformat(page.get_by_label("From (first day)").input_value())
    page.get_by_label("To (last day)").fill((first + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Search", exact=True).click()
    slots = page.locator(".slot-result")
    expect(slots.first).to_be_visible()
    expect(page.locator("table.people").first).to_contain_text("Why chosen")
    no_violations(page, axe_source)
    slots.first.get_by_role("button", name=re.compile("^Book this time")).click()
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(page.url.rsplit("/", 1)[1])
    meeting = ok(coordinator.get(f"{live_server}/api/v1/meetings/{meeting_id}"))
    chair = [i for i in meeting["invitees"] if i["role"] == "chair"]
    assert chair and chair[0]["status"] == "accepted"
    agenda = ok(coordinator.get(f"{live_server}/api/v1/meetings/{meeting_id}/agenda"))
    assert [row["case_id"] for row in agenda] == [case["id"]]

    # A rota, its members, its shifts published far enough ahead that the demo rotas do not clash.
    kolkata = ok(api_session(live_server, "radiologist.kolkata").get(f"{live_server}/api/v1/me"))
    almaty = ok(api_session(live_server, "radiologist.almaty").get(f"{live_server}/api/v1/me"))
    page.goto("/coordinator/rotas")
    page.get_by_role("link", name="Create a rota").click()
    no_violations(page, axe_source)
    page.get_by_label("Name").fill("Weekend radiology reading")
    page.get_by_label("Discipline").select_option("radiology")
    page.get_by_label("Hand-off day").select_option("0")
    page.get_by_role("button", name="Create the rota").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekend radiology reading")
    page.locator("#add-0").fill(kolkata["email"])
    page.locator("#add-1").fill(almaty["email"])
    page.get_by_role("button", name="Save the members").click()
    today = now_utc().date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 + 7 * 30)
    page.get_by_label("From (YYYY-MM-DD)").fill(monday.isoformat())
    page.get_by_label("Weeks").fill("4")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("generated for 4 weeks as a draft")
    expect(page.locator(".shift-list li")).to_have_count(4)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("published: members see them now")
    expect(page.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    expect(page.locator(".shift-list")).to_contain_text(kolkata["name"])
    no_violations(page, axe_source)
    screenshot("coordinator-rota")

    # The first holder asks for cover (over the API); the other takes it from their shifts page.
    rota = next(r for r in ok(coordinator.get(f"{live_server}/api/v1/rotas")) if r["name"] == "Weekend radiology reading")
    shifts = ok(coordinator.get(f"{live_server}/api/v1/rotas/{rota['id']}/shifts",
                                params={"from": f"{monday.isoformat()}T00:00:00Z",
                                        "to": f"{(monday + timedelta(weeks=4)).isoformat()}T00:00:00Z"}))
    holder_id = shifts[0]["user_id"]
    holder, taker = ("radiologist.kolkata", "radiologist.almaty") if holder_id == kolkata["id"] else \
        ("radiologist.almaty", "radiologist.kolkata")
    ok(api_session(live_server, holder).post(f"{live_server}/api/v1/shifts/{shifts[0]['id']}/cover-requests",
                                              json={"reason": "Teaching abroad"}))
    sign_in(taker)
    page.goto("/my/shifts")
    expect(page.get_by_role("heading", name="Shifts colleagues need covered")).to_be_visible()
    no_violations(page, axe_source)
    screenshot("my-shifts")
    page.get_by_role("button", name=re.compile("^Take this shift")).first.click()
    expect(page.get_by_role("status").first).to_contain_text("a coordinator approves it")
