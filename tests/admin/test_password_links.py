"""Inviting people and resetting passwords with one-time links (plain domain, fixed instants)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import pytz
from sqlalchemy import select

from app.accounts import operations as accounts
from app.accounts import password_links
from app.accounts.models import PasswordLink
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.notifications import delivery
from app.notifications.models import Notification

AT = pytz.utc.localize(datetime(2026, 3, 2, 9, 0))
NEW_PASSWORD = "orchid lantern harbour 42"
KEY = password_links.link_key("the deployment's secret key, kept outside the database")
BASE = "https://meridian.example.org"


def _emailed(session, user, at=AT) -> str:
    """The text of the e-mail the outbox would send for the person's latest notification, at `at`."""
    notification = session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc())).first()
    secret_link = delivery.secret_link_for(session, notification, key=KEY, at=at)
    message = delivery.email_for(notification, user, base_url=BASE, sender="mdt@example.org",
                                 secret_link=secret_link)
    return message.get_payload(decode=True).decode()


def _secret_of(session, user, at=AT) -> str:
    """The secret of the link the person's e-mail carries."""
    text = _emailed(session, user, at)
    [line] = [line for line in text.splitlines() if line.startswith(BASE + password_links.LINK_PATH)]
    return line.removeprefix(BASE + password_links.LINK_PATH)


def test_an_invited_person_sets_a_password_once_and_signs_in(session, organization, make_user):
    admin = make_user("admin")
    user, record = password_links.invite_user(session, email="Wei.Chen@Example.org", name="Wei Chen",
                                              organization=organization, roles=["coordinator"], by=admin, at=AT)
    session.commit()
    secret = _secret_of(session, user)
    # Only the id and a nonce are stored; the link expires after the default lifetime.
    assert record.token_hash is None and record.nonce and secret.split(".")[1] not in record.nonce
    assert record.expires_at == AT + password_links.DEFAULT_LIFETIME
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(session, "wei.chen@example.org", NEW_PASSWORD, at=AT)

    password_links.set_password_with_link(session, secret, NEW_PASSWORD, key=KEY, at=AT + timedelta(hours=1))
    session.commit()
    assert accounts.authenticate(session, "wei.chen@example.org", NEW_PASSWORD, at=AT + timedelta(hours=1)) == user
    with pytest.raises(NotFound):  # single use
        password_links.set_password_with_link(session, secret, "another fine password 7", key=KEY,
                                             at=AT + timedelta(hours=2))


def test_a_link_expires_and_a_weak_password_is_refused_without_using_it(session, organization, make_user):
    admin = make_user("admin")
    user, _ = password_links.invite_user(session, email="olga@example.org", name="Olga Ivanova",
                                         organization=organization, roles=["specialist"], by=admin, at=AT,
                                         lifetime=timedelta(hours=2))
    secret = _secret_of(session, user)
    with pytest.raises(InvalidInput) as refused:
        password_links.set_password_with_link(session, secret, "short", key=KEY, at=AT)
    assert refused.value.field == "new_password"
    with pytest.raises(NotFound):
        password_links.set_password_with_link(session, secret, NEW_PASSWORD, key=KEY, at=AT + timedelta(hours=2))
    with pytest.raises(NotFound):
        password_links.set_password_with_link(session, "not-a-link", NEW_PASSWORD, key=KEY, at=AT)


def test_a_reset_ends_the_old_password_and_older_links(session, organization, make_user):
    admin = make_user("admin")
    user = make_user("referrer", email="ref@example.org")
    first = password_links.reset_password(session, user, by=admin, at=AT)
    first_secret = _secret_of(session, user)
    password_links.reset_password(session, user, by=admin, at=AT + timedelta(minutes=5))
    second_secret = _secret_of(session, user, at=AT + timedelta(minutes=5))
    assert first.expires_at == AT + timedelta(minutes=5)  # the newer link retires the older one
    with pytest.raises(NotFound):
        password_links.set_password_with_link(session, first_secret, NEW_PASSWORD, key=KEY,
                                              at=AT + timedelta(minutes=6))
    password_links.set_password_with_link(session, second_secret, NEW_PASSWORD, key=KEY,
                                          at=AT + timedelta(minutes=6))
    assert session.scalar(select(PasswordLink.purpose).where(PasswordLink.user_id == user.id).limit(1)) == "reset"


def test_the_live_event_and_the_notification_name_the_link_never_its_secret(session, organization, make_user):
    from app.live.models import LiveEvent

    admin = make_user("admin")
    user, record = password_links.invite_user(session, email="amina@example.org", name="Amina Yusuf",
                                              organization=organization, roles=["referrer"], by=admin, at=AT)
    session.commit()
    secret = _secret_of(session, user)
    [told] = [event for event in session.scalars(select(LiveEvent).where(LiveEvent.room == f"user:{user.id}"))
              if event.type == "notification.created"]
    assert told.data["link"] is None and "/set-password/" not in str(told.data) and secret not in str(told.data)
    notification = session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert notification.link is None and notification.params[password_links.LINK_ID_PARAM] == record.id
    assert secret.split(".")[1] not in str(notification.params)


