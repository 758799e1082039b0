"""A page of results costs the same number of queries however many rows it holds.

The audit trail gets one row per case returned, by rule; SQLite writes those rows one statement at a
time (PostgreSQL batches them), so audit inserts are left out of the count.
"""
from __future__ import annotations

from datetime import timedelta

from tests.fhir.conftest import NOW
from tests.sql_statements import recorded_statements


def cost(fhir, session, path, user, params=None) -> int:
    fhir.get(path, user, params=params)  # warm: the token's first use is recorded once
    # The measured request has a session of its own, as in production: in the test's, what earlier
    # requests loaded would still be there, or not, as the garbage collector decided.
    with fhir.client.application.app_context(), recorded_statements(session.get_bind()) as sent:
        fhir.get(path, user, params=params)
    return sum(1 for statement, _ in sent if not statement.startswith("INSERT INTO audit_events"))


def test_searches_cost_the_same_for_few_or_many_rows(fhir, session, network, make_case, make_meeting):
    searches = [("ServiceRequest", network.radiologist), ("Consent", network.referrer),
                ("Appointment", network.radiologist), ("Practitioner", network.coordinator),
                ("PractitionerRole", network.referrer), ("Schedule", network.referrer),
                ("HealthcareService", network.referrer), ("Organization", network.referrer)]

    def grow(day, count):
        cases = [make_case("triaged", patient_reference=f"FCG-2026-{day * 10 + n:04d}") for n in range(count)]
        make_meeting(NOW + timedelta(days=day), cases=cases, invitees={network.radiologist: "accepted"},
                     board=False)

    grow(1, 1)
    few = {name: cost(fhir, session, name, user) for name, user in searches}
    for day in range(2, 6):
        grow(day, 3)
    many = {name: cost(fhir, session, name, user) for name, user in searches}
    assert many == few
