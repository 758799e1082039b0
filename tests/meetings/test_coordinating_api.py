"""The coordinator's meeting operations over /api/v1: create ad hoc, list answers with notes, replace a
decline, withdraw, move (409 naming a clash), and the board's decline rule."""
from datetime import timedelta

from app.boards.models import BoardMember
from app.meetings import booking
from app.timekeeping import format_instant, now_utc
from tests.conftest import check_problem
from tests.meetings.conftest import in_hours


def test_a_coordinator_runs_a_meeting_over_the_api(client, session, specialist, board, api_auth):
    first, second = specialist("Dr First", ["radiology"]), specialist("Dr Second", ["radiology"])
    board.members.append(BoardMember(user_id=first.id, role="core", discipline_code="radiology"))
    session.commit()
    headers = api_auth.headers(board.coordinator)
    rule = client.patch(f"/api/v1/boards/{board.id}", headers=headers, json={"replace_declines": "manual"})
    assert rule.status_code == 200 and rule.get_json()["replace_declines"] == "manual"
    assert client.patch(f"/api/v1/boards/{board.id}", headers=headers,
                        json={"replace_declines": "sometimes"}).status_code == 422

    created = client.post("/api/v1/meetings", headers=headers,
                          json={"title": "Second opinion", "starts_at": format_instant(in_hours(50)),
                                "duration_minutes": 60, "board_id": board.id})
    assert created.status_code == 201, created.get_json()
    meeting_id = created.get_json()["id"]
    invited = client.post(f"/api/v1/meetings/{meeting_id}/invitations", headers=headers,
                          json={"user_id": first.id, "discipline": "radiology"}).get_json()
    answer = client.post(f"/api/v1/invitations/{invited['id']}/answer", headers=api_auth.headers(first),
                         json={"answer": "declined", "note": "Away that week"})
    assert answer.status_code == 200
    listed = client.get(f"/api/v1/meetings/{meeting_id}/invitations", headers=headers).get_json()
    assert [(row["name"], row["status"], row["note"]) for row in listed] == [("Dr First", "declined", "Away that week")]
    assert client.get(f"/api/v1/meetings/{meeting_id}/invitations",
                      headers=api_auth.headers(first)).status_code in (403, 404)

    replaced = client.post(f"/api/v1/invitations/{invited['id']}/replace", headers=headers)
    assert replaced.status_code == 201 and replaced.get_json()["user_id"] == second.id
    check_problem(client.post(f"/api/v1/invitations/{invited['id']}/replace", headers=headers), 409)

    moved = client.post(f"/api/v1/meetings/{meeting_id}/reschedule", headers=headers,
                        json={"starts_at": format_instant(in_hours(74))})
    assert moved.status_code == 200 and moved.get_json()["sequence"] == 1
    assert moved.get_json()["ends_at"] == format_instant(in_hours(75))
    past = client.post(f"/api/v1/meetings/{meeting_id}/reschedule", headers=headers,
                       json={"starts_at": format_instant(in_hours(-3))})
    assert check_problem(past, 422)["errors"][0]["field"] == "date"

    withdrawn = client.post(f"/api/v1/invitations/{replaced.get_json()['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"


def test_a_move_that_double_books_is_409_naming_the_meeting(client, session, specialist, board, meeting_at, api_auth):
    busy = specialist("Dr Busy", ["radiology"])
    meeting, other = meeting_at(in_hours(30), board=board), meeting_at(in_hours(54), title="Tumour board")
    booking.invite(session, meeting, busy, discipline_code="radiology", at=now_utc())
    booking.invite(session, other, busy, discipline_code="radiology", at=now_utc())
    session.commit()
    clash = client.post(f"/api/v1/meetings/{meeting.id}/reschedule", headers=api_auth.headers(board.coordinator),
                        json={"starts_at": format_instant(in_hours(54) + timedelta(minutes=30))})
    body = check_problem(clash, 409)
    assert body["clashing_meeting_id"] == other.id and "Tumour board" in body["detail"]
