"""Socket.IO handlers. Deny by default: a connection must prove who it is, and every event is
checked against who is asking (the token or session is re-checked on each event).

Protocol (namespace "/"):
- connect with `auth={"token": "<API token>"}` or the web session cookie; anything else is refused;
- `subscribe` `{"room": "meeting:12", "since": 41}` -> ack `{"ok": true, "seq": <latest seq of the
  room>}` or a refusal `{"ok": false, "code": ..., "error": ...}` (REFUSALS). With `since`, every event of the room with seq > since
  that the client may see is sent (event "event", in order, straight over this connection) *before*
  the ack; live events follow. With `limit` too, at most that many are sent and the ack's `next`
  (while more follow) is the `since` of the next page. The room is joined before the backlog is read, so an event committed
  meanwhile arrives live or in the backlog or both;
- every event names `prev`, the room's previous event: clients apply a room's events strictly in
  seq order and, on a gap, subscribe again with `since` = their last contiguous seq; the heartbeat
  (`heads`, app/live/heartbeat.py) reveals a lost last event (docs/live.md, "Delivery protocol";
  app/static/js/live.js);
- `unsubscribe` `{"room": ...}` -> `{"ok": true}`;
- any other event -> `{"ok": false, "code": "unknown_event", "error": "unknown event"}`.
A refusal's `error` is in the language the person saved (else the handshake's).
Joining `meeting:<id>` as someone taking part records presence (presence.joined); unsubscribing or
disconnecting records leaving (presence.left).
Subscribing to a room whose events are patient data (`case:<id>` at full access, `meeting:<id>`) is a
read: each subscription leaves one audit row naming the room, `live.replayed` when a backlog was sent,
`live.subscribed` otherwise, committed before the ack.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from contextlib import nullcontext

from flask import current_app, request
from flask_babel import force_locale
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room
from redis.exceptions import RedisError
from sqlalchemy import select

from app.accounts import operations as accounts
from app.accounts.models import User
from app.audit.operations import record as audit
from app.extensions import db, socketio
from app.errors import in_readers_language
from app.i18n import LOCALES, current_locale_code
from app.live import heartbeat
from app.live import publish as live_publish
from app.live.presence import hold_presence, presence_for
from app.live.queue import message_queue_health
from app.live.rooms import room_access
from app.live.subscriptions import subscriptions_for
from app.notifications.operations import replayed_for_reader
from app.timekeeping import now_utc
from app.vocabulary import N_

log = logging.getLogger(__name__)

# Replay comes a page at a time: REPLAY_PAGE events unless the client asks for `limit` (at most
# REPLAY_PAGE_MAX), and `next` while more follow. A client further behind than RESET_AFTER events is
# told to reload its state over the API (`reset: true`) rather than paged through the backlog.
REPLAY_PAGE = 50
REPLAY_PAGE_MAX = 200
RESET_AFTER = 5000


@dataclass
class Connection:
    user_id: int
    token: str | None
    rooms: dict[str, str] = field(default_factory=dict)   # asked room -> joined Socket.IO room
    meetings: set[int] = field(default_factory=set)         # meetings where this sid counts as present


_connections: dict[str, Connection] = {}
_lock = threading.RLock()


def authenticate_connection(auth):
    """The user behind a Socket.IO connection: `auth={"token": ...}`, else the session cookie."""
    if isinstance(auth, dict) and auth.get("token"):
        record = accounts.resolve_token(db.session, str(auth["token"]), at=now_utc())
        if record is not None:
            accounts.note_token_use(record, at=now_utc())  # on_connect commits
        return record.user if record and record.user.is_active else None
    if isinstance(auth, dict) and auth:
        return None  # credentials were offered and they are not a token: refuse, do not fall back
    if current_user.is_authenticated and current_user.is_active:
        return current_user._get_current_object()
    return None


def current_connection_user():
    """Re-check the credentials of the current sid; None when they no longer hold."""
    with _lock:
        connection = _connections.get(request.sid)
    if connection is None:
        return None, None
    if connection.token is not None:
        record = accounts.resolve_token(db.session, connection.token, at=now_utc())
        user = record.user if record is not None and record.user.id == connection.user_id else None
    else:
        user = db.session.get(User, connection.user_id)
        if not (current_user.is_authenticated and current_user.id == connection.user_id):
            user = None
    if user is None or not user.is_active:
        return None, connection
    return user, connection


def on_connect(auth=None):
    try:
        user = authenticate_connection(auth)
        token = str(auth["token"]) if user is not None and isinstance(auth, dict) and auth.get("token") else None
        user_id = user.id if user is not None else None
        db.session.commit()
    finally:
        db.session.remove()
    if user_id is None:
        # Socket.IO's own exception (not Python's built-in of the same name, which it answers with its
        # English words): the first argument becomes the error's message, the second its data.
        raise ConnectionRefusedError(in_readers_language(REFUSALS["authentication_required"]),
                                     {"code": "authentication_required"})
    live_publish.mark_serving()
    with _lock:
        _connections[request.sid] = Connection(user_id=user_id, token=token)
    heartbeat.ensure_running(current_app._get_current_object())
    return True


# Why an event was refused: `code` for programs (stable), `error` for a person (their language).
REFUSALS = {
    "authentication_required": N_("authentication required"),
    "internal_error": N_("internal error"),
    "subscribe_needs_room": N_('send {"room": "meeting:<id>", "since": <seq>} (since optional)'),
    "invalid_since": N_("since must be a whole number >= 0 (the last seq you saw in this room)"),
    "invalid_limit": N_("limit must be a whole number from 1 to %(limit_max)s (events replayed at most)"),
    "not_allowed": N_("not allowed, or no such room"),
    "not_connected": N_("not connected"),
    "unsubscribe_needs_room": N_('send {"room": ...}'),
    "not_subscribed": N_("not subscribed to %(room)s"),
    "unknown_event": N_("unknown event"),
}


def _refuse(code: str, **params) -> dict:
    """A refusal, its words in the reader's language (`_guarded`: the person's saved one)."""
    return {"ok": False, "code": code, "error": in_readers_language(REFUSALS[code], params)}


def _in_language(locale: str | None):
    return force_locale(locale) if locale in LOCALES else nullcontext()


def _guarded(handler):
    """Run an event handler for an authenticated sid, in a session that is always closed, in the
    person's saved language whatever the handshake said (a token has no session)."""
    def run(*args):
        locale = None
        try:
            user, connection = current_connection_user()
            if user is None:
                db.session.rollback()
                if connection is not None:
                    disconnect()
                return _refuse("authentication_required")
            locale = user.locale
            with _in_language(locale):
                return handler(user, connection, *args)
        except Exception:
            db.session.rollback()
            log.exception("live: %s failed", handler.__name__)
            with _in_language(locale):
                return _refuse("internal_error")
        finally:
            db.session.remove()
    run.__name__ = handler.__name__
    return run


