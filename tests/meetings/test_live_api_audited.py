"""Every answer of the live meeting API shows the agenda's shared notes (patient data), so every one is
audited as the state's own read is, in one event naming the cases it shows: opening the meeting, moving
to a case, marking it discussed, writing its notes (itself audited on the case's trail, without the
text) and finishing. Whoever runs a meeting without seeing one of its cases is warned of it by its place only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.meetings import agenda
from tests.conftest import PASSWORD
from tests.meetings.conftest import in_hours

VIA = "live meeting API"


def _running_soon(session, board, meeting_at, triaged_case, *, cases=2):
    """A board meeting that began this hour, with `cases` of the board's cases put on its agenda days before."""
    meeting = meeting_at(in_hours(0), board=board, minutes=180)
    listed = []
    for number in range(cases):
        case = triaged_case(board)
        agenda.add_case(session, meeting, case, None, at=meeting.starts_at - timedelta(days=2, minutes=-number),
                        as_coordinator=True)
        listed.append(case)
    session.commit()
    return meeting, listed


def _last_event_id(session) -> int:
    write_now(session)
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def _events_since(session, after: int, action: str, actor) -> list[AuditEvent]:
    write_now(session)
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.id > after, AuditEvent.action == action,
                                                    AuditEvent.actor_id == actor.id).order_by(AuditEvent.id)).all()


def _shown(state: dict) -> set[str]:
    return {str(item["case_id"]) for item in state["agenda"] if item["access"] is not None}


def test_each_move_of_the_live_meeting_audits_the_cases_its_answer_shows(client, session, board, meeting_at,
                                                                         triaged_case, api_auth):
    meeting, (first, second) = _running_soon(session, board, meeting_at, triaged_case)
    chair = api_auth.headers(board.coordinator)
    base = f"/api/v1/meetings/{meeting.id}/live"
    moves = [("post", "/start", None), ("post", "/current-case", {"case_id": second.id}),
             ("put", "/notes", {"case_id": second.id, "notes": "T2N0; lobectomy advised."}),
             ("post", "/discussed", {"case_id": second.id}), ("post", "/finish", None)]
    for method, path, body in moves:
        before = _last_event_id(session)
        response = getattr(client, method)(base + path, headers=chair, json=body)
        assert response.status_code == 200, (path, response.get_json())
        state = response.get_json()
        assert _shown(state), path   # the answer shows cases (and their notes) ...
        # ... and one event for the answer names exactly those (each case's trail finds it by its
        # targets), as the read of the state does, with the meeting.
        [read] = _events_since(session, before, "cases.viewed", board.coordinator)
        assert {target.target_id for target in read.targets} == _shown(state), path
        assert read.detail == {"via": VIA, "meeting_id": meeting.id,
                               "full": sorted(int(case_id) for case_id in _shown(state))}, path
        assert _events_since(session, before, "case.viewed", board.coordinator) == [], path
    notes = next(item for item in state["agenda"] if item["case_id"] == second.id)["notes"]
    assert notes == "T2N0; lobectomy advised."

    [written] = _events_since(session, 0, "case.notes_updated", board.coordinator)
    assert written.target_type == "case" and written.target_id == str(second.id)
    assert written.detail == {"meeting_id": meeting.id, "via": VIA}   # who and where, never the notes


def test_a_chair_who_cannot_see_a_case_is_warned_of_it_by_its_place_only(client, session, board, meeting_at,
                                                                         triaged_case, make_user, api_auth):
    meeting, (case,) = _running_soon(session, board, meeting_at, triaged_case, cases=1)
    admin = make_user("admin", name="Site Admin")   # an admin account alone sees no patient data
    meeting.chair_id = admin.id
    session.commit()
    base = f"/api/v1/meetings/{meeting.id}/live"
    before = _last_event_id(session)

    started = client.post(base + "/start", headers=api_auth.headers(admin))
    assert started.status_code == 200, started.get_json()
    state = started.get_json()
    assert [(item["case_id"], item["position"], item["access"]) for item in state["agenda"]] == [(None, 0, None)]
    # Nobody is present, so the case cannot be signed: said by its place on the agenda, never its id.
    assert [row["case_id"] for row in state["warnings"]["unsignable_cases"]] == [None]
    messages = " ".join(state["warnings"]["messages"])
    assert "Agenda item 1 cannot be signed" in messages and f"#{case.id}" not in messages
    # nothing shown, nothing to audit
    assert _events_since(session, before, "cases.viewed", admin) == []
    assert _events_since(session, before, "case.viewed", admin) == []

    # The page the chair runs it from says the same.
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302
    page = client.get(f"/meetings/{meeting.id}/live").get_data(as_text=True)
    assert "Agenda item 1 cannot be signed" in page and f"Case #{case.id}" not in page

    # The board's coordinator, who sees the case, is told which case it is.
    theirs = client.get(base, headers=api_auth.headers(board.coordinator)).get_json()
    assert [row["case_id"] for row in theirs["warnings"]["unsignable_cases"]] == [case.id]
    assert f"Case #{case.id} cannot be signed" in " ".join(theirs["warnings"]["messages"])
