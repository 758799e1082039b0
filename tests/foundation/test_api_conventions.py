"""Errors are RFC 9457 problem+json with a detail a person can act on; never HTML or a traceback."""
import pytest


def assert_problem(response, status):
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_malformed_json_is_400(client):
    body = assert_problem(client.post("/api/v1/auth/token", data='{"email": ',
                                      content_type="application/json"), 400)
    assert "not valid JSON" in body["detail"]


def test_json_that_is_not_an_object_is_400(client):
    assert_problem(client.post("/api/v1/auth/token", json=["a", "b"]), 400)


def test_unknown_fields_are_422_naming_them(client):
    body = assert_problem(client.post("/api/v1/auth/token",
                                      json={"email": "a@b.org", "password": "x", "pasword": "y"}), 422)
    assert body["errors"] == [{"field": "pasword", "message": "is not a known field"}]


def test_wrong_types_and_missing_fields_are_422(client):
    body = assert_problem(client.post("/api/v1/auth/token", json={"email": 42}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"email", "password"}
    assert "email" in body["detail"]


def test_nested_field_paths_are_named(client, make_user, api_auth):
    admin = make_user("admin")
    response = client.post("/api/v1/users", headers=api_auth.headers(admin), json={
        "email": "x@example.org", "name": "X", "password": "long enough pw", "organization_id": 1,
        "roles": ["referrer", "surgeon"]})
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "roles[1]"


def test_domain_rule_violation_is_422_naming_the_field(client, make_user, api_auth):
    admin = make_user("admin")
    response = client.post("/api/v1/organizations", headers=api_auth.headers(admin), json={
        "name": "Somewhere", "country": "XX", "timezone": "Asia/Dubai", "residency_region": "ae"})
    body = assert_problem(response, 422)
    assert body["errors"] == [{"field": "country", "message": "'XX' is not an ISO 3166-1 alpha-2 country code"}]
    response = client.patch("/api/v1/me", headers=api_auth.headers(admin), json={"display_timezone": "Mars/Base"})
    assert assert_problem(response, 422)["errors"][0]["field"] == "display_timezone"


def test_duplicate_is_409_and_nothing_saved_is_lost(client, make_user, api_auth):
    admin = make_user("admin", email="admin@example.org")
    headers = api_auth.headers(admin)
    response = client.post("/api/v1/users", headers=headers, json={
        "email": "ADMIN@example.org", "name": "Copy", "password": "long enough pw",
        "organization_id": 1, "roles": ["referrer"]})
    assert_problem(response, 409)
    users = client.get("/api/v1/users", headers=headers).get_json()
    assert [u["email"] for u in users] == ["admin@example.org"]


def test_oversized_body_is_413(client, app):
    app.config["API_MAX_JSON_BYTES"] = 100
    response = client.post("/api/v1/auth/token", json={"email": "a@b.org", "password": "x" * 200})
    assert "larger than 100 bytes" in assert_problem(response, 413)["detail"]


def test_body_over_the_global_limit_is_413_problem(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 50
    response = client.post("/api/v1/auth/token", json={"email": "a@b.org", "password": "x" * 200})
    assert_problem(response, 413)


def test_non_json_body_is_415(client):
    assert_problem(client.post("/api/v1/auth/token", data="email=a"), 415)


def test_unknown_path_and_wrong_method(client):
    assert "Nothing at /api/v1/nothing-here" in assert_problem(client.get("/api/v1/nothing-here"), 404)["detail"]
    assert_problem(client.put("/api/v1/me"), 405)


def test_not_found_resource_is_404(client, make_user, api_auth):
    admin = make_user("admin")
    body = assert_problem(client.patch("/api/v1/users/999", headers=api_auth.headers(admin),
                                       json={"is_active": False}), 404)
    assert "999" in body["detail"]


def test_unexpected_error_is_500_without_traceback(app_config):
    from app import create_app
    from app.api import api  # noqa: F401
    from app.security import PUBLIC, declare_access

    application = create_app(app_config)

    def explode():
        raise RuntimeError("secret internals")

    application.add_url_rule("/api/v1/explode", "explode", declare_access(explode, PUBLIC))
    application.add_url_rule("/explode", "explode_page", declare_access(explode, PUBLIC))
    client = application.test_client()
    body = assert_problem(client.get("/api/v1/explode"), 500)
    assert "secret internals" not in body["detail"]
    page = client.get("/explode")
    assert page.status_code == 500 and b"secret internals" not in page.data and b"Traceback" not in page.data


@pytest.mark.parametrize("path", ["/nothing-here"])
def test_pages_get_html_errors(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"
