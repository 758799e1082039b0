"""Redis stopped and started again (a redis-server of the test's own, never the machine's) while
changes are made through two web processes: readiness says so, subscribing still works, and every
client ends with every event without a reload or a reconnect."""
from __future__ import annotations

import os
import random
import shutil

import pytest
import requests

from live_helpers import LiveClient, PrivateRedis
from process_fixtures import database_url, process_env, start_web_process  # noqa: F401
from test_delivery_processes import _comment, _connect_all, _more_cases, _room_seqs, _wait_converged
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(private_redis):
    """The web processes of this module use the private Redis."""
    return private_redis.url


def test_redis_stopped_and_started_while_changes_are_made_loses_no_event(
        start_web_process, world, session, database_url, private_redis):
    web1 = start_web_process("web1")[1]
    web2 = start_web_process("web2")[1]
    case_ids = _more_cases(session, world, 1)
    rooms = [f"case:{case_id}" for case_id in case_ids]
    clients = _connect_all([web1, web2], world, rooms, 12, random.Random(3))
    headers = world.headers["chair"]
    meeting_room = f"meeting:{world.meeting.id}"
    watcher = LiveClient(web2, world.token["chair"], gap_wait=0.5).connect()
    present = LiveClient(web1, world.token["seat_cn"]).connect()
    try:
        assert watcher.subscribe(meeting_room)["ok"] and present.subscribe(meeting_room)["ok"]
        joined = watcher.wait_for(meeting_room, lambda evs: any(
            e["type"] == "presence.joined" and e["data"]["user_id"] == world.seat_cn.id for e in evs))
        for n in range(10):
            _comment(web1 if n % 2 else web2, headers, case_ids[n % 3], n)
        assert requests.get(f"{web1}/readyz", timeout=10).status_code == 200
        private_redis.stop()
        present.close()       # leaves while Redis is down: recorded once it is back
        for n in range(10, 30):
            _comment(web1 if n % 2 else web2, headers, case_ids[n % 3], n)
        ready = requests.get(f"{web2}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json() == {"status": "not ready", "unavailable": "redis"}
        # Subscribing during the outage still answers from the database.
        late = LiveClient(web1, world.token["chair"]).connect()
        clients.append((late, [rooms[0]]))
        answer = late.subscribe(rooms[0], since=0)
        assert answer["ok"] is True and answer["replayed"] >= 1
        abroad = LiveClient(web1, world.token["seat_de"]).connect()     # a meeting room: presence waits
        clients.append((abroad, []))
        assert abroad.subscribe(meeting_room, since=0)["ok"] is True
        private_redis.start()
        for n in range(30, 40):
            _comment(web1 if n % 2 else web2, headers, case_ids[n % 3], n)
        assert requests.get(f"{web1}/readyz", timeout=10).status_code == 200
        watcher.wait_for(meeting_room, lambda evs: any(
            e["type"] == "presence.left" and e["data"]["user_id"] == world.seat_cn.id for e in evs), timeout=30)
        expected = _room_seqs(database_url, rooms)
        _wait_converged(clients, expected)
        # Nobody else left: the processes were not taken for dead after the outage.
        assert [e["data"]["user_id"] for e in watcher.events(meeting_room) if e["type"] == "presence.left"] \
            == [world.seat_cn.id]
        assert len(joined) >= 1
    finally:
        present.close()
        watcher.close()
        for client, _ in clients:
            client.close()
