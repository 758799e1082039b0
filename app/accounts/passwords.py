"""Password hashing with argon2id (the OWASP-recommended KDF)."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import TooManyAttempts

_hasher = PasswordHasher()
# Each hash takes the configured argon2 memory; bounding how many run at once bounds the memory a
# flood of sign-ins can take. A request that waits too long for a slot is told to retry.
_slots = threading.BoundedSemaphore(4)
SLOT_WAIT_SECONDS = 10


def configure(time_cost: int, memory_kib: int, concurrency: int = 4) -> None:
    """Set the cost (tests use a cheap one; production keeps the default) and how many run at once."""
    global _hasher, _slots
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _slots = threading.BoundedSemaphore(concurrency)


@contextmanager
def _slot():
    slots = _slots
    if not slots.acquire(timeout=SLOT_WAIT_SECONDS):
        raise TooManyAttempts("Too many people are signing in at this moment; try again in a few seconds.",
                              retry_after=5)
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str) -> str:
    with _slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _slot():
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
