"""Liveness and readiness probes for load balancers and orchestrators."""
from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db
from app.security import PUBLIC, declare_access

health = Blueprint("health", __name__)


def migration_heads() -> set[str]:
    directory = current_app.extensions["migrate"].directory
    return set(ScriptDirectory(directory).get_heads())


@health.get("/healthz")
def healthz():
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # any failure to reach the database means "not ready"
        current_app.logger.warning("readiness: database unreachable: %s", exc)
        return jsonify(status="unavailable", database="unreachable"), 503
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from app.live.queue import redis_client

        try:
            redis_client(redis_url).ping()
        except Exception as exc:   # live events between processes stop without Redis
            current_app.logger.warning("readiness: Redis unreachable: %s", exc)
            return jsonify(status="unavailable", database="reachable", redis="unreachable"), 503
    heads = migration_heads()
    if current != heads:
        return jsonify(status="unavailable", database="reachable",
                       migrations={"current": sorted(current), "head": sorted(heads)}), 503
    extra = {"redis": "reachable"} if redis_url else {}
    return jsonify(status="ok", database="reachable", migrations={"current": sorted(current)}, **extra)


declare_access(healthz, PUBLIC)
declare_access(readyz, PUBLIC)
