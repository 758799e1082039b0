"""Create notifications exactly once, and read the inbox. Plain Python; callers commit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.live.publish import publish
from app.notifications.models import SECRET_LINK_KINDS, Notification
from app.notifications.texts import STORED_TEXT, recipient_locale, render
from app.paging import DEFAULT_LIMIT, Page, keyset_page
from app.timekeeping import ensure_utc, now_utc

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def notify(session: Session, *, user_id: int, kind: str, dedupe_key: str, params: dict | None = None,
           subject: str | None = None, body: str = "", link: str | None = None,
           at: datetime | None = None) -> bool:
    """Add a notification unless one with `dedupe_key` exists; True when it was added.

    `params` are the notification's data (see app.notifications.texts for how each is shown; instants
    as `format_instant` strings). A caller with free text instead passes `subject` (and `body`): shown
    as written, in every language. The unique key makes this safe against a job that runs twice, a
    restart, or a second scheduler racing this one: the database keeps exactly one row.
    A set-password notification (SECRET_LINK_KINDS) takes no `link`: the database must never hold the
    link's secret; its params name the link and the outbox makes it when it sends the e-mail.
    """
    if kind in SECRET_LINK_KINDS and link is not None:
        raise ValueError(f"a {kind} notification names its link by id, never by the link itself")
    if subject is not None:
        params = {"text": STORED_TEXT, "subject": subject[:300], "body": body, **(params or {})}
    insert = _INSERT[session.get_bind().dialect.name]
    statement = insert(Notification).values(
        user_id=user_id, kind=kind, dedupe_key=dedupe_key, params=params or {},
        link=link, created_at=ensure_utc(at or now_utc()),
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification.id)
    notification_id = session.execute(statement).scalar()
    if notification_id is None:
        return False
    # One person's room: the event carries the subject as that person reads it.
    recipient = session.get(User, user_id)
    text = render(kind, params, locale=recipient_locale(recipient), zone=recipient.timezone)
    publish(session, f"user:{user_id}", "notification.created",
            {"id": notification_id, "kind": kind, "subject": text.subject,
             "link": link,
             "unread": unread_count(session, user_id)})
    return True


def rendered_inbox(session: Session, user, *, locale: str, unread_only: bool = False, limit: int = DEFAULT_LIMIT,
                   cursor: str | None = None) -> Page:
    """A page of a person's inbox as they read it: each notification's subject and body in `locale` and
    their zone."""
    page = inbox(session, user.id, unread_only=unread_only, limit=limit, cursor=cursor)
    rows = []
    for notification in page.rows:
        text = render(notification.kind, notification.params, locale=locale, zone=user.timezone)
        rows.append({"id": notification.id, "kind": notification.kind, "params": notification.params,
                     "subject": text.subject, "body": text.body, "link": notification.link,
                     "created_at": notification.created_at, "read_at": notification.read_at})
    return Page(rows=rows, next_cursor=page.next_cursor)


def inbox(session: Session, user_id: int, *, unread_only: bool = False, limit: int = DEFAULT_LIMIT,
          cursor: str | None = None) -> Page:
    """A page of a user's notifications, newest first."""
    statement = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return keyset_page(session, statement, columns=[Notification.created_at, Notification.id],
                       limit=limit, cursor=cursor, descending=True)


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(session: Session, user_id: int, notification_ids=None, *, at: datetime) -> int:
    """Mark some (or, with None, all) of a user's notifications read; returns how many changed."""
    statement = (update(Notification)
                 .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                 .values(read_at=ensure_utc(at)))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(list(notification_ids)))
    return session.execute(statement).rowcount


def replayed_for_reader(session: Session, payloads: list[dict], user, *, locale: str) -> list[dict]:
    """Live `notification.created` events being replayed to `user`, with each subject rendered again from
    its stored notification in the reader's language and zone now (the event keeps the words it was
    sent with; the reader may since have changed language or be reading in another one). Other events
    pass unchanged. One query whatever the number of events."""
    ids = [payload["data"].get("id") for payload in payloads if payload["type"] == "notification.created"]
    if not ids:
        return payloads
    stored = {notification.id: notification for notification in session.scalars(
        select(Notification).where(Notification.id.in_(ids), Notification.user_id == user.id))}
    readable = []
    for payload in payloads:
        notification = stored.get(payload["data"].get("id")) if payload["type"] == "notification.created" else None
        if notification is not None:
            text = render(notification.kind, notification.params, locale=locale, zone=user.timezone)
            payload = {**payload, "data": {**payload["data"], "subject": text.subject}}
        readable.append(payload)
    return readable
