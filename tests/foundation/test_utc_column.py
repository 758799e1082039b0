"""The UTCDateTime column keeps instants exact on every database and refuses naive ones."""
from datetime import datetime

import pytest
from sqlalchemy.exc import StatementError

from app.accounts.models import User
from app.timekeeping import NaiveDatetimeError, parse_instant


def test_round_trip_keeps_the_instant_and_returns_utc(session, make_user):
    user = make_user("referrer")
    user.locked_until = parse_instant("2026-10-25T01:30:00+01:00")  # a repeated hour in London
    session.commit()
    session.expire_all()
    loaded = session.get(User, user.id)
    assert loaded.locked_until == parse_instant("2026-10-25T00:30:00Z")
    assert loaded.locked_until.utcoffset().total_seconds() == 0


def test_naive_datetime_is_refused(session, make_user):
    user = make_user("referrer")
    user.locked_until = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(StatementError) as raised:
        session.commit()
    assert isinstance(raised.value.orig, NaiveDatetimeError)
    session.rollback()


def test_postgresql_reads_instants_in_utc_whatever_the_servers_zone(fresh_postgres_database):
    """A server (or database) whose default zone is not UTC still gives back UTC instants: each session
    starts in UTC, and UTCDateTime no longer converts values read from PostgreSQL."""
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

    from app.db import UTCDateTime
    from app.timekeeping import UTC, format_instant

    url = fresh_postgres_database("zone")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = connection.execute(text("SELECT current_database()")).scalar()
        connection.execute(text(f'ALTER DATABASE "{name}" SET timezone TO \'Asia/Kathmandu\''))
    admin.dispose()
    engine = create_engine(url)
    instants = Table("instants", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    try:
        with engine.begin() as connection:
            instants.create(connection)
            connection.execute(insert(instants).values(id=1, at=parse_instant("2026-03-29T09:30:15.5+05:45")))
            at = connection.execute(select(instants.c.at)).scalar_one()
            zone = connection.execute(text("SHOW timezone")).scalar_one()
        assert zone == "UTC"
        assert at.tzinfo is UTC
        assert format_instant(at) == "2026-03-29T03:45:15Z"
    finally:
        engine.dispose()
