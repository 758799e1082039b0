"""The coordinator's workspace in Chromium, through the pages only: a board created with its members by
role, an ad-hoc meeting for it, a specialist invited who declines with a note, the note read and the seat
given to the next eligible person in one click, the meeting moved and then cancelled with a reason; the
specialists directory and a profile. Every new page is checked with axe-core (WCAG 2.1 AA).
Screenshots: coordinator-boards.png, coordinator-board-form.png, coordinator-invitations.png,
coordinator-specialists.png, coordinator-specialist-profile.png."""
from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

from tests.web.browser.conftest import DOMAIN, log_in, new_page
from tests.web.browser.conftest import AXE, violations_on

BOARD = "Sarcoma MDT"
NOTE = "Reporting a PET list in Kolkata that afternoon; sorry."


def nav(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def check_axe(page, problems: list[str]) -> None:
    problems += violations_on(page, AXE.read_text())


def suggested_person(page, field_id: str, name: str) -> str:
    """Types the start of `name` into a member row, takes the suggested person's e-mail; returns it."""
    field = page.locator(f"#{field_id}")
    # htmx wires the field once the page has loaded; what is typed before that asks for no suggestions
    page.wait_for_load_state("load")
    field.fill(name[:7])
    suggestion = page.locator("#people-suggestions option", has_text=name).first
    expect(suggestion).to_be_attached()
    email = suggestion.get_attribute("value")
    field.fill(email)
    return email


def test_coordinator_runs_a_board_and_a_meeting_from_the_pages(browser, live_server, sign_in, page, screenshot):
    if not AXE.exists():
        pytest.skip("node_modules/axe-core is missing: run 'npm ci'")
    problems: list[str] = []
    sign_in("coordinator")

    # A board with its members by role.
    nav(page, "Boards").click()
    expect(page.get_by_role("heading", level=1, name="Boards")).to_be_visible()
    check_axe(page, problems)
    page.get_by_role("link", name="New board").click()
    page.get_by_label("Name", exact=True).fill(BOARD)
    page.locator("#quorum-0-discipline").select_option("radiology")
    page.locator("#quorum-0-count").fill("1")
    ananya = suggested_person(page, "member-1-user", "Dr Ananya Sen")
    page.locator("#member-1-role").select_option("core")
    page.locator("#member-1-discipline").select_option("radiology")
    suggested_person(page, "member-2-user", "Dr Timur Akhmetov")
    page.locator("#member-2-role").select_option("deputy")
    page.locator("#member-2-discipline").select_option("radiology")
    expect(page.get_by_label("When someone declines a seat")).to_have_value("manual")
    check_axe(page, problems)
    page.get_by_role("button", name="Create the board").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Board {BOARD} created")
    expect(page.locator("#member-1-user")).to_have_value(ananya)
    screenshot("coordinator-board-form")
    nav(page, "Boards").click()
    expect(page.locator("table.boards")).to_contain_text(BOARD)
    screenshot("coordinator-boards")

    # An ad-hoc meeting for it, on a Tuesday at 14:00 in the coordinator's zone (Shanghai), ten days ahead or
    # more: after the deputy's conference, which the demo puts nine days from Almaty's today.
    nav(page, "Meetings").click()
    page.get_by_role("link", name="New meeting at a time you choose").click()
    check_axe(page, problems)
    soon = date.fromisoformat(page.get_by_label("Date").input_value()) + timedelta(days=9)  # the form offers tomorrow
    day = (soon + timedelta(days=(1 - soon.weekday()) % 7)).isoformat()  # a Tuesday: everyone's working day
    page.get_by_label("Title").fill("Sarcoma second opinion")
    page.get_by_label("Board (optional)").select_option(label=BOARD)
    page.get_by_label("Date").fill(day)
    page.get_by_label(re.compile("^Start")).fill("14:00")
    page.get_by_role("button", name="Create the meeting").click()
    page.wait_for_url(re.compile(r"/coordinator/meetings/\d+/invitations$"))
    invitations_url = page.url
    meeting_id = re.search(r"/meetings/(\d+)/", invitations_url).group(1)

    # Invite the core radiologist.
    suggested_person(page, "user_id", "Dr Ananya Sen")
    page.get_by_label("Role").select_option("seat")
    page.get_by_label("Discipline (for a seat)").select_option("radiology")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Dr Ananya Sen invited.")

    # She declines with a note, in her own browser.
    specialist = new_page(browser, live_server)
    log_in(specialist, f"radiologist.kolkata@{DOMAIN}")
    specialist.goto(f"/meetings/{meeting_id}")
    specialist.get_by_label("Note to the coordinator (optional)").fill(NOTE)
    specialist.get_by_role("button", name="Decline").click()
    expect(specialist.locator("[data-answer]").first).to_have_text("declined")
    specialist.context.close()

    # The coordinator is told, reads the note beside her answer, and replaces her in one click.
    page.reload()
    expect(page.locator("[data-unread-count]")).not_to_have_text("0")
    declined_row = page.locator("tr[data-status=declined]")
    expect(declined_row).to_contain_text("Dr Ananya Sen")
    expect(declined_row).to_contain_text(NOTE)
    check_axe(page, problems)
    declined_row.get_by_role("button", name=re.compile("^Invite the next eligible person")).click()
    expect(page.get_by_role("status").first).to_contain_text("in place of Dr Ananya Sen")
    expect(page.locator("tr[data-status=pending]")).to_have_count(1)
    screenshot("coordinator-invitations")

    # Move it an hour later: everyone still invited is asked again.
    page.get_by_label(re.compile("^Start")).fill("15:00")
    page.get_by_role("button", name="Move and ask everyone again").click()
    expect(page.get_by_role("status").first).to_contain_text("Moved to")
    expect(page.locator("p.when")).to_contain_text("15:00")

    # Cancel it with a reason.
    page.get_by_label(re.compile("^Reason")).fill("The patient chose treatment closer to home.")
    page.get_by_role("button", name="Cancel the meeting").click()
    expect(page.get_by_role("status").first).to_contain_text("Meeting cancelled")
    expect(page.locator("p.when .status")).to_have_text("cancelled")

    # The specialists directory and a profile with hours in both zones.
    nav(page, "Specialists").click()
    page.get_by_label("Discipline").select_option("radiology")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.directory")).to_contain_text("Dr Ananya Sen")
    expect(page.locator("table.directory")).not_to_contain_text("Dr Zhou Min")
    check_axe(page, problems)
    screenshot("coordinator-specialists")
    page.get_by_role("link", name="Dr Ananya Sen").click()
    expect(page.get_by_role("heading", name=re.compile("^Weekly hours in their zone"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Your time")
    check_axe(page, problems)
    screenshot("coordinator-specialist-profile")
    # Phone width: nothing in the page's content runs past the screen (wide tables scroll in their box).
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/coordinator/boards", "/coordinator/boards/new", "/coordinator/meetings/new", invitations_url,
                 "/coordinator/specialists", page.url):
        page.goto(path)
        sticking_out = page.evaluate("""() => Array.from(document.querySelectorAll('main *'))
            .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).slice(0, 5)""")
        if sticking_out:
            problems.append(f"{path} at 390 px: {sticking_out}")
    assert not problems, "\n".join(problems)
