from datetime import date, datetime, timedelta, timezone

import pytest

from app import timekeeping as tk


def test_now_is_aware_utc():
    now = tk.now_utc()
    assert now.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text,expected", [
    ("2026-03-29T01:30:00Z", datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
    ("2026-03-29T07:15:00+05:45", datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
    ("2026-03-28T21:30-04:00", datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
    ("2026-03-29T01:30:00.250Z", datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=timezone.utc)),
])
def test_parse_instant_accepts_offsets(text, expected):
    assert tk.parse_instant(text) == expected
    assert tk.parse_instant(text).tzinfo is tk.UTC


@pytest.mark.parametrize("text", [
    "2026-03-29T01:30:00", "2026-02-30T00:00:00Z", "2026-03-29T25:00:00Z", "yesterday",
    "2026-03-29T01:30:00+25:00", "",
])
def test_parse_instant_refuses_naive_and_malformed(text):
    with pytest.raises(ValueError):
        tk.parse_instant(text)


def test_ensure_utc_refuses_naive():
    with pytest.raises(tk.NaiveDatetimeError):
        tk.ensure_utc(datetime(2026, 1, 1, 12, 0))


def test_format_instant_is_utc_with_z():
    value = tk.parse_instant("2026-10-25T01:30:00+01:00")
    assert tk.format_instant(value) == "2026-10-25T00:30:00Z"


def test_validate_zone():
    assert tk.validate_zone("Asia/Kathmandu") == "Asia/Kathmandu"
    for bad in ("Mars/Olympus", "asia/kathmandu", "", None):
        with pytest.raises(ValueError):
            tk.validate_zone(bad)


def test_to_local_uses_real_offsets():
    instant = tk.parse_instant("2026-06-01T00:00:00Z")
    assert tk.to_local(instant, "Asia/Kathmandu").strftime("%H:%M %z") == "05:45 +0545"
    assert tk.to_local(instant, "Asia/Kolkata").strftime("%H:%M") == "05:30"
    assert tk.to_local(instant, "Australia/Lord_Howe").strftime("%H:%M %z") == "10:30 +1030"
    winter = tk.parse_instant("2026-01-01T00:00:00Z")
    assert tk.to_local(winter, "Australia/Lord_Howe").strftime("%H:%M %z") == "11:00 +1100"


def test_from_local_spring_forward_gap_shifts_or_raises():
    # Europe/London jumps 01:00 -> 02:00 on 2026-03-29.
    wall = datetime(2026, 3, 29, 1, 30)
    assert tk.from_local(wall, "Europe/London") == tk.parse_instant("2026-03-29T01:30:00Z")
    assert tk.to_local(tk.from_local(wall, "Europe/London"), "Europe/London").hour == 2
    with pytest.raises(ValueError, match="does not exist"):
        tk.from_local(wall, "Europe/London", nonexistent="raise")


def test_from_local_repeated_hour_picks_occurrence():
    # Europe/London repeats 01:00-02:00 on 2026-10-25.
    wall = datetime(2026, 10, 25, 1, 30)
    earlier = tk.from_local(wall, "Europe/London", ambiguous="earlier")
    later = tk.from_local(wall, "Europe/London", ambiguous="later")
    assert earlier == tk.parse_instant("2026-10-25T00:30:00Z")
    assert later == tk.parse_instant("2026-10-25T01:30:00Z")
    with pytest.raises(ValueError, match="twice"):
        tk.from_local(wall, "Europe/London", ambiguous="raise")


def test_from_local_lord_howe_half_hour_shift():
    # Lord Howe moves from +10:30 to +11:00 at 02:00 local on 2026-10-04: 02:00-02:30 does not exist.
    assert tk.from_local(datetime(2026, 10, 4, 1, 59), "Australia/Lord_Howe") == tk.parse_instant(
        "2026-10-03T15:29:00Z")
    with pytest.raises(ValueError):
        tk.from_local(datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe", nonexistent="raise")
    assert tk.from_local(datetime(2026, 10, 4, 2, 30), "Australia/Lord_Howe") == tk.parse_instant(
        "2026-10-03T15:30:00Z")


def test_from_local_refuses_aware_input():
    with pytest.raises(ValueError):
        tk.from_local(tk.now_utc(), "Asia/Shanghai")


def test_local_midnight_when_midnight_is_skipped():
    # America/Santiago springs forward at 24:00 on 2026-09-05: 2026-09-06 starts at 01:00 local.
    start = tk.local_midnight(date(2026, 9, 6), "America/Santiago")
    assert tk.to_local(start, "America/Santiago").strftime("%Y-%m-%d %H:%M") == "2026-09-06 01:00"


def test_offset_label():
    instant = tk.parse_instant("2026-06-01T00:00:00Z")
    assert tk.utc_offset_label(instant, "Asia/Kathmandu") == "+05:45"
    assert tk.utc_offset_label(instant, "America/St_Johns") == "-02:30"


def test_from_local_repeated_hour_where_winter_is_the_dst_reading():
    # Europe/Dublin's tz data treats winter time as a negative DST; "earlier" must still be earlier.
    wall = datetime(2026, 10, 25, 1, 30)
    assert tk.from_local(wall, "Europe/Dublin", ambiguous="earlier") == tk.parse_instant("2026-10-25T00:30:00Z")
    assert tk.from_local(wall, "Europe/Dublin", ambiguous="later") == tk.parse_instant("2026-10-25T01:30:00Z")


def test_from_local_gap_shifts_forward_where_winter_is_the_dst_reading():
    # Europe/Dublin jumps 01:00 -> 02:00 on 2026-03-29; 01:30 becomes 02:30 local (01:30Z).
    assert tk.from_local(datetime(2026, 3, 29, 1, 30), "Europe/Dublin") == tk.parse_instant("2026-03-29T01:30:00Z")


# --- Instants as each reader writes them ----------------------------------------------------------

READER_INSTANT = datetime(2026, 11, 26, 1, 43, tzinfo=timezone.utc)


def test_an_instant_in_each_readers_zone_and_language():
    assert tk.format_for_reader(READER_INSTANT, "Asia/Shanghai", "en") == \
        "Thu, 26 Nov 2026, 09:43 (Asia/Shanghai, UTC+08:00)"
    assert tk.format_for_reader(READER_INSTANT, "Asia/Shanghai", "zh") == "2026年11月26日周四 09:43 (上海, UTC+08:00)"
    assert tk.format_for_reader(READER_INSTANT, "Europe/Moscow", "ru") == \
        "чт, 26 нояб. 2026\u202fг., 04:43 (Москва, UTC+03:00)"
    assert tk.format_for_reader(READER_INSTANT, "Europe/Moscow", "ru", "time", name_zone=False) == "04:43"
    assert tk.format_for_reader(READER_INSTANT, "Asia/Kathmandu", "en", "weekday_time") == \
        "Thu, 07:28 (Asia/Kathmandu, UTC+05:45)"


def test_days_weekdays_and_spans_in_the_readers_language():
    from datetime import date

    assert tk.format_day_for_reader(date(2026, 12, 1), "ru") == "1 дек. 2026\u202fг."
    assert tk.format_day_for_reader(date(2026, 12, 1), "zh", "weekday_day") == "12月1日周二"
    assert tk.weekday_for_reader(0, "zh") == "星期一" and tk.weekday_for_reader(0, "ru") == "понедельник"
    assert tk.format_relative_for_reader(timedelta(days=2), "ru") == "через 2 дня"
    assert tk.format_relative_for_reader(timedelta(hours=-3), "en") == "3 hours ago"
    assert tk.format_duration_for_reader(timedelta(days=5), "zh") == "5天"
