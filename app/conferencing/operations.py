"""Where a meeting's participants meet by video, and who may join.

A meeting's own link, else its board's (Teams, Zoom, Webex: any https URL), is the call. Without one,
a deployment with Jitsi Meet configured (`configure`, from config.py) gives each meeting a room whose
name is derived from the meeting id with the deployment's secret (so nobody can guess another
meeting's room), entered with a JWT per participant: signed with the same secret, naming the room
and the person, `moderator` for whoever runs the meeting, and valid only around the meeting's time.
Only people who take part in the meeting may join. Plain Python (no Flask); callers commit.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import Board
from app.errors import InvalidInput
from app.meetings.models import Meeting
from app.timekeeping import ensure_utc
from app.vocabulary import N_

URL_LIMIT = 500
LINK, JITSI = "link", "jitsi"
# Meetings nobody joins any more.
CLOSED_STATES = ("cancelled", "finished")
# Hosts of the services people paste links of, for a button that says where it leads.
SERVICES = (("teams.microsoft.com", "Microsoft Teams"), ("teams.live.com", "Microsoft Teams"),
            ("zoom.us", "Zoom"), ("zoomgov.com", "Zoom"), ("webex.com", "Webex"))

URL_NOT_HTTPS = N_("Give the call's full address starting with https://, e.g. https://zoom.us/j/123456789.")
URL_TOO_LONG = N_("The call's address is longer than %(limit)s characters.")


@dataclass(frozen=True)
class JitsiServer:
    origin: str  # https://meet.example.org — scripts and frames come from here only
    app_id: str
    secret: str
    margin: timedelta

    @property
    def domain(self) -> str:
        return urlsplit(self.origin).netloc


_jitsi: JitsiServer | None = None


def configure(url: str | None, app_id: str = "meridian", secret: str | None = None, margin_minutes: int = 15) -> None:
    """The deployment's Jitsi Meet server, or none (`url` empty): links only. ConfigurationError names a
    setting it cannot work with."""
    from config import ConfigurationError

    global _jitsi
    if not url:
        _jitsi = None
        return
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigurationError("JITSI_URL",
                                 "JITSI_URL must be the Jitsi Meet server's origin, e.g. https://meet.example.org")
    if not secret:
        raise ConfigurationError("JITSI_APP_SECRET",
                                 "JITSI_APP_SECRET must be set when JITSI_URL is: it signs every participant's token")
    _jitsi = JitsiServer(origin=f"{parts.scheme}://{parts.netloc}", app_id=app_id, secret=secret,
                         margin=timedelta(minutes=margin_minutes))


def jitsi_server() -> JitsiServer | None:
    return _jitsi


def clean_conference_url(field: str, value) -> str | None:
    """An https URL (or None to remove the link); InvalidInput naming `field` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, URL_NOT_HTTPS)
    value = value.strip()
    if len(value) > URL_LIMIT:
        raise InvalidInput(field, URL_TOO_LONG, params={"limit": URL_LIMIT})
    parts = urlsplit(value)
    if (parts.scheme != "https" or not parts.hostname or "." not in parts.hostname or parts.username
            or parts.password or any(character.isspace() for character in value)):
        raise InvalidInput(field, URL_NOT_HTTPS)
    return value


def service_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    return next((name for suffix, name in SERVICES if host == suffix or host.endswith("." + suffix)), None)


def external_link(session: Session, meeting: Meeting, board: Board | None = None) -> str | None:
    """The meeting's own link, else its board's (`board` when the caller has it loaded)."""
    if meeting.conference_url:
        return meeting.conference_url
    if board is None and meeting.board_id:
        board = session.get(Board, meeting.board_id)
    return board.conference_url if board is not None else None


def room_name(meeting: Meeting, server: JitsiServer) -> str:
    """Stable for the meeting, unguessable without the deployment's secret."""
    digest = hmac.new(server.secret.encode(), f"meridian-meeting:{meeting.id}".encode(), hashlib.sha256).digest()
    return "mdt" + base64.b32encode(digest[:20]).decode().lower()


