"""E-mail copies of notifications: which are due, and what the message says (plain Python)."""
from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.notifications.models import Notification
from app.notifications.texts import recipient_locale, render
from app.timekeeping import ensure_utc

# Older notifications are not e-mailed any more (the inbox still has them).
EMAIL_WITHIN = timedelta(days=2)


def pending_emails(session: Session, at: datetime, *, limit: int = 200) -> list[Notification]:
    return list(session.scalars(
        select(Notification).where(Notification.emailed_at.is_(None),
                                   Notification.created_at >= ensure_utc(at) - EMAIL_WITHIN)
        .order_by(Notification.id).limit(limit)))


def email_for(notification: Notification, user: User, *, base_url: str, sender: str,
              default_locale: str = "en") -> EmailMessage:
    """The message in the recipient's language and zone (their saved language, else one they speak
    that Meridian has, else the deployment's default)."""
    text = render(notification.kind, notification.params, locale=recipient_locale(user, default_locale),
                  zone=user.timezone)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user.email
    message["Subject"] = f"[Meridian] {text.subject}"
    lines = [text.subject, "", text.body or ""]
    if notification.link:
        lines += ["", base_url.rstrip("/") + notification.link]
    message.set_content("\n".join(lines).strip() + "\n")
    return message
