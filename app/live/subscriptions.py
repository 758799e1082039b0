"""Who is subscribed to which live room, and taking people out of rooms they may no longer see.

Access to a room is checked when a client subscribes (app/live/events.py). A change that can narrow
it — an invitation withdrawn or declined, a case taken off an agenda, a case's consent, site or board
changed, a board membership or a role removed, an account deactivated — is noticed when the session
flushes (`ACCESS_COLUMNS`, `rooms_to_recheck`). Once that transaction commits, and before its own events are emitted,
every subscriber of the affected rooms, and every room of the affected people, is checked again with
`room_access` (`revoke_lost_access`). Whoever may no longer see a room is taken out of it and told
with the Socket.IO event `unsubscribed` `{"room": ..., "reason": ...}`; someone who now sees only a
case's summary is taken out too and may subscribe again at that level.

Who is subscribed where is kept in this process, or in Redis when REDIS_URL is set: then the change
may be made in any process (another web process, the scheduler), and python-socketio forwards
`leave_room` over the message queue to the process holding the connection.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass

from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole
from app.boards.models import BoardMember
from app.cases.models import Case
from app.live.publish import before_emit, current_emitter
from app.live.queue import PerMessageQueue
from app.live.rooms import room_access
from app.meetings.models import AgendaItem, Invitation, Meeting

log = logging.getLogger(__name__)

REVOKED_EVENT = "unsubscribed"
# A stable code for programs beside the stable reason (pages word it themselves, in the reader's language).
REVOKED_CODE, REVOKED_REASON = "access_withdrawn", "access withdrawn"
# A process that dies leaves its subscriptions behind (checking them again costs a little, harms
# nobody); a room's entries expire this long after its last new subscriber. Longer than any page
# stays open without reconnecting, and so resubscribing.
REDIS_TTL_SECONDS = 7 * 24 * 3600

_WATCH = "live_access_watch"   # session.info: {"rooms": set, "users": set} noted at flush


@dataclass(frozen=True)
class Subscriber:
    sid: str
    user_id: int
    socket_room: str


# --- the registry ---------------------------------------------------------------------------------


class LocalSubscriptions:
    """Subscriptions of the clients this process serves."""

    def __init__(self):
        self._rooms: dict[str, dict[str, tuple[int, str]]] = {}
        self._user_rooms: dict[int, set[str]] = {}
        self._lock = threading.Lock()

    def add(self, room: str, sid: str, user_id: int, socket_room: str) -> None:
        with self._lock:
            self._rooms.setdefault(room, {})[sid] = (user_id, socket_room)
            self._user_rooms.setdefault(user_id, set()).add(room)

    def remove(self, room: str, sid: str) -> None:
        with self._lock:
            members = self._rooms.get(room)
            if not members or sid not in members:
                return
            user_id, _ = members.pop(sid)
            if not members:
                del self._rooms[room]
            if not any(uid == user_id for uid, _ in (members or {}).values()):
                self._user_rooms.get(user_id, set()).discard(room)

    def members(self, room: str) -> list[Subscriber]:
        with self._lock:
            return [Subscriber(sid, uid, socket_room)
                    for sid, (uid, socket_room) in self._rooms.get(room, {}).items()]

    def rooms_of(self, user_id: int) -> set[str]:
        with self._lock:
            return set(self._user_rooms.get(user_id, ()))


class RedisSubscriptions:
    """The same, shared by every process: a hash per room (sid -> [user, socket room]) and a set of
    rooms per person (`members` is the truth; a room leaves the set with the person's last sid)."""

    def __init__(self, client, prefix: str):
        self.client, self.prefix = client, prefix

    def _room_key(self, room: str) -> str:
        return f"{self.prefix}:subscribers:{room}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:rooms-of:{user_id}"

    def add(self, room: str, sid: str, user_id: int, socket_room: str) -> None:
        pipe = self.client.pipeline()
        pipe.hset(self._room_key(room), sid, json.dumps([user_id, socket_room]))
        pipe.expire(self._room_key(room), REDIS_TTL_SECONDS)
        pipe.sadd(self._user_key(user_id), room).expire(self._user_key(user_id), REDIS_TTL_SECONDS)
        pipe.execute()

    def remove(self, room: str, sid: str) -> None:
        key = self._room_key(room)
        value = self.client.hget(key, sid)
        if value is None:
            return
        self.client.hdel(key, sid)
        user_id = json.loads(value)[0]
        if not any(json.loads(other)[0] == user_id for other in self.client.hvals(key)):
            self.client.srem(self._user_key(user_id), room)

    def members(self, room: str) -> list[Subscriber]:
        found = []
        for sid, value in self.client.hgetall(self._room_key(room)).items():
            user_id, socket_room = json.loads(value)
            found.append(Subscriber(sid.decode() if isinstance(sid, bytes) else sid, int(user_id), socket_room))
        return found

    def rooms_of(self, user_id: int) -> set[str]:
        return {room.decode() if isinstance(room, bytes) else room
                for room in self.client.smembers(self._user_key(user_id))}


# One registry per message queue (or one for this process without Redis).
subscriptions_for = PerMessageQueue(LocalSubscriptions, RedisSubscriptions)


# --- which changes can narrow access --------------------------------------------------------------


# The columns that decide who sees what (app.cases.visibility, app.boards.operations,
# app.live.rooms). A change to any other column (a login time, the meeting's current case) narrows
# nobody's access and costs no recheck. Deleting such a row always counts.
ACCESS_COLUMNS = {
    Invitation: {"status", "user_id", "meeting_id"},
    AgendaItem: {"status", "case_id", "meeting_id"},
    Case: {"cross_border_consent", "organization_id", "residency_region", "board_id"},
    Meeting: {"board_id", "chair_id", "created_by_id"},
    BoardMember: {"board_id", "user_id", "role"},
    UserRole: {"user_id", "role"},
    User: {"is_active", "organization_id"},
}


def rooms_to_recheck(changed) -> tuple[set[str], set[int]]:
    """Rooms whose subscribers, and people whose rooms, must be checked again.

    `changed`: (row, names of its changed columns, or None for a deleted row). New rows only ever
    widen access, so they are not passed here."""
    rooms: set[str] = set()
    users: set[int] = set()
    for row, columns in changed:
        relevant = ACCESS_COLUMNS.get(type(row))
        if relevant is None or (columns is not None and not columns & relevant):
            continue
        if isinstance(row, Invitation):
            users.add(row.user_id)          # the meeting's room and the cases on its agenda
        elif isinstance(row, AgendaItem):
            rooms.add(f"case:{row.case_id}")
        elif isinstance(row, Case):
            rooms.add(f"case:{row.id}")
        elif isinstance(row, Meeting):
            rooms.add(f"meeting:{row.id}")
        elif isinstance(row, (BoardMember, UserRole)):
            users.add(row.user_id)
        elif isinstance(row, User):
            users.add(row.id)
    return rooms, users


def revoke_lost_access(session, registry, server, rooms, users, *, on_left_meeting=None) -> list[tuple[str, Subscriber]]:
    """Take every subscriber who may no longer see a room out of it; returns (room, subscriber) pairs.

    `server`: a python-socketio server (`leave_room(sid, room, namespace)`, `emit`).
    `on_left_meeting(meeting_id, subscriber)`: called for meeting rooms (presence ends there).
    """
    to_check = set(rooms)
    for user_id in users:
        to_check |= registry.rooms_of(user_id)
    people: dict[int, User | None] = {}
    revoked = []
    for room in sorted(to_check):
        for subscriber in registry.members(room):
            if subscriber.user_id not in people:
                people[subscriber.user_id] = session.get(User, subscriber.user_id)
            access = room_access(session, people[subscriber.user_id], room)
            if access is not None and access.socket_room == subscriber.socket_room:
                continue
            server.leave_room(subscriber.sid, subscriber.socket_room, namespace="/")
            server.emit(REVOKED_EVENT, {"room": room, "code": REVOKED_CODE, "reason": REVOKED_REASON},
                        to=subscriber.sid, namespace="/")
            registry.remove(room, subscriber.sid)
            revoked.append((room, subscriber))
            if room.startswith("meeting:") and on_left_meeting is not None:
                on_left_meeting(int(room.split(":")[1]), subscriber)
    return revoked


# --- the session hooks (installed once for every session) -----------------------------------------


def _changed_columns(row) -> set[str]:
    state = sa_inspect(row)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _after_flush(session, flush_context) -> None:
    # Still the pre-flush view here: session.dirty / deleted and each attribute's history.
    changed = [(row, _changed_columns(row)) for row in session.dirty if type(row) in ACCESS_COLUMNS]
    changed += [(row, None) for row in session.deleted if type(row) in ACCESS_COLUMNS]
    if not changed:
        return
    rooms, users = rooms_to_recheck(changed)
    if rooms or users:
        watch = session.info.setdefault(_WATCH, {"rooms": set(), "users": set()})
        watch["rooms"] |= rooms
        watch["users"] |= users


def _after_rollback(session) -> None:
    if not session.in_nested_transaction():   # a rolled-back savepoint leaves the rest to commit
        session.info.pop(_WATCH, None)


def after_commit(session) -> None:
    """Recheck what the committed transaction may have narrowed. Runs before its events are emitted
    (app.live.publish's `before_emit`); never raises: the change itself has committed. Releasing a
    savepoint commits nothing, so it waits for the outermost commit."""
    if session.in_nested_transaction():
        return
    watch = session.info.pop(_WATCH, None)
    if not watch:
        return
    try:
        _recheck_in_app(session.get_bind(), watch["rooms"], watch["users"])
    except Exception:
        log.exception("live: rechecking access after a change failed")


def _recheck_in_app(bind, rooms, users) -> None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return
    emitter = current_emitter()
    if emitter is None or emitter.server is None:
        return   # nobody can be subscribed through this process and there is no message queue
    registry = subscriptions_for(current_app.config)
    with Session(bind=bind, expire_on_commit=False) as check:
        revoke_lost_access(check, registry, emitter.server, rooms, users,
                           on_left_meeting=lambda meeting_id, subscriber: _left_meeting(
                               check, current_app.config, meeting_id, subscriber))
        check.commit()


def _left_meeting(session, config, meeting_id: int, subscriber: Subscriber) -> None:
    """Someone taken out of a meeting's room is no longer present through that connection."""
    from app.meetings import live as live_meeting
    from app.live.presence import presence_for
    from app.timekeeping import now_utc

    if not presence_for(config).remove(meeting_id, subscriber.user_id, subscriber.sid):
        return   # still connected to it another way (or never counted)
    meeting, user = session.get(Meeting, meeting_id), session.get(User, subscriber.user_id)
    if meeting is not None and user is not None:
        live_meeting.leave(session, meeting, user, at=now_utc())


sa_event.listen(Session, "after_flush", _after_flush)
sa_event.listen(Session, "after_commit", after_commit)
# And from the outbox, before it sends the commit's events: the order then holds by itself, not by the
# order SQLAlchemy calls listeners in. Whichever call comes first does the work; the other finds none.
before_emit.connect(after_commit)
sa_event.listen(Session, "after_rollback", _after_rollback)
