"""The attendance report of a meeting (/meetings/<id>/attendance): invited, present with joined / left
times in the viewer's zone, absent, grouped by discipline."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.meetings import booking
from app.meetings.models import Attendance, Meeting
from app.timekeeping import now_utc, to_local
from tests.web.page_helpers import main_of, text


@pytest.fixture
def finished(session, demo):
    """The demo's finished thoracic meeting: four seats, all present, one dropped out and rejoined."""
    return session.scalar(select(Meeting).where(Meeting.status == "finished"))


def group(html: str, discipline: str) -> str:
    match = re.search(rf'data-discipline="{re.escape(discipline)}">(.*?)</section>', html, re.S)
    assert match, f"no group {discipline}"
    return match.group(1)


def count(html: str, name: str) -> str:
    return re.search(rf'data-count="{name}">([^<]*)<', html).group(1)


def test_attendance_lists_each_discipline_with_times_in_my_zone(demo, sign_in, client, session, finished):
    sign_in(demo["coordinator"])
    response = client.get(f"/meetings/{finished.id}/attendance")
    assert response.status_code == 200
    html = text(response)
    assert count(html, "invited") == "4" and count(html, "present") == "4" and count(html, "absent") == "0"
    pathology = group(html, "pathology")
    rows = session.scalars(select(Attendance).where(Attendance.meeting_id == finished.id)
                           .order_by(Attendance.joined_at)).all()
    pathologist = demo["pathologist.kathmandu"]
    stretches = [row for row in rows if row.user_id == pathologist.id]
    assert len(stretches) == 2 and pathologist.name in pathology
    for row in stretches:  # each stretch, joined and left, in the viewer's zone with the zone named
        joined = to_local(row.joined_at, "Asia/Shanghai")
        assert f"{joined.day} {joined:%b}, {joined:%H:%M}" in pathology
        assert to_local(row.left_at, "Asia/Shanghai").strftime("%H:%M") + " (Asia/Shanghai, UTC+08:00)" in pathology
    assert 'data-presence="present"' in pathology
    for discipline in ("radiology", "medical-oncology", "thoracic-surgery"):
        assert 'data-presence="present"' in group(html, discipline)
    assert "Quorum when the meeting opened" in html


def test_an_invitee_who_never_joined_is_absent_under_their_discipline(demo, sign_in, client, session, finished):
    late = demo["radiologist.almaty"]
    booking.invite(session, finished, late, role="seat", discipline_code="radiology", at=now_utc())
    session.commit()
    sign_in(demo["coordinator.almaty"])
    html = text(client.get(f"/meetings/{finished.id}/attendance"))
    assert count(html, "invited") == "5" and count(html, "absent") == "1"
    radiology = group(html, "radiology")
    row = re.search(rf'<tr data-user-id="{late.id}" data-presence="([a-z ]+)">', radiology)
    assert row and row.group(1) == "absent"
    assert "(Asia/Almaty, UTC" in main_of(html)  # this viewer's own zone


def test_a_meeting_not_yet_held_counts_nobody_absent(demo, sign_in, client, session):
    meeting = session.scalar(select(Meeting).where(Meeting.status == "scheduled", Meeting.starts_at > now_utc())
                             .order_by(Meeting.starts_at))
    sign_in(demo["coordinator"])
    html = text(client.get(f"/meetings/{meeting.id}/attendance"))
    assert count(html, "absent") == "—"
    assert 'data-presence="absent"' not in html
    assert "nobody is counted absent yet" in html


@pytest.mark.parametrize("who", ["referrer", "surgeon.dubai"])
def test_attendance_page_is_for_coordinators(demo, sign_in, client, finished, who):
    sign_in(demo[who])
    assert client.get(f"/meetings/{finished.id}/attendance").status_code == 403


def test_attendance_of_an_unknown_meeting_is_not_found(demo, sign_in, client):
    sign_in(demo["coordinator"])
    assert client.get("/meetings/99999/attendance").status_code == 404