def _room_argument(data):
    if not isinstance(data, dict) or not isinstance(data.get("room"), str):
        return None
    return data["room"]


def carries_patient_data(access) -> bool:
    """Whether the events of a room joined at `access` are patient data, so that subscribing is a read
    to audit: a case seen in full (comments, notes, reasons) and a meeting (its live agenda). A case's
    summary room, a board's room (case ids and states) and one's own notifications are not."""
    return (access.kind == "case" and not access.summary) or access.kind == "meeting"


def subscribed_detail(access) -> dict:
    """What `live.subscribed` records: the room (never anything its events carry)."""
    return {"room": access.room, **({"access": "full"} if access.kind == "case" else {})}


def on_subscribe(data=None):
    return _guarded(_subscribe)(data)


def _subscribe(user, connection, data):
    room = _room_argument(data)
    if room is None:
        return _refuse("subscribe_needs_room")
    since = data.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
        return _refuse("invalid_since")
    limit = data.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= REPLAY_PAGE_MAX):
        return _refuse("invalid_limit", limit_max=REPLAY_PAGE_MAX)
    access = room_access(db.session, user, room)
    if access is None:
        db.session.rollback()
        return _refuse("not_allowed")
    sid = request.sid
    # Join first, then read: whatever commits after this read is emitted to the room (live);
    # whatever committed before it is in the backlog. Overlap is removed by seq on the client.
    # Registered before joining, so a change that narrows access from here on finds this sid when it
    # is rechecked (app/live/subscriptions.py).
    registry = subscriptions_for(current_app.config)
    registered = _registry_call("registering a subscription", registry.add, room, sid, user.id,
                                access.socket_room)
    try:
        join_room(access.socket_room)
    except KeyError:   # the client went away while this was handled (a page left at once)
        if registered:
            _registry_call("forgetting a subscription", registry.remove, room, sid)
        db.session.rollback()
        return _refuse("not_connected")
    with _lock:
        connection.rooms[room] = access.socket_room
    # Check again in a new transaction: a change that narrowed access between the first check and
    # the registration was rechecked without this sid.
    db.session.commit()
    db.session.expire_all()
    again = room_access(db.session, db.session.get(User, user.id), room)
    if again is None or again.socket_room != access.socket_room:
        leave_room(access.socket_room)
        _registry_call("forgetting a subscription", registry.remove, room, sid)
        with _lock:
            connection.rooms.pop(room, None)
        db.session.rollback()
        return _refuse("not_allowed")
    latest = live_publish.latest_seq(db.session, room)
    answer = {"ok": True, "seq": latest, "room": room}
    if access.summary:
        answer["level"] = "summary"
    audited = False
    if since is not None and since < latest:
        # A page of the backlog (LIMIT in SQL), and `next` (the seq to subscribe again with) while more
        # follow; a client too far behind to page through is told to reload instead.
        page_size = limit or REPLAY_PAGE
        events = live_publish.backlog(db.session, room, since, latest, summary=access.summary,
                                      limit=page_size + 1)
        if len(events) > page_size and live_publish.more_than(db.session, room, since, latest, RESET_AFTER,
                                                              summary=access.summary):
            answer["reset"] = True   # reload the state over the API
        else:
            if len(events) > page_size:
                events = events[:page_size]
                answer["next"] = events[-1].seq
            payloads = [live_publish.payload_of(live_event, summary=access.summary) for live_event in events]
            if access.kind == "user":   # a person's notifications, in the language they read now
                payloads = replayed_for_reader(db.session, payloads, user, locale=current_locale_code())
            for payload in payloads:
                # Straight to this connection (it is ours), not over the message queue: the backlog
                # arrives before the ack and in order, with or without Redis.
                socketio.emit(live_publish.SOCKET_EVENT, payload, to=sid, namespace="/", ignore_queue=True)
            answer["replayed"] = len(events)
            # Replayed comments and notes are patient data read by this person.
            audit(db.session, "live.replayed", actor=user, target_type=access.kind, target_id=access.object_id,
                  source_address=request.remote_addr,
                  detail={"room": room, "since": since, "events": len(events),
                          "access": "summary" if access.summary else "full"})
            audited = True   # names the room: it records this subscription too
    if not audited and carries_patient_data(access):
        # From here on this person receives the room's events as they happen (a comment's body, the
        # notes): the case's (or meeting's) trail shows who follows it live. One row per subscription.
        audit(db.session, "live.subscribed", actor=user, target_type=access.kind, target_id=access.object_id,
              source_address=request.remote_addr, detail=subscribed_detail(access))
    db.session.commit()   # the audit, and the end of the read before writing presence
    if access.kind == "meeting":
        try:
            _presence_join(user, connection, access.object_id, sid)
        except RedisError as exc:   # presence waits for Redis; the subscription itself stands
            message_queue_health.failed(f"recording presence: {exc}")
    return answer


