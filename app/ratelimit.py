"""Rate limits (Flask-Limiter) and the progressive sign-in delay.

Storage is Redis when REDIS_URL is set (limits hold across processes), memory otherwise. Limits:
- sign-in (page and token exchange) per address, and failed sign-ins per account;
- wrong current passwords when changing one (page and API) per account, at the failed sign-in rate;
- set-password links (`/set-password/<secret>`) submitted per address, at the sign-in rate;
- the API per bearer token (per address when there is none).
Wrong passwords never lock an account: each failure from one address for one account makes that
pair wait a little longer (doubling, capped), so a guesser slows down while the clinician, signing
in from anywhere else, is not held up. A wrong current password when changing one counts as a
failed sign-in for that pair: a stolen session or token is no way round the delay.
"""
from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager

from flask import current_app, request
from flask_limiter import Limiter

from app.accounts.operations import normalize_email
from app.api import api

log = logging.getLogger(__name__)
limiter = Limiter(key_func=lambda: request.remote_addr or "unknown")


def init_rate_limits(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down must not take writes down with it: each process counts in memory until it is back.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # Said every time: the limiter is shared, and an earlier app (a test) may have switched it off.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    # Under the deployment's channel, like its other Redis keys (presence, subscriptions), so that
    # deployments (or test runs) sharing one Redis never count each other's requests.
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config.get('SOCKETIO_CHANNEL') or 'meridian'}:limits")
    limiter._key_prefix = ""  # the limiter is shared: each app's RATELIMIT_KEY_PREFIX applies (tests)
    limiter.init_app(app)


def _digest(text: str) -> str:
    """Keys in the shared store never hold an e-mail address or a token in clear."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def client_address() -> str:
    return request.remote_addr or "unknown"


def account_named() -> str:
    """The account a sign-in names (JSON body or form), hashed."""
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return "account:" + _digest(normalize_email(email) if isinstance(email, str) else "")


def api_client() -> str:
    """The bearer token of an API call (hashed), else its address."""
    from app.security import bearer_token

    secret = bearer_token()
    return "token:" + _digest(secret) if secret else "address:" + client_address()


def sign_in_per_address() -> str:
    return current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"]


def failed_sign_ins_per_account() -> str:
    return current_app.config["FAILED_SIGN_IN_LIMIT_PER_ACCOUNT"]


def api_per_client() -> str:
    return current_app.config["API_LIMIT_PER_TOKEN"]


def refused_sign_in(response) -> bool:
    return response.status_code in (401, 422)


def sign_in_limits(view):
    """The limits every way of signing in shares (the page and the token exchange)."""
    view = limiter.limit(failed_sign_ins_per_account, key_func=account_named, deduct_when=refused_sign_in,
                         methods=["POST"], scope="sign-in-account", override_defaults=False)(view)
    return limiter.limit(sign_in_per_address, key_func=client_address, methods=["POST"],
                         scope="sign-in-address", override_defaults=False)(view)


# Every API call counts against its token (its address without one); declared once, for every app.
limiter.limit(api_per_client, key_func=api_client, scope="api-client")(api)


# --- progressive delay per address and account -------------------------------------------------


class SignInDelay:
    """How long this address must wait before trying this account again (0: go ahead)."""

    def __init__(self, email: str):
        pair = _digest(f"{client_address()}|{normalize_email(email or '')}")
        prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
        self.failures_key, self.wait_key = f"{prefix}/sign-in-failures/{pair}", f"{prefix}/sign-in-wait/{pair}"

    @property
    def _store(self):
        return limiter.storage

    def seconds_left(self) -> int:
        try:
            if not limiter.enabled or not self._store.get(self.wait_key):
                return 0
            return max(1, int(self._store.get_expiry(self.wait_key) - time.time()) + 1)
        except Exception as exc:  # the shared store (Redis) is down: the rate limits still count in memory
            log.warning("sign-in delay unavailable: %s", type(exc).__name__)
            return 0

    def failed(self) -> None:
        if not limiter.enabled:
            return
        config = current_app.config
        try:
            failures = self._store.incr(self.failures_key, 24 * 3600)
            free = config["SIGN_IN_FREE_FAILURES"]
            if failures >= free:
                delay = min(2 ** (failures - free), config["SIGN_IN_MAX_DELAY_SECONDS"])
                self._store.clear(self.wait_key)
                self._store.incr(self.wait_key, delay)
        except Exception as exc:
            log.warning("sign-in delay not recorded: %s", type(exc).__name__)

    def succeeded(self) -> None:
        if not limiter.enabled:
            return
        try:
            self._store.clear(self.failures_key)
            self._store.clear(self.wait_key)
        except Exception as exc:
            log.warning("sign-in delay not cleared: %s", type(exc).__name__)



@contextmanager
def behind_the_delay(email: str, too_many):
    """The delay of this address for this account: refused (`too_many`, carrying `retry_after`) while it
    must wait, else yields it (the block calls `failed()` on a wrong password) and clears it if the block
    ends without an error."""
    from app.vocabulary import N_

    delay = SignInDelay(email)
    wait = delay.seconds_left()
    if wait:
        raise too_many(N_("Too many failed attempts from here; try again in %(seconds)s seconds."),
                       retry_after=wait, params={"seconds": wait})
    yield delay
    delay.succeeded()


def sign_in(session, email: str, password: str, *, at):
    """`accounts.authenticate` behind the progressive delay; SignInRefused carries `retry_after`."""
    from app.accounts.operations import SignInRefused, authenticate

    with behind_the_delay(email, SignInRefused) as delay:
        try:
            return authenticate(session, email, password, at=at)
        except SignInRefused:
            delay.failed()
            raise


# --- changing a password, setting one with a link ----------------------------------------------

# Set on the request (its WSGI environ, never shared with another request) when the current password
# given to change it was wrong; such requests count against the account's limit.
_WRONG_CURRENT_PASSWORD = "meridian.wrong_current_password"


def signed_in_account() -> str:
    """The account of whoever is signed in (session or token), hashed as `account_named` hashes it."""
    from app.security import current_actor

    actor = current_actor()
    return "account:" + _digest(normalize_email(actor.email) if actor is not None else "")


def guessed_wrong(response) -> bool:
    return bool(request.environ.get(_WRONG_CURRENT_PASSWORD))


def password_change_limits(view):
    """Wrong current passwords per account, over the page and the API together (one shared count):
    whoever holds a stolen session or token cannot guess the password behind it at the API's rate."""
    return limiter.shared_limit(failed_sign_ins_per_account, scope="password-change-account",
                                key_func=signed_in_account, deduct_when=guessed_wrong, methods=["POST"],
                                override_defaults=False)(view)


def change_password(session, user, current: str, new: str, *, at) -> None:
    """`accounts.change_password` behind the sign-in delay of this address for this account; a wrong
    current password counts as a failed sign-in. Raises TooManyAttempts while the pair must wait."""
    from app.accounts.operations import change_password as change
    from app.errors import InvalidInput, TooManyAttempts

    with behind_the_delay(user.email, TooManyAttempts) as delay:
        try:
            change(session, user, current, new, at=at)
        except InvalidInput as refusal:
            if refusal.field == "current_password":
                request.environ[_WRONG_CURRENT_PASSWORD] = True
                delay.failed()
            raise


def set_password_limits(view):
    """Submitting `/set-password/<secret>` counts against the address, as signing in does: each one
    with a usable link costs an argon2 hash, and a guesser of secrets gets nowhere fast."""
    return limiter.limit(sign_in_per_address, key_func=client_address, methods=["POST"],
                         scope="set-password-address", override_defaults=False)(view)
