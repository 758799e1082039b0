"""An admin's password reset takes the whole account back: the old password, every browser session
and every API token stop working at once (a token taken by whoever the reset shuts out must not
outlive it), and the person gets in again only through the link."""
from __future__ import annotations

from tests.conftest import PASSWORD
from tests.notifications.emailed_links import emailed_link

NEW_PASSWORD = "juniper harbour compass 58"


def test_a_token_taken_before_an_admin_reset_gets_401_afterwards(app, client, session, make_user, headers, api_auth,
                                                                 assert_problem):
    admin, person = make_user("admin"), make_user("specialist")
    taken = api_auth.headers(person)
    assert client.get("/api/v1/me", headers=taken).status_code == 200

    assert client.post(f"/api/v1/users/{person.id}/password-reset", headers=headers(admin)).status_code == 201

    assert_problem(client.get("/api/v1/me", headers=taken), 401)
    assert client.get("/api/v1/me", headers=headers(admin)).status_code == 200  # only that person's tokens
    assert client.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD}).status_code == 401
    # The link still lets the person back in, with a token that works.
    link = emailed_link(app, session, person)
    assert client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_auth.token_for(person, NEW_PASSWORD)}"}
                      ).status_code == 200


def test_a_reset_from_the_admin_page_ends_the_person_s_tokens_too(app, client, make_user, api_auth, assert_problem):
    admin, person = make_user("admin"), make_user("referrer")
    taken = api_auth.headers(person)
    admin_browser = app.test_client()
    assert admin_browser.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302

    assert admin_browser.post(f"/admin/users/{person.id}/reset").status_code == 302

    assert_problem(client.get("/api/v1/me", headers=taken), 401)



def test_a_deactivated_account_s_tokens_stay_ended_when_it_is_reactivated(client, make_user, headers, api_auth,
                                                                          assert_problem):
    admin, person = make_user("admin"), make_user("specialist")
    taken = api_auth.headers(person)
    assert client.patch(f"/api/v1/users/{person.id}", json={"is_active": False},
                        headers=headers(admin)).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=taken), 401)
    assert client.patch(f"/api/v1/users/{person.id}", json={"is_active": True},
                        headers=headers(admin)).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=taken), 401)  # signing in again gives a new one
    assert client.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD}).status_code == 201


def test_an_admin_cannot_deactivate_themself_through_the_api_either(client, make_user, headers, assert_problem):
    admin = make_user("admin")
    assert_problem(client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=headers(admin)), 403)
    assert client.get("/api/v1/me", headers=headers(admin)).status_code == 200
