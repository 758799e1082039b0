"""Someone's local time and zone in a domain message are kept as data (`LocalTime`, `ZoneName`) and written for
the reader at the edge: their wall-clock time in the reader's language and the zone by the place that names it;
logs (str(error)) keep ISO 8601 and the IANA id."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.errors import Conflict
from app.timekeeping import LocalTime, NaiveDatetimeError, ZoneName
from app.vocabulary import N_

TEMPLATE = N_("%(name)s does not work at this time (%(local_time)s in %(timezone)s); to book them "
              "anyway, override with a reason.")
# 20:15 UTC is 02:00 the next day in Kathmandu (UTC+05:45).
INSTANT = datetime(2026, 11, 25, 20, 15, tzinfo=timezone.utc)


def refusal() -> Conflict:
    return Conflict(TEMPLATE, params={"name": "Dr Rai", "local_time": LocalTime(INSTANT, "Asia/Kathmandu"),
                                      "timezone": ZoneName("Asia/Kathmandu")}, outside_working_hours=True)


def test_logs_keep_the_iso_time_and_the_zone_id():
    assert str(refusal()) == ("Dr Rai does not work at this time (2026-11-26T02:00:00+05:45 in Asia/Kathmandu); "
                              "to book them anyway, override with a reason.")


@pytest.mark.parametrize("accept, expected", [
    ("en", "Dr Rai does not work at this time (Thu 26 Nov, 02:00 in Kathmandu); to book them anyway, override "
           "with a reason."),
    ("ru-RU", "(чт, 26 нояб., 02:00, Катманду)"),
    ("zh-CN", "（加德满都 时间 11月26日周四 02:00）"),
])
def test_a_reader_gets_their_language_on_the_zones_own_clock(app, accept, expected):
    with app.test_request_context(headers={"Accept-Language": accept}):
        said = refusal().message
    assert expected in said
    assert "Asia/" not in said and "2026-11-26T" not in said


def test_a_local_time_is_an_instant_in_a_known_zone():
    with pytest.raises(NaiveDatetimeError):
        LocalTime(datetime(2026, 11, 26, 2, 0), "Asia/Kathmandu")
    with pytest.raises(ValueError):
        LocalTime(INSTANT, "Mars/Olympus_Mons")
    assert LocalTime(INSTANT, "Asia/Kathmandu") == LocalTime(INSTANT.astimezone(timezone.utc), "Asia/Kathmandu")
