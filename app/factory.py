"""`build_app`: configure Flask, bind the extensions, register every area."""
from __future__ import annotations

import importlib
import os

from flask import Flask, request

from app.accounts import passwords

# Modules that register API routes or Socket.IO handlers as they are imported.
AREA_MODULES = (
    "app.api.meta",
    "app.accounts.api",
    "app.audit.api",
    "app.specialists.api",
    "app.rotas.api",
    "app.notifications.api",
    "app.calendar.views",
    "app.cases.api",
    "app.boards.api",
    "app.meetings.api",
    "app.conferencing.api",
    "app.outcomes.api",
    "app.live.api",
    "app.live.events",
    "app.dataprotection.api",
    "app.preparation.api",
    "app.reports.api",
)

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_app(config_class=None) -> Flask:
    """The app for `config_class` (else the environment's). A setting it cannot start with raises
    config.ConfigurationError, except under a `flask` command, which it ends with one line (below)."""
    from config import ConfigurationError, config_from_environment

    try:
        config_class = config_class or config_from_environment()
        if hasattr(config_class, "check"):
            config_class.check()
    except ConfigurationError as error:
        _refuse_under_flask_command(error)
        raise

    instance_path = (getattr(config_class, "INSTANCE_PATH", None)
                     or os.environ.get("MERIDIAN_INSTANCE_PATH")
                     or os.path.join(PROJECT_ROOT, "instance"))
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "meridian.sqlite"
        )
    passwords.configure(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"],
                        app.config["PASSWORD_HASH_CONCURRENCY"])

    from app.audit import chain

    chain.configure(app.config.get("AUDIT_CHAIN_KEY") or "audit-chain:" + app.config["SECRET_KEY"])
    from app.conferencing import operations as conferencing

    try:
        conferencing.configure(app.config.get("JITSI_URL"), app.config.get("JITSI_APP_ID") or "meridian",
                               app.config.get("JITSI_APP_SECRET"), int(app.config.get("JITSI_TOKEN_MARGIN_MINUTES", 15)))
    except ConfigurationError as error:
        _refuse_under_flask_command(error)
        raise
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    _register_areas(app)
    return app


def _refuse_under_flask_command(error) -> None:
    """Under a `flask` command (a click context is active: the Flask CLI is loading the app), print the
    configuration error as one line and exit 1, as the commands' own errors do. Flask would otherwise
    print a traceback: it shows only its own NoAppException as a message, and its command list (`flask`,
    `flask --help`) prints any other exception's traceback. Elsewhere (run.py, app.wsgi, tests) the
    caller handles the ConfigurationError."""
    import click

    if click.get_current_context(silent=True) is None:
        return
    click.echo(f"Error: {error}", err=True)
    raise SystemExit(1)


def _init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app import i18n
    from app.extensions import csrf, db, login_manager, migrate, socketio

    importlib.import_module("app.models")  # the whole schema, for Alembic

    db.init_app(app)
    i18n.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = _l("Please sign in to continue.")
    csrf.init_app(app)
    # Said every time: Flask-SocketIO keeps init_app's options, so an app without Redis after one with
    # it (tests) would otherwise inherit the other's Redis manager.
    queue = {"client_manager": None}
    if app.config.get("REDIS_URL"):
        from app.live.queue import client_manager

        # Publishing failures reach Meridian (app.live.queue), not only python-socketio's log.
        queue["client_manager"] = client_manager(app.config["REDIS_URL"], app.config["SOCKETIO_CHANNEL"],
                                                 write_only=False)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config["SOCKETIO_CHANNEL"],
        manage_session=False,  # Socket.IO handlers read the Flask session, never write it
        **queue,
    )

    @login_manager.user_loader
    def load_user(session_id: str):
        """`<user id>.<session generation>`: a cookie from an earlier generation signs nobody in."""
        from app.accounts.models import User
        from app.inputs import parse_id

        user_id, _, generation = session_id.partition(".")
        user = db.session.get(User, parse_id(user_id)) if parse_id(user_id) else None
        if user is None or not generation.isdecimal() or int(generation) != (user.session_generation or 0):
            return None
        return user


def _register_fhir(app: Flask) -> None:
    """The FHIR R4 facade: its own blueprint at /fhir/R4 (see app/fhir)."""
    importlib.import_module("app.fhir.views")
    from app.fhir import fhir

    app.register_blueprint(fhir)


def _register_areas(app: Flask) -> None:
    from app.api import api
    from app.calendar.views import calendar_feed
    from app.errorhandlers import register_error_handlers
    from app.extensions import csrf
    from app.health import health
    from app.security import enforce_declared_access
    from app.web import web
    from app.web.filters import register_filters

    from app.inputs import IdConverter, refuse_nul_characters

    app.url_map.converters["int"] = IdConverter  # before any route is added
    # Each area's API module adds its routes to the shared blueprint when imported.
    for module in AREA_MODULES:
        importlib.import_module(module)

    csrf.exempt(api)  # the API checks CSRF itself, for cookie-authenticated requests only
    app.register_blueprint(api)
    app.register_blueprint(web)
    app.register_blueprint(health)
    app.register_blueprint(calendar_feed)
    _register_fhir(app)
    app.before_request(enforce_declared_access)
    app.before_request(lambda: refuse_nul_characters(request))
    register_error_handlers(app)
    from app.headers import secure_headers

    secure_headers(app)
    from app.ratelimit import init_rate_limits

    init_rate_limits(app)
    register_filters(app)

    from app.cli import register_cli

    register_cli(app)
