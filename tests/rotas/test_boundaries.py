"""Shift boundaries are the handoff wall-clock time in the rota's zone, converted with that
zone's real offsets, and shifts are contiguous: each ends exactly when the next begins."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.rotas import operations
from app.timekeeping import to_local

UTC = timezone.utc
BEFORE_2026 = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def hours(shift):
    return (shift.ends_at - shift.starts_at) / timedelta(hours=1)


def generate(session, rota, start, weeks):
    result = operations.generate(session, rota, start=start, weeks=weeks, at=BEFORE_2026)
    session.commit()
    return result.shifts


def assert_contiguous(shifts):
    for earlier, later in zip(shifts, shifts[1:]):
        assert earlier.ends_at == later.starts_at


@pytest.mark.parametrize("handoff, weekday, first, expected_starts, expected_hours", [
    # Sunday 02:30 London across spring-forward (29 March 2026): 02:30 GMT, then 02:30 BST
    ("02:30", 6, date(2026, 3, 22),
     [utc(2026, 3, 22, 2, 30), utc(2026, 3, 29, 1, 30), utc(2026, 4, 5, 1, 30)], [167, 168]),
    # ... and across fall-back (25 October 2026): 02:30 BST, then 02:30 GMT
    ("02:30", 6, date(2026, 10, 18),
     [utc(2026, 10, 18, 1, 30), utc(2026, 10, 25, 2, 30), utc(2026, 11, 1, 2, 30)], [169, 168]),
    # 01:30 does not exist on 29 March: moved forward by the gap to 02:30 BST (01:30Z)
    ("01:30", 6, date(2026, 3, 22),
     [utc(2026, 3, 22, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 4, 5, 0, 30)], [168, 167]),
    # 01:30 happens twice on 25 October: the first one (BST) is the handoff
    ("01:30", 6, date(2026, 10, 18),
     [utc(2026, 10, 18, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 1, 30)], [168, 169]),
])
def test_london_handoffs_across_daylight_saving(session, make_specialist, new_rota, handoff,
                                                 weekday, first, expected_starts, expected_hours):
    rota = new_rota([make_specialist(), make_specialist()], timezone="Europe/London",
                    handoff_weekday=weekday, handoff_time=handoff)
    shifts = generate(session, rota, first, 2)
    assert [s.starts_at for s in shifts] + [shifts[-1].ends_at] == expected_starts
    assert [hours(s) for s in shifts] == expected_hours
    assert_contiguous(shifts)


def test_lord_howe_half_hour_daylight_saving(session, make_specialist, new_rota):
    """Lord Howe Island moves its clocks by 30 minutes: weeks of 168.5 and 167.5 hours."""
    rota = new_rota([make_specialist(), make_specialist()], timezone="Australia/Lord_Howe",
                    handoff_weekday=0, handoff_time="08:00")
    april = generate(session, rota, date(2026, 3, 30), 2)
    # Monday 08:00 is 21:00Z (+11:00) before 5 April and 21:30Z (+10:30) after
    assert [s.starts_at for s in april] == [utc(2026, 3, 29, 21, 0), utc(2026, 4, 5, 21, 30)]
    assert [hours(s) for s in april] == [168.5, 168]
    october = generate(session, rota, date(2026, 9, 28), 2)
    assert [s.starts_at for s in october] == [utc(2026, 9, 27, 21, 30), utc(2026, 10, 4, 21, 0)]
    assert [hours(s) for s in october] == [167.5, 168]
    assert_contiguous(april)
    assert_contiguous(october)


def test_kathmandu_quarter_hour_offset_fortnightly(session, make_specialist, new_rota):
    """Friday 17:00 at +05:45 is 11:15Z; a fortnightly period is exactly 336 hours."""
    rota = new_rota([make_specialist("pathology", zone="Asia/Kathmandu"),
                     make_specialist("pathology")], discipline_code="pathology",
                    timezone="Asia/Kathmandu", handoff_weekday=4, handoff_time="17:00",
                    period_weeks=2)
    shifts = generate(session, rota, date(2026, 1, 2), 8)
    assert len(shifts) == 4
    assert shifts[0].starts_at == utc(2026, 1, 2, 11, 15)
    assert all(hours(s) == 336 for s in shifts)
    assert all(s.starts_at.minute == 15 for s in shifts)
    assert_contiguous(shifts)


def test_new_york_gap_moves_the_handoff_forward(session, make_specialist, new_rota):
    rota = new_rota([make_specialist(), make_specialist()], timezone="America/New_York",
                    handoff_weekday=6, handoff_time="02:30")
    shifts = generate(session, rota, date(2026, 3, 1), 2)
    # 8 March 02:30 does not exist; 03:30 EDT (07:30Z) is used, the same UTC instant as a week before
    assert [s.starts_at for s in shifts] == [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 30)]
    assert shifts[1].ends_at == utc(2026, 3, 15, 6, 30)


def test_a_year_of_shifts_is_contiguous_and_covers_every_instant(session, make_specialist, new_rota):
    members = [make_specialist(zone=zone) for zone in ("Europe/London", "Asia/Kolkata", "Asia/Almaty")]
    rota = new_rota(members, timezone="Europe/London", handoff_weekday=6, handoff_time="02:30")
    shifts = generate(session, rota, date(2026, 1, 4), 52)
    assert len(shifts) == 52
    assert_contiguous(shifts)
    assert sorted(hours(s) for s in shifts) == [167] + [168] * 50 + [169]
    # every handoff reads 02:30 on a Sunday on London's wall clock
    for shift in shifts:
        local = to_local(shift.starts_at, "Europe/London")
        assert (local.weekday(), local.hour, local.minute) == (6, 2, 30)
    # no member is on call twice in a row, and the load is even
    assert all(a.user_id != b.user_id for a, b in zip(shifts, shifts[1:]))
    counts = [sum(s.user_id == m.id for s in shifts) for m in members]
    assert max(counts) - min(counts) <= 1


def test_start_as_an_instant_means_the_first_handoff_at_or_after_it(session, make_specialist,
                                                                     new_rota):
    rota = new_rota([make_specialist(), make_specialist()])  # Monday 08:00 Asia/Shanghai
    shifts = generate(session, rota, utc(2026, 3, 2, 0, 0), 1)  # exactly Monday 08:00 +08:00
    assert shifts[0].starts_at == utc(2026, 3, 2, 0, 0)
    later = operations.generate(session, rota, start=utc(2026, 3, 2, 0, 1), weeks=1, at=BEFORE_2026)
    assert later.shifts[0].starts_at == utc(2026, 3, 9, 0, 0)
