"""The rota pages as a reader in Russian or Chinese reads them: refusals to generate shifts name weekdays, dates
and instants in the reader's language and zone; a start outside the supported years is refused under the
field (never a 500); the new-rota form and the profile name zones as the reader's language does, while the
form still sends the IANA id."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from app.rotas import operations as rotas
from app.rotas.models import OnCallShift, Rota
from app.timekeeping import format_day_for_reader, format_for_reader, weekday_for_reader, zone_name_for_reader
from tests.conftest import PASSWORD
from tests.web.page_helpers import error_beside, text

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 1, 43, tzinfo=UTC)   # a Thursday; the next Monday 08:00 Shanghai is 30 Nov 00:00Z
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ENGLISH_DAYS_AND_MONTHS = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
    r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


@pytest.fixture(autouse=True)
def fixed_clock():
    """These pages' answers depend on today's date (which periods have begun): stand the clock still."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def coordinator_in(client, make_user):
    """A coordinator reading in `language` and `zone`, signed in."""

    def sign_in(language: str | None, zone: str = "Europe/Moscow"):
        user = make_user("coordinator", email=f"coordinator-{language}@example.org", locale=language,
                         display_timezone=zone)
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, text(response)
        return user

    return sign_in


@pytest.fixture
def rota_of_two(session, make_specialist):
    """A rota of two radiologists that hands off on Mondays (or `weekday`) at 08:00 Asia/Shanghai."""

    def make(weekday: int = 0, period_weeks: int = 1) -> Rota:
        people = [make_specialist(zone="Asia/Kolkata"), make_specialist(zone="Asia/Almaty")]
        rota = rotas.create_rota(session, name=f"Radiology {weekday}-{period_weeks}", discipline_code="radiology",
                                 handoff_weekday=weekday, handoff_time="08:00", timezone="Asia/Shanghai",
                                 period_weeks=period_weeks, members=[p.id for p in people], at=NOW)
        session.commit()
        return rota

    return make


def generate(client, rota: Rota, start: str, weeks: int = 1):
    return client.post(f"/coordinator/rotas/{rota.id}/generate", data={"start": start, "weeks": str(weeks)})


def shifts_of(session, rota: Rota) -> int:
    return session.scalar(select(func.count()).select_from(OnCallShift).where(OnCallShift.rota_id == rota.id))


def refusal_in_readers_terms(message: str) -> None:
    assert not ENGLISH_DAYS_AND_MONTHS.search(message), message
    assert not ISO_INSTANT.search(message) and not ISO_DATE.search(message), message


# --- generating: the supported years ------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["9999-12-26", "0001-01-01"])
@pytest.mark.parametrize("weekday", [0, 6])   # 0001-01-01 is a Monday, 9999-12-26 a Sunday
def test_a_start_outside_the_supported_years_is_refused_under_the_field(client, session, coordinator_in,
                                                                       rota_of_two, start, weekday):
    coordinator_in(None)
    rota = rota_of_two(weekday)
    response = generate(client, rota, start)
    page = text(response)
    assert response.status_code == 422, page
    assert error_beside(page, "start") == "must be between the years 1900 and 2199"
    assert f'value="{start}"' in page                          # what was typed stays
    assert shifts_of(session, rota) == 0


# --- generating: a start that is not a handoff day ----------------------------------------------------------


def test_a_start_that_is_not_a_handoff_day_says_which_days_would_do(client, coordinator_in, rota_of_two):
    coordinator_in("en")
    response = generate(client, rota_of_two(), "2026-12-08")
    assert response.status_code == 422
    assert error_beside(text(response), "start") == ("8 Dec 2026 is a Tuesday; this rota's handoff day is Monday "
                                                     "(e.g. 7 Dec 2026 or 14 Dec 2026)")


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_a_start_that_is_not_a_handoff_day_reads_in_the_readers_language(client, coordinator_in, rota_of_two,
                                                                         language):
    coordinator_in(language)
    response = generate(client, rota_of_two(), "2026-12-08")
    assert response.status_code == 422
    message = error_beside(text(response), "start")
    refusal_in_readers_terms(message)
    assert weekday_for_reader(1, language) in message and weekday_for_reader(0, language) in message, message
    for day in (date(2026, 12, 8), date(2026, 12, 7), date(2026, 12, 14)):
        assert format_day_for_reader(day, language) in message, message


