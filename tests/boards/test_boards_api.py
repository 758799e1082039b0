"""Boards over the API: creating with defaults, validation naming the field, who may do what."""
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.boards.models import Board
from app.meetings.models import Meeting


def create(client, headers, body):
    return client.post("/api/v1/boards", headers=headers, json=body)


def test_a_coordinator_creates_a_board_with_defaults(client, session, make_user, api_auth, board_body,
                                                     make_specialist, organization):
    coordinator = make_user("coordinator", name="Li Na")
    radiologist = make_specialist(zone="Asia/Kolkata", disciplines=("radiology",), name="Dr Sen")
    observer = make_user("referrer", name="Trainee")
    response = create(client, api_auth.headers(coordinator), board_body(members=[
        {"user_id": radiologist.id, "role": "core", "discipline": "radiology"},
        {"user_id": observer.id, "role": "observer"}]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["host_organization_id"] == organization.id
    assert body["timezone"] == "Asia/Shanghai" and body["utc_offset"] == "+08:00"  # the host's zone
    assert (body["weekday"], body["weekday_name"], body["start_time"]) == (3, "Thursday", "14:00")
    assert body["schedule"] == "Thursdays 14:00-16:00 Asia/Shanghai, weekly"
    assert (body["cases_per_meeting"], body["minutes_per_case"], body["agenda_cutoff_hours"]) == (12, 10, 24)
    assert date.fromisoformat(body["anchor_date"]).weekday() == 3
    assert body["quorum"] == [{"discipline": "pathology", "count": 1}, {"discipline": "radiology", "count": 1}]
    # the creating coordinator coordinates the board, since the body named no coordinator
    assert {(m["user_id"], m["role"], m["discipline"]) for m in body["members"]} == {
        (radiologist.id, "core", "radiology"), (observer.id, "observer", None), (coordinator.id, "coordinator", None)}
    next_meeting = body["next_meeting"]
    assert next_meeting["starts_at"].endswith("T06:00:00Z")  # 14:00 in Shanghai
    # six weeks of meetings exist at once
    meetings = session.scalars(select(Meeting).where(Meeting.board_id == body["id"])).all()
    assert len(meetings) == 6 and {m.kind for m in meetings} == {"board"}
    assert {m.title for m in meetings} == {"Thoracic Oncology MDT"}
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "board.created"))
    listed = client.get("/api/v1/boards", headers=api_auth.headers(observer)).get_json()
    assert [b["name"] for b in listed] == ["Thoracic Oncology MDT"]
    one = client.get(f"/api/v1/boards/{body['id']}", headers=api_auth.headers(observer))
    assert one.status_code == 200 and one.get_json()["name"] == "Thoracic Oncology MDT"


def test_explicit_zone_fortnightly_and_anchor(client, make_user, api_auth, board_body):
    admin = make_user("admin")
    response = create(client, api_auth.headers(admin), board_body(
        name="Colorectal MDT", weekday=1, start_time="09:00", duration_minutes=90, interval_weeks=2,
        anchor_date="2026-03-03", timezone="Asia/Kathmandu", cases_per_meeting=9))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["schedule"] == "Tuesdays 09:00-10:30 Asia/Kathmandu, every other week"
    assert body["anchor_date"] == "2026-03-03" and body["utc_offset"] == "+05:45"
    assert date.fromisoformat(body["next_meeting"]["local_date"]).weekday() == 1
    assert (date.fromisoformat(body["next_meeting"]["local_date"]) - date(2026, 3, 3)).days % 14 == 0
    assert [m["role"] for m in body["members"]] == []  # an admin is not made coordinator


@pytest.mark.parametrize("overrides, field", [
    ({"quorum": [{"discipline": "radiology"}, {"discipline": "astrology", "count": 1}]}, "quorum[1].discipline"),
    ({"quorum": [{"discipline": "radiology"}, {"discipline": "Radiology"}]}, "quorum[1].discipline"),
    ({"quorum": [{"discipline": "radiology", "count": 0}]}, "quorum[0].count"),
    ({"quorum": []}, "quorum"),
    ({"cases_per_meeting": 13}, "cases_per_meeting"),  # 13 × 10 minutes > 120
    ({"duration_minutes": 60, "minutes_per_case": 6, "cases_per_meeting": 11}, "cases_per_meeting"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"weekday": 7}, "weekday"),
    ({"weekday": "thursday"}, "weekday"),
    ({"start_time": "2pm"}, "start_time"),
    ({"start_time": "14:00:30"}, "start_time"),
    ({"interval_weeks": 3}, "interval_weeks"),
    ({"anchor_date": "2026-03-04"}, "anchor_date"),  # a Wednesday; the board meets on Thursdays
    ({"duration_minutes": 5}, "duration_minutes"),
    ({"agenda_cutoff_hours": -1}, "agenda_cutoff_hours"),
    ({"host_organization_id": 999}, "host_organization_id"),
    ({"name": "   "}, "name"),
    ({"quorum_count": 1}, "quorum_count"),
])
def test_invalid_boards_are_422_naming_the_field(client, make_user, api_auth, board_body, assert_problem,
                                                 overrides, field):
    response = create(client, api_auth.headers(make_user("coordinator")), board_body(**overrides))
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == field, body
    assert client.get("/api/v1/boards", headers=api_auth.headers(make_user())).get_json() == []


