"""What a person can type never causes a server error: huge ids, NUL characters, the ends of the
calendar, live actions at the wrong moment, unknown vocabulary. Each is a 4xx that names the field,
and nothing already saved is lost."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", "admin", name="Coordinator Chen")


def signed_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    return client


@pytest.mark.parametrize("path", ["/api/v1/cases/2147483648", "/api/v1/boards/99999999999999999999",
                                  "/api/v1/meetings/2147483648/live"])
def test_an_id_beyond_any_stored_id_is_not_found(client, headers, coordinator, assert_problem, path):
    assert_problem(client.get(path, headers=headers(coordinator)), 404)


def test_pages_with_huge_ids_are_not_found_and_huge_filters_are_ignored(client, coordinator):
    signed_in(client, coordinator)
    assert client.get("/cases/99999999999999999999999").status_code == 404
    board = client.get("/coordinator/cases?board=99999999999999999999&site=2147483648")
    assert board.status_code == 200
    assert client.get("/coordinator/cases?board=%C2%B2").status_code == 200  # a superscript two


def test_nul_in_sign_in_is_a_400_naming_the_field(client, assert_problem):
    body = assert_problem(client.post("/api/v1/auth/token", json={"email": "\u0000", "password": "x"}), 400)
    assert body["errors"][0]["field"] == "email"


def test_nul_in_my_name_is_refused_and_my_name_is_kept(client, headers, coordinator, assert_problem):
    body = assert_problem(client.patch("/api/v1/me", json={"name": "Chen\u0000"},
                                       headers=headers(coordinator)), 400)
    assert body["errors"] == [{"field": "name", "message": body["errors"][0]["message"]}]
    assert "NUL" in body["detail"]
    assert client.get("/api/v1/me", headers=headers(coordinator)).get_json()["name"] == "Coordinator Chen"


def test_nul_in_a_body_sent_in_chunks_is_refused_too(client, headers, coordinator, assert_problem):
    """Without a Content-Length the body is read where it is parsed; the NUL is refused there."""
    import io

    chunked = {**headers(coordinator), "Transfer-Encoding": "chunked"}
    streamed = {"wsgi.input_terminated": True}   # as gunicorn marks a chunked body
    body = assert_problem(client.patch("/api/v1/me", input_stream=io.BytesIO('{"name": "Chen\\u0000"}'.encode()),
                                       content_type="application/json", headers=chunked, environ_base=streamed), 400)
    assert body["errors"][0]["field"] == "name" and "NUL" in body["detail"]
    assert client.get("/api/v1/me", headers=headers(coordinator)).get_json()["name"] == "Coordinator Chen"
    fine = client.patch("/api/v1/me", input_stream=io.BytesIO(b'{"name": "Chen Li"}'),
                        content_type="application/json", headers=chunked, environ_base=streamed)
    assert fine.status_code == 200 and fine.get_json()["name"] == "Chen Li"


def test_nul_in_a_query_or_a_form_is_a_400(client, headers, coordinator, assert_problem):
    body = assert_problem(client.get("/api/v1/audit-events?action=%00", headers=headers(coordinator)), 400)
    assert body["errors"][0]["field"] == "action"
    signed_in(client, coordinator)
    page = client.post("/login", data={"email": "a\u0000b", "password": "x"})
    assert page.status_code == 400 and "email" in page.get_data(as_text=True)


def test_instants_at_the_ends_of_the_calendar_are_refused_by_field(client, headers, coordinator,
                                                                    assert_problem):
    late = client.get("/api/v1/reports/attendance?until=0001-01-01T00:00:00Z", headers=headers(coordinator))
    assert assert_problem(late, 422)["errors"][0]["field"] == "until"
    early = client.get("/api/v1/reports/attendance?since=9999-12-31T23:59:59%2B14:00",
                       headers=headers(coordinator))
    assert assert_problem(early, 422)["errors"][0]["field"] == "since"


def test_a_week_at_the_end_of_the_calendar_is_not_found(client, make_user):
    specialist = make_user("specialist")
    signed_in(client, specialist)
    assert client.get("/schedule?week=0001-01-01").status_code == 404
    assert client.get("/schedule?week=9999-12-31").status_code == 404


@pytest.mark.parametrize("action, body, status", [
    ("POST", ("finish", None), "scheduled"), ("POST", ("current-case", "case"), "scheduled"),
    ("POST", ("discussed", "case"), "scheduled"), ("PUT", ("notes", "notes"), "scheduled"),
    # Only a scheduled meeting starts: one already over, or called off, stays as it is.
    ("POST", ("start", None), "finished"), ("POST", ("start", None), "cancelled"),
])
def test_live_actions_on_a_meeting_not_running_are_409(client, session, world, assert_problem, action, body,
                                                        status):
    name, kind = body
    world.meeting.status = status
    session.commit()
    payload = None if kind is None else {"case_id": world.case.id, **({"notes": "x"} if kind == "notes" else {})}
    response = client.open(f"/api/v1/meetings/{world.meeting.id}/live/{name}", method=action, json=payload,
                           headers=world.headers["chair"])
    problem = assert_problem(response, 409)
    assert problem["meeting_status"] == status
    assert ("only a scheduled meeting can start" if name == "start" else "not running") in problem["detail"]
    state = client.get(f"/api/v1/meetings/{world.meeting.id}/live", headers=world.headers["chair"])
    assert state.status_code == 200 and state.get_json()["status"] == status  # nothing changed


def test_inviting_with_an_unknown_discipline_is_422_naming_it(client, world, assert_problem):
    response = client.post(f"/api/v1/meetings/{world.meeting.id}/invitations",
                           json={"user_id": world.stranger.id, "role": "seat", "discipline": "astrology"},
                           headers=world.headers["chair"])
    assert assert_problem(response, 422)["errors"][0]["field"] == "discipline"


def test_trace_is_405_and_says_what_is_allowed(client):
    response = client.open("/api/v1/auth/token", method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"POST", "DELETE"}
    page = client.open("/login", method="TRACE")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_the_document_declares_the_statuses_operations_return(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "401" in paths["/api/v1/auth/token"]["post"]["responses"]
    assert "429" in paths["/api/v1/auth/token"]["post"]["responses"]
    assert "409" in paths["/api/v1/meetings/{meeting_id}/live/finish"]["post"]["responses"]
    assert "409" in paths["/api/v1/meetings/{meeting_id}/live/start"]["post"]["responses"]
    assert "404" in paths["/api/v1/cases/{case_id}"]["get"]["responses"]
