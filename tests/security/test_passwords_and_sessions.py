"""Weak passwords are refused; a password can be changed; signing out or changing the password ends
every session (a copied cookie stops working); the demo cannot be seeded in production."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

NEW_PASSWORD = "velvet quarry lantern 42"


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "password123", "Password123!", "meridian-demo", "short pw",
                                  "qwertyuiop123", "zzzzyyyyzzzzyyyy"])
def test_an_admin_cannot_give_anyone_a_weak_password(client, headers, make_user, organization, weak,
                                                     assert_problem):
    admin = make_user("admin")
    response = client.post("/api/v1/users", headers=headers(admin), json={
        "email": "new.person@example.org", "name": "New Person", "password": weak,
        "organization_id": organization.id, "roles": ["referrer"]})
    assert assert_problem(response, 422)["errors"][0]["field"] == "password"


def test_a_password_holding_the_e_mail_address_is_refused(client, headers, make_user, organization,
                                                          assert_problem):
    response = client.post("/api/v1/users", headers=headers(make_user("admin")), json={
        "email": "zhang.wei@example.org", "name": "Zhang Wei", "password": "zhang.wei is my password",
        "organization_id": organization.id, "roles": ["referrer"]})
    assert assert_problem(response, 422)["errors"][0]["field"] == "password"


def test_changing_my_password_over_the_api_ends_my_tokens(client, api_auth, make_user, assert_problem):
    user = make_user("specialist")
    old = {"Authorization": f"Bearer {api_auth.token_for(user)}"}
    wrong = client.post("/api/v1/me/password", headers=old,
                        json={"current_password": "not it at all", "new_password": NEW_PASSWORD})
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "current_password"
    weak = client.post("/api/v1/me/password", headers=old,
                       json={"current_password": PASSWORD, "new_password": "password123"})
    assert assert_problem(weak, 422)["errors"][0]["field"] == "new_password"
    assert client.post("/api/v1/me/password", headers=old,
                       json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 204
    assert client.get("/api/v1/me", headers=old).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).status_code == 401
    assert api_auth.token_for(user, NEW_PASSWORD)


def sign_in(client, user, password=PASSWORD):
    assert client.post("/login", data={"email": user.email, "password": password}).status_code == 302
    return client.get_cookie("session").value


def with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_cookie_copied_before_sign_out_stops_working(app, client, make_user):
    user = make_user("specialist")
    copied = sign_in(client, user)
    thief = with_cookie(app, copied)
    assert thief.get("/").status_code == 200
    client.post("/logout")
    assert thief.get("/").status_code == 302  # back to the sign-in page
    assert thief.get("/api/v1/me").status_code == 401


def test_changing_my_password_on_the_page_signs_out_everywhere_else(app, client, make_user):
    user = make_user("specialist")
    elsewhere = with_cookie(app, sign_in(app.test_client(), user))
    sign_in(client, user)
    assert client.get("/me/password").status_code == 200
    refused = client.post("/me/password", data={"current_password": PASSWORD, "new_password": "Password123!",
                                                "confirm": "Password123!"})
    assert refused.status_code == 422 and "most common passwords" in refused.get_data(as_text=True)
    changed = client.post("/me/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/").status_code == 200  # still signed in here
    assert elsewhere.get("/").status_code == 302  # signed out there
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_seed_demo_refuses_the_production_configuration(app_config):
    from app import create_app
    from app.accounts.models import User
    from app.extensions import db

    application = create_app(type("LikeProduction", (app_config,), {"DEMO_SEED_ALLOWED": False}))
    result = application.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output and "Traceback" not in result.output
    with application.app_context():
        assert db.session.query(User).count() == 0


def test_production_configuration_forbids_the_demo():
    from config import ProductionConfig

    assert ProductionConfig.DEMO_SEED_ALLOWED is False
