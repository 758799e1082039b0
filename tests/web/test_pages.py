"""Pages through the Flask test client: who may open them, zones named, errors beside their fields."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.meetings.models import Invitation
from tests.web.conftest import demo_meeting
from tests.web.page_helpers import error_beside, text

SPECIALIST_PAGES = ["/schedule", "/me/availability", "/me/licences", "/me/calendar"]
COORDINATOR_PAGES = ["/coordinator", "/coordinator/search", "/coordinator/rotas"]


@pytest.mark.parametrize("path", ["/", "/inbox", "/schedule", "/coordinator", "/meetings/1"])
def test_pages_send_strangers_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", COORDINATOR_PAGES + SPECIALIST_PAGES)
def test_referrer_is_refused_coordinator_and_specialist_pages(demo, sign_in, client, path):
    sign_in(demo["referrer"])
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_specialist_is_refused_coordinator_pages(demo, sign_in, client, path):
    sign_in(demo["surgeon.dubai"])
    assert client.get(path).status_code == 403
    assert client.post("/coordinator/search", data={}).status_code == 403


def test_navigation_follows_roles(demo, sign_in, client):
    sign_in(demo["referrer"])
    html = text(client.get("/"))
    assert "Inbox" in html and "My schedule" not in html and "Time search" not in html
    client.post("/logout")
    sign_in(demo["surgeon.dubai"])
    html = text(client.get("/"))
    assert "My schedule" in html and "Time search" not in html
    client.post("/logout")
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator"))
    assert "Time search" in html and "My schedule" not in html
    assert 'aria-current="page"' in html


@pytest.mark.parametrize("who,path,zone", [
    ("surgeon.dubai", "/schedule", "Asia/Dubai"),
    ("radiologist.kolkata", "/me/availability", "Asia/Kolkata"),
    ("coordinator", "/coordinator", "Asia/Shanghai"),
    ("coordinator", "/coordinator/rotas", "Asia/Shanghai"),
    ("referrer.nairobi", "/inbox", "Africa/Nairobi"),
])
def test_pages_name_the_viewers_zone(demo, sign_in, client, who, path, zone):
    sign_in(demo[who])
    html = text(client.get(path))
    assert f"times in <strong data-viewer-zone>{zone}</strong>" in html
    assert zone in html.split("<main", 1)[1]


def test_schedule_shows_meetings_in_my_zone_with_each_participants_local_time(demo, sign_in, client, session):
    surgeon = demo["surgeon.dubai"]
    invitation = session.scalar(select(Invitation).where(Invitation.user_id == surgeon.id).order_by(Invitation.id).limit(1))
    sign_in(surgeon)
    html = text(client.get("/schedule"))
    assert "Thoracic Oncology MDT" in html
    assert "(Asia/Dubai, UTC+04:00)" in html  # my zone, named, on every time
    assert "(Asia/Kolkata, UTC+05:30)" in html  # the radiologist's own local time
    assert "✓ inside" in html
    assert f'id="invitation-{invitation.id}"' in html  # pending: answer buttons shown
    assert 'value="accepted"' in html


def test_answering_an_invitation_by_form_and_by_htmx(demo, sign_in, client, session):
    surgeon = demo["surgeon.dubai"]
    invitation = session.scalar(select(Invitation).where(Invitation.user_id == surgeon.id).order_by(Invitation.id).limit(1))
    sign_in(surgeon)
    response = client.post(f"/invitations/{invitation.id}/answer", data={"answer": "tentative"})
    assert response.status_code == 302
    session.refresh(invitation)
    assert invitation.status == "tentative"
    response = client.post(f"/invitations/{invitation.id}/answer", data={"answer": "accepted"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-answer>accepted<' in text(response)
    session.refresh(invitation)
    assert invitation.status == "accepted"
    response = client.post(f"/invitations/{invitation.id}/answer", data={"answer": "maybe"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Choose accept, tentative or decline." in text(response)


def test_someone_elses_invitation_is_not_found(demo, sign_in, client, session):
    invitation = session.scalar(select(Invitation).where(Invitation.user_id == demo["surgeon.dubai"].id))
    sign_in(demo["oncologist.moscow"])
    assert client.post(f"/invitations/{invitation.id}/answer", data={"answer": "declined"}).status_code == 404


def test_weekly_hours_bad_input_shows_beside_the_day(demo, sign_in, client):
    sign_in(demo["radiologist.kolkata"])
    response = client.post("/me/availability/hours", data={"hours-mon": "nine to five", "hours-tue": "09:00-17:00"})
    assert response.status_code == 422
    assert "is not a range like 09:00-17:00" in error_beside(text(response), "hours-mon")
    response = client.post("/me/availability/hours", data={"hours-fri": "09:00-25:00"})
    assert response.status_code == 422
    assert "out of range" in error_beside(text(response), "hours-fri")


def test_weekly_hours_are_saved_and_previewed_through_the_api(demo, sign_in, client):
    user = demo["radiologist.kolkata"]
    sign_in(user)
    response = client.post("/me/availability/hours", data={"hours-mon": "08:00-12:00, 13:00-16:00",
                                                           "hours-wed": "10:00-14:00"})
    assert response.status_code == 302
    html = text(client.get("/me/availability"))
    assert 'value="08:00-12:00, 13:00-16:00"' in html
    assert f'data-availability-url="/api/v1/specialists/{user.id}/availability"' in html


def test_leave_with_last_day_before_first_shows_beside_the_field(demo, sign_in, client):
    sign_in(demo["radiologist.kolkata"])
    response = client.post("/me/availability/leave", data={"leave-from_date": "2031-05-10",
                                                           "leave-to_date": "2031-05-01"})
    assert response.status_code == 422
    assert "on or after the first day" in error_beside(text(response), "leave-to_date")
    response = client.post("/me/availability/leave", data={"leave-from_date": "2031-05-01",
                                                           "leave-to_date": "2031-05-03", "leave-reason": "Congress"})
    assert response.status_code == 302
    html = text(client.get("/me/availability"))
    assert "Congress" in html
    # the last day is shown as it was typed (kept as the midnight after it, which is not a day of leave)
    assert "Thu, 1 May 2031 to Sat, 3 May 2031" in " ".join(html.split())


def test_date_override_is_set_and_bad_hours_refused(demo, sign_in, client):
    sign_in(demo["radiologist.kolkata"])
    response = client.post("/me/availability/overrides", data={"override-date": "2031-06-02",
                                                               "override-hours": "14:00-12:00x"})
    assert response.status_code == 422
    assert error_beside(text(response), "override-hours")
    response = client.post("/me/availability/overrides", data={"override-date": "2031-06-02",
                                                               "override-hours": "", "override-note": "Exam board"})
    assert response.status_code == 302
    assert "not working" in text(client.get("/me/availability"))


def test_licence_form_shows_errors_beside_fields_and_records_a_licence(demo, sign_in, client):
    sign_in(demo["surgeon.dubai"])
    response = client.post("/me/licences", data={"jurisdiction": "Dubai", "registration_number": "",
                                                 "expires_on": "not a date"})
    assert response.status_code == 422
    html = text(response)
    assert "two-letter country code" in error_beside(html, "jurisdiction")
    assert error_beside(html, "registration_number")
    assert error_beside(html, "expires_on")
    response = client.post("/me/licences", data={"jurisdiction": "kz", "registration_number": "KZ-77",
                                                 "expires_on": "2035-01-31"})
    assert response.status_code == 302
    html = text(client.get("/me/licences"))
    assert "KZ-77" in html and "unverified" in html


def test_calendar_page_calls_the_feed_api(demo, sign_in, client):
    sign_in(demo["surgeon.dubai"])
    html = text(client.get("/me/calendar"))
    assert 'data-feed-api="/api/v1/me/calendar-feed"' in html and "Create link" in html


def test_inbox_lists_notifications_and_marks_them_read(demo, sign_in, client, session):
    from app.notifications.operations import notify, unread_count

    user = demo["referrer"]
    already = unread_count(session, user.id)  # the demo itself notifies the referrer
    notify(session, user_id=user.id, kind="test", dedupe_key="web-test-1", subject="Case #7 was triaged",
           link="/inbox")
    notify(session, user_id=user.id, kind="test", dedupe_key="web-test-2", subject="Agenda circulated")
    session.commit()
    sign_in(user)
    html = text(client.get("/inbox"))
    assert "Case #7 was triaged" in html and "Agenda circulated" in html
    expected = already + 2
    assert f'aria-label="{expected} unread">{expected}</span>' in html  # the header's count
    client.post("/inbox/read", data={})
    assert unread_count(session, user.id) == 0
    assert 'aria-label="0 unread">0</span>' in text(client.get("/"))


def test_meeting_page_shows_quorum_and_each_invitees_zone(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    html = text(client.get(f"/meetings/{demo_meeting(session).id}"))
    assert "Quorum" in html and "(Asia/Shanghai, UTC+08:00)" in html
    assert "Europe/Moscow" in html


def test_meeting_page_hides_meetings_from_outsiders(demo, sign_in, client):
    sign_in(demo["referrer.nairobi"])
    assert client.get("/meetings/1").status_code == 404


def test_coordinator_dashboard_lists_boards_with_quorum(demo, sign_in, client):
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator"))
    assert "Thoracic Oncology MDT" in html and "Colorectal MDT" in html
    assert "Quorum" in html
    assert "Urgent cases" in html


def test_coordinator_dashboard_lists_cases_waiting_for_triage_oldest_first(demo, sign_in, client, session):
    from sqlalchemy import select

    from app.cases.models import Case

    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator"))
    waiting = session.scalars(select(Case).where(Case.state == "submitted").order_by(Case.submitted_at)).all()
    assert waiting, "the demo has submitted cases"
    section = html.split('id="triage-heading"', 1)[1].split("</section>", 1)[0]
    assert f"Waiting for triage ({len(waiting)})" in section
    assert re.findall(r'href="/cases/(\d+)"', section) == [str(case.id) for case in waiting]
    assert "(Asia/Shanghai, UTC+08:00)" in section
    from app.audit.models import AuditEvent

    (shown,) = [event for event in session.scalars(select(AuditEvent).where(
        AuditEvent.action == "cases.viewed")) if (event.detail or {}).get("via") == "dashboard"]
    assert {case.id for case in waiting} <= set(shown.detail["full"])
    assert {int(target.target_id) for target in shown.targets} == set(shown.detail["full"])


def test_time_search_shows_slots_and_the_explanation(demo, sign_in, client):
    sign_in(demo["coordinator"])
    response = client.post("/coordinator/search", data={
        "seats-radiology": "1", "seats-pathology": "1", "duration_minutes": "60",
        "from_date": "2031-03-03", "to_date": "2031-03-07"})
    assert response.status_code == 200
    html = text(response)
    assert "Why these times" in html
    assert "slot-result" in html and "(Asia/Shanghai, UTC+08:00)" in html
    # and each participant's local time in their own zone, named
    assert re.search(r"\d\d:\d\d–\d\d:\d\d \w+day \((?!Asia/Shanghai)\w+/\w+, UTC[+-]\d\d:\d\d\)", html)


def test_time_search_bad_input_is_shown_beside_the_fields(demo, sign_in, client):
    sign_in(demo["coordinator"])
    response = client.post("/coordinator/search", data={
        "seats-radiology": "x", "duration_minutes": "5", "from_date": "2031-03-07", "to_date": "2031-03-01"})
    assert response.status_code == 422
    html = text(response)
    assert "whole number" in error_beside(html, "seats-radiology")
    assert "Between 15 and 480" in error_beside(html, "duration_minutes")
    assert "on or after the first day" in error_beside(html, "to_date")
    response = client.post("/coordinator/search", data={
        "duration_minutes": "60", "from_date": "2031-03-01", "to_date": "2031-03-02"})
    assert response.status_code == 422 and "at least one seat" in text(response)
    response = client.post("/coordinator/search", data={
        "seats-radiology": "1", "duration_minutes": "60", "from_date": "2031-01-01", "to_date": "2031-06-01"})
    assert response.status_code == 422
    assert "62 days" in error_beside(text(response), "to_date")


def test_rota_grid_shows_shifts_per_week(demo, sign_in, client):
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator/rotas"))
    assert "Week of" in html and 'class="shift"' in html


def test_coordinator_dashboard_counts_time_left_only_for_cases_awaiting_discussion(demo, sign_in, client, session):
    from app.cases.models import Case
    from app.timekeeping import now_utc

    urgent = session.scalars(select(Case).where(Case.state == "submitted").order_by(Case.id)).first()
    assert urgent is not None, "the demo has a submitted case"
    urgent.urgency = "urgent"
    urgent.target_at = now_utc()
    urgent.state = "listed_not_discussed"   # decided as standard of care: nothing left to discuss
    session.commit()
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator"))
    section = html.split('id="urgent-heading"', 1)[1].split("</section>", 1)[0]
    row = section.split(f'href="/cases/{urgent.id}"', 1)[1].split("</tr>", 1)[0]
    assert "left" not in row and "overdue" not in row
    assert "—" in row
