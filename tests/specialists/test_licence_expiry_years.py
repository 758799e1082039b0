"""A licence's expiry must be within the years Meridian handles, wherever it is typed (the CSV import, the
command, the domain operation every page and API call goes through); a date stored before that was
checked (9999-12-31) still shows, never a 500."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.errors import InvalidInput
from app.specialists import csv_import, operations
from app.specialists.models import Licence, licence_expires_at
from app.timekeeping import UTC, YEAR_RANGE_MESSAGE, now_utc
from tests.conftest import PASSWORD

HEADER = "email,name,disciplines,licence_country,licence_number,licence_expires_on\n"


def _licence_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Licence))


@pytest.mark.parametrize("expires_on", [date(9999, 12, 31), date(2200, 1, 1)])
def test_adding_or_changing_a_licence_refuses_years_outside_the_supported_ones(session, make_specialist,
                                                                                 expires_on):
    profile = operations.find_profile(session, make_specialist().id)
    with pytest.raises(InvalidInput) as refused:
        operations.add_licence(session, profile, jurisdiction="GB", registration_number="GMC-1",
                               expires_on=expires_on, at=now_utc())
    assert refused.value.field == "expires_on" and refused.value.template == YEAR_RANGE_MESSAGE
    assert "between the years 1900 and 2199" in refused.value.message
    licence = operations.add_licence(session, profile, jurisdiction="GB", registration_number="GMC-2",
                                     expires_on=date(2199, 12, 31), at=now_utc())  # the last year is fine
    with pytest.raises(InvalidInput) as refused:
        operations.update_licence(session, licence, at=now_utc(), expires_on=expires_on)
    assert refused.value.field == "expires_on" and refused.value.template == YEAR_RANGE_MESSAGE
    assert licence.expires_on == date(2199, 12, 31)


def test_adding_a_licence_refuses_an_expiry_that_is_not_a_date(session, make_specialist):
    profile = operations.find_profile(session, make_specialist().id)
    with pytest.raises(InvalidInput) as refused:
        operations.add_licence(session, profile, jurisdiction="GB", registration_number="GMC-1",
                               expires_on="9999-12-31", at=now_utc())
    assert refused.value.field == "expires_on"


def test_the_csv_import_refuses_an_expiry_beyond_the_supported_years_and_writes_nothing(
        session, organization, make_specialist):
    existing = make_specialist(organization_=organization, email="sita@example.org")
    text = HEADER + ("sita@example.org,,,NP,NMC-1,9999-12-31\n"
                     "new@example.org,Dr New,radiology,NP,NMC-2,1899-06-30\n"
                     "ok@example.org,Dr Ok,radiology,NP,NMC-3,2199-12-31\n")
    before = _licence_count(session)
    report = csv_import.onboard(session, organization, text.encode(), apply=True, by=None, at=now_utc(),
                                link_lifetime=timedelta(hours=72), via="cli")
    assert not report.applied and report.totals["error"] == 2
    rows = {row.row: row for row in report.rows}
    for number in (2, 3):
        assert rows[number].action == "error"
        assert rows[number].errors == [{"field": "licence_expires_on",
                                        "message": "must be between the years 1900 and 2199"}]
    assert rows[4].action == "create" and rows[4].errors == []
    session.rollback()
    assert _licence_count(session) == before
    assert session.scalar(select(User).where(User.email == "ok@example.org")) is None
    assert operations.find_profile(session, existing.id).licences == []


@pytest.mark.parametrize("zone", ["Asia/Kathmandu", "America/Los_Angeles", "UTC", "Pacific/Kiritimati"])
def test_the_end_of_a_licence_at_the_end_of_the_calendar_is_the_latest_instant(zone):
    assert licence_expires_at(date.max, zone) == datetime.max.replace(tzinfo=UTC)
    assert licence_expires_at(date(2199, 12, 31), zone) < datetime(2200, 1, 2, tzinfo=UTC)


def test_a_licence_stored_at_the_end_of_the_calendar_still_shows_everywhere(
        app, session, client, make_user, make_specialist, api_auth):
    """Saved before expiry years were checked: every page and the API show it, as valid once verified."""
    specialist = make_specialist(zone="America/Los_Angeles")
    coordinator, admin = make_user("coordinator"), make_user("admin")
    profile = operations.find_profile(session, specialist.id)
    session.add(Licence(profile=profile, jurisdiction="US", registration_number="CA-9", expires_on=date.max,
                        created_at=now_utc()))
    session.add(Licence(profile=profile, jurisdiction="NP", registration_number="NMC-9", expires_on=date.max,
                        created_at=now_utc(), verified_by=coordinator, verified_at=now_utc()))
    session.commit()
    statuses = {licence.registration_number: operations.licence_status(licence, now_utc())
                for licence in profile.licences}
    assert statuses == {"CA-9": "unverified", "NMC-9": "valid"}
    assert profile.valid_licence_countries(now_utc()) == {"NP"}

    response = client.get(f"/api/v1/specialists/{specialist.id}", headers=api_auth.headers(coordinator))
    assert response.status_code == 200, response.get_data(as_text=True)
    shown = {row["registration_number"]: (row["status"], row["expires_on"]) for row in response.get_json()["licences"]}
    assert shown == {"CA-9": ("unverified", "9999-12-31"), "NMC-9": ("valid", "9999-12-31")}

    for user, path in ((specialist, "/me/licences"), (admin, "/admin/licences"),
                       (admin, "/admin/licences?queue=all"), (coordinator, f"/coordinator/specialists/{specialist.id}")):
        browser = app.test_client()
        assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        page = browser.get(path)
        assert page.status_code == 200, (path, page.status_code)
        assert "9999" in page.get_data(as_text=True), path


def test_the_expiry_warning_job_passes_over_a_licence_at_the_end_of_the_calendar(session, make_specialist):
    from app.specialists.jobs import warn_expiring_licences

    profile = operations.find_profile(session, make_specialist().id)
    session.add(Licence(profile=profile, jurisdiction="GB", registration_number="GMC-9", expires_on=date.max,
                        created_at=now_utc(), verified_at=now_utc()))
    session.commit()
    assert warn_expiring_licences(session, now_utc()) == 0
