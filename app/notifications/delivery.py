"""E-mail copies of notifications: which are due, claiming one before sending it, recording how it
went, and what the message says (plain Python).

The outbox guarantees (docs/meetings.md): a message is claimed (a conditional UPDATE, committed)
before it is sent, so two senders, or a restart, never send it twice in the normal case. A sender
that dies between sending and recording it leaves its claim to expire (CLAIM_EXPIRES) and the
message is sent once more, with the same Message-ID, which mail clients de-duplicate on: at most
one duplicate. A permanent refusal (5xx) marks only that message failed, with the reason; a
temporary one (4xx, no connection) is retried later with back-off.

A set-password notification (SECRET_LINK_KINDS) holds only its link's id: the link is derived when
the message is composed (`secret_link_for`, with the key from the app's SECRET_KEY) and only while it
still works. A link that ran out unused is left out and the message says so; a message whose link was
used, replaced by a newer one (whose own message follows) or whose account was deactivated is not sent
(`mark_email_withheld`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.notifications.models import SECRET_LINK_KINDS, Notification
from app.notifications.texts import recipient_locale, render, translations
from app.timekeeping import ensure_utc

# Older notifications are not e-mailed any more (the inbox still has them).
EMAIL_WITHIN = timedelta(days=2)


# A claim older than this was left by a sender that died: the message may be sent again.
CLAIM_EXPIRES = timedelta(minutes=10)
# Temporary failures are retried after 1, 2, 4 ... minutes, at most an hour apart, this many times.
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def _due(at: datetime):
    at = ensure_utc(at)
    return (Notification.emailed_at.is_(None), Notification.email_failed_at.is_(None),
            Notification.created_at >= at - EMAIL_WITHIN,
            or_(Notification.email_retry_at.is_(None), Notification.email_retry_at <= at),
            or_(Notification.email_claimed_at.is_(None), Notification.email_claimed_at < at - CLAIM_EXPIRES))


def pending_emails(session: Session, at: datetime, *, limit: int = 200) -> list[Notification]:
    """Messages to send now: not sent, not failed, not waiting for a retry, not claimed by a sender."""
    return list(session.scalars(select(Notification).where(*_due(at)).order_by(Notification.id).limit(limit)))


def claim_email(session: Session, notification: Notification, sender: str, at: datetime) -> bool:
    """Claim `notification` for `sender`; False when another sender has it (or it is done). The
    caller commits before sending."""
    claimed = session.execute(
        update(Notification).where(Notification.id == notification.id, *_due(at))
        .values(email_claimed_at=ensure_utc(at), email_claimed_by=sender)
        .execution_options(synchronize_session=False)).rowcount == 1
    if claimed:
        notification.email_claimed_at, notification.email_claimed_by = ensure_utc(at), sender
    return claimed


def mark_emailed(notification: Notification, at: datetime) -> None:
    notification.emailed_at = ensure_utc(at)
    notification.email_claimed_at = notification.email_claimed_by = None
    notification.email_attempts = (notification.email_attempts or 0) + 1


def mark_email_failed(notification: Notification, at: datetime, reason: str) -> None:
    """A permanent failure: this message is never tried again."""
    notification.email_failed_at = ensure_utc(at)
    notification.email_error = reason[:500]
    notification.email_claimed_at = notification.email_claimed_by = None
    notification.email_attempts = (notification.email_attempts or 0) + 1


WITHHELD = "withheld: "


def mark_email_withheld(notification: Notification, at: datetime, reason: str) -> None:
    """Not sent on purpose (its set-password link no longer works), and never tried again: recorded as
    a failure whose reason starts with "withheld: ", without counting as an attempt."""
    notification.email_failed_at = ensure_utc(at)
    notification.email_error = (WITHHELD + reason)[:500]
    notification.email_claimed_at = notification.email_claimed_by = None


@dataclass(frozen=True)
class SecretLink:
    """What the e-mail of a set-password notification carries, decided as it is composed."""
    path: str | None          # the working link (`/set-password/<id>.<mac>`), or None
    expired: bool = False     # the link ran out before the message could go: the message says so


def secret_link_for(session: Session, notification: Notification, *, key: bytes, at: datetime) -> SecretLink | None:
    """The link a set-password notification's e-mail carries now (derived with `key`, from
    `password_links.link_key(SECRET_KEY)`); None when the e-mail must not be sent at all."""
    from app.accounts import password_links

    state, path = password_links.link_to_send(
        session, (notification.params or {}).get(password_links.LINK_ID_PARAM), key=key, at=at)
    if state == password_links.SENDABLE:
        return SecretLink(path)
    if state == password_links.EXPIRED:
        return SecretLink(None, expired=True)
    return None


def retry_email_later(notification: Notification, at: datetime, reason: str) -> bool:
    """A temporary failure: try again after a back-off; after MAX_ATTEMPTS it fails for good.
    True when it will be retried."""
    attempts = (notification.email_attempts or 0) + 1
    if attempts >= MAX_ATTEMPTS:
        mark_email_failed(notification, at, f"gave up after {attempts} attempts: {reason}")
        return False
    notification.email_attempts = attempts
    notification.email_error = reason[:500]
    notification.email_retry_at = ensure_utc(at) + min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    notification.email_claimed_at = notification.email_claimed_by = None
    return True


def message_id(notification: Notification, sender: str) -> str:
    """The same for every attempt at this notification, so a duplicate is recognised as one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "meridian.invalid"
    digest = hashlib.sha256(notification.dedupe_key.encode()).hexdigest()[:16]
    return f"<notification-{notification.id}.{digest}@{domain}>"


def email_for(notification: Notification, user: User, *, base_url: str, sender: str,
              default_locale: str = "en", secret_link: SecretLink | None = None) -> EmailMessage:
    """The message in the recipient's language and zone (their saved language, else one they speak
    that Meridian has, else the deployment's default). A set-password notification's link is
    `secret_link` (from `secret_link_for`; without it the message carries no link)."""
    locale = recipient_locale(user, default_locale)
    text = render(notification.kind, notification.params, locale=locale, zone=user.timezone, base_url=base_url)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user.email
    message["Subject"] = f"[Meridian] {text.subject}"
    lines = [text.subject, "", text.body or ""]
    link = notification.link
    if notification.kind in SECRET_LINK_KINDS:
        link = secret_link.path if secret_link is not None else None
        if secret_link is not None and secret_link.expired:
            from app.accounts.password_links import LINK_EXPIRED_BEFORE_SENDING

            lines += ["", translations(locale).gettext(LINK_EXPIRED_BEFORE_SENDING)]
    if link:
        lines += ["", base_url.rstrip("/") + link]
    message.set_content("\n".join(lines).strip() + "\n")
    return message
