"""Refusals that used to reach people as English text (f-strings, Python's own exception messages) now carry
a translatable template and its values: a number beyond what can be stored, an instant outside the supported
years (through the API's `Instant` type as well), a rota's first handoff that is not a date or an instant,
and a CSV file the csv module cannot read."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask_babel import gettext
from pydantic import BaseModel

from app.errors import InvalidInput, InvalidValue, fill
from app.inputs import INTEGER_RANGE_MESSAGE, MAX_INTEGER, out_of_range
from app.timekeeping import EARLIEST_YEAR, LATEST_YEAR, YEAR_RANGE_MESSAGE, check_supported_year

ACCEPT = {"en": "en", "ru": "ru-RU", "zh": "zh-CN"}


def in_language(app, language, produce):
    with app.test_request_context(headers={"Accept-Language": ACCEPT[language]}):
        return produce()


def catalogue_text(app, language, template, params):
    """What the reader's catalogue makes of `template` (English until the catalogue translates it)."""
    return in_language(app, language, lambda: fill(gettext(template), params))


def test_the_year_range_refusal_is_a_template_with_its_years_as_values():
    with pytest.raises(InvalidValue) as refused:
        check_supported_year(datetime(1899, 12, 31))
    assert refused.value.template == YEAR_RANGE_MESSAGE == "must be between the years %(first)s and %(last)s"
    assert refused.value.params == {"first": EARLIEST_YEAR, "last": LATEST_YEAR}
    assert str(refused.value) == "must be between the years 1900 and 2199"  # logs keep English
    assert isinstance(refused.value, ValueError)  # callers that catch ValueError still do


class Body(BaseModel):
    count: int
    when: object = None


@pytest.mark.parametrize("language, expected", [
    ("en", f"must be between {-MAX_INTEGER} and {MAX_INTEGER}"),
    ("ru", f"должно быть от {-MAX_INTEGER} до {MAX_INTEGER}"),
    ("zh", f"必须在 {-MAX_INTEGER} 与 {MAX_INTEGER} 之间"),
])
def test_a_number_beyond_what_can_be_stored_is_refused_in_the_readers_language(app, language, expected):
    errors = in_language(app, language, lambda: out_of_range(Body(count=MAX_INTEGER + 1)))
    assert errors == [{"field": "count", "message": expected}]
    assert in_language(app, language, lambda: out_of_range(Body(count=-MAX_INTEGER - 1)))[0]["message"] == expected


@pytest.mark.parametrize("language", ["en", "ru", "zh"])
def test_a_date_outside_the_supported_years_is_refused_through_the_catalogue(app, language):
    from datetime import date

    errors = in_language(app, language, lambda: out_of_range(Body(count=1, when=date(1, 1, 1))))
    params = {"first": EARLIEST_YEAR, "last": LATEST_YEAR}
    assert errors == [{"field": "when", "message": catalogue_text(app, language, YEAR_RANGE_MESSAGE, params)}]
    assert "1900" in errors[0]["message"] and "2199" in errors[0]["message"]


@pytest.mark.parametrize("language", ["en", "ru", "zh"])
def test_an_api_instant_outside_the_supported_years_is_refused_through_the_catalogue(client, app, make_user,
                                                                                     api_auth, language):
    headers = {**api_auth.headers(make_user("admin")), "Accept-Language": ACCEPT[language]}
    response = client.get("/api/v1/audit-events?since=0001-01-01T00:00:00Z", headers=headers)
    assert response.status_code == 422, response.get_json()
    params = {"first": EARLIEST_YEAR, "last": LATEST_YEAR}
    assert response.get_json()["errors"] == [
        {"field": "since", "message": catalogue_text(app, language, YEAR_RANGE_MESSAGE, params)}]
    assert "Value error" not in response.get_json()["detail"]


@pytest.mark.parametrize("language, expected", [
    ("en", f"must be between {-MAX_INTEGER} and {MAX_INTEGER}"),
    ("ru", f"должно быть от {-MAX_INTEGER} до {MAX_INTEGER}"),
])
def test_an_api_number_beyond_what_can_be_stored_is_refused_in_the_readers_language(client, make_user, api_auth,
                                                                                    language, expected):
    headers = {**api_auth.headers(make_user("admin")), "Accept-Language": ACCEPT[language]}
    response = client.get(f"/api/v1/audit-events?actor_id={MAX_INTEGER + 1}", headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == [{"field": "actor_id", "message": expected}]
    assert INTEGER_RANGE_MESSAGE == "must be between %(lowest)s and %(highest)s"


@pytest.mark.parametrize("language, expected", [
    ("en", "'2026-02-30' is not a real date"),
    ("ru", "'2026-02-30' — несуществующая дата"),
])
def test_a_rotas_first_handoff_on_a_day_that_does_not_exist_is_refused_in_the_readers_language(app, language,
                                                                                              expected):
    from app.rotas.operations import parse_start

    with pytest.raises(InvalidInput) as refused:
        parse_start("2026-02-30")
    assert refused.value.field == "start" and refused.value.params == {"value": "'2026-02-30'"}
    assert "day is out of range" not in str(refused.value)  # no Python exception text
    assert in_language(app, language, lambda: refused.value.message) == expected


@pytest.mark.parametrize("text, template, params", [
    ("next tuesday", "must be the local date of the first handoff (YYYY-MM-DD) or an instant with its zone, "
                     "e.g. 2026-11-26T06:00:00Z", {}),
    ("2026-11-26T25:00:00Z", "must be the local date of the first handoff (YYYY-MM-DD) or an instant with its "
                             "zone, e.g. 2026-11-26T06:00:00Z", {}),
    ("0001-01-01T00:00:00Z", YEAR_RANGE_MESSAGE, {"first": EARLIEST_YEAR, "last": LATEST_YEAR}),
])
def test_a_rotas_first_handoff_that_is_no_instant_is_refused_through_the_catalogue(app, text, template, params):
    from app.rotas.operations import parse_start

    with pytest.raises(InvalidInput) as refused:
        parse_start(text)
    assert (refused.value.field, refused.value.template, refused.value.params) == ("start", template, params)
    for language in ("ru", "zh"):
        assert in_language(app, language, lambda: refused.value.message) == \
            catalogue_text(app, language, template, params)


def test_a_csv_file_the_csv_module_cannot_read_is_refused_through_the_catalogue(app):
    from app.specialists.csv_import import read_rows

    template = "line %(line_num)s cannot be read as CSV: a cell is too long or a quote is not closed"
    with pytest.raises(InvalidInput) as refused:
        read_rows(b'email,name\n"x@example.org,' + b"y" * 200_000 + b"\n")
    assert (refused.value.field, refused.value.template) == ("body", template)
    assert set(refused.value.params) == {"line_num"}
    assert "field larger than field limit" not in str(refused.value)  # no Python exception text
    for language in ("ru", "zh"):
        assert in_language(app, language, lambda: refused.value.message) == \
            catalogue_text(app, language, template, refused.value.params)
