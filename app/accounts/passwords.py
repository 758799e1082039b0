"""Password hashing with argon2id (the OWASP-recommended KDF)."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import InvalidInput, TooManyAttempts
from app.vocabulary import N_

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
        raise TooManyAttempts(N_("Too many people are signing in at this moment; try again in a few seconds."),
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


# --- strength -----------------------------------------------------------------------------------

MIN_LENGTH, MAX_LENGTH = 12, 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt"
# What a person reads when a password is refused, after the field's name (translated where shown).
# The lengths are written out so that the catalogues hold whole messages; they follow the limits above.
WEAK_PASSWORD_MESSAGES = {
    "short": N_("must be at least 12 characters long"),
    "long": N_("must be at most 256 characters long"),
    "common": N_("is one of the most common passwords; choose a less guessable one "
                 "(a few unrelated words work well)"),
    "repetitive": N_("repeats too few different characters; choose a less guessable one"),
    "personal": N_("must not contain your e-mail address or name"),
}
assert str(MIN_LENGTH) in WEAK_PASSWORD_MESSAGES["short"] and str(MAX_LENGTH) in WEAK_PASSWORD_MESSAGES["long"]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` is too weak (a key of WEAK_PASSWORD_MESSAGES), or None."""
    if len(password) < MIN_LENGTH:
        return "short"
    if len(password) > MAX_LENGTH:
        return "long"
    folded = password.strip().lower()
    bare = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", folded)  # "Password123!" is "password"
    if folded in common_passwords() or bare in common_passwords() or folded.replace(" ", "") in common_passwords():
        return "common"
    if len(set(folded)) < 5:
        return "repetitive"
    local_part = email.split("@")[0].lower()
    if (len(local_part) >= 4 and local_part in folded) or (len(name) >= 4 and name.lower() in folded):
        return "personal"
    return None


def check_strength(password: str, *, email: str = "", name: str = "", field: str = "password") -> None:
    """Raise InvalidInput naming `field` if the password is too weak."""
    reason = weakness(password, email=email, name=name)
    if reason is not None:
        raise InvalidInput(field, WEAK_PASSWORD_MESSAGES[reason])
