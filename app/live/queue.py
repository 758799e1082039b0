"""State shared by every web process through the Socket.IO message queue (Redis), or kept in this
process without one: one object per queue and channel, made on first use."""
from __future__ import annotations

import threading


class PerMessageQueue:
    """`factory(config)` gives the object for `config`'s REDIS_URL and SOCKETIO_CHANNEL (or local)."""

    def __init__(self, make_local, make_shared):
        self.make_local, self.make_shared = make_local, make_shared
        self._made: dict[str, object] = {}
        self._lock = threading.Lock()

    def __call__(self, config):
        url = config.get("REDIS_URL")
        key = f"{url}#{config.get('SOCKETIO_CHANNEL')}" if url else "local"
        with self._lock:
            if key not in self._made:
                if url:
                    import redis

                    self._made[key] = self.make_shared(redis.Redis.from_url(url), config["SOCKETIO_CHANNEL"])
                else:
                    self._made[key] = self.make_local()
            return self._made[key]
