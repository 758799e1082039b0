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
