"""Licence expiry warnings reach the specialist and their coordinators exactly once."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.notifications.models import Notification
from app.specialists import operations
from app.specialists.jobs import warn_expiring_licences

UTC = timezone.utc
AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 11:45 in Kathmandu


def licence(session, user, country, number, expires_on, *, verifier=None):
    record = operations.add_licence(session, operations.get_profile(session, user.id), jurisdiction=country,
                                    registration_number=number, expires_on=expires_on,
                                    at=AT - timedelta(days=100))
    if verifier is not None:
        operations.verify_licence(session, record, verifier=verifier, at=AT - timedelta(days=99))
    session.commit()
    return record


def inbox(session):
    session.expire_all()
    return sorted((n.user_id, n.kind, n.subject) for n in session.scalars(select(Notification)))


def test_warnings_go_to_the_specialist_and_their_coordinators_once(session, make_user, make_specialist,
                                                                   other_organization):
    specialist = make_specialist(zone="Asia/Kathmandu", name="Dr Prakash Shrestha", organization_=other_organization)
    local_coordinator = make_user("coordinator", organization_=other_organization)
    elsewhere = make_user("coordinator")  # another organisation's coordinator hears nothing
    admin = make_user("admin", organization_=other_organization)
    soon = licence(session, specialist, "CN", "CN-1", date(2026, 12, 13), verifier=elsewhere)  # 20 days
    licence(session, specialist, "NP", "NMC-1", date(2027, 1, 10), verifier=elsewhere)  # 48 days: not yet
    licence(session, specialist, "IN", "MCI-1", date(2026, 12, 1))  # unverified: never counted, no warning
    licence(session, specialist, "KZ", "KZ-1", date(2026, 12, 20), verifier=admin)

    assert warn_expiring_licences(session, AT) == 4
    session.commit()
    notifications = inbox(session)
    assert [(user_id, kind) for user_id, kind, _ in notifications] == sorted(
        [(specialist.id, "licence_expiring"), (specialist.id, "licence_expiring"),
         (local_coordinator.id, "licence_expiring"), (local_coordinator.id, "licence_expiring")])
    subjects = {subject for user_id, _, subject in notifications if user_id == specialist.id}
    assert "Your licence in China expires in 20 days, on 13 Dec 2026" in subjects
    assert any("Dr Prakash Shrestha's licence in Kazakhstan expires in 27 days" in subject
               for _, _, subject in notifications)
    # each opens the page its reader keeps the licence on, not the API's JSON
    from app.notifications.models import Notification

    links = {(note.user_id, note.link) for note in session.scalars(select(Notification))}
    assert links == {(specialist.id, "/me/licences"),
                     (local_coordinator.id, f"/coordinator/specialists/{specialist.id}")}

    # the job runs hourly: running again, or the next day, adds nothing
    assert warn_expiring_licences(session, AT) == 0
    assert warn_expiring_licences(session, AT + timedelta(days=1)) == 0
    session.commit()
    assert inbox(session) == notifications

    # a renewed licence (new expiry date) is warned about again when that date comes near
    soon.expires_on = date(2027, 12, 13)
    session.commit()
    assert warn_expiring_licences(session, datetime(2027, 11, 20, tzinfo=UTC)) == 2


def test_the_thirty_day_edge_and_expiry_are_judged_in_the_home_zone(session, make_user, make_specialist):
    coordinator = make_user("coordinator")
    specialist = make_specialist(zone="Asia/Kathmandu")
    licence(session, specialist, "CN", "CN-1", date(2026, 12, 22), verifier=coordinator)
    # good through 2026-12-22 in Kathmandu, i.e. until 2026-12-22T18:15Z
    assert warn_expiring_licences(session, datetime(2026, 11, 22, 18, 14, tzinfo=UTC)) == 0
    assert warn_expiring_licences(session, datetime(2026, 11, 22, 18, 15, tzinfo=UTC)) == 2
    session.commit()


def test_expired_licences_and_deactivated_specialists_are_not_warned(session, make_user, make_specialist):
    coordinator = make_user("coordinator")
    specialist = make_specialist(zone="Asia/Kathmandu")
    licence(session, specialist, "CN", "CN-1", date(2026, 12, 1), verifier=coordinator)
    assert warn_expiring_licences(session, datetime(2026, 12, 1, 18, 15, tzinfo=UTC)) == 0  # just expired
    gone = make_specialist()
    licence(session, gone, "CN", "CN-2", date(2026, 12, 10), verifier=coordinator)
    gone.is_active = False
    session.commit()
    assert warn_expiring_licences(session, datetime(2026, 12, 2, tzinfo=UTC)) == 0
