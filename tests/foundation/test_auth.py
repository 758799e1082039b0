"""Signing in on the web and through API tokens; repeated failures slow the guesser (tests/security/test_sign_in_limits.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.timekeeping import now_utc, parse_instant
from tests.conftest import PASSWORD


def sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_web_sign_in_and_out(client, make_user):
    user = make_user("coordinator", name="Li Na")
    assert client.get("/").status_code == 302
    response = sign_in(client, user.email.upper(), PASSWORD)  # e-mail is case-insensitive
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert b"Li Na" in page.data
    assert b"Asia/Shanghai" in page.data  # times are shown with the viewer's zone named
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_web_sign_in_wrong_password_says_so_beside_the_field(client, make_user):
    user = make_user()
    response = sign_in(client, user.email, "wrong password!")
    assert response.status_code == 401
    assert b"e-mail address or password is wrong" in response.data
    assert client.get("/").status_code == 302


def test_web_sign_in_follows_only_local_next(client, make_user):
    user = make_user()
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_form_requires_csrf_token(app_config, make_user):
    from app import create_app

    config = type("WithCsrf", (app_config,), {"WTF_CSRF_ENABLED": True})
    application = create_app(config)
    client = application.test_client()
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"form expired" in response.data
    page = client.get("/login")
    assert b'name="csrf_token"' in page.data


def test_token_gives_access_to_me(client, make_user, api_auth):
    user = make_user("specialist", "referrer", languages=["ne", "en"])
    response = client.get("/api/v1/me", headers=api_auth.headers(user))
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == user.email
    assert body["roles"] == ["referrer", "specialist"]
    assert body["timezone"] == "Asia/Shanghai"  # the organisation's, by default
    assert body["languages"] == ["ne", "en"]


def test_token_response_shape_and_stored_hashed(client, session, make_user):
    user = make_user()
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    body = response.get_json()
    assert response.status_code == 201
    assert set(body) == {"token", "expires_at"}
    assert parse_instant(body["expires_at"]) > now_utc() + timedelta(days=1)
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert body["token"] not in stored and len(stored) == 1


def test_expired_token_is_refused(client, session, make_user, api_auth):
    user = make_user()
    headers = api_auth.headers(user)
    record = session.scalars(select(ApiToken)).one()
    record.expires_at = now_utc() - timedelta(seconds=1)
    session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(client, make_user, api_auth):
    user = make_user()
    headers = api_auth.headers(user)
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_deactivated_user_is_refused(client, session, make_user, api_auth):
    user = make_user()
    headers = api_auth.headers(user)
    user.is_active = False
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "Token x"])
def test_bad_authorization_headers_are_refused(client, header):
    assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401


def test_bearer_header_is_judged_alone_even_with_a_session(client, make_user):
    user = make_user()
    sign_in(client, user.email, PASSWORD)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_wrong_password_and_unknown_email_answer_alike(client, make_user):
    user = make_user()
    wrong = client.post("/api/v1/auth/token", json={"email": user.email, "password": "nope nope nope"})
    unknown = client.post("/api/v1/auth/token", json={"email": "who@example.org", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_success_resets_the_failure_count(client, session, make_user):
    user = make_user()
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"email": user.email, "password": "bad guess 1"})
    assert client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).status_code == 201
    for _ in range(4):
        assert client.post("/api/v1/auth/token",
                           json={"email": user.email, "password": "bad guess 1"}).status_code == 401


def test_cookie_authenticated_api_writes_need_csrf(app_config, make_user):
    from app import create_app

    application = create_app(type("WithCsrf", (app_config,), {"WTF_CSRF_ENABLED": True}))
    client = application.test_client()
    user = make_user()
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert client.get("/api/v1/me").status_code == 200
    # Signing in starts a new session: the pages' scripts take the token of a page opened since.
    token = client.get("/").data.decode().split('name="csrf-token" content="')[1].split('"')[0]
    refused = client.patch("/api/v1/me", json={"name": "New Name"})
    assert refused.status_code == 403 and "X-CSRFToken" in refused.get_json()["detail"]
    accepted = client.patch("/api/v1/me", json={"name": "New Name"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.get_json()["name"] == "New Name"
