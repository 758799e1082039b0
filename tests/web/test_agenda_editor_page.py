"""The agenda editor (/meetings/<id>/agenda) through the Flask test client: order, move, add, remove,
roll over; who may use it; errors beside their control with nothing lost; the reads audited."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.boards.models import Board
from app.cases.models import Case
from app.meetings.models import AgendaItem, Meeting
from app.timekeeping import now_utc
from tests.web.page_helpers import error_beside, main_of, text


def case_by_ref(session, reference) -> Case:
    return session.scalar(select(Case).where(Case.patient_reference == reference))


@pytest.fixture
def thoracic(session, demo):
    """The thoracic board's next meeting (case FCG-2026-0264 is on its agenda) and the triaged urgent case."""
    listed = case_by_ref(session, "FCG-2026-0264")
    item = session.scalar(select(AgendaItem).where(AgendaItem.case_id == listed.id, AgendaItem.status == "listed"))
    return {"meeting": session.get(Meeting, item.meeting_id), "listed": listed,
            "triaged": case_by_ref(session, "FCG-2026-0287"),
            "board": session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))}


def order_on_page(html: str) -> list[int]:
    return [int(case_id) for case_id in re.findall(r'<li class="card agenda-item[^"]*" id="item-(\d+)"', html)]


def order_in_db(session, meeting) -> list[int]:
    session.expire_all()
    return [item.case_id for item in session.scalars(select(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.status == "listed").order_by(AgendaItem.position))]


def test_agenda_editor_lists_cases_in_order_in_my_zone(demo, sign_in, client, thoracic, session):
    sign_in(demo["coordinator"])
    meeting = thoracic["meeting"]
    response = client.get(f"/meetings/{meeting.id}/agenda")
    assert response.status_code == 200
    html = text(response)
    assert order_on_page(html) == [thoracic["listed"].id]
    assert "(Asia/Shanghai, UTC+08:00)" in main_of(html)
    assert "FCG-2026-0264" in html  # full access: the pseudonym and diagnosis
    # The triaged case of this board is offered; cases of other boards or states are not.
    options = re.findall(r'<option value="(\d+)"', html.split('id="case_id"', 1)[1].split("</select>", 1)[0])
    assert options == [str(thoracic["triaged"].id)]
    viewed = session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.agenda_viewed",
                                                      AuditEvent.target_id == str(meeting.id))).all()
    assert any((event.detail or {}).get("via") == "agenda editor" for event in viewed)
    listing = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.viewed")).all()
    assert any((event.detail or {}).get("via") == "agenda editor" and thoracic["triaged"].id in event.detail["full"]
               for event in listing)


@pytest.mark.parametrize("who", ["referrer", "surgeon.dubai"])
def test_agenda_editor_refuses_people_without_the_coordinator_role(demo, sign_in, client, thoracic, who):
    sign_in(demo[who])
    meeting = thoracic["meeting"]
    assert client.get(f"/meetings/{meeting.id}/agenda").status_code == 403
    assert client.post(f"/meetings/{meeting.id}/agenda/move",
                       data={"case_id": thoracic["listed"].id, "direction": "down"}).status_code == 403


def test_agenda_editor_refuses_a_coordinator_of_another_board(demo, sign_in, client, thoracic, session):
    sign_in(demo["coordinator.almaty"])
    meeting = thoracic["meeting"]
    assert client.get(f"/meetings/{meeting.id}/agenda").status_code == 403
    response = client.post(f"/meetings/{meeting.id}/agenda/add", data={"case_id": thoracic["triaged"].id})
    assert response.status_code == 403
    assert order_in_db(session, meeting) == [thoracic["listed"].id]
    assert client.get("/meetings/99999/agenda").status_code == 404


def test_admin_may_edit_any_agenda(demo, sign_in, client, thoracic):
    sign_in(demo["admin"])
    assert client.get(f"/meetings/{thoracic['meeting'].id}/agenda").status_code == 200


def test_add_then_move_up_changes_the_order(demo, sign_in, client, thoracic, session):
    sign_in(demo["coordinator"])
    meeting, listed, triaged = thoracic["meeting"], thoracic["listed"], thoracic["triaged"]
    response = client.post(f"/meetings/{meeting.id}/agenda/add", data={"case_id": triaged.id})
    assert response.status_code == 302
    assert order_in_db(session, meeting) == [listed.id, triaged.id]
    assert session.get(Case, triaged.id).state == "scheduled"

    response = client.post(f"/meetings/{meeting.id}/agenda/move", data={"case_id": triaged.id, "direction": "up"})
    assert response.status_code == 302
    assert f"focus=move-down-{triaged.id}" in response.headers["Location"]
    assert order_in_db(session, meeting) == [triaged.id, listed.id]
    html = text(client.get(response.headers["Location"]))
    assert order_on_page(html) == [triaged.id, listed.id]
    assert f"Case #{triaged.id} moved up to position 1 of 2." in html
    # The first case cannot move up; focus stays on the moved case's other button.
    assert re.search(rf'id="move-up-{triaged.id}"\s*disabled', html)
    assert re.search(rf'id="move-down-{triaged.id}"\s*autofocus', html)
    changed = session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.agenda_changed")).all()
    assert changed and changed[-1].detail["case_ids"] == [triaged.id, listed.id]


