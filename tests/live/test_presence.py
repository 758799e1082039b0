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
    assert second_process.remove(7, 3, "sid-b") is True      # last one gone: left
    assert second_process.remove(7, 3, "sid-b") is False     # and only once


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
