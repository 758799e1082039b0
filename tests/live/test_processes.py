"""Several processes: two `run.py` web processes and a write-only "scheduler" emitter, joined by
Redis. Skipped only when TEST_REDIS_URL is unset; an unreachable Redis fails the run."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from tests.conftest import TEST_REDIS_URL
from live_helpers import HERE, ROOT, LiveClient
from process_fixtures import database_url, process_env, redis_url, start_web_process, two_web_processes  # noqa: F401

pytestmark = pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")


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


def test_people_connected_through_a_killed_process_leave_presence_on_the_other(start_web_process, world):
    web1_process, web1 = start_web_process("web1")
    _, web2 = start_web_process("web2")
    room = f"meeting:{world.meeting.id}"
    watcher = LiveClient(web2, world.token["chair"]).connect()
    doomed = LiveClient(web1, world.token["seat_cn"]).connect()
    try:
        assert watcher.subscribe(room)["ok"] is True
        assert doomed.subscribe(room)["ok"] is True
        watcher.wait_for(room, lambda evs: any(e["type"] == "presence.joined" and e["data"]["user_id"] == world.seat_cn.id
                                               for e in evs))
        web1_process.kill()           # SIGKILL: no disconnect handler runs
        web1_process.wait(timeout=10)
        left = watcher.wait_for(room, lambda evs: any(e["type"] == "presence.left"
                                                      and e["data"]["user_id"] == world.seat_cn.id for e in evs),
                                timeout=60)
        assert [e["type"] for e in left if e["data"].get("user_id") == world.seat_cn.id][-1] == "presence.left"
        live = requests.get(f"{web2}/api/v1/meetings/{world.meeting.id}/live", headers=world.headers["chair"],
                            timeout=10).json()
        assert world.seat_cn.id not in [p["user_id"] for p in live["present"]]
    finally:
        doomed.sio.eio.disconnect(abort=True) if doomed.sio.connected else None
        watcher.close()
