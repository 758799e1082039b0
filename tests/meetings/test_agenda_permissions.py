"""Who may put a case on which agenda. Putting a case on a meeting shows it to the meeting's
invitees, so a coordinator schedules only the cases of boards they run, and a meeting of no board
(booked from the time search) is run by whoever booked it."""
from __future__ import annotations

from app.cases.models import Case
from tests.meetings.conftest import in_hours


def test_a_coordinator_cannot_bring_another_boards_case_into_their_own_meeting(
        client, session, board, triaged_case, meeting_at, make_user, make_org, api_auth, assert_problem):
    case = triaged_case(board)
    almaty = make_org("Almaty Oncology Institute", "KZ", "Asia/Almaty", "kz")
    outsider = make_user("coordinator", name="Coordinator Elsewhere", organization_=almaty)
    own_meeting = meeting_at(in_hours(48), title="Ad-hoc review", booked_by=outsider)
    headers = api_auth.headers(outsider)

    refused = client.post(f"/api/v1/meetings/{own_meeting.id}/agenda", json={"case_id": case.id}, headers=headers)
    body = assert_problem(refused, 422)
    assert body["errors"][0]["field"] == "case_id" and f"no case has id {case.id}" in body["errors"][0]["message"]
    missing = client.post(f"/api/v1/meetings/{own_meeting.id}/agenda", json={"case_id": 999999}, headers=headers)
    assert assert_problem(missing, 422)["errors"] == [
        {**body["errors"][0], "message": body["errors"][0]["message"].replace(str(case.id), "999999")}]
    session.expire_all()
    assert session.get(Case, case.id).state == "triaged"
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers).status_code == 404


def test_a_meeting_of_no_board_is_run_by_whoever_booked_it(client, session, board, triaged_case, meeting_at,
                                                            make_user, api_auth, assert_problem):
    case = triaged_case(board)
    other = make_user("coordinator", name="Another Coordinator")
    theirs = meeting_at(in_hours(48), title="Their ad-hoc meeting", booked_by=other)
    mine = meeting_at(in_hours(72), title="My ad-hoc meeting", booked_by=board.coordinator)
    headers = api_auth.headers(board.coordinator)

    assert_problem(client.post(f"/api/v1/meetings/{theirs.id}/agenda", json={"case_id": case.id},
                               headers=headers), 403)
    added = client.post(f"/api/v1/meetings/{mine.id}/agenda", json={"case_id": case.id}, headers=headers)
    assert added.status_code == 201, added.get_json()
    assert [item["case_id"] for item in added.get_json()] == [case.id]
