"""The Socket.IO message queue (Redis) as Meridian sees it: state shared by every web process
through it (or kept in this process without one), and whether it is reachable right now."""
from __future__ import annotations

import logging
import threading

import socketio

log = logging.getLogger(__name__)

# Redis calls made by Meridian itself give up quickly: a web process must keep answering from the
# database while Redis is away.
REDIS_TIMEOUT_SECONDS = 2


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
                    self._made[key] = self.make_shared(redis_client(url), config["SOCKETIO_CHANNEL"])
                else:
                    self._made[key] = self.make_local()
            return self._made[key]


_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def redis_client(url: str):
    """One client (connection pool) per Redis URL, with short timeouts."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                          socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
            _clients[url] = client
        return client


class MessageQueueHealth:
    """Whether the last use of Redis in this process failed. Publishing failures land here (not
    only in python-socketio's log); the live heartbeat pings Redis and, once it answers again,
    tells every subscriber each room's latest seq so that whoever missed events replays them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._failure: str | None = None

    @property
    def down(self) -> bool:
        return self._failure is not None

    def failed(self, reason: str) -> None:
        with self._lock:
            first = self._failure is None
            self._failure = reason
        if first:
            log.warning("live: Redis unreachable (%s); clients will catch up from the database", reason)

    def succeeded(self) -> bool:
        """Redis answered; True when it had failed before (it is back)."""
        with self._lock:
            was_down, self._failure = self._failure is not None, None
        if was_down:
            log.info("live: Redis reachable again")
        return was_down

    def check(self, url: str) -> bool:
        """Ping Redis; True when it is back after a failure."""
        try:
            redis_client(url).ping()
        except Exception as exc:
            self.failed(f"ping: {exc}")
            return False
        return self.succeeded()


message_queue_health = MessageQueueHealth()


class WatchedRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, except that a publish that fails is reported to
    `message_queue_health` (python-socketio alone logs it and drops the message)."""

    def _publish(self, data):
        for attempt in (1, 2):
            try:
                if not self.connected:
                    self._redis_connect()
                return self.redis.publish(self.channel, self.json.dumps(data))
            except Exception as exc:
                self.connected = False
                if attempt == 2:
                    message_queue_health.failed(f"publishing: {exc}")


def client_manager(url: str, channel: str, *, write_only: bool):
    # No read timeout: the listener blocks on the channel between messages.
    return WatchedRedisManager(url, channel=channel, write_only=write_only,
                               redis_options={"socket_connect_timeout": REDIS_TIMEOUT_SECONDS})