def test_members_must_fit_their_role(client, make_user, make_specialist, api_auth, board_body, assert_problem):
    headers = api_auth.headers(make_user("coordinator"))
    pathologist = make_specialist(disciplines=("pathology",))
    referrer = make_user("referrer")
    cases = [
        # a specialist whose profile lacks the discipline
        ([{"user_id": pathologist.id, "role": "core", "discipline": "radiology"}], "members[0]"),
        # not a specialist at all
        ([{"user_id": pathologist.id, "role": "core", "discipline": "pathology"},
          {"user_id": referrer.id, "role": "deputy", "discipline": "pathology"}], "members[1]"),
        # a coordinator must hold the coordinator role
        ([{"user_id": referrer.id, "role": "coordinator"}], "members[0]"),
        ([{"user_id": pathologist.id, "role": "core"}], "members[0].discipline"),
        ([{"user_id": pathologist.id, "role": "core", "discipline": "alchemy"}], "members[0].discipline"),
        ([{"user_id": referrer.id, "role": "observer", "discipline": "pathology"}], "members[0].discipline"),
        ([{"user_id": 4242, "role": "observer"}], "members[0].user_id"),
        ([{"user_id": referrer.id, "role": "chair"}], "members[0].role"),
        ([{"user_id": referrer.id, "role": "observer"}, {"user_id": referrer.id, "role": "observer"}], "members[1]"),
    ]
    for members, field in cases:
        body = assert_problem(create(client, headers, board_body(members=members)), 422)
        assert body["errors"][0]["field"] == field, (members, body)


def test_duplicate_name_is_409(client, make_user, api_auth, board_body, assert_problem):
    headers = api_auth.headers(make_user("coordinator"))
    assert create(client, headers, board_body()).status_code == 201
    assert_problem(create(client, headers, board_body(name="thoracic oncology mdt ")), 409)


def test_referrers_and_specialists_may_not_create_or_edit(client, make_user, make_specialist, api_auth, board_body,
                                                          assert_problem):
    for user in (make_user("referrer"), make_specialist()):
        assert_problem(create(client, api_auth.headers(user), board_body()), 403)
    board = create(client, api_auth.headers(make_user("coordinator")), board_body()).get_json()
    assert_problem(client.patch(f"/api/v1/boards/{board['id']}", headers=api_auth.headers(make_user("referrer")),
                                json={"start_time": "15:00"}), 403)
    assert_problem(client.post("/api/v1/boards", json=board_body()), 401)


def test_patch_changes_settings_and_checks_them_together(client, session, make_user, api_auth, board_body,
                                                         assert_problem):
    headers = api_auth.headers(make_user("coordinator"))
    board = create(client, headers, board_body(interval_weeks=2, anchor_date="2026-03-05")).get_json()
    url = f"/api/v1/boards/{board['id']}"
    # a shorter meeting no longer holds 12 cases of 10 minutes: the changed field is named
    body = assert_problem(client.patch(url, headers=headers, json={"duration_minutes": 90}), 422)
    assert body["errors"][0]["field"] == "duration_minutes"
    body = assert_problem(client.patch(url, headers=headers, json={"quorum": [{"discipline": "x-ray"}]}), 422)
    assert body["errors"][0]["field"] == "quorum[0].discipline"
    assert_problem(client.patch(url, headers=headers, json={"weekday": None}), 422)
    response = client.patch(url, headers=headers, json={
        "duration_minutes": 90, "cases_per_meeting": 9, "weekday": 1, "agenda_cutoff_hours": 48,
        "quorum": [{"discipline": "radiology", "count": 2}, {"discipline": "medical-oncology"}]})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    # the anchor moves to the new weekday of the same week, so fortnight parity is kept
    assert changed["anchor_date"] == "2026-03-03" and changed["weekday_name"] == "Tuesday"
    assert changed["quorum"] == [{"discipline": "medical-oncology", "count": 1}, {"discipline": "radiology", "count": 2}]
    assert changed["agenda_cutoff_hours"] == 48
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "board.updated")).one()
    assert event.detail["changes"]["weekday"] == {"from": 3, "to": 1}
    assert set(event.detail["changes"]["quorum"]["to"]) == {"radiology", "medical-oncology"}
    assert client.get(url, headers=headers).get_json()["duration_minutes"] == 90


