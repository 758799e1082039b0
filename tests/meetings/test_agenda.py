"""Agendas: triaged cases go to the next meeting with room before the cut-off; roll-over; preparation."""
from datetime import timedelta

import pytest


from app.cases.models import Case, CaseTransition
from app.errors import Conflict
from app.meetings import agenda
from app.meetings.models import AgendaItem
from app.timekeeping import now_utc
from tests.meetings.conftest import in_hours


def listed(meeting):
    return [item.case_id for item in sorted(agenda.items_on(meeting), key=lambda item: item.position)]


def test_fill_puts_urgent_first_then_oldest_within_capacity(session, board, meeting_at, triaged_case):
    soon = meeting_at(in_hours(72), board=board)           # cut-off in 48 h: still open
    later = meeting_at(in_hours(72 + 7 * 24), board=board)
    old_routine = triaged_case(board, submitted_ago=timedelta(days=5))
    new_routine = triaged_case(board, submitted_ago=timedelta(days=1))
    urgent = triaged_case(board, urgency="urgent", submitted_ago=timedelta(hours=2), target_in=timedelta(days=3, hours=2))
    assert agenda.fill_agendas(session, now_utc()) == 3
    session.commit()
    assert listed(soon) == [urgent.id, old_routine.id]      # two cases per meeting
    assert listed(later) == [new_routine.id]
    assert {c.state for c in session.query(Case)} == {"scheduled"}
    moves = session.query(CaseTransition).filter_by(case_id=urgent.id).all()
    assert moves[-1].to_state == "scheduled" and moves[-1].actor_id is None


def test_a_meeting_past_its_cutoff_is_skipped_and_refuses_new_cases_even_from_a_coordinator(
        client, session, board, meeting_at, triaged_case, api_auth):
    closed = meeting_at(in_hours(10), board=board)          # cut-off (24 h) already passed
    open_ = meeting_at(in_hours(10 + 7 * 24), board=board)
    case = triaged_case(board)
    agenda.fill_agendas(session, now_utc())
    session.commit()
    assert listed(closed) == [] and listed(open_) == [case.id]
    late = triaged_case(board)
    response = client.post(f"/api/v1/meetings/{closed.id}/agenda", headers=api_auth.headers(board.coordinator),
                           json={"case_id": late.id})
    assert response.status_code == 409 and "closed" in response.get_json()["detail"]
    assert listed(closed) == [] and session.get(Case, late.id).state == "triaged"
    with pytest.raises(Conflict):
        agenda.add_case(session, closed, late, board.coordinator, at=now_utc(), as_coordinator=True)


def test_an_ad_hoc_meeting_of_the_board_stays_open_until_it_starts(session, board, meeting_at, triaged_case):
    adhoc = meeting_at(in_hours(2), board=board)
    adhoc.kind = "adhoc"
    case = triaged_case(board)
    agenda.add_case(session, adhoc, case, board.coordinator, at=now_utc(), as_coordinator=True)
    assert listed(adhoc) == [case.id]


def test_full_meeting_refuses_more(client, session, board, meeting_at, triaged_case, api_auth):
    meeting = meeting_at(in_hours(72), board=board)
    for _ in range(2):
        agenda.add_case(session, meeting, triaged_case(board), None, at=now_utc(), as_coordinator=False)
    session.commit()
    response = client.post(f"/api/v1/meetings/{meeting.id}/agenda", headers=api_auth.headers(board.coordinator),
                           json={"case_id": triaged_case(board).id})
    assert response.status_code == 409 and "full" in response.get_json()["detail"]


def test_undiscussed_cases_roll_to_the_top_of_the_next_meeting(session, board, meeting_at, triaged_case):
    past = meeting_at(in_hours(-3), board=board, minutes=120)
    upcoming = meeting_at(in_hours(72), board=board)
    waiting = triaged_case(board)
    agenda.add_case(session, upcoming, waiting, None, at=now_utc(), as_coordinator=False)
    rolled = triaged_case(board)
    session.add(AgendaItem(meeting_id=past.id, case_id=rolled.id, position=0, status="listed"))
    rolled.state = "scheduled"
    session.commit()
    assert agenda.finish_past_meetings(session, now_utc()) == 1
    session.commit()
    assert past.status == "finished"
    assert listed(upcoming) == [rolled.id, waiting.id]
    item = next(i for i in upcoming.agenda if i.case_id == rolled.id)
    assert item.rolled_from_meeting_id == past.id
    assert next(i for i in past.agenda if i.case_id == rolled.id).status == "not_discussed"


