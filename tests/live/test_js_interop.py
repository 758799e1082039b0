"""The official JavaScript socket.io-client (tests/live/js, `npm ci`) talks to our server."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading

import pytest

from app.extensions import db
from app.live.publish import publish

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


@pytest.fixture
def node():
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed")
    if not os.path.isdir(os.path.join(JS, "node_modules", "socket.io-client")):
        pytest.skip("run `npm ci --prefix tests/live/js` to install socket.io-client")
    return path


def test_socket_io_client_receives_replayed_and_live_events(node, live_server, world):
    room = f"user:{world.seat_cn.id}"
    publish(db.session, room, "interop.first", {"n": 1})
    db.session.commit()
    process = subprocess.Popen([node, "interop.js", live_server.url, world.token["seat_cn"], room], cwd=JS,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines, acked = [], threading.Event()

    def read():
        for line in process.stdout:
            lines.append(json.loads(line))
            if "ack" in lines[-1]:
                acked.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert acked.wait(20), (lines, process.stderr.read() if process.poll() is not None else "")
        publish(db.session, room, "interop.ping", {"n": 2})
        db.session.commit()
        assert process.wait(timeout=20) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(5)
    ack = next(line["ack"] for line in lines if "ack" in line)
    assert ack["ok"] is True and ack["replayed"] == 1
    types = [line["event"]["type"] for line in lines if "event" in line]
    assert types == ["interop.first", "interop.ping"]
