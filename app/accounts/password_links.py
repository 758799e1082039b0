"""One-time links to set a password: an admin invites someone, or resets a forgotten password.

Plain Python over a session; callers commit. The secret goes into the link only (sent through the
notification e-mail outbox); `password_links` keeps its SHA-256. The notification still holds the
whole link until its e-mail is sent (its live event never does): see docs/security.md, "Not done yet".
A link works once and until it expires; issuing a new one retires the person's older ones.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts import operations as accounts
from app.accounts import passwords
from app.accounts.models import Organization, PasswordLink, User
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.notifications.operations import notify
from app.timekeeping import ensure_utc, format_instant
from app.vocabulary import N_

DEFAULT_LIFETIME = timedelta(hours=72)


def configured_lifetime(config) -> timedelta:
    """How long a new link works, from the app's configuration (PASSWORD_LINK_LIFETIME_HOURS)."""
    hours = config.get("PASSWORD_LINK_LIFETIME_HOURS")
    return DEFAULT_LIFETIME if hours is None else timedelta(hours=hours)
PURPOSES = ("invitation", "reset")
# Where the person opens the link; the secret is the last part of the path.
LINK_PATH = "/set-password/"

LINK_UNUSABLE = N_("This link has expired or has already been used; ask an administrator for a new one.")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_link(session: Session, user: User, *, purpose: str, by: User | None, at: datetime,
               lifetime: timedelta = DEFAULT_LIFETIME) -> tuple[str, PasswordLink]:
    """A new link for `user` (their earlier unused links stop working); returns (secret, record)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if lifetime <= timedelta(0):
        raise ValueError("a link's lifetime must be positive")
    at = ensure_utc(at)
    session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
                                               PasswordLink.expires_at > at)
                    .values(expires_at=at).execution_options(synchronize_session="fetch"))
    secret = secrets.token_urlsafe(32)
    record = PasswordLink(user=user, token_hash=_digest(secret), purpose=purpose,
                          created_by_id=by.id if by is not None else None, created_at=at,
                          expires_at=at + lifetime)
    session.add(record)
    session.flush()
    return secret, record


def send_link(session: Session, user: User, secret: str, record: PasswordLink) -> None:
    """Put the link in the person's notifications; the e-mail outbox sends it."""
    kind = "account.invitation" if record.purpose == "invitation" else "account.password_reset"
    notify(session, user_id=user.id, kind=kind, dedupe_key=f"password-link:{record.id}",
           params={"name": user.name, "expires_at": format_instant(record.expires_at)},
           link=LINK_PATH + secret, at=record.created_at)


def find_usable_link(session: Session, secret: str, *, at: datetime) -> PasswordLink:
    """The link for `secret` if it still works, else NotFound (never saying which reason)."""
    record = session.scalar(select(PasswordLink).where(PasswordLink.token_hash == _digest(secret or "")))
    if record is None or not record.is_usable(ensure_utc(at)) or not record.user.is_active:
        raise NotFound(LINK_UNUSABLE)
    return record


def set_password_with_link(session: Session, secret: str, new_password: str, *, at: datetime) -> User:
    """Use the link once: check the password's strength, set it, end every session and API token."""
    at = ensure_utc(at)
    record = find_usable_link(session, secret, at=at)
    user = record.user
    passwords.check_strength(new_password, email=user.email, name=user.name, field="new_password")
    # Claim the link with a conditional update, so two submissions of the same link cannot both win.
    claimed = session.execute(update(PasswordLink).where(PasswordLink.id == record.id, PasswordLink.used_at.is_(None))
                              .values(used_at=at).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise NotFound(LINK_UNUSABLE)
    record.used_at = at
    user.password_hash = passwords.hash_password(new_password)
    user.failed_login_count = 0
    accounts.end_every_session(user)
    accounts.revoke_every_token(session, user, at=at)
    session.flush()
    return user


def invite_user(session: Session, *, email: str, name: str, organization: Organization, roles, by: User,
                at: datetime, lifetime: timedelta = DEFAULT_LIFETIME, languages=(),
                display_timezone: str | None = None) -> tuple[User, PasswordLink]:
    """Create an account nobody can sign in to yet, and send its owner a link to choose a password.

    An admin cannot give the new account a role they could not grant themself: the same rule as
    `change_roles` (admins only)."""
    if not by.has_role("admin"):
        raise PermissionDenied(N_("Only an admin may invite people."))
    if not (name or "").strip():
        raise InvalidInput("name", N_("is required"))
    user = accounts.create_user(session, email=email, name=name, password=secrets.token_urlsafe(32),
                                organization=organization, roles=roles, languages=languages,
                                display_timezone=display_timezone, check_strength=False)
    secret, record = issue_link(session, user, purpose="invitation", by=by, at=at, lifetime=lifetime)
    send_link(session, user, secret, record)
    return user, record


def reset_password(session: Session, user: User, *, by: User, at: datetime,
                   lifetime: timedelta = DEFAULT_LIFETIME) -> PasswordLink:
    """The old password stops working at once, and so does every session and API token (a reset is
    how an admin takes back an account someone else may hold); a new link goes to the person."""
    if not by.has_role("admin"):
        raise PermissionDenied(N_("Only an admin may reset a password."))
    if not user.is_active:
        raise InvalidInput("user", N_("is deactivated; reactivate the account first"))
    at = ensure_utc(at)
    user.password_hash = passwords.hash_password(secrets.token_urlsafe(32))
    accounts.end_every_session(user)
    accounts.revoke_every_token(session, user, at=at)
    secret, record = issue_link(session, user, purpose="reset", by=by, at=at, lifetime=lifetime)
    send_link(session, user, secret, record)
    return record


def set_active(session: Session, user: User, active: bool, *, by: User, at: datetime) -> bool:
    """Deactivate (every session and API token ends at once, so reactivating brings none back) or
    reactivate; True when it changed. Nobody deactivates themself: the network must keep an admin who
    can undo it."""
    if by.id == user.id and not active:
        raise PermissionDenied(N_("You cannot deactivate your own account; another admin must."))
    if user.is_active == active:
        return False
    user.is_active = active
    if not active:
        accounts.end_every_session(user)
        accounts.revoke_every_token(session, user, at=at)
    session.flush()
    return True



def invite_created(session: Session, emails, *, by: User | None, at: datetime,
                   lifetime: timedelta = DEFAULT_LIFETIME) -> int:
    """Send each account just created for `emails` (CSV onboarding) a link to choose a password."""
    count = 0
    for email in emails:
        user = accounts.find_user_by_email(session, email)
        if user is None:
            continue
        secret, record = issue_link(session, user, purpose="invitation", by=by, at=at, lifetime=lifetime)
        send_link(session, user, secret, record)
        count += 1
    return count
