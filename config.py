"""Configuration classes. Each reads the environment; `create_app` picks one.

Development defaults to a SQLite file in the instance folder (zero setup). Setting
DATABASE_URL (PostgreSQL) and REDIS_URL (Socket.IO message queue) scales out.

A setting Meridian cannot start with is a ConfigurationError naming it (a RuntimeError). Reading the
environment never raises: a value that cannot be read is noted, its default stands in, and `check()`
(which `create_app` calls before anything else) refuses to start with the first such problem. Every
entry point turns that refusal into one line and a non-zero exit: `flask` commands (app.factory),
`run.py` and gunicorn's worker (app.wsgi). See docs/deployment.md, "Configuration errors".
"""
import math
import os

_INSECURE_DEV_KEY = "dev-only-insecure-secret-key"


class ConfigurationError(RuntimeError):
    """A setting (an environment variable) Meridian cannot start with; the message begins with its name."""

    def __init__(self, setting: str, message: str):
        self.setting = setting
        super().__init__(message)


# Settings whose value could not be read, found while reading the environment: {name: message}.
_PROBLEMS: dict[str, str] = {}


def _number(name: str, default, *, kind=int, minimum=None, maximum=None, above=None):
    """The environment's `name` as a number (int or float), or `default` when unset or empty; a value
    that is not such a number, or out of range, is noted for `check()` and the default stands in."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(text.strip())
    except ValueError:
        value = None
    if value is None or (kind is float and not math.isfinite(value)):
        _PROBLEMS[name] = f"{name} must be {what}, not {text!r}"
        return default
    if ((minimum is not None and value < minimum) or (maximum is not None and value > maximum)
            or (above is not None and value <= above)):
        if above is not None:
            bounds = f"greater than {above}"
        elif maximum is None:
            bounds = f"at least {minimum}"
        else:
            bounds = f"from {minimum} to {maximum}"
        _PROBLEMS[name] = f"{name} must be {what} {bounds}, not {text!r}"
        return default
    return value


def web_threads() -> int:
    """Threads per production web instance (gunicorn `--threads`); WebSockets hold one each. Never
    raises (gunicorn reads it before the app loads): a bad WEB_THREADS is refused by `check()`."""
    return _number("WEB_THREADS", 32, minimum=1)


def _database_url_problem(url) -> str | None:
    """Why SQLAlchemy could not use `url` (None: it can)."""
    if not url:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "DATABASE_URL is not a database URL (e.g. postgresql://user@host:5432/meridian)"
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return (f"DATABASE_URL names a database Meridian cannot use ({parsed.drivername!r}); "
                "use postgresql://... or sqlite:///...")
    return None


def _fernet_keys(text: str | None) -> list | None:
    """The Fernet keys in comma-separated `text` (newest first), or None if any part is not a key."""
    from cryptography.fernet import Fernet

    try:  # the same reading as app.cases.attachments.cipher_from
        return [Fernet(key.strip()) for key in (text or "").split(",") if key.strip()]
    except (ValueError, TypeError):
        return None


_MAKE_A_FERNET_KEY = ("make one with: python -c 'from cryptography.fernet import Fernet; "
                      "print(Fernet.generate_key().decode())'")


def pool_options(threads: int) -> dict:
    """A database pool in which every thread can hold a connection at once, so a busy instance makes
    requests wait for a thread, never fail for want of a connection: `threads // 4` kept open, the
    rest opened on demand. Per instance that is up to `threads` PostgreSQL connections (see
    docs/deployment.md for the sum against max_connections)."""
    pool_size = max(2, threads // 4)
    return {"pool_size": pool_size, "max_overflow": max(0, threads - pool_size), "pool_timeout": 30}


def _database_url(value):
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would look for psycopg2)."""
    if value and value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://"):]
    if value and value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://"):]
    return value


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", _INSECURE_DEV_KEY)
    # None means "SQLite file in the instance folder"; the factory fills in the path.
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("DATABASE_URL"))
    # hide_parameters: a database error must not log the values bound to it (patient data).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "meridian-socketio")
    SOCKETIO_ASYNC_MODE = "threading"
    # Every web process tells its live subscribers each room's latest seq this often (seconds), and
    # as soon as Redis answers again after an outage (docs/live.md, "Delivery protocol").
    LIVE_HEARTBEAT_SECONDS = _number("LIVE_HEARTBEAT_SECONDS", 15.0, kind=float, above=0)
    # A web process that has not beaten for this long is dead: its connections leave presence.
    LIVE_PRESENCE_EXPIRY_SECONDS = _number("LIVE_PRESENCE_EXPIRY_SECONDS", 30.0, kind=float, above=0)

    # How many reverse proxies in front set X-Forwarded-For/-Proto: rate limits and the audit trail
    # need the client's own address, not the proxy's. 0 trusts no such header.
    TRUSTED_PROXY_HOPS = _number("TRUSTED_PROXY_HOPS", 0, minimum=0)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # Largest request body accepted at all (attachments); JSON bodies have their own smaller limit.
    MAX_CONTENT_LENGTH = _number("MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1) + 64 * 1024
    API_MAX_JSON_BYTES = 1024 * 1024
    MAX_ATTACHMENT_BYTES = _number("MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1)
    # Attachments are encrypted at rest with these Fernet keys (comma-separated, newest first; see
    # docs/security.md for rotation). Without them they are stored as uploaded (development only).
    ATTACHMENT_KEYS = os.environ.get("ATTACHMENT_KEYS") or None
    # Live events exist for replay to clients that reconnect; `flask retention purge` drops older ones.
    LIVE_EVENT_RETENTION_DAYS = _number("LIVE_EVENT_RETENTION_DAYS", 30, minimum=0)
    # How soon a case should be discussed after submission.
    URGENT_TARGET_HOURS = _number("URGENT_TARGET_HOURS", 72, minimum=1)
    ROUTINE_TARGET_DAYS = _number("ROUTINE_TARGET_DAYS", 14, minimum=1)
    # The equity alert: a site whose median wait last month exceeded the network's by this factor,
    # over at least this many discussed cases, is named to the coordinators (app.reports.jobs).
    EQUITY_ALERT_FACTOR = _number("EQUITY_ALERT_FACTOR", 1.5, kind=float, above=0)
    EQUITY_ALERT_MIN_CASES = _number("EQUITY_ALERT_MIN_CASES", 3, minimum=1)

    API_TOKEN_LIFETIME_HOURS = _number("API_TOKEN_LIFETIME_HOURS", 24 * 14, minimum=1)
    # How long an invitation's or a password reset's one-time set-password link works.
    PASSWORD_LINK_LIFETIME_HOURS = _number("PASSWORD_LINK_LIFETIME_HOURS", 72, minimum=1)
    # Rate limits (Flask-Limiter notation), kept in Redis when REDIS_URL is set. Failed sign-ins never
    # lock an account: after SIGN_IN_FREE_FAILURES from one address for one account, that pair waits
    # 1, 2, 4... seconds (at most SIGN_IN_MAX_DELAY_SECONDS) before its next try.
    SIGN_IN_LIMIT_PER_ADDRESS = os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per minute;200 per hour")
    FAILED_SIGN_IN_LIMIT_PER_ACCOUNT = os.environ.get("FAILED_SIGN_IN_LIMIT_PER_ACCOUNT", "30 per 10 minutes")
    SIGN_IN_FREE_FAILURES = _number("SIGN_IN_FREE_FAILURES", 3, minimum=0)
    SIGN_IN_MAX_DELAY_SECONDS = _number("SIGN_IN_MAX_DELAY_SECONDS", 300, minimum=0)
    API_LIMIT_PER_TOKEN = os.environ.get("API_LIMIT_PER_TOKEN", "600 per minute")
    # argon2 needs PASSWORD_HASH_MEMORY_KIB per hash: at most this many run at once per process.
    PASSWORD_HASH_CONCURRENCY = _number("PASSWORD_HASH_CONCURRENCY", 4, minimum=1)

    # argon2id cost; the defaults follow the argon2-cffi recommendation (RFC 9106 low-memory profile).
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_KIB = 64 * 1024

    # Keys the audit trail's hash chain; keep it out of the database and never change it (without it the
    # chain is keyed by SECRET_KEY, which must then never change either).
    AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY") or None
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "meridian-demo")
    DEMO_SEED_ALLOWED = True  # the demo's people share a published password
    # The language for anyone who has chosen none and whose browser asks for none Meridian has (docs/i18n.md).
    BABEL_DEFAULT_LOCALE = os.environ.get("MERIDIAN_DEFAULT_LOCALE", "en")
    RUN_SCHEDULER_IN_PROCESS = False

    # E-mail copies of notifications; without SMTP_HOST they are logged instead of sent.
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _number("SMTP_PORT", 587, minimum=1, maximum=65535)
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "true").lower() in ("1", "true", "yes")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "Meridian <no-reply@meridian.invalid>")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # A call to join every meeting (docs/conferencing.md). A meeting's or its board's own link (Teams,
    # Zoom, Webex) always wins; otherwise, with JITSI_URL set, each meeting gets a room on that
    # self-hosted Jitsi Meet, entered with a token signed by JITSI_APP_SECRET (Prosody token auth).
    JITSI_URL = (os.environ.get("JITSI_URL") or "").rstrip("/") or None
    JITSI_APP_ID = os.environ.get("JITSI_APP_ID", "meridian")
    JITSI_APP_SECRET = os.environ.get("JITSI_APP_SECRET") or None
    # Tokens are valid from this long before the meeting's start until this long after its end.
    JITSI_TOKEN_MARGIN_MINUTES = _number("JITSI_TOKEN_MARGIN_MINUTES", 15, minimum=0)

    @classmethod
    def check(cls):
        """Refuse to start (ConfigurationError naming the setting) with a value that could not be read,
        a DATABASE_URL SQLAlchemy cannot use, or ATTACHMENT_KEYS that are not Fernet keys (attachments
        could be neither written nor read)."""
        for name, message in _PROBLEMS.items():
            raise ConfigurationError(name, message)
        problem = _database_url_problem(cls.SQLALCHEMY_DATABASE_URI)
        if problem:
            raise ConfigurationError("DATABASE_URL", problem)
        if cls.REDIS_URL and not cls.REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError("REDIS_URL", "REDIS_URL must be a redis://, rediss:// or unix:// URL")
        from limits import parse_many

        for name in ("SIGN_IN_LIMIT_PER_ADDRESS", "FAILED_SIGN_IN_LIMIT_PER_ACCOUNT", "API_LIMIT_PER_TOKEN"):
            try:  # a limit that cannot be read would not be enforced at all
                parse_many(getattr(cls, name))
            except ValueError:
                raise ConfigurationError(name, f"{name} must be limits such as '20 per minute;200 per hour', "
                                               f"not {getattr(cls, name)!r}") from None
        if cls.ATTACHMENT_KEYS and not _fernet_keys(cls.ATTACHMENT_KEYS):
            raise ConfigurationError(
                "ATTACHMENT_KEYS", "ATTACHMENT_KEYS must be one or more comma-separated Fernet keys "
                                   f"(newest first; {_MAKE_A_FERNET_KEY})")


