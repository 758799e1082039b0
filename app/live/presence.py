"""Who is connected to a meeting, counted across every web process.

A person may have several connections (tabs, devices, processes). They join a meeting when their
first connection subscribes and leave when their last one goes. With Redis (several processes)
the connections are counted in Redis; otherwise in this process.

A process can die without saying goodbye (kill -9, a lost machine). In Redis each connection is
recorded with the process holding it, and each process beats (`beat`, from its live heartbeat)
every PRESENCE_EXPIRY / 3 seconds. A connection whose process has not beaten for PRESENCE_EXPIRY
no longer counts: `sweep` (run by every live process's heartbeat; exactly one of them wins each
departure) returns the people whose last connection that was, with how long ago their process was
last seen, and the caller records their departure (`presence.left`, attendance closed at that time).
"""
from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import text

from app.live.queue import PerMessageQueue

# Which process holds a connection (one per web process).
PROCESS_ID = uuid.uuid4().hex
# A process silent this long is dead: its connections no longer count (seconds; under a minute).
PRESENCE_EXPIRY_SECONDS = 30
# Presence keys nobody has touched for this long go (a meeting's presence is short-lived; a
# deployment whose web processes all stopped leaves nothing behind for long).
REDIS_TTL_SECONDS = 12 * 3600


class LocalPresence:
    expiry = PRESENCE_EXPIRY_SECONDS

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

    def is_present(self, meeting_id: int, user_id: int) -> bool:
        """Whether any connection of the person to the meeting is recorded."""
        with self._lock:
            return bool(self._sids.get((meeting_id, user_id)))

    # One process holds every connection: nothing outlives it, nothing is taken from it.
    stalled = False

    def beat(self) -> float | None:
        return None

    def reasserted(self) -> None:
        pass

    def sweep(self, expiry: float = PRESENCE_EXPIRY_SECONDS) -> list[tuple[int, int, float]]:
        return []


# Shared by the scripts: drop the connections of `key` whose process is dead; now = Redis time.
_PRUNE = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function prune(key, processes, expiry, at)
  local members = redis.call('HGETALL', key)
  local latest = nil
  for i = 1, #members, 2 do
    local beat = tonumber(redis.call('HGET', processes, members[i + 1]) or '0')
    if at - beat > expiry then
      redis.call('HDEL', key, members[i])
      if latest == nil or beat > latest then latest = beat end
    end
  end
  return latest
end
"""

# KEYS: presence key, processes hash, set of presence keys. ARGV: sid, process, expiry, ttl.
_ADD = _PRUNE + """
local at = now()
redis.call('HSET', KEYS[2], ARGV[2], at)
prune(KEYS[1], KEYS[2], tonumber(ARGV[3]), at)
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('SADD', KEYS[3], KEYS[1])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then return 1 end
return 0
"""

# KEYS: presence key, processes hash, set of presence keys. ARGV: sid, expiry.
_REMOVE = _PRUNE + """
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
prune(KEYS[1], KEYS[2], tonumber(ARGV[2]), now())
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], KEYS[1])
  if removed == 1 then return 1 end
end
return 0
"""

# KEYS: presence key, processes hash. ARGV: expiry. 1 if a live process holds one of the connections.
# Counts without pruning: a dead process's connections are the sweep's to take (it records departures).
_IS_PRESENT = _PRUNE + """
local at = now()
local members = redis.call('HGETALL', KEYS[1])
for i = 1, #members, 2 do
  local beat = tonumber(redis.call('HGET', KEYS[2], members[i + 1]) or '0')
  if at - beat <= tonumber(ARGV[1]) then return 1 end
end
return 0
"""

# KEYS: processes hash, set of presence keys. ARGV: expiry.
# Returns {key, seconds since its process's last beat as a string, ...} for each person whose last
# connection was in a dead process.
_SWEEP = _PRUNE + """
local at = now()
local expiry = tonumber(ARGV[1])
local gone = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local latest = prune(key, KEYS[1], expiry, at)
  if redis.call('HLEN', key) == 0 then
    redis.call('SREM', KEYS[2], key)
    if latest ~= nil then
      table.insert(gone, key)
      table.insert(gone, tostring(at - latest))
    end
  end
end
for i, process in ipairs(redis.call('HKEYS', KEYS[1])) do
  local beat = tonumber(redis.call('HGET', KEYS[1], process))
  if at - beat > 100 * expiry then redis.call('HDEL', KEYS[1], process) end
