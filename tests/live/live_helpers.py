"""Helpers for the live tests: a server thread on loopback and a client that behaves like live.js."""
from __future__ import annotations

import socket
import threading
import time

import socketio
from werkzeug.serving import make_server

WAIT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    """What a browser client does (see app/static/js/live.js): events of a room arriving before its
    subscribe ack are buffered, then everything is delivered by seq, each seq once."""

    def __init__(self, url: str, token: str | None = None, *, auth=None, headers=None, transports=("websocket",)):
        self.sio = socketio.Client(reconnection=False)
        self.url, self.token, self.auth, self.headers, self.transports = url, token, auth, headers, transports
        self.lock = threading.Condition()
        self.delivered: dict[str, list[dict]] = {}
        self.last: dict[str, int] = {}
        self.seen: dict[str, set[int]] = {}
        self.pending: dict[str, list[dict]] = {}
        self.raw: list[dict] = []
        self.revoked: list[dict] = []
        self.sio.on("event", self._on_event)
        self.sio.on("unsubscribed", self._on_unsubscribed)

    def connect(self):
        auth = self.auth if self.auth is not None else ({"token": self.token} if self.token else None)
        self.sio.connect(self.url, auth=auth, headers=self.headers or {}, transports=list(self.transports),
                         wait_timeout=WAIT)
        return self

    def _on_event(self, payload):
        with self.lock:
            self.raw.append(payload)
            room = payload["room"]
            if room in self.pending:
                self.pending[room].append(payload)
            else:
                self._deliver(payload)
            self.lock.notify_all()

    def _on_unsubscribed(self, notice):
        with self.lock:
            self.revoked.append(notice)
            self.lock.notify_all()

    def wait_revoked(self, room: str, timeout: float = WAIT) -> dict:
        """Wait for the server to take this client out of `room` (its access was withdrawn)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not any(n["room"] == room for n in self.revoked):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"not taken out of {room}; notices: {self.revoked}")
                self.lock.wait(remaining)
            return next(n for n in self.revoked if n["room"] == room)

    def _deliver(self, payload):
        room, seq = payload["room"], payload["seq"]
        seen = self.seen.setdefault(room, set())
        if seq in seen or seq <= self.last.get(room + "#floor", 0):
            return
        seen.add(seq)
        self.last[room] = max(self.last.get(room, 0), seq)
        self.delivered.setdefault(room, []).append(payload)

    def subscribe(self, room: str, since: int | None = None, *, resume: bool = False) -> dict:
        if resume:
            since = self.last.get(room, 0)
        with self.lock:
            self.pending[room] = []
        data = {"room": room} if since is None else {"room": room, "since": since}
        answer = self.sio.call("subscribe", data, timeout=WAIT)
        with self.lock:
            buffered = sorted(self.pending.pop(room), key=lambda p: p["seq"])
            if answer.get("ok"):
                floor = since if since is not None else answer["seq"]
                self.last[room + "#floor"] = max(self.last.get(room + "#floor", 0), floor)
                for payload in buffered:
                    self._deliver(payload)
                self.last[room] = max(self.last.get(room, 0), answer["seq"])
            self.lock.notify_all()
        return answer

    def unsubscribe(self, room: str) -> dict:
        return self.sio.call("unsubscribe", {"room": room}, timeout=WAIT)

    def events(self, room: str) -> list[dict]:
        with self.lock:
            return list(self.delivered.get(room, []))

    def types(self, room: str) -> list[str]:
        return [p["type"] for p in self.events(room)]

    def wait_for(self, room: str, predicate, timeout: float = WAIT) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(self.delivered.get(room, [])):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting on {room}: got {self.delivered.get(room, [])}")
                self.lock.wait(remaining)
            return list(self.delivered.get(room, []))

    def wait_type(self, room: str, type_: str, timeout: float = WAIT) -> dict:
        events = self.wait_for(room, lambda evs: any(e["type"] == type_ for e in evs), timeout)
        return next(e for e in events if e["type"] == type_)

    def close(self):
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