# --- generating: every period has begun ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_every_period_begun_names_the_next_handoff_in_the_readers_zone_and_language(client, coordinator_in,
                                                                                   rota_of_two, language):
    coordinator_in(language, zone="Europe/Moscow")
    response = generate(client, rota_of_two(), "2026-11-02")
    assert response.status_code == 422
    message = error_beside(text(response), "start")
    refusal_in_readers_terms(message)
    next_handoff = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)   # Monday 08:00 Shanghai, 03:00 Moscow
    assert format_for_reader(next_handoff, "Europe/Moscow", language) in message, message


# --- generating: shifts across the edge of the range --------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_shifts_across_the_edges_are_named_in_the_readers_zone_and_language(client, session, coordinator_in,
                                                                           rota_of_two, language):
    coordinator_in(language, zone="Asia/Kathmandu")
    rota = rota_of_two(period_weeks=2)
    members = rotas.member_ids(rota)
    bounds = [datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC),
              datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 1, 18, tzinfo=UTC)]   # Mondays 08:00 Shanghai
    for index, (starts_at, ends_at) in enumerate(zip(bounds, bounds[1:])):
        session.add(OnCallShift(rota=rota, user_id=members[index % 2], starts_at=starts_at, ends_at=ends_at,
                                status="scheduled", sequence=0, updated_at=NOW, published=True))
    session.commit()
    response = generate(client, rota, "2026-12-14", weeks=4)   # one week out of step: [14 Dec, 11 Jan)
    assert response.status_code == 422
    message = error_beside(text(response), "weeks")
    refusal_in_readers_terms(message)
    for instant in (*bounds, datetime(2026, 12, 14, tzinfo=UTC), datetime(2027, 1, 11, tzinfo=UTC)):
        if instant != bounds[1]:   # the shift in the middle lies inside the range: not named
            assert format_for_reader(instant, "Asia/Kathmandu", language) in message, message
    session.expire_all()
    assert [s.starts_at for s in session.scalars(select(OnCallShift).where(OnCallShift.rota_id == rota.id)
                                                 .order_by(OnCallShift.starts_at))] == bounds[:3]


# --- the new-rota form and the profile name zones in the reader's language ----------------------------------


def zone_options(page: str) -> dict[str, str]:
    select_ = re.search(r'<select id="timezone".*?</select>', page, re.S).group(0)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_))


@pytest.mark.parametrize("language", ["ru", "zh"])
def test_the_new_rota_form_names_zones_in_the_readers_language_and_sends_their_ids(client, session, coordinator_in,
                                                                                  language):
    coordinator_in(language, zone="Asia/Shanghai")
    page = text(client.get("/coordinator/rotas/new"))
    options = zone_options(page)
    assert options["Asia/Shanghai"] == zone_name_for_reader("Asia/Shanghai", language) != "Asia/Shanghai"
    assert options["Asia/Almaty"] == zone_name_for_reader("Asia/Almaty", language) != "Asia/Almaty"
    assert not any("/" in label for label in options.values()), options
    assert re.search(r'<option value="Asia/Shanghai" selected>', page)   # the coordinator's own zone first chosen
    created = client.post("/coordinator/rotas/new", data={
        "name": "Night radiology", "discipline_code": "radiology", "handoff_weekday": "0", "handoff_time": "08:00",
        "timezone": "Asia/Almaty", "period_weeks": "1"})
    assert created.status_code == 302, text(created)
    assert session.scalar(select(Rota.timezone).where(Rota.name == "Night radiology")) == "Asia/Almaty"


def test_the_new_rota_form_in_english_keeps_iana_names(client, coordinator_in):
    coordinator_in("en", zone="America/Sao_Paulo")
    options = zone_options(text(client.get("/coordinator/rotas/new")))
    assert options["Asia/Almaty"] == "Asia/Almaty" and options["America/Sao_Paulo"] == "America/Sao_Paulo"


@pytest.mark.parametrize("language, shown", [("ru", "Шанхай"), ("zh", "上海"), ("en", "Asia/Shanghai")])
def test_the_profile_names_the_readers_zone_in_their_language(client, coordinator_in, language, shown):
    coordinator_in(language, zone="Asia/Shanghai")
    page = text(client.get("/profile"))
    main = page.split('<main id="main"', 1)[1]
    assert f"<dd>{shown}</dd>" in main
    if language != "en":
        assert "Asia/Shanghai" not in main
