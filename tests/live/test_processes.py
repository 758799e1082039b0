"""Several processes: two `run.py` web processes and a write-only "scheduler" emitter, joined by
Redis. Skipped only when TEST_REDIS_URL is unset; an unreachable Redis fails the run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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
        assert abroad.wait_revoked(room)["code"] == "access_withdrawn"
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


def _wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


class PresenceAcrossProcesses:
    """The radiologist present at the meeting through web1; the chair watching its room through web2."""

    def __init__(self, start_web_process, world):
        self.world, self.room = world, f"meeting:{world.meeting.id}"
        self.web1_process, web1 = start_web_process("web1")
        _, self.web2 = start_web_process("web2")
        self.watcher = LiveClient(self.web2, world.token["chair"]).connect()
        self.present = LiveClient(web1, world.token["seat_cn"]).connect()

    def __enter__(self):
        assert self.watcher.subscribe(self.room)["ok"] is True
        assert self.present.subscribe(self.room)["ok"] is True
        self.wait_until_last_presence_is("presence.joined")
        return self

    def __exit__(self, *exc):
        if self.present.sio.connected:   # its process may be gone: drop the socket without a goodbye
            self.present.sio.eio.disconnect(abort=True)
        self.watcher.close()

    def wait_until_last_presence_is(self, type_: str) -> None:
        """The watcher's latest presence event about the radiologist is `type_`."""
        user_id = self.world.seat_cn.id
        self.watcher.wait_for(self.room, lambda events: [
            e["type"] for e in events if e["type"].startswith("presence.") and e["data"].get("user_id") == user_id
        ][-1:] == [type_], timeout=60)

    def shown_present(self) -> bool:
        """The live meeting, read through web2, lists the radiologist as present."""
        live = requests.get(f"{self.web2}/api/v1/meetings/{self.world.meeting.id}/live",
                            headers=self.world.headers["chair"], timeout=10).json()
        return self.world.seat_cn.id in [p["user_id"] for p in live["present"]]


def test_people_connected_through_a_killed_process_leave_presence_on_the_other(start_web_process, world):
    with PresenceAcrossProcesses(start_web_process, world) as meeting:
        assert meeting.shown_present()
        meeting.web1_process.kill()           # SIGKILL: no disconnect handler runs
        meeting.web1_process.wait(timeout=10)
        meeting.wait_until_last_presence_is("presence.left")
        _wait_until(lambda: not meeting.shown_present())


def test_people_connected_through_a_stalled_process_are_present_again_when_it_resumes(start_web_process, world):
    """A process silent longer than the expiry is taken for dead; when it resumes, the people still
    connected through it are recorded present again."""
    with PresenceAcrossProcesses(start_web_process, world) as meeting:
        meeting.web1_process.send_signal(signal.SIGSTOP)
        try:
            meeting.wait_until_last_presence_is("presence.left")
            assert not meeting.shown_present()
        finally:
            meeting.web1_process.send_signal(signal.SIGCONT)
        meeting.wait_until_last_presence_is("presence.joined")
        _wait_until(meeting.shown_present)
        assert meeting.present.sio.connected
