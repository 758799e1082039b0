"""A web process's live heartbeat: a background task that, every LIVE_HEARTBEAT_SECONDS and as soon
as Redis answers again after an outage, tells each connection the latest seq of every room it holds
(Socket.IO event `heads` `{"rooms": {"meeting:12": 845, ...}}`). A client further behind than that
replays from its last contiguous seq, so an event lost in transit (a dropped Redis message, a
Redis restart) is caught up without a reconnect.

Cost: one primary-key query on `live_rooms` per 500 rooms this process serves
(app.live.publish.room_heads), then one message per connection, sent straight to it (never through
Redis, so it works during an outage).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from app.extensions import db, socketio
from app.live.publish import room_heads
from app.live.queue import message_queue_health
from app.timekeeping import now_utc

log = logging.getLogger(__name__)

HEADS_EVENT = "heads"
TICK_SECONDS = 1.0   # how often Redis is pinged to notice it is back

_started = threading.Lock()
_state = {"app": None, "thread": None}
# Departures a sweep took from Redis but could not write (the database refused): Redis has
# forgotten them, so they are tried again at the next beat, at the time the sweep found.
_swept_waiting: list[tuple[int, int, datetime]] = []


def ensure_running(app) -> None:
    """Start this process's heartbeat (once); it serves the app of the latest connection."""
    _state["app"] = app
    with _started:
        if _state["thread"] is None:
            _state["thread"] = socketio.start_background_task(_run)


def _run() -> None:
    next_heads = next_beat = sweep_from = 0.0
    after_outage = False
    while True:
        socketio.sleep(TICK_SECONDS)
        app = _state["app"]
        if app is None:
            continue
        try:
            redis_url = app.config.get("REDIS_URL")
            recovered = bool(redis_url) and message_queue_health.check(redis_url)
            if recovered or time.monotonic() >= next_heads:
                next_heads = time.monotonic() + app.config["LIVE_HEARTBEAT_SECONDS"]
                send_heads(app)
            if not redis_url:
                continue
            expiry = app.config["LIVE_PRESENCE_EXPIRY_SECONDS"]
            if message_queue_health.down or recovered:
                # Nobody could beat during the outage: judge no process dead (and record no missed
                # departure) until every live one has had an expiry's time to beat and re-record.
                sweep_from = time.monotonic() + expiry
                after_outage = True
            if not message_queue_health.down and time.monotonic() >= next_beat:
                next_beat = time.monotonic() + expiry / 3
                keep_presence(app, sweep=time.monotonic() >= sweep_from, reassert=after_outage)
                after_outage = False
        except Exception:
            log.exception("live: heartbeat failed; trying again")


def keep_presence(app, *, sweep: bool = True, reassert: bool = False) -> int:
    """Beat for this process's connections, and record them again with `reassert` (after an outage)
    or while the presence counter says this process stalled longer than the expiry; with
    `sweep`, record the departures Redis missed during an outage and those of whoever was present
    only through a process that stopped beating. Returns how many people a dead process took."""
    from app.accounts.models import User
    from app.live.presence import presence_for
    from app.meetings.models import Meeting

    from app.live.events import reassert_presence, record_left, record_waiting_departures

    counter = presence_for(app.config)
    counter.beat()
    # A stalled process, not a dead one: another process may have recorded this one's people as gone
    # while they are still connected here. Stalled until reasserted (a failure tries again next beat).
    reassert = reassert or counter.stalled
    gone = counter.sweep() if sweep else []
    now = now_utc()
    departures = _swept_waiting[:] + [(meeting_id, user_id, now - timedelta(seconds=silent))
                                      for meeting_id, user_id, silent in gone]
    _swept_waiting.clear()
    with app.app_context():
        try:
            if reassert:
                reassert_presence()
                counter.reasserted()
            if sweep:
                record_waiting_departures()
        finally:
            # Whatever failed above, the swept departures are written (or kept): Redis has let them go.
            for meeting_id, user_id, at in departures:
                try:
                    meeting, user = db.session.get(Meeting, meeting_id), db.session.get(User, user_id)
                    if meeting is not None and user is not None and record_left(counter, meeting, user, at=at):
                        log.info("live: user %s left meeting %s with a web process that stopped",
                                 user_id, meeting_id)
                except Exception:
                    db.session.rollback()
                    if not _swept_waiting:   # once a beat, however many fail
                        log.exception("live: recording a departure from a stopped process failed; trying again")
                    _swept_waiting.append((meeting_id, user_id, at))
            db.session.remove()
    return len(gone)


def held_rooms() -> dict[str, dict[str, bool]]:
    """{sid: {room: summary level?}} for every connection this process serves, holding rooms or not."""
    from app.live.events import _connections, _lock

    with _lock:
        return {sid: {room: socket_room != room for room, socket_room in connection.rooms.items()}
                for sid, connection in _connections.items()}


def send_heads(app) -> int:
    """Send every connection of this process its rooms' latest seqs; returns how many were sent.
    Every connection is told, one holding no room too: a room a client subscribed that its heads do
    not name is not held here (the subscribe was lost or refused for a passing reason), and the
    client subscribes again (docs/live.md, step 5)."""
    held = held_rooms()
    if not held:
        return 0
    rooms = {room for rooms in held.values() for room in rooms}
    heads = {}
    if rooms:
        with app.app_context():
            try:
                heads = room_heads(db.session, rooms)
                db.session.commit()
            finally:
                db.session.remove()
    for sid, levels in held.items():
        payload = {room: heads.get(room, (0, 0))[1 if summary else 0] for room, summary in levels.items()}
        socketio.emit(HEADS_EVENT, {"rooms": payload}, to=sid, namespace="/", ignore_queue=True)
    return len(held)
