"""A token's "last used" time is kept without making reads write."""
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.accounts.models import ApiToken
from app.extensions import db
from tests.sql_statements import recorded_statements

START = datetime(2026, 11, 26, 1, 43, tzinfo=UTC)


def statements_during(action):
    with recorded_statements(db.engine) as sent:
        response = action()
    return response, [statement for statement, _ in sent]


def last_used(session):
    value = session.scalar(select(ApiToken.last_used_at))
    session.rollback()  # end the read, as a request does, so the deferred write is not blocked
    return value


def test_a_read_writes_nothing_before_it_answers_and_records_the_use_after(client, session, make_user, api_auth):
    user = make_user("coordinator")
    with time_machine.travel(START, tick=False):
        headers = api_auth.headers(user)
        response, statements = statements_during(lambda: client.get("/api/v1/me", headers=headers))
        writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
        assert response.status_code == 200
        assert writes == [] and last_used(session) is None
        response.close()  # the server has sent the answer
        assert last_used(session) == START


def test_reads_within_minutes_of_each_other_write_the_time_once(client, session, make_user, api_auth):
    user = make_user("coordinator")
    with time_machine.travel(START, tick=False) as clock:
        headers = api_auth.headers(user)
        client.get("/api/v1/me", headers=headers).close()
        clock.shift(timedelta(minutes=2))
        response, statements = statements_during(lambda: client.get("/api/v1/me", headers=headers).close())
        assert not [s for s in statements if "UPDATE" in s.upper()]
        assert last_used(session) == START
        clock.shift(timedelta(minutes=4))
        client.get("/api/v1/me", headers=headers).close()
        assert last_used(session) == START + timedelta(minutes=6)


def test_a_write_records_the_use_with_its_own_changes(client, session, make_user, api_auth):
    user = make_user("coordinator")
    with time_machine.travel(START, tick=False):
        headers = api_auth.headers(user)
        client.delete("/api/v1/auth/token", headers=headers)
        token = session.scalar(select(ApiToken))
        session.refresh(token)
        assert token.revoked_at == START and token.last_used_at == START
