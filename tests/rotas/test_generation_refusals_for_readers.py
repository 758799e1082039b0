"""Refusals to generate shifts: a start outside the supported years is a 422 on `start` (never a 500), and
every refusal reads in the reader's language, with weekdays, dates and instants shown as they write them
(the domain keeps a weekday's index, ISO dates and instants; the edge shows them)."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, InvalidInput
from app.rotas import operations
from app.rotas.models import OnCallShift
from app.timekeeping import YEAR_RANGE_MESSAGE, format_day_for_reader, format_for_reader, weekday_for_reader
from rota_helpers import assert_problem

UTC = timezone.utc
AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday, after that day's 08:00 Shanghai handoff (00:00Z)
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ENGLISH_DAYS_AND_MONTHS = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
    r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def shift_count(session) -> int:
    return session.scalar(select(func.count()).select_from(OnCallShift))


@pytest.fixture
def pair(make_specialist):
    return [make_specialist(name="Ana", zone="Asia/Kolkata"), make_specialist(name="Bo", zone="Asia/Almaty")]


# --- the supported years ------------------------------------------------------------------------------------


@pytest.mark.parametrize("handoff_weekday", [0, 6])  # 0001-01-01 is a Monday, 9999-12-26 a Sunday
@pytest.mark.parametrize("start", [date(9999, 12, 26), date(1, 1, 1), date(1899, 12, 31), date(2200, 1, 6)])
def test_a_start_outside_the_supported_years_is_refused_on_start(session, pair, new_rota, start, handoff_weekday):
    rota = new_rota(pair, handoff_weekday=handoff_weekday)
    with pytest.raises(InvalidInput) as refusal:
        operations.generate(session, rota, start=start, weeks=1, at=AT)
    assert refusal.value.field == "start" and refusal.value.template == YEAR_RANGE_MESSAGE
    assert "1900" in refusal.value.message and "2199" in refusal.value.message
    session.rollback()
    assert shift_count(session) == 0


def test_the_last_supported_year_still_generates_a_whole_year(session, make_specialist, new_rota):
    rota = new_rota([make_specialist(licence_expires=date(2200, 12, 31)) for _ in range(2)])
    # Monday 08:00 Shanghai; 30 Dec 2199 is a Monday
    result = operations.generate(session, rota, start=date(2199, 12, 30), weeks=52, at=AT)
    assert len(result.shifts) == 52 and result.shifts[-1].ends_at.year == 2200


@pytest.mark.parametrize("start", ["9999-12-26", "0001-01-01"])
def test_the_api_refuses_a_start_outside_the_supported_years(client, session, api_auth, coordinator, pair,
                                                              new_rota, start):
    for handoff_weekday in (0, 6):
        rota = new_rota(pair, name=f"Radiology {handoff_weekday}", handoff_weekday=handoff_weekday)
        problem = assert_problem(client.post(f"/api/v1/rotas/{rota.id}/generate", headers=api_auth.headers(coordinator),
                                             json={"start": start, "weeks": 1}), 422)
        assert problem["errors"] == [{"field": "start", "message": "must be between the years 1900 and 2199"}]
    assert shift_count(session) == 0


# --- a start that is not a handoff day ----------------------------------------------------------------------


def test_a_start_that_is_not_a_handoff_day_names_both_weekdays_in_english_for_the_log(session, pair, new_rota):
    rota = new_rota(pair)
    with pytest.raises(InvalidInput) as refusal:
        operations.generate(session, rota, start=date(2026, 12, 8), weeks=1, at=AT)
    assert refusal.value.field == "start"
    assert str(refusal.value) == ("2026-12-08 is a Tuesday; this rota's handoff day is Monday "
                                  "(e.g. 2026-12-07 or 2026-12-14)")


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_a_start_that_is_not_a_handoff_day_reads_in_the_readers_language(client, api_auth, coordinator, pair,
                                                                         new_rota, language):
    rota = new_rota(pair)   # hands off on Mondays
    problem = assert_problem(client.post(f"/api/v1/rotas/{rota.id}/generate",
                                         headers={**api_auth.headers(coordinator), "Accept-Language": language},
                                         json={"start": "2026-12-08", "weeks": 1}), 422)
    [error] = problem["errors"]
    message = error["message"]
    assert error["field"] == "start"
    assert not ENGLISH_DAYS_AND_MONTHS.search(message) and not ISO_DATE.search(message), message
    assert weekday_for_reader(1, language) in message and weekday_for_reader(0, language) in message
    for day in (date(2026, 12, 8), date(2026, 12, 7), date(2026, 12, 14)):
        assert format_day_for_reader(day, language) in message, message


# --- every period has begun ---------------------------------------------------------------------------------


def test_when_every_period_has_begun_the_next_handoff_after_now_is_named(session, pair, new_rota):
    rota = new_rota(pair)
    with pytest.raises(InvalidInput) as refusal:
        operations.generate(session, rota, start=date(2025, 11, 3), weeks=1, at=AT)
    assert refusal.value.field == "start"
    assert refusal.value.params == {"upcoming_at": "2026-01-12T00:00:00Z"}   # Monday 12 Jan, 08:00 Shanghai


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_the_next_handoff_reads_in_the_readers_zone_and_language(client, clock, api_auth, make_user, pair,
                                                                 new_rota, language):
    reader = make_user("coordinator", email=f"reader-{language}@example.org", display_timezone="Europe/Moscow",
                       locale=language)
    rota = new_rota(pair)
    clock.now = AT
    problem = assert_problem(client.post(f"/api/v1/rotas/{rota.id}/generate", headers=api_auth.headers(reader),
                                         json={"start": "2025-11-03", "weeks": 1}), 422)
    message = problem["errors"][0]["message"]
    assert not ISO_INSTANT.search(message), message
    assert format_for_reader(datetime(2026, 1, 12, 0, 0, tzinfo=UTC), "Europe/Moscow", language) in message, message


# --- shifts crossing the edge of the range ------------------------------------------------------------------


def fortnightly(session, pair, new_rota):
    """A fortnightly rota (Monday 08:00 Shanghai) with four shifts from Monday 2 March 2026: 2, 16, 30 March and
    13 April to 27 April."""
    rota = new_rota(pair, period_weeks=2)
    operations.generate(session, rota, start=date(2026, 3, 2), weeks=8, at=AT)
    session.commit()
    return rota


def test_one_shift_crossing_an_edge_is_named_with_its_instants(session, pair, new_rota):
    rota = fortnightly(session, pair, new_rota)
    crossing = session.scalar(select(OnCallShift).where(OnCallShift.rota_id == rota.id)
                              .order_by(OnCallShift.starts_at))
    with pytest.raises(Conflict) as refusal:
        operations.generate(session, rota, start=date(2026, 3, 9), weeks=8, at=AT)   # to 4 May: past the last
    assert refusal.value.extra["shift_ids"] == [crossing.id]
    assert refusal.value.params == {
        "shift_id": crossing.id, "shift_starts_at": "2026-03-02T00:00:00Z", "shift_ends_at": "2026-03-16T00:00:00Z",
        "range_starts_at": "2026-03-09T00:00:00Z", "range_ends_at": "2026-05-04T00:00:00Z"}
    assert "cross the edge" in str(refusal.value)


def test_shifts_crossing_both_edges_read_in_the_readers_zone_and_language(client, clock, session, api_auth,
                                                                          make_user, pair, new_rota):
    reader = make_user("coordinator", email="reader@example.org", display_timezone="Asia/Kolkata", locale="ru")
    rota = fortnightly(session, pair, new_rota)
    first, *_, last = session.scalars(select(OnCallShift).where(OnCallShift.rota_id == rota.id)
                                      .order_by(OnCallShift.starts_at)).all()
    clock.now = AT
    problem = assert_problem(client.post(f"/api/v1/rotas/{rota.id}/generate", headers=api_auth.headers(reader),
                                         json={"start": "2026-03-09", "weeks": 6}), 409)
    assert problem["shift_ids"] == [first.id, last.id]
    detail = problem["detail"]
    assert not ISO_INSTANT.search(detail), detail
    for instant in (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC),
                    datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 4, 20, tzinfo=UTC),
                    datetime(2026, 4, 13, tzinfo=UTC), datetime(2026, 4, 27, tzinfo=UTC)):
        assert format_for_reader(instant, "Asia/Kolkata", "ru") in detail, detail
    assert session.scalar(select(func.count()).select_from(OnCallShift)
                          .where(OnCallShift.rota_id == rota.id, OnCallShift.status == "scheduled")) == 4
