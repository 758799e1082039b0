"""Publishing live events: a row in the caller's transaction, an emit after it commits.

`publish(session, room, type, data, summary_data=...)` queues an event on the session. When the
session's outermost transaction commits (releasing a savepoint does not count), the events are inserted just before the commit (on PostgreSQL under
`pg_advisory_xact_lock(LIVE_EVENT_LOCK)`, so `seq` follows commit order and replay has no holes;
SQLite serialises writers already), and emitted to their rooms once the commit has succeeded.
A rollback drops them: nobody hears about a change that did not happen.

Emitting goes through Socket.IO rooms, so with REDIS_URL set it crosses processes. A process
that serves no Socket.IO clients (the `flask scheduler` process, a script) emits through a
write-only `external_emitter(config)` instead.

Viewers who may see only a case's pseudonymised summary sit in a parallel room
(`case:<id>:summary`) and receive `summary_data` as `data`; an event without `summary_data` never
reaches them.
"""
from __future__ import annotations

import logging
import re
import threading

from blinker import Namespace
from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from app.inputs import MAX_ID
from app.live.models import LiveEvent, LiveRoom
from app.timekeeping import format_instant, now_utc

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising the transactions that write live events ("MLIVE").
LIVE_EVENT_LOCK = 0x4D4C495645
# \Z, not $: "$" also matches before a trailing newline. Ids stay within PostgreSQL's integer.
ROOM_PATTERN = re.compile(r"\A(board|meeting|case|user):([1-9][0-9]{0,9})\Z")
SOCKET_EVENT = "event"
SUMMARY_SUFFIX = ":summary"

_PENDING = "live_pending"      # [(transaction, LiveEvent)] queued by publish()
_READY = "live_ready"          # payloads flushed in before_commit, emitted in after_commit
_HOOKED = "live_hooked"

# Sent after a commit and before its events go out (sender: the session). app.live.subscriptions
# listens: whoever the change took out of a room is out before the change's own events are sent.
# (Its Session-wide after_commit listener usually got there first, as SQLAlchemy calls class-level
# listeners before this session's own; the signal keeps the order without relying on that.)
before_emit = Namespace().signal("before-emit")

_state = threading.local()
_serving = threading.Event()
_emitters: dict[tuple[str, str], object] = {}
_emitters_lock = threading.Lock()


def summary_room(room: str) -> str:
    return room + SUMMARY_SUFFIX


def check_room(room: str) -> tuple[str, int]:
    match = ROOM_PATTERN.match(room or "")
    if match is None or int(match.group(2)) > MAX_ID:
        raise ValueError(f"not a live room: {room!r} (board:<id>, meeting:<id>, case:<id>, user:<id>)")
    return match.group(1), int(match.group(2))


def _real(session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def publish(session, room: str, type: str, data: dict, *, summary_data: dict | None = None) -> LiveEvent:
    """Queue an event for `room`; it is written in this transaction and emitted after its commit."""
    check_room(room)
    real = _real(session)
    _install_hooks(real)
    live_event = LiveEvent(room=room, type=type, data=dict(data or {}), at=now_utc())
    if summary_data is not None:
        live_event.summary_data = dict(summary_data)
    transaction = real.get_nested_transaction() or real.get_transaction()
    real.info.setdefault(_PENDING, []).append((transaction, live_event))
    return live_event


# A meeting's room is joined by everyone who may view the meeting, and not all of them may see every
# case on its agenda: what it sends names agenda positions, never cases. The stored row keeps the case
# (erasure finds its events by it); each viewer reads the case behind a position from the live state,
# which shows cases they may not see as "a case you cannot see".
CASE_KEYS = ("case_id", "case_ids", "current_case_id")


def payload_of(live_event: LiveEvent, *, summary: bool = False) -> dict:
    """What a client receives: full `data`, or for summary viewers `summary_data` as `data`; in a
    meeting's room without any case id (CASE_KEYS), whenever the event was written.

    `prev` is the seq of the room's previous event at this level (0: none, or not recorded)."""
    prev = live_event.summary_prev_seq if summary else live_event.prev_seq
    data = live_event.summary_data if summary else live_event.data
    if live_event.room.startswith("meeting:") and data:
        data = {key: value for key, value in data.items() if key not in CASE_KEYS}
    return {"seq": live_event.seq, "prev": prev or 0, "room": live_event.room, "type": live_event.type,
            "data": data, "at": format_instant(live_event.at)}


# --- the session hooks ----------------------------------------------------------------------------


def _install_hooks(real: Session) -> None:
    if real.info.get(_HOOKED):
        return
    real.info[_HOOKED] = True
    sa_event.listen(real, "before_commit", _before_commit)
    sa_event.listen(real, "after_commit", _after_commit)
    sa_event.listen(real, "after_rollback", _after_rollback)
    sa_event.listen(real, "after_soft_rollback", _after_soft_rollback)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return   # a savepoint released: its events wait for the real commit
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Held until this commit ends: events commit in the order their seq was drawn.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LIVE_EVENT_LOCK})
    events = [live_event for _, live_event in pending]
    # Chain each event to its room's previous one (under the lock above, so the chain is the commit
    # order): one read of the batch's rooms, one insert per event, one upsert per room.
    heads = room_heads(session, {live_event.room for live_event in events})
    for live_event in events:
        full, summary = heads.get(live_event.room, (0, 0))
        live_event.has_summary = live_event.summary_data is not None
        live_event.prev_seq, live_event.summary_prev_seq = full, summary
        session.add(live_event)
        session.flush()
        heads[live_event.room] = (live_event.seq, live_event.seq if live_event.has_summary else summary)
    _store_heads(session, {live_event.room: heads[live_event.room] for live_event in events})
    ready = session.info.setdefault(_READY, [])
    for live_event in events:
        ready.append((live_event.room, payload_of(live_event),
                      payload_of(live_event, summary=True) if live_event.has_summary else None))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return   # only a savepoint was released; nothing is committed yet

    # Whoever this change took out of a room must not receive the change's own events.
    before_emit.send(session)
    ready = session.info.pop(_READY, None)
    if ready:
        emit_payloads(ready)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return   # a savepoint: _after_soft_rollback drops only the events queued inside it
    session.info.pop(_PENDING, None)
    session.info.pop(_READY, None)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    """A savepoint rolled back: drop the events queued inside it (or inside its children)."""
    pending = session.info.get(_PENDING)
    if not pending:
        return

    def inside(transaction) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING] = [(t, e) for t, e in pending if not inside(t)]


