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
from app.notifications.delivery import mark_emailed
from app.notifications.models import Notification

AT = pytz.utc.localize(datetime(2026, 3, 2, 9, 0))
NEW_PASSWORD = "orchid lantern harbour 42"


def _secret_of(session, user) -> str:
    notification = session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc())).first()
    assert notification.link.startswith(password_links.LINK_PATH)
    return notification.link.removeprefix(password_links.LINK_PATH)


def test_an_invited_person_sets_a_password_once_and_signs_in(session, organization, make_user):
    admin = make_user("admin")
    user, record = password_links.invite_user(session, email="Wei.Chen@Example.org", name="Wei Chen",
                                              organization=organization, roles=["coordinator"], by=admin, at=AT)
    session.commit()
    secret = _secret_of(session, user)
    # Only the digest is stored; the link expires after the default lifetime.
    assert secret not in record.token_hash and len(record.token_hash) == 64
    assert record.expires_at == AT + password_links.DEFAULT_LIFETIME
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(session, "wei.chen@example.org", NEW_PASSWORD, at=AT)

    password_links.set_password_with_link(session, secret, NEW_PASSWORD, at=AT + timedelta(hours=1))
    session.commit()
    assert accounts.authenticate(session, "wei.chen@example.org", NEW_PASSWORD, at=AT + timedelta(hours=1)) == user
    with pytest.raises(NotFound):  # single use
        password_links.set_password_with_link(session, secret, "another fine password 7", at=AT + timedelta(hours=2))


def test_a_link_expires_and_a_weak_password_is_refused_without_using_it(session, organization, make_user):
    admin = make_user("admin")
    user, _ = password_links.invite_user(session, email="olga@example.org", name="Olga Ivanova",
                                         organization=organization, roles=["specialist"], by=admin, at=AT,
                                         lifetime=timedelta(hours=2))
    secret = _secret_of(session, user)
    with pytest.raises(InvalidInput) as refused:
        password_links.set_password_with_link(session, secret, "short", at=AT)
    assert refused.value.field == "new_password"
    with pytest.raises(NotFound):
        password_links.set_password_with_link(session, secret, NEW_PASSWORD, at=AT + timedelta(hours=2))
    with pytest.raises(NotFound):
        password_links.set_password_with_link(session, "not-a-link", NEW_PASSWORD, at=AT)


def test_a_reset_ends_the_old_password_and_older_links(session, organization, make_user):
    admin = make_user("admin")
    user = make_user("referrer", email="ref@example.org")
    first = password_links.reset_password(session, user, by=admin, at=AT)
    first_secret = _secret_of(session, user)
    password_links.reset_password(session, user, by=admin, at=AT + timedelta(minutes=5))
    second_secret = _secret_of(session, user)
    assert first.expires_at == AT + timedelta(minutes=5)  # the newer link retires the older one
    with pytest.raises(NotFound):
        password_links.set_password_with_link(session, first_secret, NEW_PASSWORD, at=AT + timedelta(minutes=6))
    password_links.set_password_with_link(session, second_secret, NEW_PASSWORD, at=AT + timedelta(minutes=6))
    assert session.scalar(select(PasswordLink.purpose).where(PasswordLink.user_id == user.id).limit(1)) == "reset"


def test_the_outbox_forgets_a_secret_link_once_sent(session, organization, make_user):
    admin = make_user("admin")
    user, _ = password_links.invite_user(session, email="li@example.org", name="Li Na",
                                         organization=organization, roles=["referrer"], by=admin, at=AT)
    notification = session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert "choose your password" in notification.subject
    mark_emailed(notification, AT)
    assert notification.link is None


def test_the_live_event_of_a_secret_link_never_carries_it(session, organization, make_user):
    from app.live.models import LiveEvent

    admin = make_user("admin")
    user, _ = password_links.invite_user(session, email="amina@example.org", name="Amina Yusuf",
                                         organization=organization, roles=["referrer"], by=admin, at=AT)
    session.commit()
    [told] = [event for event in session.scalars(select(LiveEvent).where(LiveEvent.room == f"user:{user.id}"))
              if event.type == "notification.created"]
    assert told.data["link"] is None and "/set-password/" not in str(told.data)
    # the e-mail still has it, for the outbox to send
    notification = session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert notification.link.startswith(password_links.LINK_PATH)


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

