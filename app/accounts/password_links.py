"""One-time links to set a password: an admin invites someone, or resets a forgotten password.

Plain Python over a session; callers commit. A link is `/set-password/<id>.<mac>`: `mac` is
HMAC-SHA256, under a key derived from the app's SECRET_KEY (`link_key`), of the link's id and a random
nonce kept in its `password_links` row. The database holds the id and the nonce, never the secret:
the notification (and its live event) names only the link's id, and the e-mail outbox derives the
link when it sends it, while it still works (`link_to_send`). Whoever reads the database cannot
make the link; changing SECRET_KEY ends every outstanding link.
A link works once and until it expires; issuing a new one retires the person's older ones.
Links made before migration 0032 have no nonce: they are found by their secret's SHA-256 (`token_hash`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts import operations as accounts
from app.accounts import passwords
from app.accounts.models import Organization, PasswordLink, User
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.inputs import parse_id
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
# Said in the e-mail, instead of a link, when the link ran out before the outbox could send it.
LINK_EXPIRED_BEFORE_SENDING = N_("The link to choose a password expired before this message could be sent, so it "
                                 "is left out; ask an administrator for a new one.")
# The purpose label of the key links are made with: no other use of SECRET_KEY yields the same key.
KEY_PURPOSE = b"meridian/password-link/v1"
# The notification's parameter naming its link (the notification itself never holds the link).
LINK_ID_PARAM = "password_link_id"

# What `link_to_send` finds when an e-mail is about to go out.
SENDABLE, EXPIRED, WITHDRAWN = "sendable", "expired", "withdrawn"


def link_key(secret_key: str | bytes) -> bytes:
    """The key links are made and checked with, derived from the app's SECRET_KEY (never stored)."""
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    if not secret_key:
        raise ValueError("a password link needs a SECRET_KEY")
    return hmac.new(secret_key, KEY_PURPOSE, hashlib.sha256).digest()


def _mac(key: bytes, record: PasswordLink) -> str:
    mac = hmac.new(key, f"{record.id}:{record.nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def secret_of(record: PasswordLink, key: bytes) -> str:
    """The last part of the link's path: `<id>.<mac>`, derived from the row and the key."""
    if record.nonce is None:
        raise ValueError("a link made before migration 0032 cannot be made again")
    return f"{record.id}.{_mac(key, record)}"


def link_path(record: PasswordLink, key: bytes) -> str:
    """Where the person opens the link (`/set-password/<id>.<mac>`)."""
    return LINK_PATH + secret_of(record, key)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def issue_link(session: Session, user: User, *, purpose: str, by: User | None, at: datetime,
               lifetime: timedelta = DEFAULT_LIFETIME) -> PasswordLink:
    """A new link for `user` (their earlier unused links stop working). Its row holds a random nonce;
    the secret is derived from it with the key when the link is needed (`link_path`)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if lifetime <= timedelta(0):
        raise ValueError("a link's lifetime must be positive")
    at = ensure_utc(at)
    session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
                                               PasswordLink.expires_at > at)
                    .values(expires_at=at).execution_options(synchronize_session="fetch"))
    record = PasswordLink(user=user, nonce=secrets.token_urlsafe(32), purpose=purpose,
                          created_by_id=by.id if by is not None else None, created_at=at,
                          expires_at=at + lifetime)
    session.add(record)
    session.flush()
    return record


def send_link(session: Session, user: User, record: PasswordLink) -> None:
    """Tell the person, naming the link by its id only; the e-mail outbox makes the link when it sends
    the e-mail (`link_to_send`)."""
    kind = "account.invitation" if record.purpose == "invitation" else "account.password_reset"
    notify(session, user_id=user.id, kind=kind, dedupe_key=f"password-link:{record.id}",
           params={"name": user.name, "expires_at": format_instant(record.expires_at), LINK_ID_PARAM: record.id},
           at=record.created_at)


def link_to_send(session: Session, link_id, *, key: bytes, at: datetime) -> tuple[str, str | None]:
    """What the e-mail for link `link_id` may carry at `at`: (SENDABLE, its path) while it works;
    (EXPIRED, None) when it ran out unused and nothing replaced it (the e-mail says so); else
    (WITHDRAWN, None): it was used, a newer link replaced it, the account is deactivated, or it is
    gone or was made before migration 0032 (nothing is sent)."""
    at = ensure_utc(at)
    record = session.get(PasswordLink, link_id) if isinstance(link_id, int) else None
    if record is None or record.nonce is None or record.used_at is not None or not record.user.is_active:
        return WITHDRAWN, None
    newer = session.scalar(select(PasswordLink.id).where(PasswordLink.user_id == record.user_id,
                                                         PasswordLink.id > record.id).limit(1))
    if newer is not None:
        return WITHDRAWN, None
    if not record.is_usable(at):
        return EXPIRED, None
    return SENDABLE, link_path(record, key)


def _link_for_secret(session: Session, secret: str, key: bytes) -> PasswordLink | None:
    """The link whose secret is `secret`: `<id>.<mac>` (the mac compared in constant time), or a
    secret made before migration 0032, by its SHA-256."""
    number, dot, mac = secret.partition(".")
    if not dot:
        return session.scalar(select(PasswordLink).where(PasswordLink.token_hash == _digest(secret),
                                                         PasswordLink.nonce.is_(None)))
    link_id = parse_id(number) if number.isascii() and number == number.strip() else None
    record = session.get(PasswordLink, link_id) if link_id is not None else None
    if record is None or record.nonce is None:
        return None
    if not hmac.compare_digest(_mac(key, record).encode(), mac.encode("utf-8", "replace")):
        return None
    return record


def find_usable_link(session: Session, secret: str, *, key: bytes, at: datetime) -> PasswordLink:
    """The link for `secret` if it still works, else NotFound (never saying which reason)."""
    record = _link_for_secret(session, secret or "", key)
    if record is None or not record.is_usable(ensure_utc(at)) or not record.user.is_active:
        raise NotFound(LINK_UNUSABLE)
    return record


def set_password_with_link(session: Session, secret: str, new_password: str, *, key: bytes,
                           at: datetime) -> User:
    """Use the link once: check the password's strength, set it, end every session and API token."""
    at = ensure_utc(at)
    record = find_usable_link(session, secret, key=key, at=at)
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
    record = issue_link(session, user, purpose="invitation", by=by, at=at, lifetime=lifetime)
    send_link(session, user, record)
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
    record = issue_link(session, user, purpose="reset", by=by, at=at, lifetime=lifetime)
    send_link(session, user, record)
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
        record = issue_link(session, user, purpose="invitation", by=by, at=at, lifetime=lifetime)
        send_link(session, user, record)
        count += 1
    return count
