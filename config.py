"""Configuration classes. Each reads the environment; `create_app` picks one.

Development defaults to a SQLite file in the instance folder (zero setup). Setting
DATABASE_URL (PostgreSQL) and REDIS_URL (Socket.IO message queue) scales out.
"""
import os

_INSECURE_DEV_KEY = "dev-only-insecure-secret-key"


def web_threads() -> int:
    """Threads per production web instance (gunicorn `--threads`); WebSockets hold one each."""
    return int(os.environ.get("WEB_THREADS", 32))


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
    LIVE_HEARTBEAT_SECONDS = float(os.environ.get("LIVE_HEARTBEAT_SECONDS", 15))
    # A web process that has not beaten for this long is dead: its connections leave presence.
    LIVE_PRESENCE_EXPIRY_SECONDS = float(os.environ.get("LIVE_PRESENCE_EXPIRY_SECONDS", 30))

    # How many reverse proxies in front set X-Forwarded-For/-Proto: rate limits and the audit trail
    # need the client's own address, not the proxy's. 0 trusts no such header.
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", 0))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # Largest request body accepted at all (attachments); JSON bodies have their own smaller limit.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", 25 * 1024 * 1024)) + 64 * 1024
    API_MAX_JSON_BYTES = 1024 * 1024
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
    # Attachments are encrypted at rest with these Fernet keys (comma-separated, newest first; see
    # docs/security.md for rotation). Without them they are stored as uploaded (development only).
    ATTACHMENT_KEYS = os.environ.get("ATTACHMENT_KEYS") or None
    # Live events exist for replay to clients that reconnect; `flask retention purge` drops older ones.
    LIVE_EVENT_RETENTION_DAYS = int(os.environ.get("LIVE_EVENT_RETENTION_DAYS", 30))
    # How soon a case should be discussed after submission.
    URGENT_TARGET_HOURS = int(os.environ.get("URGENT_TARGET_HOURS", 72))
    ROUTINE_TARGET_DAYS = int(os.environ.get("ROUTINE_TARGET_DAYS", 14))
    # The equity alert: a site whose median wait last month exceeded the network's by this factor,
    # over at least this many discussed cases, is named to the coordinators (app.reports.jobs).
    EQUITY_ALERT_FACTOR = float(os.environ.get("EQUITY_ALERT_FACTOR", 1.5))
    EQUITY_ALERT_MIN_CASES = int(os.environ.get("EQUITY_ALERT_MIN_CASES", 3))

    API_TOKEN_LIFETIME_HOURS = int(os.environ.get("API_TOKEN_LIFETIME_HOURS", 24 * 14))
    # How long an invitation's or a password reset's one-time set-password link works.
    PASSWORD_LINK_LIFETIME_HOURS = int(os.environ.get("PASSWORD_LINK_LIFETIME_HOURS", 72))
    # Rate limits (Flask-Limiter notation), kept in Redis when REDIS_URL is set. Failed sign-ins never
    # lock an account: after SIGN_IN_FREE_FAILURES from one address for one account, that pair waits
    # 1, 2, 4... seconds (at most SIGN_IN_MAX_DELAY_SECONDS) before its next try.
    SIGN_IN_LIMIT_PER_ADDRESS = os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per minute;200 per hour")
    FAILED_SIGN_IN_LIMIT_PER_ACCOUNT = os.environ.get("FAILED_SIGN_IN_LIMIT_PER_ACCOUNT", "30 per 10 minutes")
    SIGN_IN_FREE_FAILURES = int(os.environ.get("SIGN_IN_FREE_FAILURES", 3))
    SIGN_IN_MAX_DELAY_SECONDS = int(os.environ.get("SIGN_IN_MAX_DELAY_SECONDS", 300))
    API_LIMIT_PER_TOKEN = os.environ.get("API_LIMIT_PER_TOKEN", "600 per minute")
    # argon2 needs PASSWORD_HASH_MEMORY_KIB per hash: at most this many run at once per process.
    PASSWORD_HASH_CONCURRENCY = int(os.environ.get("PASSWORD_HASH_CONCURRENCY", 4))

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
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 587))
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
    JITSI_TOKEN_MARGIN_MINUTES = int(os.environ.get("JITSI_TOKEN_MARGIN_MINUTES", 15))


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
        in clear)."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == _INSECURE_DEV_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        cls.SECRET_KEY = key
        attachment_keys = os.environ.get("ATTACHMENT_KEYS", "").strip()
        from cryptography.fernet import Fernet

        try:  # the same reading as app.cases.attachments.cipher_from
            keys = [Fernet(key.strip()) for key in attachment_keys.split(",") if key.strip()]
        except (ValueError, TypeError):
            keys = []
        if not keys:
            raise RuntimeError(
                "ATTACHMENT_KEYS must be set in production to one or more comma-separated Fernet keys "
                "(newest first; make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        cls.ATTACHMENT_KEYS = attachment_keys


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment():
    name = os.environ.get("MERIDIAN_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"MERIDIAN_CONFIG must be one of {sorted(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