def test_moving_with_htmx_swaps_the_list_and_keeps_focus(demo, sign_in, client, thoracic, session):
    sign_in(demo["coordinator"])
    meeting, listed, triaged = thoracic["meeting"], thoracic["listed"], thoracic["triaged"]
    client.post(f"/meetings/{meeting.id}/agenda/add", data={"case_id": triaged.id, "at_top": "1"})
    assert order_in_db(session, meeting) == [triaged.id, listed.id]
    response = client.post(f"/meetings/{meeting.id}/agenda/move", data={"case_id": triaged.id, "direction": "down"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith("<div id=\"agenda-editor\"") and "<html" not in html
    assert order_on_page(html) == [listed.id, triaged.id]
    assert re.search(rf'id="move-up-{triaged.id}"\s*autofocus', html)  # it is last now: focus its other button
    assert 'role="status"' in html
    # Moving the last case further down is refused, and nothing changes.
    response = client.post(f"/meetings/{meeting.id}/agenda/move", data={"case_id": triaged.id, "direction": "down"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 409 and "already last" in text(response)
    assert order_in_db(session, meeting) == [listed.id, triaged.id]


def test_adding_without_a_case_or_a_case_not_triaged_is_refused_beside_the_field(demo, sign_in, client, thoracic,
                                                                                 session):
    sign_in(demo["coordinator"])
    meeting = thoracic["meeting"]
    response = client.post(f"/meetings/{meeting.id}/agenda/add", data={"case_id": "", "at_top": "1"})
    assert response.status_code == 422
    html = text(response)
    assert error_beside(html, "case_id") == "Choose a case to add."
    assert re.search(r'id="at_top" name="at_top" value="1" checked', html)  # what was chosen is kept
    not_triaged = case_by_ref(session, "KIO-26-0932")  # listed, not discussed
    response = client.post(f"/meetings/{meeting.id}/agenda/add", data={"case_id": not_triaged.id})
    assert response.status_code == 409
    assert "Only a triaged case" in error_beside(text(response), "case_id")
    assert order_in_db(session, meeting) == [thoracic["listed"].id]


def test_removing_needs_a_reason_and_puts_the_case_back_to_triaged(demo, sign_in, client, thoracic, session):
    sign_in(demo["coordinator"])
    meeting, listed = thoracic["meeting"], thoracic["listed"]
    response = client.post(f"/meetings/{meeting.id}/agenda/remove", data={"case_id": listed.id, "reason": " x "})
    assert response.status_code == 422
    html = text(response)
    assert "Say why" in error_beside(html, f"reason-{listed.id}")
    assert f'id="reason-{listed.id}" name="reason" maxlength="500" value="x"' in html  # the typed text is kept
    assert order_in_db(session, meeting) == [listed.id]

    response = client.post(f"/meetings/{meeting.id}/agenda/remove",
                           data={"case_id": listed.id, "reason": "Imaging not ready"})
    assert response.status_code == 302
    assert order_in_db(session, meeting) == []
    case = session.get(Case, listed.id)
    assert case.state == "triaged"
    assert case.transitions[-1].reason == "Imaging not ready"


def test_roll_over_moves_undiscussed_cases_to_the_top_of_the_next_meeting(demo, sign_in, client, thoracic, session):
    sign_in(demo["coordinator"])
    meeting, listed, triaged = thoracic["meeting"], thoracic["listed"], thoracic["triaged"]
    client.post(f"/meetings/{meeting.id}/agenda/add", data={"case_id": triaged.id})
    # Not over yet: refused beside the button, nothing moves.
    response = client.post(f"/meetings/{meeting.id}/agenda/roll-over")
    assert response.status_code == 409
    assert "not over yet" in error_beside(text(response), "roll-over")
    assert order_in_db(session, meeting) == [listed.id, triaged.id]

    # The meeting took place yesterday and discussed nothing; the board's next meeting is the next to come.
    length = meeting.ends_at - meeting.starts_at
    meeting.starts_at = now_utc() - timedelta(days=1)
    meeting.ends_at = meeting.starts_at + length
    session.commit()
    later = session.scalar(select(Meeting).where(Meeting.board_id == meeting.board_id, Meeting.id != meeting.id,
                                                 Meeting.status == "scheduled", Meeting.starts_at > now_utc())
                           .order_by(Meeting.starts_at))
    html = text(client.get(f"/meetings/{meeting.id}/agenda"))
    assert "Roll over to the next meeting" in html and "were not discussed" in html
    response = client.post(f"/meetings/{meeting.id}/agenda/roll-over")
    assert response.status_code == 302
    assert order_in_db(session, meeting) == []
    statuses = {item.case_id: item.status for item in session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))}
    assert statuses == {listed.id: "not_discussed", triaged.id: "not_discussed"}
    assert order_in_db(session, later)[:2] == [listed.id, triaged.id]  # at the top, in their order
    rolled = session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == later.id)).all()
    assert {item.rolled_from_meeting_id for item in rolled if item.case_id in (listed.id, triaged.id)} == {meeting.id}
    html = text(client.get(response.headers["Location"]))
    assert "2 cases rolled over" in html
    assert "rolled over from" in text(client.get(f"/meetings/{later.id}/agenda"))


def test_the_meeting_page_links_its_coordinators_to_the_agenda_editor_and_attendance(demo, sign_in, client,
                                                                                   thoracic):
    meeting = thoracic["meeting"]
    sign_in(demo["coordinator"])
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/meetings/{meeting.id}/agenda"' in html
    assert f'href="/meetings/{meeting.id}/attendance"' in html
    sign_in(demo["surgeon.dubai"])   # invited to it, runs nothing
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/meetings/{meeting.id}/live"' in html
    assert f'/meetings/{meeting.id}/agenda"' not in html and f'/meetings/{meeting.id}/attendance"' not in html
