"""Meetings over the API: UTC, host and each invitee's local time, working hours, quorum, who may see."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.boards.jobs import create_meetings_ahead
from app.meetings.models import Invitation, Meeting

UTC = timezone.utc
EARLY_LONDON = {day: [["06:30", "15:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def invite(session, meeting, user, discipline=None, role="seat", status="pending"):
    session.add(Invitation(meeting_id=meeting.id, user_id=user.id, discipline_code=discipline, role=role,
                           status=status, busy_from=meeting.starts_at, busy_until=meeting.ends_at))


def meeting_on(session, board, day):
    return session.scalar(select(Meeting).where(Meeting.board_id == board.id, Meeting.occurrence_date == day))


def test_each_invitee_sees_their_own_local_time_and_working_hours(client, session, make_board, make_specialist,
                                                                  make_user, api_auth):
    coordinator = make_user("coordinator")
    board = make_board(members=[{"user_id": coordinator.id, "role": "coordinator"}],
                       quorum=[{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1},
                               {"discipline": "medical-oncology", "count": 1}])
    create_meetings_ahead(session, datetime(2026, 3, 20, tzinfo=UTC), weeks=3)
    london = make_specialist(zone="Europe/London", disciplines=("radiology",), weekly_hours=EARLY_LONDON,
                             name="Dr London")
    kathmandu = make_specialist(zone="Asia/Kathmandu", disciplines=("pathology",),
                                weekly_hours={"sun": [["10:00", "17:00"]], "thu": [["10:00", "17:00"]]},
                                name="Dr Kathmandu")
    referrer = make_user("referrer", name="Dr Huang")
    before, after = meeting_on(session, board, date(2026, 3, 26)), meeting_on(session, board, date(2026, 4, 2))
    for meeting in (before, after):
        invite(session, meeting, london, "radiology", status="accepted")
        invite(session, meeting, kathmandu, "pathology", status="tentative")
        invite(session, meeting, referrer, role="attendee", status="accepted")
    session.commit()
    headers = api_auth.headers(coordinator)

    first = client.get(f"/api/v1/meetings/{before.id}", headers=headers)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (body["starts_at"], body["ends_at"]) == ("2026-03-26T06:00:00Z", "2026-03-26T08:00:00Z")
    assert body["host"] == {"timezone": "Asia/Shanghai", "local_start": "2026-03-26T14:00:00+08:00",
                            "local_end": "2026-03-26T16:00:00+08:00", "local_weekday": "thu", "utc_offset": "+08:00"}
    assert body["agenda_cutoff_at"] == "2026-03-25T06:00:00Z"
    assert (body["kind"], body["title"], body["occurrence_date"]) == ("board", "Thoracic Oncology MDT", "2026-03-26")
    people = {person["name"]: person for person in body["invitees"]}
    assert people["Dr London"]["timezone"] == "Europe/London"
    assert people["Dr London"]["local_start"] == "2026-03-26T06:00:00+00:00"
    assert people["Dr London"]["within_working_hours"] is False  # before 06:30 in winter
    assert people["Dr Kathmandu"]["local_start"] == "2026-03-26T11:45:00+05:45"
    assert people["Dr Kathmandu"]["local_weekday"] == "thu" and people["Dr Kathmandu"]["within_working_hours"] is True
    assert people["Dr Huang"]["timezone"] == "Asia/Shanghai" and people["Dr Huang"]["within_working_hours"] is None
    quorum = body["quorum"]
    assert quorum["state"] == "missing" and quorum["missing"] == ["medical-oncology"]
    assert quorum["at_risk"] == ["pathology"]
    assert {d["discipline"]: d["state"] for d in quorum["disciplines"]} == {
        "medical-oncology": "missing", "pathology": "at_risk", "radiology": "met"}

    # a week later London is on summer time: the same Shanghai 14:00 reads 07:00 there, within hours
    people = {p["name"]: p for p in client.get(f"/api/v1/meetings/{after.id}", headers=headers)
              .get_json()["invitees"]}
    assert people["Dr London"]["local_start"] == "2026-04-02T07:00:00+01:00"
    assert people["Dr London"]["utc_offset"] == "+01:00" and people["Dr London"]["within_working_hours"] is True
    assert people["Dr Kathmandu"]["local_start"] == "2026-04-02T11:45:00+05:45"

    listed = client.get(f"/api/v1/boards/{board.id}/meetings",
                        query_string={"from": "2026-03-20T00:00:00Z", "to": "2026-04-10T00:00:00+08:00"},
                        headers=headers)
    assert listed.status_code == 200, listed.get_json()
    assert [m["occurrence_date"] for m in listed.get_json()] == ["2026-03-26", "2026-04-02", "2026-04-09"]
    assert listed.get_json()[2]["invitees"] == [] and listed.get_json()[2]["quorum"]["state"] == "missing"


def test_london_invitee_across_the_october_change(client, session, make_board, make_specialist, make_user, api_auth):
    board = make_board()
    create_meetings_ahead(session, datetime(2026, 10, 20, tzinfo=UTC), weeks=2)
    london = make_specialist(zone="Europe/London", disciplines=("radiology",), weekly_hours=EARLY_LONDON)
    for day in (date(2026, 10, 22), date(2026, 10, 29)):
        invite(session, meeting_on(session, board, day), london, "radiology", status="accepted")
    session.commit()
    headers = api_auth.headers(make_user("admin"))
    seen = [(m["invitees"][0]["local_start"], m["invitees"][0]["within_working_hours"], m["quorum"]["state"])
            for m in client.get(f"/api/v1/boards/{board.id}/meetings", headers=headers,
                                query_string={"from": "2026-10-20T00:00:00Z", "to": "2026-11-01T00:00:00Z"})
            .get_json()]
    assert seen == [("2026-10-22T07:00:00+01:00", True, "missing"), ("2026-10-29T06:00:00+00:00", False, "missing")]


def test_who_may_see_meetings(client, session, make_board, make_specialist, make_user, api_auth, assert_problem):
    observer = make_user("referrer", name="Trainee")
    core = make_specialist(disciplines=("radiology",))
    board = make_board(members=[{"user_id": observer.id, "role": "observer"},
                                {"user_id": core.id, "role": "core", "discipline": "radiology"}])
    create_meetings_ahead(session, datetime(2026, 3, 1, tzinfo=UTC), weeks=3)
    guest = make_specialist(disciplines=("pathology",))
    invited_to = meeting_on(session, board, date(2026, 3, 12))
    other = meeting_on(session, board, date(2026, 3, 5))
    invite(session, invited_to, guest, "pathology")
    session.commit()
    window = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-31T00:00:00Z"}
    url = f"/api/v1/boards/{board.id}/meetings"
    for member in (observer, core, make_user("admin"), make_user("coordinator")):
        headers = api_auth.headers(member)
        assert len(client.get(url, headers=headers, query_string=window).get_json()) == 3
        assert client.get(f"/api/v1/meetings/{other.id}", headers=headers).status_code == 200
    # an invitee who is not a member sees only what they are invited to
    headers = api_auth.headers(guest)
    assert [m["id"] for m in client.get(url, headers=headers, query_string=window).get_json()] == [invited_to.id]
    assert client.get(f"/api/v1/meetings/{invited_to.id}", headers=headers).status_code == 200
    assert_problem(client.get(f"/api/v1/meetings/{other.id}", headers=headers), 404)
    # anyone else: 404, as for a meeting that does not exist
    stranger = api_auth.headers(make_user("referrer"))
    assert_problem(client.get(f"/api/v1/meetings/{other.id}", headers=stranger), 404)
    assert_problem(client.get(url, headers=stranger, query_string=window), 404)
    assert_problem(client.get("/api/v1/meetings/9999", headers=stranger), 404)
    assert_problem(client.get(f"/api/v1/meetings/{other.id}"), 401)
    # the window is checked
    admin = api_auth.headers(make_user("admin"))
    body = assert_problem(client.get(url, headers=admin, query_string={"from": "2026-03-10T00:00:00Z",
                                                                       "to": "2026-03-01T00:00:00Z"}), 422)
    assert body["errors"][0]["field"] == "to"
    body = assert_problem(client.get(url, headers=admin, query_string={"from": "2026-03-10T00:00:00"}), 422)
    assert body["errors"][0]["field"] == "from"


def test_a_board_edit_over_the_api_moves_meetings_at_once(client, session, make_user, api_auth, board_body):
    coordinator = make_user("coordinator")
    headers = api_auth.headers(coordinator)
    board = client.post("/api/v1/boards", headers=headers, json=board_body()).get_json()
    before = client.get(f"/api/v1/boards/{board['id']}/meetings", headers=headers).get_json()
    assert len(before) == 6 and {m["sequence"] for m in before} == {0}
    response = client.patch(f"/api/v1/boards/{board['id']}", headers=headers,
                            json={"start_time": "16:30", "timezone": "Asia/Kathmandu"})
    assert response.status_code == 200, response.get_json()
    after = client.get(f"/api/v1/boards/{board['id']}/meetings", headers=headers,
                       query_string={"from": before[0]["starts_at"]}).get_json()
    assert [m["id"] for m in after] == [m["id"] for m in before]
    assert {m["sequence"] for m in after} == {1}
    assert {m["host"]["local_start"][11:] for m in after} == {"16:30:00+05:45"}
    assert {m["starts_at"][11:] for m in after} == {"10:45:00Z"}
    start = datetime.fromisoformat(before[0]["starts_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(after[0]["starts_at"].replace("Z", "+00:00")) - start == timedelta(hours=4, minutes=45)


def pages_of(client, url, headers, query_string=None):
    """Every page of an API list, following each `Link: <...>; rel="next"` header."""
    import re

    pages = []
    response = client.get(url, headers=headers, query_string=query_string)
    while True:
        assert response.status_code == 200, response.get_json()
        pages.append([row["id"] for row in response.get_json()])
        link = response.headers.get("Link")
        if not link:
            return pages
        response = client.get(re.match(r"<([^>]+)>", link).group(1), headers=headers)


def test_a_boards_meetings_and_my_invitations_come_a_page_at_a_time(client, session, make_board, make_specialist,
                                                                    make_user, api_auth):
    from app.timekeeping import now_utc

    board = make_board()
    create_meetings_ahead(session, now_utc(), weeks=4)
    guest = make_specialist(disciplines=("pathology",))
    meetings = session.scalars(select(Meeting).where(Meeting.board_id == board.id)
                               .order_by(Meeting.starts_at, Meeting.id)).all()
    assert len(meetings) >= 3
    for meeting in meetings:
        invite(session, meeting, guest, "pathology")
    session.commit()
    ids = [meeting.id for meeting in meetings]

    admin = api_auth.headers(make_user("admin"))
    url = f"/api/v1/boards/{board.id}/meetings"
    assert pages_of(client, url, admin, {"limit": 2}) == [ids[i:i + 2] for i in range(0, len(ids), 2)]
    assert sum(pages_of(client, url, admin), []) == ids          # default limit: one page

    mine = api_auth.headers(guest)
    pages = pages_of(client, "/api/v1/me/invitations", mine, {"limit": 2, "status": "pending"})
    invitation_of = {i.meeting_id: i.id for i in session.scalars(select(Invitation).where(Invitation.user_id == guest.id))}
    assert pages == [[invitation_of[m] for m in ids[i:i + 2]] for i in range(0, len(ids), 2)]
    assert client.get("/api/v1/me/invitations", headers=mine, query_string={"limit": 201}).status_code == 422
    assert client.get("/api/v1/me/invitations", headers=mine, query_string={"cursor": "nonsense"}).status_code == 422