def test_only_the_boards_coordinators_or_admins_replace_members(client, session, make_user, make_specialist,
                                                                api_auth, board_body, assert_problem):
    coordinator = make_user("coordinator")
    other_coordinator = make_user("coordinator")
    admin = make_user("admin")
    radiologist = make_specialist(disciplines=("radiology",))
    deputy = make_specialist(disciplines=("radiology", "pathology"))
    board = create(client, api_auth.headers(coordinator), board_body()).get_json()
    url = f"/api/v1/boards/{board['id']}/members"
    members = [{"user_id": coordinator.id, "role": "coordinator"},
               {"user_id": radiologist.id, "role": "core", "discipline": "radiology"},
               {"user_id": deputy.id, "role": "deputy", "discipline": "radiology"}]
    for outsider in (other_coordinator, radiologist, make_user("referrer")):
        assert_problem(client.put(url, headers=api_auth.headers(outsider), json={"members": members}), 403)
    response = client.put(url, headers=api_auth.headers(coordinator), json={"members": members})
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["members"]) == 3
    # an admin hands the board to the other coordinator; the deputy now sits for pathology
    members = [{"user_id": other_coordinator.id, "role": "coordinator"},
               {"user_id": deputy.id, "role": "deputy", "discipline": "pathology"}]
    response = client.put(url, headers=api_auth.headers(admin), json={"members": members})
    assert response.status_code == 200
    assert {(m["user_id"], m["role"], m["discipline"]) for m in response.get_json()["members"]} == {
        (other_coordinator.id, "coordinator", None), (deputy.id, "deputy", "pathology")}
    assert_problem(client.put(url, headers=api_auth.headers(coordinator), json={"members": members}), 403)
    body = assert_problem(client.put(url, headers=api_auth.headers(other_coordinator), json={"members": [
        {"user_id": other_coordinator.id, "role": "coordinator"},
        {"user_id": radiologist.id, "role": "core", "discipline": "pathology"}]}), 422)
    assert body["errors"][0]["field"] == "members[1]"
    assert session.scalar(select(Board)).members[0].user_id in (other_coordinator.id, deputy.id)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "board.members_replaced")).all()
    assert len(actions) == 2
    assert_problem(client.put("/api/v1/boards/999/members", headers=api_auth.headers(admin),
                              json={"members": []}), 404)


def test_boards_are_listed_by_name_a_page_at_a_time(client, make_user, api_auth, board_body):
    headers = api_auth.headers(make_user("coordinator"))
    for name in ("Sarcoma MDT", "Breast MDT", "Neuro-oncology MDT"):
        assert create(client, headers, board_body(name=name)).status_code == 201
    first = client.get("/api/v1/boards?limit=2", headers=headers)
    assert [b["name"] for b in first.get_json()] == ["Breast MDT", "Neuro-oncology MDT"]
    second = client.get(first.headers["Link"].split(">")[0].lstrip("<"), headers=headers)
    assert [b["name"] for b in second.get_json()] == ["Sarcoma MDT"] and "Link" not in second.headers
    assert [q["discipline"] for q in second.get_json()[0]["quorum"]] == ["pathology", "radiology"]
    refused = client.get("/api/v1/boards?limit=0", headers=headers)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("language, anchor_day, board_day", [
    ("en", "Wednesday", "Thursday"), ("ru", "среда", "четверг"), ("zh", "星期三", "星期四")])
def test_an_anchor_on_another_weekday_names_both_days_in_the_readers_language(
        client, make_user, api_auth, board_body, assert_problem, language, anchor_day, board_day):
    headers = {**api_auth.headers(make_user("coordinator")), "Accept-Language": language}
    body = assert_problem(create(client, headers, board_body(anchor_date="2026-03-04")), 422)
    message = body["errors"][0]["message"]
    assert anchor_day in message and board_day in message, message
