"""Coordinator pages in Chromium against the demo-seeded server: the agenda editor driven by the keyboard
(htmx swaps the list and the focus stays on the moved case), the attendance report, a case's audit trail,
and booking a slot from the time search. Screenshots: coordinator-agenda.png, coordinator-attendance.png,
case-audit-trail.png."""
from __future__ import annotations

import os
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)


def nav(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def open_agenda_with_cases(page, board: str) -> None:
    """From the meetings list, the agenda editor of the board's first upcoming meeting with cases on it (the
    next meeting may be one whose agenda closed before the demo listed its cases, depending on the day)."""
    nav(page, "Meetings").click()
    for row in page.locator("section[aria-labelledby=upcoming-heading] tbody tr").all():
        if board in row.locator("th").inner_text() and row.locator("td").nth(2).inner_text().strip() != "0":
            row.get_by_role("link", name=re.compile("^Agenda")).click()
            return
    pytest.fail(f"no upcoming meeting of {board} has cases on its agenda")


def agenda_order(page) -> list[int]:
    return [int(value) for value in page.locator(".agenda-item").evaluate_all(
        "items => items.map(item => item.dataset.caseId)")]


def test_coordinator_reorders_an_agenda_with_the_keyboard(sign_in, page, screenshot):
    sign_in("coordinator")
    open_agenda_with_cases(page, "Thoracic Oncology MDT")
    expect(page.get_by_role("heading", name=re.compile(r"^Agenda: Thoracic Oncology MDT"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("(Asia/Shanghai, UTC+08:00)")
    page.wait_for_load_state("networkidle")  # htmx is wired

    # Add the waiting triaged case (htmx swaps the editor in place).
    before = agenda_order(page)
    page.get_by_label("Case to add").select_option(index=1)
    page.get_by_role("button", name="Add to agenda").click()
    expect(page.locator(".agenda-item")).to_have_count(len(before) + 1)
    order = agenda_order(page)
    added = order[-1]
    assert order[:-1] == before
    # htmx moves the focus to the swapped-in autofocus control as it settles; let it finish first.
    page.wait_for_function("() => { const a = document.querySelector('[autofocus]');"
                           " return !a || document.activeElement === a; }")

    # Keyboard only: Tab from the case's heading link to its "Move up" button, then Enter.
    page.locator(f"#item-{added} a").first.focus()
    page.keyboard.press("Tab")
    expect(page.locator(f"#move-up-{added}")).to_be_focused()
    for step, key in enumerate(["Enter"] + ["Space"] * (len(order) - 2)):  # Enter, then Space, to the top
        page.keyboard.press(key)
        expect(page.locator("#agenda-message")).to_contain_text(
            f"Case #{added} moved up to position {len(order) - 1 - step} of {len(order)}")
        assert agenda_order(page).index(added) == len(order) - 2 - step
        if step < len(order) - 2:
            expect(page.locator(f"#move-up-{added}")).to_be_focused()  # focus stays on the moved case
    # At the top "Move up" is disabled: the focus moved to its "Move down".
    expect(page.locator(f"#move-up-{added}")).to_be_disabled()
    expect(page.locator(f"#move-down-{added}")).to_be_focused()
    page.reload()
    assert agenda_order(page)[0] == added  # saved
    screenshot("coordinator-agenda")


def test_coordinator_reads_attendance_and_a_case_audit_trail(sign_in, page, screenshot):
    sign_in("coordinator")
    nav(page, "Meetings").click()
    recent = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Recent")))
    recent.get_by_role("link", name=re.compile(r"^Attendance at Thoracic Oncology MDT")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Attendance: "))).to_be_visible()
    expect(page.locator('[data-discipline="pathology"]')).to_contain_text("(Asia/Shanghai, UTC+08:00)")
    expect(page.locator('[data-count="present"]')).not_to_have_text("0")
    screenshot("coordinator-attendance")

    nav(page, "Dashboard").click()
    page.locator("#urgent-heading ~ table a").first.click()
    expect(page.get_by_role("heading", name="Coordinator actions")).to_be_visible()
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Audit trail of case #\d+"))).to_be_visible()
    first = page.locator("table.audit-trail tbody tr").first
    expect(first).to_have_attribute("data-action", "case.audit_viewed")
    expect(first).to_contain_text("Li Na")
    expect(page.locator("table.audit-trail")).to_contain_text("case.transitioned")
    screenshot("case-audit-trail")


def test_coordinator_books_a_slot_from_the_time_search(sign_in, page):
    sign_in("coordinator")
    nav(page, "Time search").click()
    page.get_by_label(re.compile(r"^Radiology \(\d+\)$")).check()
    page.get_by_label(re.compile(r"^Pathology \(\d+\)$")).check()
    page.get_by_label(re.compile("^Board a booked meeting is for")).select_option(label="Colorectal MDT")
    page.get_by_role("button", name="Search").click()
    slot = page.locator(".slot-result").first
    expect(slot).to_be_visible()
    when = slot.locator("h3 time").first.inner_text()
    slot.get_by_role("button", name=re.compile("^Book this time")).click()
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    expect(page.get_by_role("status").first).to_contain_text("Booked Ad-hoc Colorectal MDT")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ad-hoc Colorectal MDT")
    expect(page.locator("main")).to_contain_text(when.split(" (")[0])
