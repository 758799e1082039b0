"""The declarative base and column types shared by every model (plain SQLAlchemy, no Flask)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from app.errors import NotFound
from app.timekeeping import UTC, ensure_utc
from app.vocabulary import N_

# Deterministic constraint names, so migrations can refer to them on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """An instant stored as UTC. Naive datetimes are refused on the way in and never come out.

    PostgreSQL keeps `timestamptz`; SQLite keeps the UTC reading, and the zone is re-attached on load.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        utc_value = ensure_utc(value)
        if dialect.name == "sqlite":
            return utc_value.replace(tzinfo=None)
        return utc_value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect, coltype):
        if dialect.name == "postgresql":
            # Every PostgreSQL session reads in UTC (`_read_postgresql_in_utc`), and psycopg returns its
            # instants aware, in UTC: nothing is left to do per value (a list reads hundreds).
            return None
        return super().result_processor(dialect, coltype)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "do_connect")
def _read_postgresql_in_utc(dialect, connection_record, cargs, cparams):
    """Each PostgreSQL session's zone is UTC from its start, whatever the server's default, so instants
    come back in UTC (UTCDateTime relies on it)."""
    if dialect.name == "postgresql":
        cparams["options"] = f"{cparams.get('options', '')} -c TimeZone=UTC".strip()


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """SQLite leaves foreign keys off and fails at once on a locked file; fix both.

    The driver's own transaction handling is switched off so that `_begin_immediate` decides how
    transactions begin.
    """
    if _is_sqlite(dbapi_connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _begin_immediate(connection):
    """Serialise SQLite transactions: each takes the write lock when it begins.

    Rules that read then write (no double booking, one notification per key) are then safe
    between threads and processes; PostgreSQL enforces the same rules with constraints.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_or_not_found(session, model, ident, what: str, *, for_update: bool = False):
    """The row of `model` with primary key `ident`, or NotFound("No <what> with id <ident>.").

    `for_update` locks the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions are
    serialised anyway).
    """
    row = session.get(model, ident, with_for_update=for_update or None)
    if row is None:
        raise NotFound(N_('No %(what)s with id %(ident)s.'),
                       params={'what': what, 'ident': ident})
    return row
