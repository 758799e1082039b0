"""Licences count only while verified and unexpired; verification records who and when."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.specialists import operations
from app.specialists.models import Licence
from app.timekeeping import now_utc, parse_instant, to_local

UTC = timezone.utc


def add(client, headers, user, **body):
    body = {"jurisdiction": "CN", "registration_number": "CN-1", "expires_on": _in_days(user, 365), **body}
    return client.post(f"/api/v1/specialists/{user.id}/licences", headers=headers, json=body)


def _in_days(user, days):
    return (to_local(now_utc(), "Europe/London").date() + timedelta(days=days)).isoformat()


def licensed_in(client, headers, country):
    response = client.get(f"/api/v1/specialists?licensed_in={country}", headers=headers)
    assert response.status_code == 200
    return [row["user_id"] for row in response.get_json()]


def test_a_licence_counts_once_verified_and_verification_records_who_and_when(
        client, session, make_user, make_specialist, api_auth):
    specialist = make_specialist()
    coordinator = make_user("coordinator", name="Li Na")
    own, coord = api_auth.headers(specialist), api_auth.headers(coordinator)
    response = add(client, own, specialist, jurisdiction="cn", registration_number=" 110450000123456 ")
    assert response.status_code == 201, response.get_json()
    licence = response.get_json()
    assert (licence["jurisdiction"], licence["registration_number"]) == ("CN", "110450000123456")
    assert licence["status"] == "unverified" and licence["verified_at"] is None
    assert licensed_in(client, coord, "CN") == []

    before = now_utc().replace(microsecond=0)
    response = client.post(f"/api/v1/licences/{licence['id']}/verify", headers=coord)
    assert response.status_code == 200, response.get_json()
    verified = response.get_json()
    assert verified["status"] == "valid"
    assert (verified["verified_by_id"], verified["verified_by_name"]) == (coordinator.id, "Li Na")
    assert before <= parse_instant(verified["verified_at"]) <= now_utc()
    assert licensed_in(client, coord, "CN") == [specialist.id]
    assert licensed_in(client, coord, "cn") == [specialist.id]
    assert licensed_in(client, coord, "NP") == []
    detail = client.get(f"/api/v1/specialists/{specialist.id}", headers=own).get_json()
    assert detail["licensed_in"] == ["CN"] and detail["licences"][0]["status"] == "valid"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "licence.verified")).one()
    assert (event.actor_id, event.target_type, event.target_id) == (coordinator.id, "licence", str(licence["id"]))


def test_expired_and_unverified_licences_never_count(client, session, make_user, make_specialist, api_auth):
    coordinator = make_user("coordinator")
    expired = make_specialist(zone="Asia/Kathmandu")
    unverified = make_specialist()
    at = now_utc()
    profile = operations.get_profile(session, expired.id)
    old = operations.add_licence(session, profile, jurisdiction="NP", registration_number="NMC-1",
                                 expires_on=date(2025, 1, 31), at=datetime(2024, 1, 1, tzinfo=UTC))
    operations.verify_licence(session, old, verifier=coordinator, at=datetime(2024, 1, 2, tzinfo=UTC))
    operations.add_licence(session, operations.get_profile(session, unverified.id), jurisdiction="NP",
                           registration_number="NMC-2", expires_on=date(2030, 1, 1), at=at)
    session.commit()
    assert licensed_in(client, api_auth.headers(coordinator), "NP") == []
    assert profile.valid_licence_countries(at) == set()
    assert operations.licence_status(old, at) == "expired"
    # the expired one counted while it was good: through its expiry date in the home zone (+05:45)
    assert profile.valid_licence_countries(parse_instant("2025-01-31T23:59:00+05:45")) == {"NP"}
    assert profile.valid_licence_countries(parse_instant("2025-02-01T00:00:00+05:45")) == set()


def test_editing_a_licence_clears_its_verification(client, make_user, make_specialist, api_auth):
    specialist = make_specialist()
    coord = api_auth.headers(make_user("coordinator"))
    own = api_auth.headers(specialist)
    licence_id = add(client, own, specialist).get_json()["id"]
    client.post(f"/api/v1/licences/{licence_id}/verify", headers=coord)
    # saying the same again is not a change
    same = client.patch(f"/api/v1/licences/{licence_id}", headers=own, json={"jurisdiction": "CN"})
    assert same.get_json()["status"] == "valid"
    changed = client.patch(f"/api/v1/licences/{licence_id}", headers=own,
                           json={"expires_on": _in_days(specialist, 700)})
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "unverified"
    assert changed.get_json()["verified_by_id"] is None
    assert licensed_in(client, coord, "CN") == []


def test_who_may_add_verify_and_remove_licences(client, make_user, make_specialist, api_auth, assert_problem):
    specialist = make_specialist()
    colleague = make_specialist()
    own = api_auth.headers(specialist)
    licence_id = add(client, own, specialist).get_json()["id"]
    assert_problem(add(client, api_auth.headers(colleague), specialist), 403)
    assert_problem(add(client, api_auth.headers(make_user("referrer")), specialist), 403)
    assert add(client, api_auth.headers(make_user("admin")), specialist,
               registration_number="CN-2").status_code == 201
    # specialists cannot verify, not even their own
    assert_problem(client.post(f"/api/v1/licences/{licence_id}/verify", headers=own), 403)
    # a coordinator who is also a specialist cannot verify their own licence
    both = make_specialist(extra_roles=("coordinator",))
    both_headers = api_auth.headers(both)
    own_licence = add(client, both_headers, both).get_json()["id"]
    assert "own licence" in assert_problem(
        client.post(f"/api/v1/licences/{own_licence}/verify", headers=both_headers), 403)["detail"]
    assert client.post(f"/api/v1/licences/{licence_id}/verify", headers=both_headers).status_code == 200
    assert_problem(client.delete(f"/api/v1/licences/{licence_id}", headers=api_auth.headers(colleague)), 403)
    assert client.delete(f"/api/v1/licences/{licence_id}", headers=own).status_code == 204
    assert_problem(client.delete(f"/api/v1/licences/{licence_id}", headers=own), 404)
    assert_problem(client.post("/api/v1/licences/9999/verify", headers=both_headers), 404)


def test_bad_licences_are_refused(client, make_specialist, api_auth, assert_problem):
    specialist = make_specialist()
    own = api_auth.headers(specialist)
    assert assert_problem(add(client, own, specialist, jurisdiction="XX"), 422)["errors"][0]["field"] == "jurisdiction"
    assert assert_problem(add(client, own, specialist, expires_on="2020-01-01"),
                          422)["errors"][0]["field"] == "expires_on"
    assert assert_problem(add(client, own, specialist, expires_on="next year"),
                          422)["errors"][0]["field"] == "expires_on"
    assert assert_problem(add(client, own, specialist, registration_number=""),
                          422)["errors"][0]["field"] == "registration_number"
    assert add(client, own, specialist).status_code == 201
    assert "already recorded" in assert_problem(add(client, own, specialist), 409)["detail"]


def test_verifying_an_expired_licence_is_refused(session, make_user, make_specialist):
    import pytest

    from app.errors import Conflict

    specialist = make_specialist()
    licence = operations.add_licence(session, operations.get_profile(session, specialist.id),
                                     jurisdiction="GB", registration_number="GMC-7",
                                     expires_on=date(2025, 6, 30), at=datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(Conflict, match="expired on 2025-06-30"):
        operations.verify_licence(session, licence, verifier=make_user("coordinator"), at=now_utc())
    assert session.get(Licence, licence.id).verified_at is None
