"""After a Redis outage or a stall, a process records its connections in Redis again
(`reassert_presence`): whoever had been recorded as gone is present again, nobody else is announced,
and finding out whom the forgotten connections belong to takes the same few statements for 3
connections as for 30."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.live import events
from app.live.events import Connection, reassert_presence
from app.live.models import LiveEvent
from app.live.presence import LocalPresence, RedisPresence
from app.meetings import attendance
from app.meetings import live as live_meeting
from app.meetings.models import Attendance, Invitation, Meeting
from tests.conftest import TEST_REDIS_URL
from tests.sql_statements import recorded_statements


@pytest.fixture
def process(monkeypatch, world, session):
    """This process's connections, and a presence counter that has forgotten all of them (a Redis that
    restarted empty, or one where another process took this one for dead)."""
    monkeypatch.setattr(events, "_connections", {})
    monkeypatch.setattr(events, "presence_for", lambda config: LocalPresence())
    other = Meeting(title="Tumour board, second room", kind="adhoc", starts_at=world.meeting.starts_at,
                    ends_at=world.meeting.ends_at, host_timezone="Asia/Shanghai", status="scheduled",
                    sequence=0, chair_id=world.chair.id)
    session.add(other)
    session.commit()

    class Process:
        meetings = (world.meeting, other)
        joined_at = world.meeting.starts_at + timedelta(minutes=1)

        def connect(self, users):
            """Each user connected (one sid) to one of the two meetings, in turn; invited to it."""
            placed = []
            for n, user in enumerate(users):
                meeting = self.meetings[n % 2]
                session.add(Invitation(meeting_id=meeting.id, user_id=user.id, discipline_code="radiology",
                                       role="seat", status="accepted", busy_from=meeting.starts_at,
                                       busy_until=meeting.ends_at))
                events._connections[f"sid-{user.id}"] = Connection(user_id=user.id, token=None,
                                                                   meetings={meeting.id})
                placed.append((meeting, user))
            session.commit()
            return placed

    return Process()


def people(make_user, count):
    return [make_user("specialist", name=f"Specialist {n}") for n in range(count)]


def open_stretches(session):
    return set(session.execute(select(Attendance.meeting_id, Attendance.user_id)
                               .where(Attendance.left_at.is_(None))).all())


def joins_published(session):
    return session.scalar(select(func.count()).select_from(LiveEvent).where(LiveEvent.type == "presence.joined"))


def reassert_counting_statements():
    db.session.remove()   # nothing of theirs in the session already: every read shows
    with recorded_statements(db.engine) as sent:
        forgotten = reassert_presence()
    db.session.remove()
    return forgotten, [statement for statement, _ in sent]


def test_reasserting_reads_the_forgotten_people_in_the_same_statements_for_3_as_for_30(
        process, session, make_user):
    """Redis restarted empty (an outage): every connection is forgotten there, but the database
    still has everyone present, so nobody is joined again and only the reads remain."""
    everyone = people(make_user, 33)
    counts = {}
    for count, users in ((3, everyone[:3]), (30, everyone[3:])):
        events._connections.clear()
        for meeting, user in process.connect(users):
            attendance.mark_joined(session, meeting, user, at=process.joined_at)
        session.commit()
        present, published = open_stretches(session), joins_published(session)
        forgotten, statements = reassert_counting_statements()
        assert forgotten == count
        assert open_stretches(session) == present and joins_published(session) == published
        counts[count] = len(statements)
    assert counts[3] == counts[30] <= 3, counts


def test_whoever_was_recorded_gone_is_joined_again_and_one_failed_join_stops_nobody_else(
        process, session, make_user, monkeypatch, caplog):
    """A stall: another process recorded these people as gone. The users and meetings are read a
    chunk at a time (here 7 ids per statement)."""
    monkeypatch.setattr(events, "IN_CHUNK", 7, raising=False)
    placed = process.connect(people(make_user, 20))
    ids = [(meeting.id, user.id) for meeting, user in placed]
    for meeting, user in placed:
        attendance.mark_joined(session, meeting, user, at=process.joined_at)
        attendance.mark_left(session, meeting, user, at=process.joined_at + timedelta(minutes=1))
    still_there, failing = placed[0], ids[1]
    attendance.mark_joined(session, *still_there, at=process.joined_at + timedelta(minutes=2))
    session.commit()
    published = joins_published(session)

    join = live_meeting.join

    def join_failing_for_one(session_, meeting, user, *, at):
        if user.id == failing[1]:
            raise RuntimeError("the database refused")
        return join(session_, meeting, user, at=at)

    monkeypatch.setattr(live_meeting, "join", join_failing_for_one)
    with caplog.at_level("ERROR", logger="app.live.events"):
        assert reassert_presence() == 20
    db.session.remove()
    assert open_stretches(session) == set(ids) - {failing}
    assert joins_published(session) == published + 18      # neither the one still there nor the failure
    assert [r for r in caplog.records if f"meeting {failing[0]} failed" in r.getMessage()]


def test_connections_redis_still_has_are_left_alone(process, session, make_user, monkeypatch):
    placed = process.connect(people(make_user, 4))
    counter = LocalPresence()
    monkeypatch.setattr(events, "presence_for", lambda config: counter)
    for meeting, user in placed:
        counter.add(meeting.id, user.id, f"sid-{user.id}")
    forgotten, statements = reassert_counting_statements()
    assert forgotten == 0 and statements == [] and open_stretches(session) == set()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_a_stall_is_reasserted_until_it_succeeds(app, monkeypatch):
    """A stall longer than the expiry is kept by the presence counter until this process's
    connections were recorded again: a failed attempt is tried again at the next beat."""
    import redis

    from app.live import heartbeat
    import app.live.presence as presence_module

    client = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = f"meridian-test-{uuid.uuid4().hex}"
    seconds = [100.0]
    counter = RedisPresence(client, prefix, process_id="p", expiry=30, clock=lambda: seconds[0])
    monkeypatch.setattr(presence_module, "presence_for", lambda config: counter)
    attempts = []

    def reassert(fail):
        def run():
            attempts.append(fail)
            if fail:
                raise RuntimeError("the database refused")
            return 0
        return run

    try:
        monkeypatch.setattr(events, "reassert_presence", reassert(False))
        heartbeat.keep_presence(app, sweep=False)
        seconds[0] += 10
        heartbeat.keep_presence(app, sweep=False)
        assert attempts == [] and not counter.stalled
        seconds[0] += 31                                   # stalled longer than the expiry
        monkeypatch.setattr(events, "reassert_presence", reassert(True))
        with pytest.raises(RuntimeError):
            heartbeat.keep_presence(app, sweep=False)
        assert counter.stalled
        seconds[0] += 10                                   # the next beat: on time, still to reassert
        monkeypatch.setattr(events, "reassert_presence", reassert(False))
        heartbeat.keep_presence(app, sweep=False)
        assert not counter.stalled
        seconds[0] += 10
        heartbeat.keep_presence(app, sweep=False)
        assert attempts == [True, False]
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