end
return gone
"""


class RedisPresence:
    """The same, in Redis: a hash per person and meeting (sid -> process), each change one script."""

    def __init__(self, client, prefix: str, process_id: str = PROCESS_ID,
                 expiry: float = PRESENCE_EXPIRY_SECONDS, clock=time.monotonic):
        self.client, self.prefix, self.process_id, self.expiry = client, prefix, process_id, expiry
        self._clock = clock   # this process's own measure of its silences (Redis's TIME judges expiry)
        self._processes = f"{prefix}:presence-processes"
        self._keys = f"{prefix}:presence-keys"
        self._add = client.register_script(_ADD)
        self._remove = client.register_script(_REMOVE)
        self._sweep = client.register_script(_SWEEP)
        self._is_present = client.register_script(_IS_PRESENT)
        self._last_beat: float | None = None
        self._longest_silence: float | None = None
        self._stalled = False

    def _key(self, meeting_id: int, user_id: int) -> str:
        return f"{self.prefix}:present:{meeting_id}:{user_id}"

    def add(self, meeting_id: int, user_id: int, sid: str) -> bool:
        keys = [self._key(meeting_id, user_id), self._processes, self._keys]
        now = self._clock()
        added = bool(self._add(keys=keys, args=[sid, self.process_id, self.expiry, REDIS_TTL_SECONDS]))
        self._said_alive(now)   # adding beats too
        return added

    def remove(self, meeting_id: int, user_id: int, sid: str) -> bool:
        keys = [self._key(meeting_id, user_id), self._processes, self._keys]
        return bool(self._remove(keys=keys, args=[sid, self.expiry]))

    def is_present(self, meeting_id: int, user_id: int) -> bool:
        """Whether any live process holds a connection of the person to the meeting."""
        keys = [self._key(meeting_id, user_id), self._processes]
        return bool(self._is_present(keys=keys, args=[self.expiry]))

    @property
    def stalled(self) -> bool:
        """A beat found this process silent longer than the expiry (a stall, not a death: another
        process may have taken its connections for dead and recorded their departures), and it has
        not recorded its connections again since (`reasserted`). Kept across beats until then."""
        return self._stalled

    def reasserted(self) -> None:
        """This process's connections were recorded again (`events.reassert_presence` succeeded)."""
        self._stalled = False

    def beat(self) -> float | None:
        """This process is alive: its connections keep counting. Returns the longest silence since
        the previous beat (between beats and adds; None if it never said anything); one longer than
        the expiry is a stall (`stalled`)."""
        now = self._clock()
        self.client.eval("local t = redis.call('TIME') "
                         "redis.call('HSET', KEYS[1], ARGV[1], tonumber(t[1]) + tonumber(t[2]) / 1000000) "
                         "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))",
                         1, self._processes, self.process_id, REDIS_TTL_SECONDS)
        silent, self._longest_silence = self._said_alive(now), None
        if silent is not None and silent > self.expiry:
            self._stalled = True
        return silent

    def _said_alive(self, now: float) -> float | None:
        """Note that Redis heard from this process at `now`; the longest silence since the last beat."""
        if self._last_beat is not None:
            self._longest_silence = max(self._longest_silence or 0.0, now - self._last_beat)
        self._last_beat = now
        return self._longest_silence

    def sweep(self, expiry: float | None = None) -> list[tuple[int, int, float]]:
        """(meeting, user, seconds since their process was last seen) for each person whose last
        connection was held by a dead process; each is returned to exactly one caller. (A duration,
        not Redis's clock reading: instants are recorded on the application's clock.)"""
        found = self._sweep(keys=[self._processes, self._keys], args=[expiry or self.expiry])
        gone = []
        for key, silent in zip(found[::2], found[1::2]):
            key = key.decode() if isinstance(key, bytes) else key
            meeting_id, user_id = key.rsplit(":", 2)[-2:]
            gone.append((int(meeting_id), int(user_id), float(silent)))
        return gone


# The counter this process uses: one per message queue, or one local one without Redis.
presence_counter = PerMessageQueue(LocalPresence, RedisPresence)


# pg_advisory_xact_lock(PRESENCE_LOCK_CLASS, meeting id): the two-key space, apart from the audit
# chain's one-key locks. "PRES".
PRESENCE_LOCK_CLASS = 0x50524553


def hold_presence(session, meeting_ids) -> None:
    """Until this transaction ends, no other process records a join or a departure at these meetings.

    Recording a departure checks the counter (`is_present`) and writes while holding this; recording a
    join writes to the counter first and reads who is recorded present only once it holds this. So a
    departure decided before a connection came back (a process resuming after a stall, another tab
    through another process) is committed before the join reads, and the person is joined again;
    one decided after it sees the connection and is not recorded. Only PostgreSQL serves several
    processes; on SQLite (one process) this does nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(set(meeting_ids))
    if ids:   # in order, so that two processes holding several never wait on each other in a circle
        session.execute(text("SELECT pg_advisory_xact_lock(:lock_class, meeting_id) "
                             "FROM unnest(CAST(:ids AS integer[])) AS meeting_id ORDER BY meeting_id"),
                        {"lock_class": PRESENCE_LOCK_CLASS, "ids": ids})


def presence_for(config):
    """This process's presence counter, with the configured expiry."""
    counter = presence_counter(config)
    counter.expiry = float(config.get("LIVE_PRESENCE_EXPIRY_SECONDS") or PRESENCE_EXPIRY_SECONDS)
    return counter
