"""The set-password link a person's e-mail carries, composed as the outbox composes it (the database holds
only the link's id and nonce; the link is derived with the app's SECRET_KEY)."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts import password_links
from app.notifications import delivery
from app.notifications.models import SECRET_LINK_KINDS, Notification

BASE_URL = "https://meridian.example.org"


def emailed_text(app, session, user, *, at=None) -> str | None:
    """The text of the e-mail of the person's latest set-password notification, at `at` (default: when it
    was made); None when the outbox would not send it."""
    session.expire_all()
    notification = session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.kind.in_(SECRET_LINK_KINDS))
                                   .order_by(Notification.id.desc())).first()
    assert notification is not None, f"no set-password notification for {user.email}"
    key = password_links.link_key(app.config["SECRET_KEY"])
    secret_link = delivery.secret_link_for(session, notification, key=key, at=at or notification.created_at)
    if secret_link is None:
        return None
    message = delivery.email_for(notification, user, base_url=BASE_URL, sender="mdt@example.org",
                                 secret_link=secret_link)
    return message.get_payload(decode=True).decode()


def emailed_link(app, session, user, *, at=None) -> str:
    """The path of the set-password link in that e-mail (`/set-password/<id>.<mac>`)."""
    text = emailed_text(app, session, user, at=at)
    assert text is not None, "the outbox would not send this e-mail"
    [line] = [line for line in text.splitlines() if line.startswith(BASE_URL + password_links.LINK_PATH)]
    return line.removeprefix(BASE_URL)