def provider(session: Session, meeting: Meeting, board: Board | None = None) -> str | None:
    """LINK, JITSI, or None when the meeting has no call."""
    if external_link(session, meeting, board):
        return LINK
    return JITSI if _jitsi is not None else None


def may_join(session: Session, meeting: Meeting, user: User) -> bool:
    """Invitees still holding their place, the chair and the board's members, while the meeting is on."""
    from app.meetings.live import takes_part

    return meeting.status not in CLOSED_STATES and takes_part(session, meeting, user)


def call_link(session: Session, meeting: Meeting, board: Board | None = None) -> str | None:
    """What invitations, reminders and the calendar point to: the external link, or (Jitsi) the live page,
    which hands each person their own token."""
    kind = provider(session, meeting, board)
    if kind == LINK:
        return external_link(session, meeting, board)
    if kind == JITSI:
        return f"/meetings/{meeting.id}/live"
    return None


def token_window(meeting: Meeting, server: JitsiServer, at: datetime) -> tuple[datetime, datetime]:
    """From `margin` before the start to `margin` after the end (or after now, while it overruns)."""
    end = ensure_utc(meeting.ends_at)
    if meeting.status == "in_progress":
        end = max(end, ensure_utc(at))
    return ensure_utc(meeting.starts_at) - server.margin, end + server.margin


def participant_token(meeting: Meeting, user: User, *, moderator: bool, at: datetime,
                      server: JitsiServer) -> str:
    opens, closes = token_window(meeting, server, at)
    claims = {
        "iss": server.app_id, "aud": server.app_id, "sub": server.domain, "room": room_name(meeting, server),
        "iat": int(ensure_utc(at).timestamp()), "nbf": int(opens.timestamp()), "exp": int(closes.timestamp()),
        "moderator": moderator,
        "context": {"user": {"id": str(user.id), "name": user.name, "moderator": moderator}},
    }
    return jwt.encode(claims, server.secret, algorithm="HS256")


def join_details(session: Session, meeting: Meeting, user: User, *, at: datetime) -> dict | None:
    """How `user` joins the meeting's call, or None (no call, or not theirs to join).

    link:  {"kind": "link", "url", "service"}
    jitsi: {"kind": "jitsi", "origin", "domain", "room", "url", "opens_at", "closes_at", "moderator",
            "token"}; `token` is None outside the window (the page says when the call opens).
    """
    kind = provider(session, meeting)
    if kind is None or not may_join(session, meeting, user):
        return None
    if kind == LINK:
        url = external_link(session, meeting)
        return {"kind": LINK, "url": url, "service": service_of(url)}
    from app.meetings.live import may_run

    server = _jitsi
    at = ensure_utc(at)
    opens, closes = token_window(meeting, server, at)
    moderator = may_run(session, meeting, user)
    room = room_name(meeting, server)
    return {"kind": JITSI, "origin": server.origin, "domain": server.domain, "room": room,
            "url": f"{server.origin}/{room}", "opens_at": opens, "closes_at": closes, "moderator": moderator,
            "token": participant_token(meeting, user, moderator=moderator, at=at, server=server)
            if opens <= at < closes else None}


def set_meeting_link(session: Session, meeting: Meeting, url) -> dict:
    """Give the meeting its own link (None: back to the board's, or Jitsi). Returns the change."""
    cleaned = clean_conference_url("conference_url", url)
    before = meeting.conference_url
    meeting.conference_url = cleaned
    if before != cleaned:
        meeting.sequence += 1  # calendar clients pick up the new link
    session.flush()
    return {"from": before, "to": cleaned} if before != cleaned else {}


def board_link_changed(session: Session, board: Board) -> int:
    """Raise the calendar sequence of the board's meetings still to come that follow its link (a meeting
    with its own link keeps its call), so calendar clients replace the old link. Returns how many."""
    following = session.scalars(select(Meeting).where(
        Meeting.board_id == board.id, Meeting.status.not_in(CLOSED_STATES),
        Meeting.conference_url.is_(None))).all()
    for meeting in following:
        meeting.sequence = (meeting.sequence or 0) + 1
    session.flush()
    return len(following)