def test_a_secret_is_checked_against_the_key_and_the_row(session, organization, make_user):
    admin = make_user("admin")
    user, record = password_links.invite_user(session, email="li@example.org", name="Li Na",
                                              organization=organization, roles=["referrer"], by=admin, at=AT)
    secret = _secret_of(session, user)
    number, mac = secret.split(".")
    assert number == str(record.id)
    other_key = password_links.link_key("another deployment's key")
    forged = [f"{record.id}.{password_links._mac(other_key, record)}",  # made with another key (a rotated SECRET_KEY)
              f"{record.id}.{mac[:-1]}", f"{record.id}.", f".{mac}", f"{record.id + 1}.{mac}",
              f" {record.id}.{mac}", f"{record.id}.{mac}\u00e9", f"\u0661.{mac}", "", "9" * 40 + "." + mac,
              record.nonce]
    for guess in forged:
        with pytest.raises(NotFound):
            password_links.find_usable_link(session, guess, key=KEY, at=AT)
    assert password_links.find_usable_link(session, secret, key=KEY, at=AT) == record
    with pytest.raises(NotFound):
        password_links.find_usable_link(session, secret, key=other_key, at=AT)


def test_the_e_mail_carries_a_link_only_while_it_works(session, organization, make_user):
    admin = make_user("admin")
    user, record = password_links.invite_user(session, email="li@example.org", name="Li Na",
                                              organization=organization, roles=["referrer"], by=admin, at=AT,
                                              lifetime=timedelta(hours=2))
    notification = session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert "choose your password" in notification.subject
    assert password_links.LINK_PATH in _emailed(session, user)
    # Ran out before the outbox could send it: the e-mail says so, with no link.
    late = _emailed(session, user, at=AT + timedelta(hours=2))
    assert password_links.LINK_PATH not in late and "expired before this message could be sent" in late
    # Replaced by a newer one, or used: nothing is sent for it.
    newer = password_links.reset_password(session, user, by=admin, at=AT + timedelta(minutes=1))
    assert delivery.secret_link_for(session, notification, key=KEY, at=AT + timedelta(minutes=2)) is None
    secret = _secret_of(session, user, at=AT + timedelta(minutes=2))
    assert secret.startswith(f"{newer.id}.")
    password_links.set_password_with_link(session, secret, NEW_PASSWORD, key=KEY, at=AT + timedelta(minutes=3))
    latest = session.scalars(select(Notification).where(Notification.user_id == user.id)
                             .order_by(Notification.id.desc())).first()
    assert delivery.secret_link_for(session, latest, key=KEY, at=AT + timedelta(minutes=4)) is None
    # A deactivated account's link is not sent either.
    other, _ = password_links.invite_user(session, email="olga@example.org", name="Olga Ivanova",
                                          organization=organization, roles=["referrer"], by=admin, at=AT)
    password_links.set_active(session, other, False, by=admin, at=AT)
    theirs = session.scalar(select(Notification).where(Notification.user_id == other.id))
    assert delivery.secret_link_for(session, theirs, key=KEY, at=AT) is None


def test_a_set_password_notification_refuses_a_link(session, make_user):
    from app.notifications.operations import notify

    user = make_user()
    with pytest.raises(ValueError):
        notify(session, user_id=user.id, kind="account.password_reset", dedupe_key="password-link:x",
               link="/set-password/abc", at=AT)


def test_a_link_made_before_nonces_still_works_by_its_digest(session, organization, make_user):
    """Links e-mailed before migration 0032 keep working until they expire."""
    user = make_user("referrer")
    old_secret = "an-old-secret-from-before-0032"
    record = PasswordLink(user=user, token_hash=password_links._digest(old_secret), purpose="reset",
                          created_at=AT, expires_at=AT + timedelta(hours=1))
    session.add(record)
    session.flush()
    assert password_links.find_usable_link(session, old_secret, key=KEY, at=AT) == record
    with pytest.raises(ValueError):
        password_links.link_path(record, KEY)   # its secret cannot be made again, so it is never e-mailed again
    assert password_links.link_to_send(session, record.id, key=KEY, at=AT) == (password_links.WITHDRAWN, None)
    password_links.set_password_with_link(session, old_secret, NEW_PASSWORD, key=KEY, at=AT)
    with pytest.raises(NotFound):
        password_links.find_usable_link(session, old_secret, key=KEY, at=AT)


def test_only_admins_invite_and_nobody_deactivates_themself(session, organization, make_user):
    admin, coordinator = make_user("admin"), make_user("coordinator")
    with pytest.raises(PermissionDenied):
        password_links.invite_user(session, email="x@example.org", name="X Y", organization=organization,
                                   roles=["referrer"], by=coordinator, at=AT)
    with pytest.raises(PermissionDenied):
        password_links.set_active(session, admin, False, by=admin, at=AT)
    assert password_links.set_active(session, coordinator, False, by=admin, at=AT) is True
    with pytest.raises(InvalidInput):  # reactivate first
        password_links.reset_password(session, coordinator, by=admin, at=AT)