def on_unsubscribe(data=None):
    return _guarded(_unsubscribe)(data)


def _unsubscribe(user, connection, data):
    room = _room_argument(data)
    if room is None:
        return _refuse("unsubscribe_needs_room")
    with _lock:
        socket_room = connection.rooms.pop(room, None)
    if socket_room is None:
        return _refuse("not_subscribed", room=room)
    leave_room(socket_room)
    _registry_call("forgetting a subscription", subscriptions_for(current_app.config).remove, room, request.sid)
    if room.startswith("meeting:"):
        _presence_leave_or_later(user.id, int(room.split(":")[1]), request.sid)
    return {"ok": True, "room": room}


def on_disconnect(*args):
    sid = request.sid
    with _lock:
        connection = _connections.pop(sid, None)
    if connection is None:
        return
    try:
        registry = subscriptions_for(current_app.config)
        for room in list(connection.rooms):
            _registry_call("forgetting a subscription", registry.remove, room, sid)
        for meeting_id in list(connection.meetings):
            _presence_leave_or_later(connection.user_id, meeting_id, sid)
    except Exception:
        db.session.rollback()
        log.exception("live: recording a departure or forgetting subscriptions failed")
    finally:
        db.session.remove()


def _registry_call(what: str, method, *args) -> bool:
    """Use the shared subscription registry; during a Redis outage say so and go on without it.

    A subscription not registered is not rechecked when access narrows until it subscribes again
    (every reconnect does); answering from the database matters more than that bookkeeping."""
    try:
        method(*args)
        return True
    except RedisError as exc:
        message_queue_health.failed(f"{what}: {exc}")
        return False


