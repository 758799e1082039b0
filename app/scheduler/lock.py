"""Only one scheduler may run per deployment.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the scheduler's life.
SQLite: an exclusive lock on a file beside the database (one machine, so a file lock is enough).
"""
from __future__ import annotations

import fcntl
import os

from sqlalchemy import text

# An arbitrary constant naming "the Meridian scheduler" among advisory locks.
SCHEDULER_LOCK_KEY = 0x4D45524944  # "MERID"


class SchedulerLock:
    def __init__(self, engine, lock_dir: str):
        self.engine = engine
        self.lock_dir = lock_dir
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": SCHEDULER_LOCK_KEY}).scalar()
            connection.commit()
            if got:
                self._connection = connection
            else:
                connection.close()
            return bool(got)
        os.makedirs(self.lock_dir, exist_ok=True)
        handle = open(os.path.join(self.lock_dir, "scheduler.lock"), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
            self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
