"""Who is connected to a meeting, counted across every web process.

A person may have several connections (tabs, devices, processes). They join a meeting when their
first connection subscribes and leave when their last one goes. With Redis (several processes)
the connections are counted in Redis; otherwise in this process.
"""
from __future__ import annotations

import threading

from app.live.queue import PerMessageQueue

# A process that dies leaves its connections behind; they expire after this long without activity.
REDIS_TTL_SECONDS = 12 * 3600


class LocalPresence:
    def __init__(self):
        self._sids: dict[tuple[int, int], set[str]] = {}
        self._lock = threading.Lock()

    def add(self, meeting_id: int, user_id: int, sid: str) -> bool:
        """Record a connection; True when it is the person's first."""
        with self._lock:
            sids = self._sids.setdefault((meeting_id, user_id), set())
            first = not sids
            sids.add(sid)
            return first

    def remove(self, meeting_id: int, user_id: int, sid: str) -> bool:
        """Forget a connection; True when it was the person's last."""
        with self._lock:
            sids = self._sids.get((meeting_id, user_id))
            if not sids or sid not in sids:
                return False
            sids.discard(sid)
            if sids:
                return False
            del self._sids[(meeting_id, user_id)]
            return True


class RedisPresence:
    """The same, in Redis: each add/remove and its count is one atomic transaction."""

    def __init__(self, client, prefix: str):
        self.client, self.prefix = client, prefix

    def _key(self, meeting_id: int, user_id: int) -> str:
        return f"{self.prefix}:presence:{meeting_id}:{user_id}"

    def add(self, meeting_id: int, user_id: int, sid: str) -> bool:
        key = self._key(meeting_id, user_id)
        pipe = self.client.pipeline()
        pipe.sadd(key, sid).scard(key).expire(key, REDIS_TTL_SECONDS)
        added, count, _ = pipe.execute()
        return bool(added) and count == 1

    def remove(self, meeting_id: int, user_id: int, sid: str) -> bool:
        key = self._key(meeting_id, user_id)
        pipe = self.client.pipeline()
        pipe.srem(key, sid).scard(key)
        removed, count = pipe.execute()
        return bool(removed) and count == 0


# The counter this process uses: one per message queue, or one local one without Redis.
presence_counter = PerMessageQueue(LocalPresence, RedisPresence)
