"""A person joins a meeting with their first connection and leaves with their last, in any process."""
import uuid

import pytest

from app.live.presence import LocalPresence, RedisPresence
from tests.conftest import TEST_REDIS_URL


def exercise(first_process, second_process):
    assert first_process.add(7, 3, "sid-a") is True          # first connection: joined
    assert second_process.add(7, 3, "sid-b") is False        # another tab, maybe another process
    assert first_process.add(7, 3, "sid-a") is False         # the same connection again changes nothing
    assert first_process.remove(7, 3, "sid-a") is False      # one tab closed: still present
    assert first_process.is_present(7, 3) and second_process.is_present(7, 3)
    assert second_process.remove(7, 3, "sid-b") is True      # last one gone: left
    assert second_process.remove(7, 3, "sid-b") is False     # and only once
    assert not first_process.is_present(7, 3) and not second_process.is_present(7, 3)


def test_local_presence_counts_connections():
    presence = LocalPresence()
    exercise(presence, presence)


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_redis_presence_is_shared_between_processes():
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = f"meridian-test-{uuid.uuid4().hex}"
    try:
        exercise(RedisPresence(redis.Redis.from_url(TEST_REDIS_URL), prefix),
                 RedisPresence(redis.Redis.from_url(TEST_REDIS_URL), prefix))
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_a_dead_process_connections_drop_out_and_its_people_leave_once():
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = f"meridian-test-{uuid.uuid4().hex}"
    alive = RedisPresence(redis.Redis.from_url(TEST_REDIS_URL), prefix, process_id="alive", expiry=30)
    dying = RedisPresence(redis.Redis.from_url(TEST_REDIS_URL), prefix, process_id="dying", expiry=30)
    try:
        assert dying.add(7, 3, "sid-dead") is True
        assert dying.add(7, 4, "sid-dead-2") is True
        assert alive.add(7, 4, "sid-live") is False         # person 4 is also present through a live process
        assert alive.sweep() == []                           # everybody's process beats
        # The dying process stops beating; 31 s later (as Redis tells time) it counts as dead.
        client.hset(f"{prefix}:presence-processes", "dying", 1000.0)
        assert not alive.is_present(7, 3) and alive.is_present(7, 4)   # a dead process's connection is nobody's
        gone = alive.sweep()
        assert [(meeting, user) for meeting, user, _ in gone] == [(7, 3)]   # 4 is still here
        assert gone[0][2] > 30                               # how long ago its process was last seen
        assert dying.sweep() == [] and alive.sweep() == []   # told once
        # A later join of person 3 elsewhere is a first connection again, and leaving is a departure.
        assert alive.add(7, 3, "sid-new") is True
        assert alive.remove(7, 3, "sid-new") is True
        assert alive.remove(7, 4, "sid-live") is True        # the dead process's sid no longer counts
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_a_process_knows_how_long_it_was_silent_so_it_can_tell_it_may_have_been_taken_for_dead():
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = f"meridian-test-{uuid.uuid4().hex}"
    seconds = [100.0]
    presence = RedisPresence(redis.Redis.from_url(TEST_REDIS_URL), prefix, process_id="p", expiry=30,
                             clock=lambda: seconds[0])
    try:
        assert presence.beat() is None      # never said anything before
        assert not presence.stalled
        seconds[0] += 10
        assert presence.beat() == 10
        seconds[0] += 20
        presence.add(7, 3, "sid")           # recording a connection says "alive" too
        seconds[0] += 5
        assert presence.beat() == 20        # the longest silence since the previous beat
        seconds[0] += 5
        assert presence.beat() == 5
        assert not presence.stalled
        seconds[0] += 31                    # a stall longer than the expiry
        assert presence.beat() == 31
        assert presence.stalled
        seconds[0] += 1
        assert presence.beat() == 1 and presence.stalled    # until its connections are recorded again
        presence.reasserted()
        assert not presence.stalled
        seconds[0] += 40                    # a stall, then a connection recorded before the next beat
        presence.add(7, 4, "sid-2")
        seconds[0] += 1
        assert presence.beat() == 40
        assert presence.stalled
        presence.reasserted()
        seconds[0] += 2
        assert presence.beat() == 2 and not presence.stalled
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