def on_unknown(event, *args):
    return _guarded(_unknown)()


def _unknown(user, connection):
    return _refuse("unknown_event")


def _register(message: str, handler) -> None:
    """Register on `socketio` so that every app initialised later gets the handler too.

    Flask-SocketIO keeps a decorated handler for later `init_app` calls only when no server exists
    yet; the factory imports this module after `init_app`, so a second app (tests, a CLI process
    creating two apps) would otherwise have no handlers at all (and accept every connection).
    """
    server, socketio.server = socketio.server, None
    try:
        socketio.on(message)(handler)
    finally:
        socketio.server = server
    if server is not None:
        server.on(message, socketio.handlers[-1][1], namespace="/")


for _message, _handler in (("connect", on_connect), ("subscribe", on_subscribe),
                           ("unsubscribe", on_unsubscribe), ("disconnect", on_disconnect),
                           ("*", on_unknown)):
    _register(_message, _handler)


# --- log noise ------------------------------------------------------------------------------------


class WebsocketCloseNoise(logging.Filter):
    """Werkzeug's development server (`run.py`) reads the client's last websocket frames (its close
    frame, the Socket.IO disconnect packet) as the next HTTP request on the connection, and logs
    "code 400, message Bad request syntax ('\\x88…')" (or "Bad request version", "Bad HTTP/0.9
    request type") at ERROR plus a 400 access line, on every close. Neither is an error. A request
    line that is not HTTP at all is dropped from the log; every real request is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if "code 400, message Bad request" in message or "code 400, message Bad HTTP/0.9" in message:
            return False
        return not (" HTTP/0.9" in message and '" 400 ' in message)


def quiet_websocket_closes() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, WebsocketCloseNoise) for f in logger.filters):
        logger.addFilter(WebsocketCloseNoise())


quiet_websocket_closes()


# --- presence -------------------------------------------------------------------------------------


def _presence_join(user, connection, meeting_id: int, sid: str) -> None:
    with _lock:
        connection.meetings.add(meeting_id)
    if not presence_for(current_app.config).add(meeting_id, user.id, sid):
        return  # already present through another connection (here or in another process)
    _record_joined(user, meeting_id)


def _record_joined(user, meeting_id: int) -> None:
    """Record `user` present at the meeting now (announced unless already recorded present)."""
    from app.meetings.models import Meeting

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is not None:
        _join_now(user, meeting_id, meeting)


def _join_now(user, meeting_id: int, meeting) -> None:
    """`_record_joined` with the meeting in hand; a failure is logged (and rolled back), not raised."""
    from app.meetings import live as live_meeting

    try:
        hold_presence(db.session, [meeting_id])   # a departure being recorded meanwhile lands first
        live_meeting.join(db.session, meeting, user, at=now_utc())
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("live: recording presence at meeting %s failed", meeting_id)


# Departures Redis could not record (it was down): recorded by the heartbeat once it answers again,
# or this live process's connections would count as present for as long as it lives.
_departures_waiting: list[tuple[int, int, str]] = []


def _presence_leave_or_later(user_id: int, meeting_id: int, sid: str) -> None:
    try:
        _presence_leave(user_id, meeting_id, sid)
    except RedisError as exc:
        db.session.rollback()
        message_queue_health.failed(f"recording a departure: {exc}")
        with _lock:
            _departures_waiting.append((user_id, meeting_id, sid))


def record_waiting_departures() -> int:
    """Record the departures Redis missed (in an app context, Redis reachable); returns how many.

    Each connection is recorded again first: a Redis that restarted empty has forgotten it, and
    only then does removing it tell whether it was the person's last."""
    with _lock:
        waiting = list(_departures_waiting)
        _departures_waiting.clear()
    counter = presence_for(current_app.config)
    for index, (user_id, meeting_id, sid) in enumerate(waiting):
        try:
            counter.add(meeting_id, user_id, sid)
            _presence_leave(user_id, meeting_id, sid)
        except Exception as exc:   # Redis or the database: kept, tried again at the next beat
            db.session.rollback()
            if not isinstance(exc, RedisError):
                log.exception("live: recording a waiting departure failed; trying again")
            with _lock:
                _departures_waiting.extend(waiting[index:])
            return index
    return len(waiting)


