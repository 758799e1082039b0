"""Signing in starts a new session (with CSRF protection on, as in production): a form token issued
before sign-in, which someone else may have planted or read, is refused afterwards; a page opened
after sign-in carries a new one. The language chosen before signing in stays."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def app_config(app_config):
    return type("WithCsrf", (app_config,), {"WTF_CSRF_ENABLED": True})


def form_token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_a_form_token_from_before_sign_in_is_refused_after_it(client, make_user):
    user = make_user("specialist")
    before = form_token(client.get("/login"))
    assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": before}).status_code == 302

    refused = client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400
    assert "The form expired or was not sent from this site" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still signed in: the forged sign-out did nothing

    after = form_token(client.get("/"))
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
    assert client.get("/").status_code == 302  # signed out, back to the sign-in page


def test_the_language_chosen_before_sign_in_stays(client, make_user):
    user = make_user("specialist")
    token = form_token(client.get("/login"))
    assert client.post("/language", data={"locale": "ru", "csrf_token": token}).status_code == 302
    assert 'lang="ru"' in client.get("/login").get_data(as_text=True)

    assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    assert 'lang="ru"' in client.get("/").get_data(as_text=True)
