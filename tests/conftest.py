"""Shared fixtures.

Database-facing tests take the `app` fixture, which runs each test on SQLite and, when
TEST_DATABASE_URL is set, again on PostgreSQL. Each backend gets its own uniquely named
database, migrated once per session and emptied after every test; it is dropped at the end. A test of
the demo starts from a copy of a database with the demo seeded once per worker.
"""
from __future__ import annotations

import os
import shutil
import uuid

import clock
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestingConfig, _database_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
RUN_ID = uuid.uuid4().hex[:10]


def _compile_each_url_builder_once():
    """Every test builds an app, and Werkzeug runs Python's compiler for each URL rule's builder: most
    of the 130 ms an app took. A builder's code depends only on the rule's parts, its defaults (as URL
    text) and `append_unknown` (converters are looked up on the rule each call), so the run compiles
    each distinct builder once and every app reuses it."""
    from werkzeug.routing.rules import Rule

    compile_builder, builders = Rule._compile_builder, {}

    def compile_or_reuse(rule, append_unknown=True):
        defaults = sorted((name, rule._converters[name].to_url(value) if name in rule._converters else None)
                          for name, value in (rule.defaults or {}).items())
        key = (tuple(rule._trace), append_unknown, tuple(defaults))
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = compile_or_reuse


def _compile_each_template_once():
    """Each test's app has its own Jinja environment, which parsed and compiled again every template it
    rendered. The run keeps each template's bytecode once (Jinja checks it against the source) for
    every app; all of them load the same extensions."""
    import flask
    import jinja2

    class BytecodeOfTheRun(jinja2.BytecodeCache):
        def __init__(self):
            self.compiled = {}

        def load_bytecode(self, bucket):
            if bucket.key in self.compiled:
                bucket.bytecode_from_string(self.compiled[bucket.key])

        def dump_bytecode(self, bucket):
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": BytecodeOfTheRun()}


_compile_each_url_builder_once()
_compile_each_template_once()


def pytest_configure(config):
    """The run's clock first (every test, fixture and subprocess reads it; see tests/clock.py), then:
    a service named in the environment must answer: CI fails rather than skips."""
    config._meridian_clock = clock.fix_for_run()
    config._meridian_traveller = clock.follow()
    if TEST_DATABASE_URL:
        try:
            engine = create_engine(_database_url(TEST_DATABASE_URL))
            with engine.connect():
                pass
            engine.dispose()
        except Exception as exc:
            raise pytest.UsageError(f"TEST_DATABASE_URL does not answer: {exc}") from None
    if TEST_REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=5).ping()
        except Exception as exc:
            raise pytest.UsageError(f"TEST_REDIS_URL does not answer: {exc}") from None


# Tests whose results could hang on the time of day, week or year: the pages over the demo seeded around
# "now" (live meeting pages included), every demo test, agendas and cut-offs, reminders and the scheduler,
# rotas, calendars. scripts/test_clocks.py runs them again under fixed clocks (`make test-clocks`). The
# browser tests drive the same pages over the same demo, slowly, and the checks of every page in each
# language, of query counts and of hostile query strings (status codes only) ask nothing of the time: they
# run under the run's clock only, as do the rota planner's properties (pure functions of the times given).
CLOCK_SENSITIVE = ("boards", "calendar", "meetings", "rotas", "scheduler", "web")
NOT_CLOCK_SENSITIVE = ("web/browser", "web/test_pages_in_each_language.py", "web/test_query_counts.py",
                       "web/test_hostile_query_strings.py", "rotas/test_generation_properties.py")


def pytest_collection_modifyitems(config, items):
    tests_folder = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        parts = os.path.relpath(str(item.path), tests_folder).split(os.sep)
        if "/".join(parts).startswith(NOT_CLOCK_SENSITIVE):
            continue
        if parts[0] in CLOCK_SENSITIVE or "demo" in parts[-1] or "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.clock)


def pytest_report_header(config):
    instant, chosen = config._meridian_clock
    shown = instant.isoformat().replace("+00:00", "Z")
    if chosen:
        return f"clock: {shown} (from {clock.CLOCK})"
    return f"clock: {shown}, the real time at start; {clock.CLOCK}={shown} repeats this run's clock"


def pytest_unconfigure(config):
    traveller = getattr(config, "_meridian_traveller", None)
    if traveller is not None:
        traveller.stop()


def pytest_sessionfinish(session, exitstatus):
    """Socket.IO's Redis listener threads outlive the tests; keep their shutdown noise out of the log."""
    import logging

    for name in ("socketio", "socketio.server", "engineio", "engineio.server"):
        logging.getLogger(name).disabled = True


def make_config(database_url: str, instance_path: str, **overrides):
    attributes = {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance_path}
    attributes.update(overrides)
    return type("TestConfigForRun", (TestingConfig,), attributes)


def migrate_to_head(database_url: str, instance_path: str) -> None:
    import flask_migrate

    from app import create_app

    app = create_app(make_config(database_url, instance_path))
    with app.app_context():
        flask_migrate.upgrade()
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.sqlite"
    migrate_to_head(f"sqlite:///{path}", str(directory))
    return path