def reassert_presence() -> int:
    """Record this process's present connections in Redis again (after an outage, a Redis that
    restarted empty has forgotten them; after a stall, another process may have taken this one for
    dead). Whoever was recorded as gone meanwhile is present again (`presence.joined`); nobody else
    is announced. Returns how many connections Redis had forgotten.

    The people and meetings of the forgotten connections, and who of them is still recorded present,
    are read IN_CHUNK ids per statement (not one person at a time: after a Redis restart that is
    every connection of the process)."""
    with _lock:
        present = [(connection.user_id, meeting_id, sid) for sid, connection in _connections.items()
                   for meeting_id in connection.meetings]
    counter = presence_for(current_app.config)
    forgotten: list[tuple[int, int]] = []
    try:
        for user_id, meeting_id, sid in present:
            if counter.add(meeting_id, user_id, sid):
                forgotten.append((user_id, meeting_id))
    finally:
        # Even when Redis fails part way: whoever it took back so far is not forgotten any more, so a
        # later attempt would not join them again.
        if forgotten:
            _join_again(forgotten)
    return len(forgotten)


# Ids per `IN (...)` statement when reading many rows at once.
IN_CHUNK = 500


def _in_chunks(column, ids):
    """`column IN (...)` conditions covering `ids`, IN_CHUNK at a time."""
    ids = sorted(set(ids))
    return [column.in_(ids[start:start + IN_CHUNK]) for start in range(0, len(ids), IN_CHUNK)]


def _join_again(forgotten: list[tuple[int, int]]) -> None:
    """Record present again each (user, meeting) not recorded present now (`presence.joined`)."""
    try:
        _join_those_not_present(forgotten)
    finally:
        # Ends the holds even when nobody was joined: the caller's next hold (a swept departure) in
        # the same transaction would take its lock out of order, and two processes could deadlock.
        db.session.rollback()


def _join_those_not_present(forgotten: list[tuple[int, int]]) -> None:
    from app.meetings.models import Attendance, Meeting

    meetings = {meeting.id: meeting for condition in _in_chunks(Meeting.id, [m for _, m in forgotten])
                for meeting in db.session.scalars(select(Meeting).where(condition))}
    hold_presence(db.session, meetings)   # departures being recorded land before who is present is read
    # Whoever is still recorded present (a Redis outage, not a stall) is not joined again (as
    # live_meeting.join would find); this reads everyone present at these meetings: few per meeting.
    still_present = {(user_id, meeting_id) for condition in _in_chunks(Attendance.meeting_id, meetings)
                     for meeting_id, user_id in db.session.execute(
                         select(Attendance.meeting_id, Attendance.user_id)
                         .where(condition, Attendance.left_at.is_(None)))}
    to_join = [(user_id, meeting_id) for user_id, meeting_id in forgotten
               if meeting_id in meetings and (user_id, meeting_id) not in still_present]
    users = {user.id: user for condition in _in_chunks(User.id, [u for u, _ in to_join])
             for user in db.session.scalars(select(User).where(condition))}
    for user_id, meeting_id in to_join:
        if user_id in users:
            _join_now(users[user_id], meeting_id, meetings[meeting_id])


def _presence_leave(user_id: int, meeting_id: int, sid: str) -> None:
    from app.meetings.models import Meeting

    with _lock:
        connection = _connections.get(sid)
        if connection is not None:
            connection.meetings.discard(meeting_id)
    counter = presence_for(current_app.config)
    if not counter.remove(meeting_id, user_id, sid):
        return  # still connected elsewhere
    meeting = db.session.get(Meeting, meeting_id)
    user = db.session.get(User, user_id)
    if meeting is None or user is None:
        return
    record_left(counter, meeting, user, at=now_utc())


def record_left(counter, meeting, user, *, at) -> bool:
    """Record `user` gone from `meeting` at `at`, unless the presence counter holds a connection of
    theirs again by now (they came back through another process, or the process thought dead
    resumed); commits. True when recorded."""
    from app.meetings import live as live_meeting

    try:
        hold_presence(db.session, [meeting.id])
        if counter.is_present(meeting.id, user.id):
            db.session.rollback()   # ends the hold
            return False
        left = live_meeting.leave(db.session, meeting, user, at=at)
        db.session.commit()
        return left
    except BaseException:
        db.session.rollback()   # ends the hold
        raise
