"""Private iCalendar feeds: a person's meetings and on-call shifts, in UTC, with no patient data.

Each item keeps a stable UID; SEQUENCE comes from the item's own counter, raised on every change;
items that were cancelled, declined or handed to someone else stay in the feed as
STATUS:CANCELLED so that calendar clients remove them instead of keeping stale copies. A meeting is
TENTATIVE until the person accepts it, then CONFIRMED; it carries a reminder 15 minutes before and,
while the person may join, the call (`URL` and RFC 7986 `CONFERENCE`).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import icalendar
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.boards.operations import boards_by_id
from app.calendar.models import CalendarFeed
from app.conferencing.operations import CLOSED_STATES, call_link
from app.meetings.models import Invitation, Meeting
from app.notifications.texts import translations
from app.rotas.models import CoverRequest, OnCallShift
from app.timekeeping import ensure_utc
from app.vocabulary import N_

PRODUCT_ID = "-//Meridian//MDT case boards//EN"
UID_DOMAIN = "meridian"
# How far back the feed reaches; clients keep older items themselves.
HISTORY = timedelta(days=90)
REMINDER_BEFORE = timedelta(minutes=15)
# Invitation states that still hold a place at the meeting (and so the call).
HOLDING_STATES = ("pending", "accepted", "tentative")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_feed_secret(session: Session, user: User) -> str:
    """Create the user's feed, or replace its secret (the old URL stops working). Shown once."""
    secret = secrets.token_urlsafe(24)
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, secret_hash=_digest(secret))
        session.add(feed)
    else:
        feed.secret_hash = _digest(secret)
    session.flush()
    return secret


def revoke_feed(session: Session, user: User) -> bool:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        return False
    session.delete(feed)
    session.flush()
    return True


def user_for_secret(session: Session, secret: str) -> User | None:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == _digest(secret)))
    if feed is None:
        return None
    user = session.get(User, feed.user_id)
    return user if user is not None and user.is_active else None


def _event(uid: str, summary: str, starts_at: datetime, ends_at: datetime, sequence: int,
           cancelled: bool, stamp: datetime, description: str = "", status: str = "CONFIRMED") -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("summary", summary)
    event.add("dtstart", ensure_utc(starts_at))
    event.add("dtend", ensure_utc(ends_at))
    event.add("dtstamp", ensure_utc(stamp))
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else status)
    if description:
        event.add("description", description)
    return event


ON_CALL = N_("On call: %(rota)s")
JOIN_THE_CALL = N_("Join the call")
STARTS_IN_15_MINUTES = N_("%(title)s starts in 15 minutes")


def _add_call(event: icalendar.Event, url: str, label: str) -> None:
    event.add("url", url)
    event.add("conference", url, parameters={"VALUE": "URI", "FEATURE": "AUDIO,VIDEO", "LABEL": label})


def _add_reminder(event: icalendar.Event, text: str) -> None:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", -REMINDER_BEFORE)
    event.add_component(alarm)


def build_feed(session: Session, user: User, *, at: datetime, base_url: str = "", locale: str = "en") -> bytes:
    """The person's meetings and on-call shifts; the words in their language (calendar apps send none)."""
    words = translations(locale)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Meridian")
    since = ensure_utc(at) - HISTORY

    invitations = session.scalars(
        select(Invitation).join(Meeting).options(joinedload(Invitation.meeting))
        .where(Invitation.user_id == user.id, Meeting.ends_at >= since)
        .order_by(Meeting.starts_at)
    ).all()
    boards = boards_by_id(session, (invitation.meeting.board_id for invitation in invitations))
    for invitation in invitations:
        meeting = invitation.meeting
        cancelled = meeting.status == "cancelled" or invitation.status in ("declined", "withdrawn")
        event = _event(
            f"meeting-{meeting.id}", meeting.title, meeting.starts_at, meeting.ends_at,
            meeting.sequence, cancelled, meeting.updated_at,
            description=f"{base_url}/meetings/{meeting.id}" if base_url else "",
            status="CONFIRMED" if invitation.status == "accepted" else "TENTATIVE",
        )
        if not cancelled:
            _add_reminder(event, words.gettext(STARTS_IN_15_MINUTES) % {"title": meeting.title})
            link = call_link(session, meeting, boards.get(meeting.board_id)) if invitation.status in HOLDING_STATES \
                and meeting.status not in CLOSED_STATES else None
            if link:
                _add_call(event, base_url + link if link.startswith("/") else link, words.gettext(JOIN_THE_CALL))
        calendar.add_component(event)

    handed_over = select(CoverRequest.shift_id).where(
        CoverRequest.requested_by_id == user.id, CoverRequest.status == "approved")
    shifts = session.scalars(
        select(OnCallShift).options(joinedload(OnCallShift.rota))
        .where(OnCallShift.ends_at >= since, OnCallShift.published.is_(True),  # a draft is nobody's yet
               or_(OnCallShift.user_id == user.id, OnCallShift.id.in_(handed_over)))
        .order_by(OnCallShift.starts_at)
    ).all()
    for shift in shifts:
        no_longer_mine = shift.user_id != user.id
        calendar.add_component(_event(
            f"oncall-{shift.id}", words.gettext(ON_CALL) % {"rota": shift.rota.name}, shift.starts_at, shift.ends_at,
            shift.sequence, shift.status == "cancelled" or no_longer_mine, shift.updated_at,
        ))
    return calendar.to_ical()
