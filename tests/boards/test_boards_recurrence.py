"""A board's recurrence: host wall clock fixed across DST, gap and repeated-hour policies,
fortnight parity, and agreement with an independent brute-force model."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.boards.recurrence import meets_on, next_occurrence, occurrence_on, occurrences
from app.timekeeping import to_local
from tests.boards.recurrence_model import model_occurrences, transition_days

UTC = timezone.utc


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def starts(found):
    return [(day, begins) for day, begins, _ in found]


def test_london_host_clock_stays_at_14_00_so_utc_moves():
    found = occurrences(3, time(14), "Europe/London", 1, date(2026, 1, 1), 120,
                        utc(2026, 3, 20), utc(2026, 4, 6))
    assert starts(found) == [(date(2026, 3, 26), utc(2026, 3, 26, 14)),   # GMT
                             (date(2026, 4, 2), utc(2026, 4, 2, 13))]     # BST
    assert all(end - begins == timedelta(minutes=120) for _, begins, end in found)
    autumn = occurrences(3, time(14), "Europe/London", 1, date(2026, 1, 1), 120,
                         utc(2026, 10, 20), utc(2026, 11, 3))
    assert starts(autumn) == [(date(2026, 10, 22), utc(2026, 10, 22, 13)),
                              (date(2026, 10, 29), utc(2026, 10, 29, 14))]


def test_santiago_southern_hemisphere_both_changes():
    # Chile: -03 in summer; back to -04 on the first Sunday of April, forward in September.
    found = occurrences(2, time(10), "America/Santiago", 1, date(2026, 1, 7), 90,
                        utc(2026, 3, 30), utc(2026, 4, 10))
    assert starts(found) == [(date(2026, 4, 1), utc(2026, 4, 1, 13)), (date(2026, 4, 8), utc(2026, 4, 8, 14))]
    found = occurrences(2, time(10), "America/Santiago", 1, date(2026, 1, 7), 90,
                        utc(2026, 9, 1), utc(2026, 9, 11))
    assert starts(found) == [(date(2026, 9, 2), utc(2026, 9, 2, 14)), (date(2026, 9, 9), utc(2026, 9, 9, 13))]


@pytest.mark.parametrize("zone, day, start, expected_utc, expected_local", [
    # gaps: shifted forward by the gap
    ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 30), "02:30"),
    ("America/Santiago", date(2026, 9, 6), time(0, 30), utc(2026, 9, 6, 4, 30), "01:30"),
    ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 45), "02:45"),
    ("America/New_York", date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7), "03:00"),
    # repeated hours: the first of the two
    ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30), "01:30"),
    ("America/Santiago", date(2026, 4, 4), time(23, 30), utc(2026, 4, 5, 2, 30), "23:30"),
    ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45), "01:45"),
    # negative DST in the tz database (Irish winter time, Moroccan Ramadan time): still the first
    ("Europe/Dublin", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30), "01:30"),
    ("Africa/Casablanca", date(2026, 2, 15), time(2, 30), utc(2026, 2, 15, 1, 30), "02:30"),
    # no DST, odd offset
    ("Asia/Kathmandu", date(2026, 3, 29), time(14), utc(2026, 3, 29, 8, 15), "14:00"),
])
def test_gap_and_repeated_hour_policies(zone, day, start, expected_utc, expected_local):
    found = occurrence_on(day, day.weekday(), start, zone, 1, day, 60)
    assert found.starts_at == expected_utc
    assert found.ends_at == expected_utc + timedelta(minutes=60)
    assert to_local(found.starts_at, zone).strftime("%H:%M") == expected_local


def test_duration_is_real_time_across_a_change():
    # 01:00 London on the October change, 120 minutes: ends 02:00 GMT (the clock shows 1 hour later)
    found = occurrence_on(date(2026, 10, 25), 6, time(1), "Europe/London", 1, date(2026, 10, 25), 120)
    assert (found.starts_at, found.ends_at) == (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))


def test_fortnightly_parity_from_the_anchor_week():
    anchor = date(2026, 3, 5)  # a Thursday
    found = occurrences(3, time(14), "Asia/Shanghai", 2, anchor, 120, utc(2026, 2, 1), utc(2026, 4, 10))
    assert [day for day, _, _ in found] == [date(2026, 2, 5), date(2026, 2, 19), date(2026, 3, 5),
                                            date(2026, 3, 19), date(2026, 4, 2)]
    assert not meets_on(date(2026, 3, 12), 3, 2, anchor)
    # only the anchor's week counts: any day of that week gives the same parity
    assert meets_on(date(2026, 3, 19), 3, 2, date(2026, 3, 2)) and meets_on(date(2026, 3, 19), 3, 2, date(2026, 3, 8))
    assert not meets_on(date(2026, 3, 19), 3, 2, date(2026, 3, 9))


def test_window_is_half_open_and_next_occurrence():
    first = utc(2026, 3, 5, 6)  # Thursday 14:00 Asia/Shanghai
    assert starts(occurrences(3, time(14), "Asia/Shanghai", 1, date(2026, 3, 5), 60, first, first + timedelta(days=7))) \
        == [(date(2026, 3, 5), first)]
    assert occurrences(3, time(14), "Asia/Shanghai", 1, date(2026, 3, 5), 60, first - timedelta(days=7), first) \
        [-1].starts_at == first - timedelta(days=7)
    assert next_occurrence(3, time(14), "Asia/Shanghai", 2, date(2026, 3, 5), 60,
                           first + timedelta(seconds=1)).local_date == date(2026, 3, 19)


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        occurrences(7, time(14), "Asia/Shanghai", 1, date(2026, 3, 5), 60, utc(2026, 1, 1), utc(2026, 2, 1))
    with pytest.raises(ValueError):
        occurrences(3, time(14), "Asia/Shanghai", 3, date(2026, 3, 5), 60, utc(2026, 1, 1), utc(2026, 2, 1))
    with pytest.raises(ValueError):
        occurrences(3, time(14), "Mars/Base", 1, date(2026, 3, 5), 60, utc(2026, 1, 1), utc(2026, 2, 1))
    with pytest.raises(ValueError):
        occurrences(3, time(14), "Asia/Shanghai", 1, date(2026, 3, 5), 60, datetime(2026, 1, 1), utc(2026, 2, 1))


# --- property: agrees with the brute-force model ------------------------------------------------

ZONES = ("Europe/London", "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/New_York", "Pacific/Auckland", "Pacific/Chatham", "America/Havana", "Europe/Dublin",
         "Africa/Casablanca", "Asia/Shanghai", "America/Asuncion", "Asia/Tehran")
NEAR_CHANGES = tuple(time(hour, minute) for hour in (0, 1, 2, 3, 23) for minute in (0, 15, 30, 45))


@st.composite
def rules(draw):
    zone = draw(st.sampled_from(ZONES))
    changes = transition_days(zone)
    if changes and draw(st.booleans()):
        centre = datetime.combine(draw(st.sampled_from(changes)), time(0), UTC)
        start = centre - timedelta(minutes=draw(st.integers(0, 21 * 24 * 60)))
    else:
        start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 8 * 365 * 24 * 60)))
    length = timedelta(minutes=draw(st.integers(1, 42 * 24 * 60)))
    start_time = draw(st.one_of(st.sampled_from(NEAR_CHANGES),
                                st.builds(time, st.integers(0, 23), st.integers(0, 59))))
    return {
        "weekday": draw(st.integers(0, 6)), "start_time": start_time, "zone": zone,
        "interval_weeks": draw(st.sampled_from((1, 2))),
        "anchor_date": date(2025, 1, 1) + timedelta(days=draw(st.integers(-800, 800))),
        "duration": timedelta(minutes=draw(st.integers(15, 720))),
        "from_instant": start, "to_instant": start + length,
    }


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules())
def test_occurrences_agree_with_the_brute_force_model(rule):
    got = occurrences(rule["weekday"], rule["start_time"], rule["zone"], rule["interval_weeks"],
                      rule["anchor_date"], rule["duration"], rule["from_instant"], rule["to_instant"])
    expected = model_occurrences(rule["weekday"], rule["start_time"], rule["zone"], rule["interval_weeks"],
                                 rule["anchor_date"], rule["duration"], rule["from_instant"], rule["to_instant"])
    assert [tuple(item) for item in got] == expected
    for _, begins, ends in got:
        assert begins.tzinfo is not None and begins.utcoffset() == timedelta(0)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), start_time=st.sampled_from(NEAR_CHANGES), data=st.data())
def test_every_change_day_agrees_with_the_model(zone, start_time, data):
    """Aimed straight at the local dates of offset changes, where the policies apply."""
    changes = transition_days(zone)
    assume(changes)
    day = data.draw(st.sampled_from(changes)) + timedelta(days=data.draw(st.integers(-1, 1)))
    got = occurrence_on(day, day.weekday(), start_time, zone, 1, day, 60)
    expected = model_occurrences(day.weekday(), start_time, zone, 1, day, timedelta(minutes=60),
                                 got.starts_at - timedelta(days=1), got.starts_at + timedelta(days=1))
    assert (day, got.starts_at, got.ends_at) in expected
