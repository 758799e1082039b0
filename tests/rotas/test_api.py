"""The rota API: who may do what, bad input as problem+json, generation, shifts and on call."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rota_helpers import assert_problem

UTC = timezone.utc


def rota_body(people, **values):
    body = {"name": "Radiology on call", "discipline_code": "radiology", "handoff_weekday": 0,
            "handoff_time": "08:00", "timezone": "Asia/Shanghai", "period_weeks": 1,
            "members": [m.id for m in people]}
    body.update(values)
    return body


@pytest.fixture
def team(make_specialist):
    return [make_specialist(name="Ana", zone="Asia/Kolkata"),
            make_specialist(name="Bo", zone="Asia/Almaty"),
            make_specialist(name="Cy", zone="Asia/Shanghai")]


@pytest.fixture
def coordinator_headers(api_auth, coordinator):
    return api_auth.headers(coordinator)


@pytest.fixture
def rota(client, team, coordinator_headers):
    response = client.post("/api/v1/rotas", headers=coordinator_headers, json=rota_body(team))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_coordinator_creates_and_reads_a_rota(client, rota, team, coordinator_headers):
    assert rota["handoff_weekday_name"] == "Monday" and rota["handoff_time"] == "08:00"
    assert [m["user_id"] for m in rota["members"]] == [u.id for u in team]
    assert [m["home_timezone"] for m in rota["members"]] == ["Asia/Kolkata", "Asia/Almaty",
                                                            "Asia/Shanghai"]
    listed = client.get("/api/v1/rotas", headers=coordinator_headers).get_json()
    assert [r["id"] for r in listed] == [rota["id"]]
    assert client.get("/api/v1/rotas?discipline=pathology", headers=coordinator_headers).get_json() == []
    one = client.get(f"/api/v1/rotas/{rota['id']}", headers=coordinator_headers).get_json()
    assert one == rota


def test_patch_reorders_members_and_renames(client, rota, team, coordinator_headers):
    ana, bo, cy = team
    response = client.patch(f"/api/v1/rotas/{rota['id']}", headers=coordinator_headers,
                            json={"name": "Imaging on call", "members": [cy.id, ana.id]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "Imaging on call"
    assert [(m["user_id"], m["position"]) for m in body["members"]] == [(cy.id, 0), (ana.id, 1)]


def test_members_must_be_specialists_of_the_discipline(client, team, coordinator_headers,
                                                        make_specialist, make_user):
    pathologist = make_specialist("pathology", name="Pat")
    referrer = make_user("referrer", name="Ref")
    body = assert_problem(client.post("/api/v1/rotas", headers=coordinator_headers,
                                      json=rota_body([team[0], pathologist])), 422)
    assert body["errors"] == [{"field": "members[1]", "message":
                               f"Pat (user {pathologist.id})'s specialist profile does not list radiology"}]
    body = assert_problem(client.post("/api/v1/rotas", headers=coordinator_headers,
                                      json=rota_body([referrer])), 422)
    assert body["errors"][0]["field"] == "members[0]" and "specialist role" in body["detail"]
    body = assert_problem(client.post("/api/v1/rotas", headers=coordinator_headers,
                                      json=rota_body(team) | {"members": [team[0].id, 9999]}), 422)
    assert body["errors"][0] == {"field": "members[1]", "message": "no user has id 9999"}
    body = assert_problem(client.post("/api/v1/rotas", headers=coordinator_headers,
                                      json=rota_body(team) | {"members": [team[0].id, team[0].id]}), 422)
    assert body["errors"][0]["field"] == "members[1]"


@pytest.mark.parametrize("change, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"handoff_time": "25:00"}, "handoff_time"),
    ({"handoff_weekday": 7}, "handoff_weekday"),
    ({"period_weeks": 3}, "period_weeks"),
    ({"discipline_code": "astrology"}, "discipline_code"),
    ({"members": []}, "members"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_rota_fields_are_named(client, team, coordinator_headers, change, field):
    body = assert_problem(client.post("/api/v1/rotas", headers=coordinator_headers,
                                      json=rota_body(team, **change)), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_duplicate_rota_name_is_a_conflict(client, rota, team, coordinator_headers):
    body = assert_problem(client.post("/api/v1/rotas", headers=coordinator_headers,
                                      json=rota_body(team, name="RADIOLOGY ON CALL")), 409)
    assert body["rota_id"] == rota["id"]


def test_referrer_is_refused_and_specialist_may_only_read(client, api_auth, make_user, rota, team):
    referrer = api_auth.headers(make_user("referrer"))
    for path in ("/api/v1/rotas", f"/api/v1/rotas/{rota['id']}", f"/api/v1/rotas/{rota['id']}/shifts",
                 f"/api/v1/rotas/{rota['id']}/on-call"):
        assert_problem(client.get(path, headers=referrer), 403)
    specialist = api_auth.headers(team[0])
    assert client.get(f"/api/v1/rotas/{rota['id']}", headers=specialist).status_code == 200
    assert client.get(f"/api/v1/rotas/{rota['id']}/shifts", headers=specialist).status_code == 200
    assert_problem(client.post("/api/v1/rotas", headers=specialist, json=rota_body(team)), 403)
    assert_problem(client.patch(f"/api/v1/rotas/{rota['id']}", headers=specialist,
                                json={"name": "Mine"}), 403)
    assert_problem(client.post(f"/api/v1/rotas/{rota['id']}/generate", headers=specialist,
                               json={"start": "2026-03-02", "weeks": 4}), 403)
    assert_problem(client.get("/api/v1/rotas"), 401)


def test_generate_lists_shifts_and_tallies(client, clock, rota, team, coordinator_headers):
    response = client.post(f"/api/v1/rotas/{rota['id']}/generate", headers=coordinator_headers,
                           json={"start": "2026-03-02", "weeks": 6})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["first_handoff"] == "2026-03-02T00:00:00Z"
    assert body["created"] == 6 and body["uncovered"] == [] and body["already_started"] == []
    assert [s["user_id"] for s in body["shifts"]] == [u.id for u in team] * 2
    first = body["shifts"][0]
    assert first["local_start"] == "2026-03-02T08:00:00+08:00" and first["hours"] == 168
    assert first["sequence"] == 0 and first["status"] == "scheduled"
    tally = {m["name"]: m for m in body["members"]}
    assert tally["Ana"] == {"user_id": team[0].id, "name": "Ana", "periods": 2,
                            "unsocial_handoffs": 2, "fair_share": 2.0}
    assert tally["Cy"]["unsocial_handoffs"] == 0  # 08:00 in Shanghai is sociable

    listed = client.get(f"/api/v1/rotas/{rota['id']}/shifts?from=2026-03-09T00:00:00Z"
                        "&to=2026-03-23T00:00:00Z", headers=coordinator_headers).get_json()
    assert [s["starts_at"] for s in listed] == ["2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z"]


def test_generate_reports_uncovered_periods(client, clock, coordinator_headers, make_specialist):
    expired = make_specialist(name="Expired", licence_expires=datetime(2026, 2, 1).date())
    response = client.post("/api/v1/rotas", headers=coordinator_headers,
                           json=rota_body([expired], name="Thin rota"))
    rota_id = response.get_json()["id"]
    body = client.post(f"/api/v1/rotas/{rota_id}/generate", headers=coordinator_headers,
                       json={"start": "2026-03-02", "weeks": 2}).get_json()
    assert body["shifts"] == [] and len(body["uncovered"]) == 2
    assert body["uncovered"][0] == {
        "starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-03-09T00:00:00Z",
        "reasons": [{"user_id": expired.id, "name": "Expired",
                     "reason": "holds no valid licence at 2026-03-02T00:00:00Z"}]}


@pytest.mark.parametrize("body, field", [
    ({"start": "2026-03-03", "weeks": 4}, "start"),  # a Tuesday
    ({"start": "next monday", "weeks": 4}, "start"),
    ({"start": "2026-03-02T08:00:00", "weeks": 4}, "start"),  # no offset
    ({"start": "2026-02-30", "weeks": 4}, "start"),
    ({"start": "2026-03-02", "weeks": 0}, "weeks"),
    ({"start": "2026-03-02", "weeks": 53}, "weeks"),
    ({"start": "2026-03-02", "weeks": "4"}, "weeks"),
    ({"start": "2026-03-02"}, "weeks"),
])
def test_bad_generation_input_is_422(client, clock, rota, coordinator_headers, body, field):
    problem = assert_problem(client.post(f"/api/v1/rotas/{rota['id']}/generate",
                                         headers=coordinator_headers, json=body), 422)
    assert [e["field"] for e in problem["errors"]] == [field]


def test_tuesday_start_says_which_days_would_do(client, clock, rota, coordinator_headers):
    problem = assert_problem(client.post(f"/api/v1/rotas/{rota['id']}/generate",
                                         headers=coordinator_headers,
                                         json={"start": "2026-03-03", "weeks": 4}), 422)
    assert problem["errors"][0]["message"] == ("3 Mar 2026 is a Tuesday; this rota's handoff day is "
                                               "Monday (e.g. 2 Mar 2026 or 9 Mar 2026)")


def test_unknown_rota_is_404(client, coordinator_headers):
    assert "999" in assert_problem(client.get("/api/v1/rotas/999", headers=coordinator_headers),
                                   404)["detail"]
    assert_problem(client.post("/api/v1/rotas/999/generate", headers=coordinator_headers,
                               json={"start": "2026-03-02", "weeks": 1}), 404)


def test_on_call_at_an_instant(client, clock, rota, team, coordinator_headers, api_auth):
    generated = client.post(f"/api/v1/rotas/{rota['id']}/generate", headers=coordinator_headers,
                            json={"start": "2026-03-02", "weeks": 2}).get_json()
    first, second = (s["user_id"] for s in generated["shifts"])
    assert first != second
    reader = api_auth.headers(team[2])
    url = f"/api/v1/rotas/{rota['id']}/on-call"
    middle = client.get(f"{url}?at=2026-03-05T12:00:00Z", headers=reader).get_json()
    assert middle["user_id"] == first and middle["rota_id"] == rota["id"]
    assert middle["user_name"] in {"Ana", "Bo", "Cy"}
    # exactly at the handoff (Monday 08:00 Shanghai, given with its own offset): the incoming member
    handoff = client.get(f"{url}?at=2026-03-09T08:00:00%2B08:00", headers=reader).get_json()
    assert handoff["user_id"] == second and handoff["at"] == "2026-03-09T00:00:00Z"
    assert handoff["shift"]["starts_at"] == "2026-03-09T00:00:00Z"
    just_before = client.get(f"{url}?at=2026-03-08T23:59:59Z", headers=reader).get_json()
    assert just_before["user_id"] == first
    # after the last shift: 404 saying why
    body = assert_problem(client.get(f"{url}?at=2026-03-16T00:00:00Z", headers=reader), 404)
    assert "Nobody is on call" in body["detail"] and "no shift has been generated" in body["detail"]
    before = assert_problem(client.get(f"{url}?at=2026-03-01T00:00:00Z", headers=reader), 404)
    # the instant is shown in the reader's zone and language, never as raw ISO
    assert "next scheduled shift starts at Mon, 2 Mar 2026, 08:00 (Asia/Shanghai, UTC+08:00)" in before["detail"]
    # default: now
    clock.now = datetime(2026, 3, 10, tzinfo=UTC)
    assert client.get(url, headers=reader).get_json()["user_id"] == second
    bad = assert_problem(client.get(f"{url}?at=yesterday", headers=reader), 422)
    assert bad["errors"][0]["field"] == "at"


def test_shift_range_must_be_ordered(client, rota, coordinator_headers):
    body = assert_problem(client.get(f"/api/v1/rotas/{rota['id']}/shifts?from=2026-03-09T00:00:00Z"
                                     "&to=2026-03-02T00:00:00Z", headers=coordinator_headers), 422)
    assert body["errors"][0]["field"] == "to"


def test_regeneration_through_the_api_cancels_and_lists_cancelled(client, clock, rota, team,
                                                                   coordinator_headers):
    url = f"/api/v1/rotas/{rota['id']}"
    client.post(f"{url}/generate", headers=coordinator_headers, json={"start": "2026-03-02", "weeks": 3})
    # drop Cy: the third week moves; a fresh run raises that shift's sequence
    client.patch(url, headers=coordinator_headers, json={"members": [team[0].id, team[1].id]})
    body = client.post(f"{url}/generate", headers=coordinator_headers,
                       json={"start": "2026-03-02T00:00:00Z", "weeks": 3}).get_json()
    assert [s["user_id"] for s in body["shifts"]] == [team[0].id, team[1].id, team[0].id]
    assert (body["unchanged"], body["updated"]) == (2, 1)
    assert body["shifts"][2]["sequence"] == 1


def test_openapi_lists_the_rota_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/api/v1/rotas/{rota_id}/generate"]["post"]["x-roles"] == ["admin", "coordinator"]
    assert {p["name"] for p in paths["/api/v1/rotas/{rota_id}/shifts"]["get"]["parameters"]} >= {
        "from", "to", "include_cancelled"}
    assert "/api/v1/cover-requests/{request_id}/approve" in paths



def test_a_rota_may_serve_one_board_and_is_asked_first_for_it(client, session, organization, make_user, api_auth):
    from datetime import date, time, timedelta

    from app.boards.models import Board
    from app.rotas.models import OnCallShift, Rota
    from app.rotas.operations import on_call_user_ids
    from app.timekeeping import now_utc

    board = Board(name="Neuro MDT", host_organization_id=organization.id, timezone="UTC", weekday=0,
                  start_time=time(9), anchor_date=date(2026, 1, 5))
    session.add(board)
    session.flush()
    general_user, board_user = make_user("specialist"), make_user("specialist")
    at = now_utc()
    for user, board_id in ((general_user, None), (board_user, board.id)):
        rota = Rota(name=f"Rota {user.id}", discipline_code="radiology", handoff_weekday=0, handoff_time=time(8),
                    timezone="UTC", board_id=board_id)
        session.add_all([rota, OnCallShift(rota=rota, user_id=user.id, starts_at=at - timedelta(days=1),
                                           ends_at=at + timedelta(days=1))])
    session.commit()
    assert on_call_user_ids(session, "radiology", at, board_id=board.id) == [board_user.id, general_user.id]
    assert on_call_user_ids(session, "radiology", at) == [general_user.id]
    bad = client.post("/api/v1/rotas", headers=api_auth.headers(make_user("coordinator")),
                      json={"name": "X", "discipline_code": "radiology", "handoff_weekday": 0, "handoff_time": "08:00",
                            "timezone": "UTC", "members": [general_user.id], "board_id": 999})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "board_id"


def test_rotas_are_listed_by_name_a_page_at_a_time(client, team, coordinator_headers):
    for name in ("Cardiology nights", "Anaesthesia", "Breast imaging"):
        assert client.post("/api/v1/rotas", headers=coordinator_headers,
                           json=rota_body(team, name=name)).status_code == 201
    first = client.get("/api/v1/rotas?limit=2", headers=coordinator_headers)
    assert [r["name"] for r in first.get_json()] == ["Anaesthesia", "Breast imaging"]
    next_url = first.headers["Link"].split(">")[0].lstrip("<")
    assert "limit=2" in next_url
    second = client.get(next_url, headers=coordinator_headers)
    assert [r["name"] for r in second.get_json()] == ["Cardiology nights"]
    assert "Link" not in second.headers
    assert [m["home_timezone"] for m in second.get_json()[0]["members"]] == ["Asia/Kolkata", "Asia/Almaty",
                                                                            "Asia/Shanghai"]
    assert_problem(client.get("/api/v1/rotas?limit=500", headers=coordinator_headers), 422)
    assert_problem(client.get("/api/v1/rotas?cursor=nonsense", headers=coordinator_headers), 422)
