"""Helpers for the live tests: a server thread on loopback and a client that behaves like live.js."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import socketio
from werkzeug.serving import make_server

WAIT = 10.0
# How long a dropped client keeps trying to connect again before it gives up.
RECONNECT_SECONDS = 60.0
# The refusal that names a passing failure on the server: the subscribe is asked again (docs/live.md, step 7).
RETRIED_REFUSAL = "internal_error"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(env, tmp_path, name):
    """A `run.py` web process (tests/live/serve.py) on a free port; returns (process, url) once it answers."""
    import requests

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


def stop_processes(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port (never the machine's), stoppable."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp_path = tmp_path
        self.process = None

    def start(self):
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class ServerThread:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class LiveClient:
    """A client of the delivery protocol (docs/live.md), as app/static/js/live.js implements it:
    per room, events are applied strictly in seq order, each once. An event whose `prev` has not been
    applied waits; if the gap is not filled within `gap_wait` seconds (or a `heads` heartbeat says the
    room is further on, or does not name it at all), the client subscribes again with `since` = its
    last contiguous seq."""

    def __init__(self, url: str, token: str | None = None, *, auth=None, headers=None, transports=("websocket",),
                 gap_wait: float = 1.0, resume_when_dropped: bool = False):
        self.url, self.token, self.auth, self.headers, self.transports = url, token, auth, headers, transports
        self.gap_wait = gap_wait
        # As live.js does: a connection the server or the network drops is made again and every room
        # resumed from its last contiguous seq (off by default: some tests watch the drop itself).
        self.resume_when_dropped = resume_when_dropped
        self.lock = threading.Condition()
        self.delivered: dict[str, list[dict]] = {}
        self.contiguous: dict[str, int] = {}     # room -> every event up to this seq is applied
        self.pending: dict[str, list[dict]] = {}  # room -> events arriving while a subscribe is answered
        self.asking: dict[str, int] = {}           # room -> subscribes not yet answered
        self.ahead: dict[str, dict[int, dict]] = {}   # room -> seq -> event waiting for its prev
        self.heads: dict[str, int] = {}
        self.levels: dict[str, str] = {}
        self.timers: dict[str, threading.Timer] = {}
        self.unanswered: set[str] = set()   # rooms whose last subscribe had no answer in time
        self.unheld: set[str] = set()       # rooms the heartbeat did not name: not held by the server
        self.heads_seen = 0                 # heartbeats received
        self.heads_at_answer: dict[str, int] = {}   # room -> heartbeats received when its subscribe was answered
        self.answers: dict[str, dict] = {}  # room -> the last answer to a subscribe (for failure messages)
        self.replays = 0          # resubscriptions made to fill a gap
        self.raw: list[dict] = []
        self.revoked: list[dict] = []
        self.closed = False
        self.reconnecting = threading.Lock()
        self.sio = self._new_socket()

    def _new_socket(self):
        sio = socketio.Client(reconnection=False)
        sio.on("event", self._on_event)
        sio.on("heads", self._on_heads)
        sio.on("unsubscribed", self._on_unsubscribed)
        sio.on("disconnect", self._on_dropped)
        # A refused connection is closed by the client library itself: closed without waiting either.
        sio.on("connect_error", lambda *reason: fast_close(sio))
        return sio

    def _on_dropped(self, *reason):
        if self.resume_when_dropped and not self.closed:
            threading.Thread(target=self._resume, daemon=True).start()

    def _resume(self):
        try:
            self.reconnect()
        except socketio.exceptions.ConnectionError:
            pass   # no server for RECONNECT_SECONDS: the test waiting on this client reports it

    @property
    def last(self) -> dict[str, int]:
        return self.contiguous

    def connect(self):
        auth = self.auth if self.auth is not None else ({"token": self.token} if self.token else None)
        self.sio.connect(self.url, auth=auth, headers=self.headers or {}, transports=list(self.transports),
                         wait_timeout=WAIT)
        return self

    def reconnect(self, url: str | None = None):
        """Drop the connection and connect again (to `url`, e.g. another web process); every room is
        subscribed again with `since` = its last contiguous seq."""
        with self.reconnecting:   # one new socket at a time: a drop and a move at once would make two
            self.close()
            self.closed = False
            self.url = url or self.url
            deadline = time.monotonic() + RECONNECT_SECONDS
            while True:
                self.sio = self._new_socket()
                try:
                    self.connect()
                    if self.closed:   # closed while connecting: the client is done with
                        self.sio.disconnect()
                        return self
                    break
                except socketio.exceptions.ConnectionError:
                    # The server is busy or away: try again shortly, as socket.io-client does for live.js.
                    if self.closed or time.monotonic() >= deadline:
                        raise
                    time.sleep(0.5)
        for room in list(self.contiguous):
            try:
                self.subscribe(room, resume=True)
            except socketio.exceptions.SocketIOError:  # no answer in time: asked again shortly
                pass
        return self

    # --- receiving -------------------------------------------------------------------------------

    def _on_event(self, payload):
        with self.lock:
            self.raw.append(payload)
            room = payload["room"]
            if room in self.pending:
                self.pending[room].append(payload)
            elif room in self.contiguous:
                self._offer(payload)
            self.lock.notify_all()

    def _on_heads(self, message):
        with self.lock:
            named = message.get("rooms") or {}
            self.heads_seen += 1
            for room, head in named.items():
                self.heads[room] = max(self.heads.get(room, 0), head)
                self.unheld.discard(room)
                if room in self.contiguous and room not in self.pending and head > self.contiguous[room]:
                    self._arm(room)
            for room in self.contiguous:
                # The first heartbeat after an answer may have been read before the server held the
                # room; the second was read after (one connection's messages keep their order).
                if (room not in named and room not in self.pending
                        and self.heads_seen - self.heads_at_answer.get(room, 0) >= 2):
                    self.unheld.add(room)
                    self._arm(room)
            self.lock.notify_all()

    def _offer(self, payload):
        room, seq = payload["room"], payload["seq"]
        ahead = self.ahead.setdefault(room, {})
        if seq <= self.contiguous[room] or seq in ahead:
            return
        ahead[seq] = payload
        self._drain(room)

    def _drain(self, room):
        ahead = self.ahead.setdefault(room, {})
        while True:
            for seq in [s for s in ahead if s <= self.contiguous[room]]:
                del ahead[seq]
            ready = [p for p in ahead.values() if p.get("prev", 0) <= self.contiguous[room]]
            if not ready:
                break
            payload = min(ready, key=lambda p: p["seq"])
            del ahead[payload["seq"]]
            self.contiguous[room] = payload["seq"]
            self.delivered.setdefault(room, []).append(payload)
        if ahead or self.heads.get(room, 0) > self.contiguous[room]:
            self._arm(room)

    def _arm(self, room):
        """A gap: wait `gap_wait` for the missing events, then ask for them."""
        if room in self.timers or self.closed:
            return
        timer = threading.Timer(self.gap_wait, self._fill_gap, args=(room,))
        timer.daemon = True
        self.timers[room] = timer
        timer.start()

    def _fill_gap(self, room):
        with self.lock:
            self.timers.pop(room, None)
            if self.closed or room not in self.contiguous or room in self.pending:
                return
            behind = (room in self.unanswered or room in self.unheld or self.ahead.get(room)
                      or self.heads.get(room, 0) > self.contiguous[room])
            if not behind:
                return
            self.replays += 1
        try:
            self.subscribe(room, resume=True)
        except socketio.exceptions.SocketIOError:
            with self.lock:
                self._arm(room)   # not connected right now: try again

    def _on_unsubscribed(self, notice):
        with self.lock:
            self.revoked.append(notice)
            self._forget(notice["room"])   # as live.js does: subscribing again gives what access is left
            self.lock.notify_all()

    def _forget(self, room):
        self.contiguous.pop(room, None)
        self.ahead.pop(room, None)
        self.unanswered.discard(room)
        self.unheld.discard(room)
        timer = self.timers.pop(room, None)
        if timer is not None:
            timer.cancel()

    def _wait_until(self, done, timeout: float, failure) -> None:
        """Wait, holding the lock, until `done()`; after `timeout` seconds fail with `failure()`."""
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(failure())
            self.lock.wait(remaining)

    def wait_heads(self, count: int, timeout: float = WAIT) -> None:
        """Wait until `count` heartbeats in all have arrived."""
        with self.lock:
            self._wait_until(lambda: self.heads_seen >= count, timeout,
                             lambda: f"{self.heads_seen} heartbeats arrived, not {count}")

    def wait_revoked(self, room: str, timeout: float = WAIT) -> dict:
        """Wait for the server to take this client out of `room` (its access was withdrawn)."""
        with self.lock:
            self._wait_until(lambda: any(n["room"] == room for n in self.revoked), timeout,
                             lambda: f"not taken out of {room}; notices: {self.revoked}")
            return next(n for n in self.revoked if n["room"] == room)

    # --- asking ----------------------------------------------------------------------------------

    def subscribe(self, room: str, since: int | None = None, *, resume: bool = False) -> dict:
        with self.lock:
            if resume:
                since = self.contiguous.get(room, 0)
            # A gap's resubscribe may overlap another subscribe of the room: they share one buffer,
            # emptied when the last of them is answered.
            self.asking[room] = self.asking.get(room, 0) + 1
            self.pending.setdefault(room, [])
        data = {"room": room} if since is None else {"room": room, "since": since}
        try:
            answer = self.sio.call("subscribe", data, timeout=WAIT)
        except socketio.exceptions.SocketIOError:
            with self.lock:
                self._ask_again_shortly(room, self._answered(room))
            raise
        with self.lock:
            self.answers[room] = answer
            self.heads_at_answer[room] = self.heads_seen
            self.unanswered.discard(room)
            self.unheld.discard(room)
            buffered = self._answered(room)
            if answer.get("ok"):
                if since is None or answer.get("reset"):
                    self.contiguous[room] = answer["seq"]
                elif room not in self.contiguous or resume:
                    self.contiguous[room] = max(self.contiguous.get(room, 0), since) if resume else since
                self.levels[room] = answer.get("level", "full")
                self._keep_waiting(room, buffered)
                self._drain(room)
                # The backlog up to the ack's seq (or, paged, up to `next`) came before the ack.
                self.contiguous[room] = max(self.contiguous[room], answer.get("next") or answer["seq"])
                self._drain(room)
            elif answer.get("code") == RETRIED_REFUSAL:   # a passing failure on the server
                self._ask_again_shortly(room, buffered)
            else:   # refused for good: the server sends this room nothing more
                self._forget(room)
            self.lock.notify_all()
        if answer.get("ok") and answer.get("next"):
            return self.subscribe(room, answer["next"])
        return answer

    def _keep_waiting(self, room: str, payloads) -> None:
        """Events that arrived while a subscribe was answered wait in `ahead` for their turn."""
        ahead = self.ahead.setdefault(room, {})
        for payload in payloads:
            ahead.setdefault(payload["seq"], payload)

    def _ask_again_shortly(self, room: str, buffered) -> None:
        """A subscribe had no answer, or failed in passing: keep what arrived meanwhile and subscribe
        again after `gap_wait`, as live.js does (docs/live.md, step 7)."""
        self._keep_waiting(room, buffered)
        if room in self.contiguous:
            self.unanswered.add(room)
            self._arm(room)

    def _answered(self, room: str) -> list[dict]:
        """One subscribe of `room` is answered: the events buffered meanwhile (the buffer goes with
        the last one)."""
        self.asking[room] -= 1
        if self.asking[room]:
            return list(self.pending.get(room, []))
        del self.asking[room]
        return self.pending.pop(room, [])

    def unsubscribe(self, room: str) -> dict:
        with self.lock:
            self._forget(room)
        return self.sio.call("unsubscribe", {"room": room}, timeout=WAIT)

    def state(self, room: str) -> dict:
        """What this client knows of `room`, for a failure message."""
        with self.lock:
            return {"connected": self.sio.connected, "url": self.url, "closed": self.closed,
                    "contiguous": self.contiguous.get(room), "head": self.heads.get(room),
                    "ahead": sorted(self.ahead.get(room, {})), "asking": self.asking.get(room, 0),
                    "unanswered": room in self.unanswered, "unheld": room in self.unheld,
                    "timer": room in self.timers, "answer": self.answers.get(room), "replays": self.replays}

    def events(self, room: str) -> list[dict]:
        with self.lock:
            return list(self.delivered.get(room, []))

    def types(self, room: str) -> list[str]:
        return [p["type"] for p in self.events(room)]

    def wait_for(self, room: str, predicate, timeout: float = WAIT) -> list[dict]:
        with self.lock:
            self._wait_until(lambda: predicate(self.delivered.get(room, [])), timeout,
                             lambda: f"timed out waiting on {room}: got {self.delivered.get(room, [])}; "
                                     f"client: {self.state(room)}")
            return list(self.delivered.get(room, []))

    def wait_type(self, room: str, type_: str, timeout: float = WAIT) -> dict:
        events = self.wait_for(room, lambda evs: any(e["type"] == type_ for e in evs), timeout)
        return next(e for e in events if e["type"] == type_)

    def close(self):
        with self.lock:
            self.closed = True
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
        if self.sio.connected:
            fast_close(self.sio)
            self.sio.disconnect()


def fast_close(sio) -> None:
    """websocket-client waits up to 3 s for the server's close frame; the dev server does not send
    one promptly. Our close frame still goes out, so the server sees the disconnect at once."""
    ws = getattr(sio.eio, "ws", None)
    if ws is not None and not getattr(ws, "_fast_close", False):
        original = ws.close
        ws.close = lambda *args, **kwargs: original(timeout=0.05)
        ws._fast_close = True
