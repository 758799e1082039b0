"""Fixtures for tests with several processes (`run.py` web processes over one database and Redis).

A module imports them (`from process_fixtures import ...`): they replace `database_url`, so that
the test's own app and the processes share one database (a fresh PostgreSQL database when
TEST_DATABASE_URL is set, else a SQLite file). Skipped when TEST_REDIS_URL is unset."""
from __future__ import annotations

import os
import uuid

import pytest

from live_helpers import ROOT, start_web, stop_processes
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, migrate_to_head


@pytest.fixture
def database_url(request, tmp_path):
    """One database every process shares: a fresh PostgreSQL database when TEST_DATABASE_URL is set,
    else a SQLite file."""
    if TEST_DATABASE_URL:
        url = request.getfixturevalue("fresh_postgres_database")("live")
    else:
        url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    migrate_to_head(url, str(tmp_path / "migrate"))
    return url


@pytest.fixture
def redis_url():
    """The message queue the web processes share (a test may override this fixture)."""
    import redis

    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    # Set but unreachable is a failure, never a skip.
    assert redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=5).ping()
    return TEST_REDIS_URL


@pytest.fixture
def process_env(database_url, redis_url, tmp_path):
    """The processes' environment; their keys in Redis (named after the channel) are deleted afterwards."""
    import redis

    channel = f"meridian-test-{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update({"MERIDIAN_CONFIG": "testing", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                "SOCKETIO_CHANNEL": channel,
                "MERIDIAN_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH")))),
                "LIVE_HEARTBEAT_SECONDS": "1", "LIVE_PRESENCE_EXPIRY_SECONDS": "3"})
    yield env
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        for key in client.scan_iter(f"*{channel}*"):
            client.delete(key)
    except redis.ConnectionError:
        pass  # a test's own Redis server, already stopped: nothing of it is left


@pytest.fixture
def start_web_process(process_env, tmp_path):
    """Start `run.py` web processes sharing the database and Redis; all stopped at the end."""
    started = []

    def start(name, **env):
        process, url = start_web({**process_env, **env}, tmp_path, name)
        started.append(process)
        return process, url

    yield start
    stop_processes(started)


@pytest.fixture
def two_web_processes(start_web_process, world):
    return [start_web_process(name)[1] for name in ("web1", "web2")]
