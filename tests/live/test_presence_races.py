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
from app.timekeeping import ensure_utc


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


def test_a_swept_departure_the_database_refused_is_written_at_the_next_beat_at_the_time_swept(
        app, session, seated, monkeypatch):
    """Redis has let the departure go once swept: a failed write is kept, not lost."""
    meeting_id, seat_id = seated
    counter = LocalPresence()
    monkeypatch.setattr(presence_module, "presence_for", lambda config: counter)
    monkeypatch.setattr(heartbeat, "_swept_waiting", [])
    swept = [[(meeting_id, seat_id, 40.0)], []]
    monkeypatch.setattr(counter, "sweep", lambda expiry=None: swept.pop(0))
    first_beat = world_time = ensure_utc(session.get(Meeting, meeting_id).starts_at) + timedelta(minutes=30)
    session.remove()
    monkeypatch.setattr(heartbeat, "now_utc", lambda: world_time)
    record_left, refusals = events.record_left, [RuntimeError("the database refused")]

    def refused_once(*args, **kwargs):
        if refusals:
            raise refusals.pop()
        return record_left(*args, **kwargs)

    monkeypatch.setattr(events, "record_left", refused_once)
    heartbeat.keep_presence(app)
    db.session.remove()
    assert seat_id in present_at(session, meeting_id)
    world_time = first_beat + timedelta(seconds=10)
    heartbeat.keep_presence(app)
    db.session.remove()
    assert seat_id not in present_at(session, meeting_id)
    left_at = session.scalar(select(Attendance.left_at).where(Attendance.meeting_id == meeting_id,
                                                              Attendance.user_id == seat_id))
    session.remove()
    assert ensure_utc(left_at) == first_beat - timedelta(seconds=40)
    assert heartbeat._swept_waiting == []


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


def _wait_until_waiting_for_the_lock(meeting_id: int) -> None:
    deadline = time.monotonic() + 20
    while not _waiting_for_presence_lock(db.engine, meeting_id):
        assert time.monotonic() < deadline, "nobody waited for the presence lock"
        time.sleep(0.02)


def _in_another_thread(app, work, outcome):
    def run():
        try:
            with app.app_context():
                outcome["answer"] = work()
                db.session.remove()
        except Exception as error:   # reported below, outside the thread
            outcome["error"] = error
    return threading.Thread(target=run)


def _needs_postgresql(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("several processes share PostgreSQL only (SQLite serves one)")


@pytest.mark.parametrize("coming_back", ["a resuming process records its connections again",
                                         "a new connection subscribes"])
def test_whoever_comes_back_while_a_departure_is_written_waits_for_it_then_is_joined_again(
        app, session, seated, monkeypatch, coming_back):
    """Another process is writing Li's departure (it took this one, stalled, for dead; or Li's last
    tab there closed) but has not committed. Li comes back here meanwhile: this process must not read
    Li as still present from before that departure, or Li would end up recorded gone while connected."""
    _needs_postgresql(session)
    meeting_id, seat_id = seated
    monkeypatch.setattr(events, "presence_for", lambda config: LocalPresence())   # Redis forgot Li
    monkeypatch.setattr(events, "_connections", {"sid-li": Connection(user_id=seat_id, token=None,
                                                                      meetings={meeting_id})})
    if coming_back.startswith("a resuming"):
        work = reassert_presence
    else:
        def work():
            return events._record_joined(db.session.get(User, seat_id), meeting_id)
    other_process, outcome = Session(bind=db.engine), {}
    returning = _in_another_thread(app, work, outcome)
    try:
        hold_presence(other_process, [meeting_id])
        meeting = other_process.get(Meeting, meeting_id)
        live_meeting.leave(other_process, meeting, other_process.get(User, seat_id),
                           at=meeting.starts_at + timedelta(minutes=2))
        other_process.flush()
        returning.start()
        _wait_until_waiting_for_the_lock(meeting_id)
        other_process.commit()
    finally:
        other_process.close()
        returning.join(timeout=20)
    assert "error" not in outcome
    db.session.remove()
    assert seat_id in present_at(session, meeting_id)
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined", "presence.left", "presence.joined"]


def test_a_departure_waits_for_a_join_being_written_and_then_finds_the_person_connected(
        app, session, seated):
    """Li's last connection in one process goes while Li connects through another, whose join holds
    the meeting's presence: the departure checks who is connected only once that join is done."""
    _needs_postgresql(session)
    meeting_id, seat_id = seated
    counter, outcome = LocalPresence(), {}

    def depart():
        return events.record_left(counter, db.session.get(Meeting, meeting_id), db.session.get(User, seat_id),
                                  at=db.session.get(Meeting, meeting_id).starts_at + timedelta(minutes=2))

    other_process = Session(bind=db.engine)
    departing = _in_another_thread(app, depart, outcome)
    try:
        hold_presence(other_process, [meeting_id])   # the other process is recording Li's join
        departing.start()
        _wait_until_waiting_for_the_lock(meeting_id)
        counter.add(meeting_id, seat_id, "sid-new")  # ... for the connection it has just counted
        other_process.commit()
    finally:
        other_process.close()
        departing.join(timeout=20)
    assert outcome == {"answer": False}
    db.session.remove()
    assert seat_id in present_at(session, meeting_id)
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined"]


def test_recording_connections_again_ends_its_hold_even_when_nobody_is_joined(app, session, seated, monkeypatch):
    """A process that held several meetings' presence and went on to take another's in the same
    transaction (a swept departure) would take locks out of order, and two such could deadlock."""
    _needs_postgresql(session)
    meeting_id, seat_id = seated
    monkeypatch.setattr(events, "presence_for", lambda config: LocalPresence())
    monkeypatch.setattr(events, "_connections", {"sid-li": Connection(user_id=seat_id, token=None,
                                                                      meetings={meeting_id})})
    assert reassert_presence() == 1                   # Li is still recorded present: nobody is joined
    with db.engine.connect() as connection:
        held = connection.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = CAST(:lock_class AS oid) "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"lock_class": PRESENCE_LOCK_CLASS})
    assert held == 0
    assert presence_events(session, meeting_id, seat_id) == ["presence.joined"]
