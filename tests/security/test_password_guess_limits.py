"""Guessing a password is slowed wherever it can be tried, not only at sign-in: wrong current passwords
when changing one (the page and the API: a stolen session or token) wait and are limited as wrong
sign-ins are, and set-password links are submitted at the sign-in rate per address."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
CLINICIAN = {"REMOTE_ADDR": "198.51.100.20"}
NEW_PASSWORD = "harbour juniper lantern 71"


def sign_in(app, user, address):
    browser = app.test_client()
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD},
                        environ_base=address).status_code == 302
    return browser


def change(browser, current, address, new=NEW_PASSWORD):
    return browser.post("/me/password", data={"current_password": current, "new_password": new, "confirm": new},
                        environ_base=address)


def change_by_api(client, token, current, address):
    return client.post("/api/v1/me/password", headers={"Authorization": f"Bearer {token}"},
                       json={"current_password": current, "new_password": NEW_PASSWORD}, environ_base=address)


@pytest.mark.usefixtures("clock_standing_still")
class TestTheDelayAfterWrongGuesses:
    @pytest.fixture
    def app_config(self, app_config):
        return type("WithDelay", (app_config,), {"SIGN_IN_FREE_FAILURES": 2})

    def test_wrong_current_passwords_on_the_page_make_that_address_wait(self, app, make_user):
        user = make_user("specialist")
        thief = sign_in(app, user, ATTACKER)
        for _ in range(2):
            wrong = change(thief, "is it this one?", ATTACKER)
            assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
        waiting = change(thief, PASSWORD, ATTACKER)  # even the right one must wait now
        assert waiting.status_code == 429 and "try again in" in waiting.get_data(as_text=True)
        assert int(waiting.headers["Retry-After"]) >= 1
        # Signing in to that account from that address waits too: one count of wrong guesses.
        assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD},
                                      environ_base=ATTACKER).status_code == 429
        # The clinician, elsewhere, is not held up.
        assert change(sign_in(app, user, CLINICIAN), PASSWORD, CLINICIAN).status_code == 302

    def test_a_weak_new_password_is_no_wrong_guess(self, app, make_user):
        user = make_user("specialist")
        browser = sign_in(app, user, CLINICIAN)
        for _ in range(3):
            assert change(browser, PASSWORD, CLINICIAN, new="password123").status_code == 422
        assert change(browser, PASSWORD, CLINICIAN).status_code == 302

    def test_wrong_current_passwords_over_the_api_make_that_address_wait(self, client, make_user, api_auth,
                                                                        assert_problem):
        user = make_user("specialist")
        stolen = api_auth.token_for(user)
        for _ in range(2):
            assert_problem(change_by_api(client, stolen, "is it this one?", ATTACKER), 422)
        waiting = change_by_api(client, stolen, PASSWORD, ATTACKER)
        assert "try again in" in assert_problem(waiting, 429)["detail"]
        assert int(waiting.headers["Retry-After"]) >= 1
        assert change_by_api(client, stolen, PASSWORD, CLINICIAN).status_code == 204


class TestTheRateLimits:
    @pytest.fixture
    def app_config(self, app_config):
        return type("WithLimits", (app_config,), {"FAILED_SIGN_IN_LIMIT_PER_ACCOUNT": "3 per minute",
                                                  "SIGN_IN_LIMIT_PER_ADDRESS": "2 per minute"})

    def test_wrong_current_passwords_for_one_account_are_limited_over_page_and_api(self, app, client, make_user,
                                                                                  api_auth, assert_problem):
        user, colleague = make_user("specialist"), make_user("specialist")
        stolen = api_auth.token_for(user)
        thief = sign_in(app, user, ATTACKER)
        assert change(thief, "guess one", ATTACKER).status_code == 422
        assert change(thief, "guess two", {"REMOTE_ADDR": "192.0.2.2"}).status_code == 422
        assert_problem(change_by_api(client, stolen, "guess three", {"REMOTE_ADDR": "192.0.2.3"}), 422)
        assert change(thief, PASSWORD, {"REMOTE_ADDR": "192.0.2.4"}).status_code == 429
        assert_problem(change_by_api(client, stolen, PASSWORD, {"REMOTE_ADDR": "192.0.2.5"}), 429)
        # Another person's account is not affected.
        assert change(sign_in(app, colleague, CLINICIAN), PASSWORD, CLINICIAN).status_code == 302

    def test_set_password_links_are_submitted_at_the_sign_in_rate_per_address(self, client):
        form = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        for number in range(2):
            assert client.post(f"/set-password/guess-{number}", data=form, environ_base=ATTACKER).status_code == 404
        limited = client.post("/set-password/guess-9", data=form, environ_base=ATTACKER)
        assert limited.status_code == 429 and limited.headers["Retry-After"]
        assert client.get("/set-password/guess-9", environ_base=ATTACKER).status_code == 404  # opening is no guess
        assert client.post("/set-password/guess-9", data=form, environ_base=CLINICIAN).status_code == 404
        # Other pages are not counted against it.
        assert client.post("/login", data={"email": "nobody@example.org", "password": "x"},
                           environ_base=ATTACKER).status_code == 401
