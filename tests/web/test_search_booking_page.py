"""Booking a slot from the time search (/coordinator/search → POST /coordinator/search/book): the meeting
is booked through app.meetings.booking with its invitations; a slot taken meanwhile is refused clearly."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.boards.models import Board
from app.meetings.models import Invitation, Meeting
from app.timekeeping import now_utc, parse_instant, to_local
from tests.web.page_helpers import error_beside, forms_posting_to, text


def search(client, **extra):
    today = to_local(now_utc(), "Asia/Shanghai").date()
    data = {"seats-radiology": "1", "seats-pathology": "1", "duration_minutes": "60",
            "from_date": (today + timedelta(days=2)).isoformat(), "to_date": (today + timedelta(days=9)).isoformat()}
    data.update(extra)
    response = client.post("/coordinator/search", data=data)
    assert response.status_code == 200, text(response)
    return response


def meetings(session) -> int:
    return session.scalar(select(func.count()).select_from(Meeting))


def test_each_slot_has_a_book_button_that_books_the_meeting_and_invites(demo, sign_in, client, session):
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    board = session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))
    html = text(search(client, board_id=str(board.id)))
    forms = forms_posting_to(html, "/coordinator/search/book")
    assert forms and html.count("Book this time") == len(forms)
    chosen = forms[0]
    seats = sorted(chosen.getlist("seat"))
    assert [seat.split(":")[0] for seat in seats] == ["pathology", "radiology"]
    before = meetings(session)

    response = client.post("/coordinator/search/book", data=chosen)
    assert response.status_code == 302, text(response)
    assert meetings(session) == before + 1
    meeting = session.scalar(select(Meeting).order_by(Meeting.id.desc()))
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}")
    assert meeting.starts_at == parse_instant(chosen["slot_start"])
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=60)
    assert meeting.kind == "adhoc" and meeting.board_id == board.id and meeting.status == "scheduled"
    invitations = session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id)).all()
    assert sorted(f"{i.discipline_code}:{i.user_id}" for i in invitations if i.role == "seat") == seats
    assert {i.user_id for i in invitations if i.role == "chair"} == {coordinator.id}
    assert all(i.status == "pending" for i in invitations)
    page = text(client.get(response.headers["Location"]))
    assert "Booked Ad-hoc Thoracic Oncology MDT" in page and "3 invitations sent" in page
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.booked"))
    assert event.target_id == str(meeting.id) and event.actor_id == coordinator.id


def test_a_slot_taken_meanwhile_is_refused_with_a_clear_message(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    chosen = forms_posting_to(text(search(client)), "/coordinator/search/book")[0]
    assert client.post("/coordinator/search/book", data=chosen).status_code == 302
    before = meetings(session)
    response = client.post("/coordinator/search/book", data=chosen)  # the same slot, again
    assert response.status_code == 409
    html = text(response)
    assert "Not booked:" in html and "is already booked into meeting #" in html
    assert meetings(session) == before
    # The search is shown again, as posted, with what is free now.
    assert 'id="duration_minutes"' in html and 'value="60"' in html and "Why these times" in html


def test_a_slot_that_cannot_be_read_is_refused(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    chosen = forms_posting_to(text(search(client)), "/coordinator/search/book")[0]
    before = meetings(session)
    tampered = chosen.copy()
    tampered["slot_start"] = "next tuesday"
    response = client.post("/coordinator/search/book", data=tampered)
    assert response.status_code == 422 and "could not be read" in text(response)
    tampered = chosen.copy()
    tampered.setlist("seat", ["radiology:nobody"])
    assert client.post("/coordinator/search/book", data=tampered).status_code == 422
    tampered = chosen.copy()
    tampered["duration_minutes"] = "5"
    response = client.post("/coordinator/search/book", data=tampered)
    assert response.status_code == 422
    assert "Between 15 and 480" in error_beside(text(response), "duration_minutes")
    assert meetings(session) == before


def test_a_board_the_coordinator_does_not_run_is_refused_beside_the_field(demo, sign_in, client, session):
    sign_in(demo["coordinator.almaty"])
    html = text(search(client))
    thoracic = session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))
    assert f'<option value="{thoracic.id}"' not in html.split('id="board_id"', 1)[1].split("</select>", 1)[0]
    chosen = forms_posting_to(html, "/coordinator/search/book")[0]
    chosen["board_id"] = str(thoracic.id)
    before = meetings(session)
    response = client.post("/coordinator/search/book", data=chosen)
    assert response.status_code == 422
    assert "Not a valid choice" in error_beside(text(response), "board_id")
    assert meetings(session) == before


@pytest.mark.parametrize("who", ["referrer", "surgeon.dubai"])
def test_booking_is_for_coordinators(demo, sign_in, client, session, who):
    sign_in(demo[who])
    before = meetings(session)
    assert client.post("/coordinator/search/book", data={"slot_start": "2031-03-03T01:00:00Z",
                                                         "seat": "radiology:1"}).status_code == 403
    assert meetings(session) == before
