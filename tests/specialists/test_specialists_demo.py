"""The demo specialists make a network the matcher can use, with warnings and exceptions to show."""
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.demo.network import seed_network
from app.demo.specialists import seed_specialists
from app.notifications.models import Notification
from app.scheduling import available_intervals
from app.specialists import operations
from app.specialists.models import DateOverride, Leave, SpecialistProfile
from app.timekeeping import now_utc

CORE = ("radiology", "pathology", "medical-oncology", "clinical-oncology", "thoracic-surgery")


def seed(session):
    seed_network(session, "meridian-demo")
    users = {user.email: user for user in session.scalars(select(User))}
    at = now_utc()
    seed_specialists(session, users, at, password="meridian-demo")
    session.commit()
    return at


def test_demo_specialists(session, client):
    at = seed(session)
    profiles = session.scalars(select(SpecialistProfile)).all()
    assert len(profiles) >= 9
    for code in CORE:
        zones = {p.home_timezone for p in profiles if code in p.discipline_codes}
        assert len(zones) >= 2, code
    by_email = {p.user.email.split("@")[0]: p for p in profiles}
    assert by_email["pathologist.fcg"].weekly_hours["mon"] == [["08:00", "12:00"], ["14:30", "17:30"]]
    assert [["18:00", "21:00"]] == by_email["oncologist.karachi"].weekly_hours["wed"][1:]
    # licences: one about to expire (and warned about), one expired, the rest valid
    statuses = {(p.user.email.split("@")[0], l.jurisdiction): operations.licence_status(l, at)
                for p in profiles for l in p.licences}
    assert statuses[("oncologist.moscow", "KZ")] == "expired"
    assert statuses[("radiologist.kolkata", "CN")] == "valid"
    kolkata = by_email["radiologist.kolkata"].user
    warnings = session.scalars(select(Notification).where(Notification.kind == "licence_expiring")).all()
    assert kolkata.id in {n.user_id for n in warnings}
    assert session.scalars(select(Leave)).all() and session.scalars(select(DateOverride)).all()
    # every profile is fit for the engine, and everyone has some free time in the coming fortnight
    for profile in profiles:
        spec = operations.engine_spec(profile)
        assert available_intervals(spec, at, at + timedelta(days=14)), profile.user.email
    # the extra specialists can sign in with the demo password
    response = client.post("/api/v1/auth/token", json={"email": by_email["surgeon.tashkent"].user.email,
                                                       "password": "meridian-demo"})
    assert response.status_code == 201


def test_seeding_specialists_again_adds_nothing(session):
    at = seed(session)
    before = (len(session.scalars(select(SpecialistProfile)).all()),
              len(session.scalars(select(Notification)).all()))
    users = {user.email: user for user in session.scalars(select(User))}
    assert seed_specialists(session, users, at) == []
    session.commit()
    assert (len(session.scalars(select(SpecialistProfile)).all()),
            len(session.scalars(select(Notification)).all())) == before