# --- emitting -------------------------------------------------------------------------------------


def mark_serving() -> None:
    """Called by the Socket.IO connect handler: this process serves clients, emit through it."""
    _serving.set()


def external_emitter(config):
    """A write-only Socket.IO emitter on the message queue (for processes serving no clients).

    `config`: a mapping or object with REDIS_URL and SOCKETIO_CHANNEL. One per (url, channel).
    """
    get = config.get if hasattr(config, "get") else (lambda name, default=None: getattr(config, name, default))
    url = get("REDIS_URL")
    channel = get("SOCKETIO_CHANNEL", "meridian-socketio")
    if not url:
        raise RuntimeError("external_emitter needs REDIS_URL (the Socket.IO message queue)")
    with _emitters_lock:
        emitter = _emitters.get((url, channel))
        if emitter is None:
            from flask_socketio import SocketIO

            from app.live.queue import client_manager

            emitter = SocketIO(message_queue=url, channel=channel,
                               client_manager=client_manager(url, channel, write_only=True))
            _emitters[(url, channel)] = emitter
        return emitter


def current_emitter():
    """This process's Socket.IO server, the write-only emitter on the message queue, or None."""
    from flask import current_app, has_app_context

    from app.extensions import socketio

    if has_app_context() and current_app.config.get("REDIS_URL") and not _serving.is_set():
        return external_emitter(current_app.config)
    if socketio.server is None:
        return None
    return socketio


def emit_payloads(ready) -> None:
    """Emit (room, full payload, summary payload or None) triples; never raises (already committed)."""
    try:
        emitter = current_emitter()
    except Exception:
        log.exception("live: no emitter; %d event(s) not emitted (clients catch up by replay)", len(ready))
        return
    if emitter is None:
        return
    for room, full, summary in ready:
        try:
            emitter.emit(SOCKET_EVENT, full, to=room, namespace="/")
            if summary is not None and room.startswith("case:"):
                emitter.emit(SOCKET_EVENT, summary, to=summary_room(room), namespace="/")
        except Exception:
            log.exception("live: emitting seq %s to %s failed (clients catch up by replay)", full["seq"], room)


# --- reading the log ------------------------------------------------------------------------------


def latest_seq(session, room: str, *, summary: bool = False) -> int:
    return room_heads(session, [room]).get(room, (0, 0))[1 if summary else 0]


# Rooms per heads query: a heartbeat for thousands of rooms is a few queries, not one per room.
HEADS_CHUNK = 500
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def room_heads(session, rooms) -> dict[str, tuple[int, int]]:
    """Each room's latest seq, and latest seq summary viewers get: {room: (full, summary)}.

    Read from `live_rooms` (one row per room, by primary key), one query per HEADS_CHUNK rooms;
    rooms without events are left out."""
    rooms = sorted(set(rooms))
    heads: dict[str, tuple[int, int]] = {}
    for start in range(0, len(rooms), HEADS_CHUNK):
        chunk = rooms[start:start + HEADS_CHUNK]
        statement = select(LiveRoom.room, LiveRoom.seq, LiveRoom.summary_seq).where(LiveRoom.room.in_(chunk))
        for room, full, summary in session.execute(statement):
            heads[room] = (full or 0, summary or 0)
    return heads


def _store_heads(session, heads: dict[str, tuple[int, int]]) -> None:
    insert = _INSERT[session.get_bind().dialect.name]
    for room, (full, summary) in sorted(heads.items()):
        statement = insert(LiveRoom).values(room=room, seq=full, summary_seq=summary)
        session.execute(statement.on_conflict_do_update(
            index_elements=["room"], set_={"seq": statement.excluded.seq,
                                           "summary_seq": statement.excluded.summary_seq}))


def backlog(session, room: str, since: int, until: int, *, summary: bool = False,
            limit: int | None = None) -> list[LiveEvent]:
    """Events of `room` with since < seq <= until, in order (summary viewers: only those with summary_data)."""
    statement = (select(LiveEvent).where(LiveEvent.room == room, LiveEvent.seq > since,
                                         LiveEvent.seq <= until).order_by(LiveEvent.seq))
    if summary:
        statement = statement.where(LiveEvent.has_summary.is_(True))
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def more_than(session, room: str, since: int, until: int, count: int, *, summary: bool = False) -> bool:
    """Whether `room` holds more than `count` events with since < seq <= until (reads at most count + 1)."""
    statement = (select(LiveEvent.seq).where(LiveEvent.room == room, LiveEvent.seq > since,
                                             LiveEvent.seq <= until).order_by(LiveEvent.seq))
    if summary:
        statement = statement.where(LiveEvent.has_summary.is_(True))
    return session.scalar(statement.offset(count).limit(1)) is not None
