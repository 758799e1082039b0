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
    """Ready or not, and which dependency is not, nothing more: a revision or version would tell an attacker
    what runs here."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # any failure to reach the database means "not ready"
        current_app.logger.warning("readiness: database unreachable: %s", exc)
        return jsonify(status="not ready", unavailable="database"), 503
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from app.live.queue import redis_client

        try:
            redis_client(redis_url).ping()
        except Exception as exc:   # live events between processes stop without Redis
            current_app.logger.warning("readiness: Redis unreachable: %s", exc)
            return jsonify(status="not ready", unavailable="redis"), 503
    if current != migration_heads():
        current_app.logger.warning("readiness: migrations %s are not at head", sorted(current))
        return jsonify(status="not ready", unavailable="migrations"), 503
    return jsonify(status="ready")


declare_access(healthz, PUBLIC)
declare_access(readyz, PUBLIC)
