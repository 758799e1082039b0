"""The equity alert over the known October: Nairobi's median wait (15 days) is more than twice the
network's (6.77 days)."""
from __future__ import annotations

from datetime import datetime

from tests.reports.conftest import READ_AT

from app.notifications.models import Notification
from app.notifications.texts import render
from app.reports.jobs import alert_unequal_waits, last_complete_month
from app.timekeeping import UTC


def test_coordinators_hear_once_per_site_and_month(session, history):
    assert alert_unequal_waits(session, READ_AT, factor=2.0, min_cases=2) == 1
    session.commit()
    assert alert_unequal_waits(session, READ_AT.replace(hour=21), factor=2.0, min_cases=2) == 0
    [notification] = session.query(Notification).all()
    assert notification.user_id == history.coordinator.id
    assert notification.link == f"/reports?from=2026-10-01&to=2026-10-31&site={history.nairobi.id}"
    english = render(notification.kind, notification.params, locale="en", zone="Asia/Shanghai")
    assert english.subject == ("Cases from Nairobi Teaching Hospital wait longer: a median of 15 days to discussion "
                               "against the network's 6.77")
    assert "From 1 Oct 2026 to 31 Oct 2026" in english.body and "(Kenya)" in english.body
    assert "(2 discussed)" in english.body and "more than 2 times" in english.body
    russian = render(notification.kind, notification.params, locale="ru", zone="Europe/Moscow")
    assert "Nairobi Teaching Hospital" in russian.subject and "6,77" in russian.subject


def test_no_alert_below_the_factor_or_the_minimum_of_cases(session, history):
    assert alert_unequal_waits(session, READ_AT, factor=2.5, min_cases=2) == 0   # 15 < 2.5 x 6.77
    assert alert_unequal_waits(session, READ_AT, factor=2.0, min_cases=3) == 0   # only 2 discussed
    # November has no discussed case yet: nothing to compare
    assert alert_unequal_waits(session, datetime(2026, 12, 2, tzinfo=UTC), factor=1.0, min_cases=1) == 0
    assert session.query(Notification).count() == 0


def test_the_month_looked_at():
    assert last_complete_month(datetime(2027, 1, 1, 0, 30, tzinfo=UTC)) == (datetime(2026, 12, 1).date(),
                                                                            datetime(2027, 1, 1).date())
    assert last_complete_month(READ_AT)[0].isoformat() == "2026-10-01"