@pytest.fixture(scope="session")
def postgres_server_url():
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    return _database_url(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def fresh_postgres_database(postgres_server_url):
    """A factory of uniquely named, empty PostgreSQL databases, all dropped at the end."""
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    created = []

    def create(purpose: str) -> str:
        name = f"meridian_test_{RUN_ID}_{purpose}_{len(created)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_migrated(fresh_postgres_database, tmp_path_factory):
    url = fresh_postgres_database("suite")
    migrate_to_head(url, str(tmp_path_factory.mktemp("pg-instance")))
    engine = create_engine(url)
    with engine.connect() as connection:
        # Tables the migrations fill (the discipline vocabulary) keep their rows between tests.
        tables = [name for name in inspect(engine).get_table_names() if name != "alembic_version"
                  and connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() == 0]
    yield url, engine, tables
    engine.dispose()


# What a test touched: the tables it left rows in, and the sequences it drew ids from. Emptying only those
# (DELETE, then restarting the sequences) takes milliseconds, where a TRUNCATE of every table takes a
# quarter of a second, after each of a thousand tests.
_USED_SEQUENCES = """
    SELECT used.sequencename, owner.relname FROM pg_sequences used
    JOIN pg_class sequence ON sequence.relname = used.sequencename AND sequence.relkind = 'S'
    JOIN pg_depend link ON link.objid = sequence.oid AND link.deptype IN ('a', 'i')
    JOIN pg_class owner ON owner.oid = link.refobjid
    WHERE used.schemaname = 'public' AND used.last_value IS NOT NULL
"""


def _empty_postgres_tables(engine, tables: list[str]) -> None:
    with engine.begin() as connection:
        with_rows = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")"
                                       for name in tables)
        touched = {row[0] for row in connection.execute(text(with_rows))}
        sequences = [sequence for sequence, table in connection.execute(text(_USED_SEQUENCES)) if table in tables]
        # As a superuser: the audit trail refuses deletion by trigger, and replica mode skips triggers
        # (foreign keys too, so the order of the deletes does not matter).
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in sorted(touched):
            connection.execute(text(f'DELETE FROM "{name}"'))
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def _postgres_copy(template_url: str):
    """Yields the URL of a new database copied from `template_url` (no one may be connected to it), and
    drops the copy afterwards."""
    admin = create_engine(_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    template = make_url(template_url).database
    name = f"{template}_copy_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG'))
    try:
        yield make_url(template_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "meridian.sqlite"
        # A test of the demo starts from a copy with the demo seeded (tests/web/conftest.py).
        template = "sqlite_demo_template" if "demo" in request.fixturenames else "sqlite_template"
        shutil.copyfile(request.getfixturevalue(template), path)
        yield f"sqlite:///{path}"
        return
    if "demo" in request.fixturenames:
        # A test of the demo gets its own copy of a database with the demo seeded (50 ms, not seconds).
        yield from _postgres_copy(request.getfixturevalue("postgres_demo_template"))
        return
    url, engine, tables = request.getfixturevalue("postgres_migrated")
    yield url
    _empty_postgres_tables(engine, tables)


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, str(tmp_path / "instance"))


@pytest.fixture
def app(app_config):
    from app import create_app
    from app.extensions import db

    application = create_app(app_config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    from app.extensions import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


PASSWORD = "correct horse battery"


@pytest.fixture
def organization(session):
    from app.accounts.operations import create_organization

    org = create_organization(session, name="Fangchenggang Regional Cancer Centre", country="CN",
                              timezone="Asia/Shanghai", residency_region="cn")
    session.commit()
    return org


@pytest.fixture
def make_user(session, organization):
    from app.accounts.operations import create_user

    counter = iter(range(1, 10_000))

    def make(*roles, email=None, organization_=None, **extra):
        user = create_user(
            session,
            email=email or f"user{next(counter)}@example.org",
            name=extra.pop("name", "Test User"),
            password=extra.pop("password", PASSWORD),
            organization=organization_ or organization,
            roles=roles or ("referrer",),
            **extra,
        )
        session.commit()
        return user

    return make


class ApiAuth:
    """Tokens for users, as a client would get them."""

    def __init__(self, client):
        self.client = client

    def token_for(self, user, password: str = PASSWORD) -> str:
        response = self.client.post("/api/v1/auth/token", json={"email": user.email, "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]

    def headers(self, user) -> dict:
        return {"Authorization": f"Bearer {self.token_for(user)}"}


@pytest.fixture
def api_auth(client):
    return ApiAuth(client)


def check_problem(response, status):
    """The response is an RFC 9457 problem with this status and no traceback; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.fixture
def assert_problem():
    return check_problem


@pytest.fixture
def make_org(session):
    from app.accounts.operations import create_organization

    def make(name, country, timezone, region):
        org = create_organization(session, name=name, country=country, timezone=timezone,
                                  residency_region=region)
        session.commit()
        return org

    return make


@pytest.fixture
def headers(api_auth):
    """Bearer headers per user, one token each."""
    cache = {}

    def of(user):
        if user.id not in cache:
            cache[user.id] = api_auth.headers(user)
        return cache[user.id]

    return of


NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def make_specialist(session, make_user):
    """A user with the specialist role and a profile (weekly hours 09:00-17:00 Mon-Fri by default)."""
    from app.specialists import operations

    def make(*, zone="Europe/London", disciplines=("radiology",), weekly_hours=None,
             languages=("en",), extra_roles=(), **profile):
        user = make_user("specialist", *extra_roles, languages=list(languages),
                         **{k: profile.pop(k) for k in ("email", "organization_", "name") if k in profile})
        values = {"disciplines": list(disciplines), "home_timezone": zone,
                  "weekly_hours": NINE_TO_FIVE if weekly_hours is None else weekly_hours, **profile}
        operations.save_profile(session, user, values)
        session.commit()
        return user

    return make