class DevelopmentConfig(Config):
    DEBUG = False  # the Werkzeug debugger would show tracebacks to users; keep it off
    # One process does everything in development; production runs `flask scheduler` on its own.
    RUN_SCHEDULER_IN_PROCESS = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 64
    # Tests sign many people in from one address; tests of the limits set their own.
    SIGN_IN_LIMIT_PER_ADDRESS = "10000 per minute"
    FAILED_SIGN_IN_LIMIT_PER_ACCOUNT = "10000 per minute"
    API_LIMIT_PER_TOKEN = "10000 per minute"
    SIGN_IN_FREE_FAILURES = 1000
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    SECURITY_HSTS = True  # served over HTTPS only: browsers must never fall back to HTTP
    DEMO_SEED_ALLOWED = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True, **pool_options(web_threads())}

    @classmethod
    def check(cls):
        """Refuse to start with a guessable secret (sessions and CSRF tokens depend on it) or without
        the keys that encrypt attachments at rest (clinical images and letters must never be written
        in clear); then what every configuration refuses."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == _INSECURE_DEV_KEY or len(key) < 32:
            raise ConfigurationError(
                "SECRET_KEY", "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        cls.SECRET_KEY = key
        attachment_keys = os.environ.get("ATTACHMENT_KEYS", "").strip()
        if not _fernet_keys(attachment_keys):
            raise ConfigurationError(
                "ATTACHMENT_KEYS",
                "ATTACHMENT_KEYS must be set in production to one or more comma-separated Fernet keys "
                f"(newest first; {_MAKE_A_FERNET_KEY})"
            )
        cls.ATTACHMENT_KEYS = attachment_keys
        super().check()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment():
    name = os.environ.get("MERIDIAN_CONFIG", "development")
    if name not in CONFIGS:
        raise ConfigurationError("MERIDIAN_CONFIG",
                                 f"MERIDIAN_CONFIG must be one of {', '.join(sorted(CONFIGS))}, not {name!r}")
    return CONFIGS[name]