def test_reorder_remove_and_preparation_list(client, session, board, meeting_at, triaged_case, specialist, api_auth):
    meeting = meeting_at(in_hours(72), board=board)
    first = triaged_case(board, disciplines=("radiology",))
    second = triaged_case(board, disciplines=("pathology",))
    for case in (first, second):
        agenda.add_case(session, meeting, case, None, at=now_utc(), as_coordinator=False)
    session.commit()
    headers = api_auth.headers(board.coordinator)
    order = client.put(f"/api/v1/meetings/{meeting.id}/agenda/order", headers=headers,
                       json={"case_ids": [second.id, first.id]})
    assert [row["case_id"] for row in order.get_json()] == [second.id, first.id]
    bad = client.put(f"/api/v1/meetings/{meeting.id}/agenda/order", headers=headers, json={"case_ids": [first.id]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "case_ids"
    preparation = client.get(f"/api/v1/meetings/{meeting.id}/preparation?discipline=radiology", headers=headers)
    assert [row["case_id"] for row in preparation.get_json()] == [first.id]
    removed = client.post(f"/api/v1/meetings/{meeting.id}/agenda/{first.id}/remove", headers=headers,
                          json={"reason": "more imaging needed first"})
    assert [row["case_id"] for row in removed.get_json()] == [second.id]
    session.expire_all()
    assert session.get(Case, first.id).state == "triaged"
    # Each change of the agenda reached the meeting's room: two additions, the new order, the removal.
    from app.live.models import LiveEvent

    changes = session.query(LiveEvent).filter_by(room=f"meeting:{meeting.id}", type="agenda.changed") \
        .order_by(LiveEvent.seq).all()
    assert [event.data["case_ids"] for event in changes][-2:] == [[second.id, first.id], [second.id]]


def test_a_withdrawn_case_leaves_the_agenda(session, board, meeting_at, triaged_case):
    from app.cases.workflow import transition

    meeting = meeting_at(in_hours(72), board=board)
    case = triaged_case(board)
    agenda.add_case(session, meeting, case, None, at=now_utc(), as_coordinator=False)
    transition(session, case, "withdrawn", board.coordinator, at=now_utc(), reason="patient declined")
    session.commit()
    assert listed(meeting) == []


def test_a_removal_keeps_its_kind_of_reason(client, session, board, meeting_at, triaged_case, api_auth):
    """Taking a case off says why in words and as a code: `missing_data` (the reports count these as
    deferred for missing data) or `other`, the default."""
    from app.errors import InvalidInput

    meeting = meeting_at(in_hours(72), board=board)
    cases = [triaged_case(board) for _ in range(2)]
    for case in cases:
        agenda.add_case(session, meeting, case, None, at=now_utc(), as_coordinator=False)
    session.commit()
    headers = api_auth.headers(board.coordinator)
    refused = client.post(f"/api/v1/meetings/{meeting.id}/agenda/{cases[0].id}/remove", headers=headers,
                          json={"reason": "pathology report missing", "removal_reason": "lost"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "removal_reason"
    removed = client.post(f"/api/v1/meetings/{meeting.id}/agenda/{cases[0].id}/remove", headers=headers,
                          json={"reason": "pathology report missing", "removal_reason": "missing_data"})
    assert removed.status_code == 200, removed.get_json()
    default = client.post(f"/api/v1/meetings/{meeting.id}/agenda/{cases[1].id}/remove", headers=headers,
                          json={"reason": "patient unwell"})
    assert default.status_code == 200
    session.expire_all()
    items = {item.case_id: item for item in session.query(AgendaItem).filter_by(meeting_id=meeting.id)}
    assert [(items[c.id].status, items[c.id].removal_reason) for c in cases] == [("removed", "missing_data"),
                                                                                 ("removed", "other")]
    assert session.get(Case, cases[0].id).transitions[-1].reason == "pathology report missing"
    # the domain refuses an unknown code, naming the field
    again = triaged_case(board)
    item = agenda.add_case(session, meeting, again, None, at=now_utc(), as_coordinator=True)
    with pytest.raises(InvalidInput) as bad:
        agenda.remove_case(session, item, board.coordinator, at=now_utc(), reason="because", removal_reason="x")
    assert bad.value.field == "removal_reason" and item.status == "listed"
    document = client.get("/api/v1/openapi.json").get_json()
    field = document["components"]["schemas"]["AgendaRemoveIn"]["properties"]["removal_reason"]
    assert "missing_data" in str(field) and "description" in str(field)


def test_the_agenda_page_takes_a_case_off_for_missing_data(client, session, board, meeting_at, triaged_case):
    meeting = meeting_at(in_hours(72), board=board)
    case = triaged_case(board)
    agenda.add_case(session, meeting, case, None, at=now_utc(), as_coordinator=False)
    session.commit()
    signed = client.post("/login", data={"email": board.coordinator.email, "password": "correct horse battery"})
    assert signed.status_code in (302, 303)
    page = client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert f'<select id="removal-reason-{case.id}" name="removal_reason"' in page
    assert 'value="missing_data"' in page
    refused = client.post(f"/meetings/{meeting.id}/agenda/remove",
                          data={"case_id": case.id, "reason": "scan missing", "removal_reason": "lost"})
    assert refused.status_code == 422 and f'id="removal-reason-{case.id}-error"' in refused.get_data(as_text=True)
    done = client.post(f"/meetings/{meeting.id}/agenda/remove",
                       data={"case_id": case.id, "reason": "scan missing", "removal_reason": "missing_data"})
    assert done.status_code == 302
    session.expire_all()
    item = session.query(AgendaItem).filter_by(meeting_id=meeting.id, case_id=case.id).one()
    assert (item.status, item.removal_reason) == ("removed", "missing_data")
