"""Guessing passwords is slowed, never turned into a lockout of the clinician; the API is rate
limited per token; argon2 work is bounded."""
from __future__ import annotations

import os

import pytest

from app.accounts import passwords
from tests.conftest import PASSWORD

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
CLINICIAN = {"REMOTE_ADDR": "198.51.100.20"}
pytestmark = pytest.mark.usefixtures("clock_standing_still")


@pytest.fixture
def app_config(app_config):
    return type("WithLimits", (app_config,), {
        "SIGN_IN_FREE_FAILURES": 3, "SIGN_IN_LIMIT_PER_ADDRESS": "4 per minute",
        "FAILED_SIGN_IN_LIMIT_PER_ACCOUNT": "6 per minute", "API_LIMIT_PER_TOKEN": "5 per minute"})


def token(client, email, password, address):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                       environ_base=address)


def test_failures_slow_down_that_address_but_never_lock_the_clinician_out(client, make_user, assert_problem):
    clinician = make_user("specialist")
    for _ in range(3):
        assert token(client, clinician.email, "wrong guess", ATTACKER).status_code == 401
    # The guesser now has to wait, even with the right password...
    waiting = token(client, clinician.email, PASSWORD, ATTACKER)
    assert "try again in" in assert_problem(waiting, 429)["detail"]
    assert int(waiting.headers["Retry-After"]) >= 1
    # ...while the clinician, elsewhere, signs in at once, on the API and on the page.
    assert token(client, clinician.email, PASSWORD, CLINICIAN).status_code == 201
    page = client.post("/login", data={"email": clinician.email, "password": PASSWORD}, environ_base=CLINICIAN)
    assert page.status_code == 302


def test_the_sign_in_page_shows_the_wait(client, make_user):
    clinician = make_user("specialist")
    for _ in range(3):
        client.post("/login", data={"email": clinician.email, "password": "wrong guess"}, environ_base=ATTACKER)
    page = client.post("/login", data={"email": clinician.email, "password": PASSWORD}, environ_base=ATTACKER)
    assert page.status_code == 429 and "try again in" in page.get_data(as_text=True)


def test_one_address_trying_many_accounts_is_limited(client, make_user, assert_problem):
    for number in range(4):
        assert token(client, f"nobody{number}@example.org", "guess", ATTACKER).status_code == 401
    refused = assert_problem(token(client, "nobody9@example.org", "guess", ATTACKER), 429)
    assert refused["status"] == 429
    assert token(client, "nobody9@example.org", "guess", CLINICIAN).status_code == 401


def test_failed_sign_ins_for_one_account_are_limited_across_addresses(client, make_user, assert_problem):
    clinician = make_user("specialist")
    for number in range(6):  # below each address's own limit
        address = {"REMOTE_ADDR": f"192.0.2.{number + 1}"}
        assert token(client, clinician.email, "wrong guess", address).status_code == 401
    assert_problem(token(client, clinician.email, "wrong guess", {"REMOTE_ADDR": "192.0.2.99"}), 429)


def test_the_api_is_limited_per_token(client, make_user, api_auth, assert_problem):
    first, second = api_auth.headers(make_user()), api_auth.headers(make_user())
    for _ in range(5):
        assert client.get("/api/v1/me", headers=first).status_code == 200
    limited = assert_problem(client.get("/api/v1/me", headers=first), 429)
    assert limited["detail"]
    assert client.get("/api/v1/me", headers=first).headers["Retry-After"]
    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_when_every_argon2_slot_is_busy_sign_in_is_told_to_retry(client, make_user, monkeypatch,
                                                                  assert_problem):
    clinician = make_user("specialist")
    monkeypatch.setattr(passwords, "SLOT_WAIT_SECONDS", 0)
    passwords.configure(1, 64, concurrency=1)
    held = passwords._slots
    held.acquire()
    try:
        busy = assert_problem(token(client, clinician.email, PASSWORD, CLINICIAN), 429)
        assert "try again" in busy["detail"]
    finally:
        held.release()
    assert token(client, clinician.email, PASSWORD, CLINICIAN).status_code == 201


def test_behind_a_trusted_proxy_each_client_is_limited_by_its_own_address(app_config, make_user):
    from app import create_app

    application = create_app(type("BehindProxy", (app_config,), {"TRUSTED_PROXY_HOPS": 1}))
    client = application.test_client()
    clinician = make_user("specialist")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(3):
        client.post("/api/v1/auth/token", json={"email": clinician.email, "password": "wrong guess"},
                    environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.9"})
    waiting = client.post("/api/v1/auth/token", json={"email": clinician.email, "password": PASSWORD},
                          environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.9"})
    assert waiting.status_code == 429
    elsewhere = client.post("/api/v1/auth/token", json={"email": clinician.email, "password": PASSWORD},
                            environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.20"})
    assert elsewhere.status_code == 201  # another client behind the same proxy is not held up


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
def test_with_redis_the_limits_hold_across_processes(app_config, make_user):
    """Two app instances (two web processes) share one count through Redis."""
    import uuid

    from app import create_app

    from flask import Flask

    from app.ratelimit import init_rate_limits

    bare = Flask(__name__)
    bare.config["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    init_rate_limits(bare)
    assert bare.config["RATELIMIT_STORAGE_URI"] == os.environ["TEST_REDIS_URL"]  # REDIS_URL is used
    # Not REDIS_URL itself here: that would also give this process's Socket.IO a message queue.
    prefix = f"meridian-test-{uuid.uuid4().hex}"
    shared = type("WithRedis", (app_config,), {"RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"],
                                               "RATELIMIT_KEY_PREFIX": prefix})
    try:
        first = create_app(shared).test_client()
        for number in range(4):
            assert token(first, f"nobody{number}@example.org", "guess", ATTACKER).status_code == 401
        second = create_app(shared).test_client()
        assert token(second, "nobody9@example.org", "guess", ATTACKER).status_code == 429
    finally:  # the limits' counters are this test's own: leave the server as it was
        import redis

        client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
