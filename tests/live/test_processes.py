"""Several processes: two `run.py` web processes and a write-only "scheduler" emitter, joined by
Redis. Skipped only when TEST_REDIS_URL is unset; an unreachable Redis fails the run."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, migrate_to_head
from live_helpers import LiveClient, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

pytestmark = pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")


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
def redis_checked():
    import redis

    # Set but unreachable is a failure, never a skip.
    assert redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=5).ping()
    return TEST_REDIS_URL


@pytest.fixture
def process_env(database_url, redis_checked, tmp_path):
    env = dict(os.environ)
    env.update({"MERIDIAN_CONFIG": "testing", "DATABASE_URL": database_url, "REDIS_URL": redis_checked,
                "SOCKETIO_CHANNEL": f"meridian-test-{uuid.uuid4().hex[:12]}",
                "MERIDIAN_INSTANCE_PATH": str(tmp_path / "instance"),
                "PYTHONPATH": os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH"))))})
    return env


def _start_web(env, tmp_path, name):
    port = free_port()
    log = open(tmp_path / f"{name}.log", "w")
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "serve.py"), "--port", str(port)],
                               env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited: " + (tmp_path / f"{name}.log").read_text())
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{name} did not start: " + (tmp_path / f"{name}.log").read_text())


@pytest.fixture
def two_web_processes(process_env, tmp_path, world):
    started = []
    try:
        for name in ("web1", "web2"):
            started.append(_start_web(process_env, tmp_path, name))
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_request_to_one_process_reaches_a_subscriber_on_the_other(two_web_processes, world):
    web1, web2 = two_web_processes
    room = f"meeting:{world.meeting.id}"
    subscriber = LiveClient(web1, world.token["seat_cn"]).connect()
    try:
        assert subscriber.subscribe(room)["ok"] is True
        response = requests.post(f"{web2}/api/v1/meetings/{world.meeting.id}/live/start",
                                 headers=world.headers["chair"], timeout=10)
        assert response.status_code == 200, response.text
        assert subscriber.wait_type(room, "meeting.started")["data"]["meeting_id"] == world.meeting.id
        # Presence recorded by a subscriber on web2 reaches web1 too.
        other = LiveClient(web2, world.token["seat_de"]).connect()
        try:
            other.subscribe(room)
            subscriber.wait_for(room, lambda evs: any(e["type"] == "presence.joined"
                                                      and e["data"]["user_id"] == world.seat_de.id for e in evs))
        finally:
            other.close()
    finally:
        subscriber.close()


def test_an_emit_from_the_scheduler_process_reaches_a_subscriber(two_web_processes, world, process_env):
    web1, _ = two_web_processes
    room = f"user:{world.seat_cn.id}"
    subscriber = LiveClient(web1, world.token["seat_cn"]).connect()
    try:
        assert subscriber.subscribe(room)["ok"] is True
        result = subprocess.run([sys.executable, os.path.join(HERE, "emit_as_scheduler.py"), room, "job.done"],
                                env=process_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        event = subscriber.wait_type(room, "job.done")
        assert event["data"]["from"] == "scheduler"
        # ...and it is in the log for replay.
        late = LiveClient(web1, world.token["seat_cn"]).connect()
        try:
            late.subscribe(room, since=0)
            assert "job.done" in [e["type"] for e in late.wait_for(room, lambda evs: len(evs) >= 1)]
        finally:
            late.close()
    finally:
        subscriber.close()


def test_access_withdrawn_through_one_process_ends_a_subscription_held_by_the_other(two_web_processes, world):
    web1, web2 = two_web_processes
    room = f"case:{world.case.id}"
    abroad = LiveClient(web1, world.token["seat_de"]).connect()      # summary viewer, invited
    watcher = LiveClient(web1, world.token["chair"]).connect()
    try:
        assert abroad.subscribe(room)["ok"] is True and watcher.subscribe(room)["ok"] is True
        response = requests.post(f"{web2}/api/v1/meetings/{world.meeting.id}/agenda/{world.case.id}/remove",
                                 json={"reason": "needs a repeat biopsy first"}, headers=world.headers["chair"],
                                 timeout=10)
        assert response.status_code in (200, 204), response.text
        assert abroad.wait_revoked(room)["reason"] == "access withdrawn"
        response = requests.post(f"{web2}/api/v1/cases/{world.case.id}/comments", json={"body": "Biopsy booked."},
                                 headers=world.headers["chair"], timeout=10)
        assert response.status_code == 201, response.text
        watcher.wait_type(room, "case.comment_added")
        assert [e for e in abroad.raw if e["room"] == room and e["seq"] > 0
                and e["type"] == "case.comment_added"] == []
        assert abroad.subscribe(room)["ok"] is False
    finally:
        abroad.close()
        watcher.close()
