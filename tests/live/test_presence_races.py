"""A departure and a return at the same moment, in two processes: whoever is connected when both are
done is recorded present.

A departure is recorded only if the presence counter holds no connection of the person when it is
written, and a join reads who is recorded present only after any departure being written at that
meeting has landed (`presence.hold_presence`, PostgreSQL's advisory locks)."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.extensions import db
from app.live import events, heartbeat
from app.live import presence as presence_module
from app.live.events import Connection, reassert_presence
from app.live.models import LiveEvent
from app.live.presence import PRESENCE_LOCK_CLASS, LocalPresence, hold_presence
from app.meetings import live as live_meeting
from app.meetings.models import Attendance, Meeting


# Each read ends its transaction: on SQLite an open one would keep the heartbeat from writing.
def present_at(session, meeting_id: int) -> set[int]:
    present = set(session.scalars(select(Attendance.user_id)
                                  .where(Attendance.meeting_id == meeting_id, Attendance.left_at.is_(None))))
    session.remove()
    return present


def presence_events(session, meeting_id: int, user_id: int) -> list[str]:
    types = [event.type for event in session.scalars(
        select(LiveEvent).where(LiveEvent.room == f"meeting:{meeting_id}", LiveEvent.type.like("presence.%"))
        .order_by(LiveEvent.seq)) if event.data.get("user_id") == user_id]
    session.remove()
    return types


@pytest.fixture
def seated(world, session):
    """Radiologist Li, recorded present at the running meeting (the attendance and its event)."""
    meeting, seat = session.get(Meeting, world.meeting.id), session.get(User, world.seat_cn.id)
    live_meeting.join(session, meeting, seat, at=meeting.starts_at + timedelta(minutes=1))
    session.commit()
    return meeting.id, seat.id


def test_a_person_a_stopped_process_took_is_not_recorded_gone_once_they_are_connected_again(
        app, session, seated, monkeypatch):
    """The sweep found that Li's last connection was in a process that stopped beating; before their
    departure is written, Li is connected again (the process resumed, or another tab)."""
    meeting_id, seat_id = seated
    counter = LocalPresence()
    monkeypatch.setattr(presence_module, "presence_for", lambda config: counter)
    monkeypatch.setattr(counter, "sweep", lambda expiry=None: [(meeting_id, seat_id, 40.0)])
    counter.add(meeting_id, seat_id, "sid-back")

    assert heartbeat.keep_presence(app) == 1
    db.session.remove()
    assert seat_id in present_at(session, meeting_id)
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined"]

    counter.remove(meeting_id, seat_id, "sid-back")           # now truly gone: the departure is written
    heartbeat.keep_presence(app)
    db.session.remove()
    assert seat_id not in present_at(session, meeting_id)
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined", "presence.left"]


def test_closing_the_last_tab_while_another_process_takes_a_new_one_leaves_the_person_present(
        app, session, seated, monkeypatch):
    """Li's last connection here goes; between the counter saying so and the departure being
    written, a connection of Li's is recorded through another process."""
    meeting_id, seat_id = seated

    class AnotherProcessConnects(LocalPresence):
        def remove(self, meeting_id, user_id, sid):
            last = super().remove(meeting_id, user_id, sid)
            self.add(meeting_id, user_id, "sid-other-process")
            return last

    counter = AnotherProcessConnects()
    counter.add(meeting_id, seat_id, "sid-here")
    monkeypatch.setattr(events, "presence_for", lambda config: counter)
    monkeypatch.setattr(events, "_connections", {"sid-here": Connection(user_id=seat_id, token=None,
                                                                        meetings={meeting_id})})
    events._presence_leave(seat_id, meeting_id, "sid-here")
    db.session.remove()
    assert seat_id in present_at(session, meeting_id)
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined"]


def _waiting_for_presence_lock(engine, meeting_id: int) -> bool:
    with engine.connect() as connection:
        return bool(connection.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = CAST(:lock_class AS oid) AND objid = CAST(:meeting_id AS oid) "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"lock_class": PRESENCE_LOCK_CLASS, "meeting_id": meeting_id}))


def test_a_resuming_process_waits_for_a_departure_being_written_then_joins_the_person_again(
        app, session, seated, monkeypatch):
    """Another process is writing Li's departure (it took this one, stalled, for dead) but has not
    committed. This process resumes and records its connections again: it must not read Li as still
    present from before that departure, or Li would end up recorded gone while connected."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("several processes share PostgreSQL only (SQLite serves one)")
    meeting_id, seat_id = seated
    monkeypatch.setattr(events, "presence_for", lambda config: LocalPresence())   # Redis forgot Li
    monkeypatch.setattr(events, "_connections", {"sid-li": Connection(user_id=seat_id, token=None,
                                                                      meetings={meeting_id})})
    other_process = Session(bind=db.engine)
    outcome = {}

    def resume():
        try:
            with app.app_context():
                outcome["forgotten"] = reassert_presence()
                db.session.remove()
        except Exception as error:   # reported below, outside the thread
            outcome["error"] = error

    resuming = threading.Thread(target=resume)
    try:
        hold_presence(other_process, [meeting_id])
        live_meeting.leave(other_process, other_process.get(Meeting, meeting_id), other_process.get(User, seat_id),
                           at=other_process.get(Meeting, meeting_id).starts_at + timedelta(minutes=2))
        other_process.flush()
        resuming.start()
        deadline = time.monotonic() + 20
        while not _waiting_for_presence_lock(db.engine, meeting_id):
            assert time.monotonic() < deadline, "reasserting did not wait for the departure being written"
            time.sleep(0.02)
        other_process.commit()
    finally:
        other_process.close()
        resuming.join(timeout=20)
    assert outcome == {"forgotten": 1}
    db.session.remove()
    assert seat_id in present_at(session, meeting_id)
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined", "presence.left", "presence.joined"]
