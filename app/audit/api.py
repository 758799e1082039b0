"""API: reading the audit trail (admins)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import Instant, OutputInstant, ResponseBody
from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.extensions import db


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str | None = None
    actor_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: Instant | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class AuditEventOut(ResponseBody):
    id: int
    occurred_at: OutputInstant
    actor_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    source_address: str | None
    detail: dict


@api.get("/audit-events")
@endpoint(summary="The audit trail, newest first", roles={"admin"}, query=AuditQuery,
          response=AuditEventOut, many=True, tags=("audit",))
def list_audit_events(query: AuditQuery):
    write_now(db.session)
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(query.limit)
    for column in ("action", "actor_id", "target_type", "target_id"):
        value = getattr(query, column)
        if value is not None:
            statement = statement.where(getattr(AuditEvent, column) == value)
    if query.since is not None:
        statement = statement.where(AuditEvent.occurred_at >= query.since)
    return db.session.scalars(statement).all()
