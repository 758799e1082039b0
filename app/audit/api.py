"""API: reading the audit trail (admins)."""
from __future__ import annotations

from sqlalchemy import select

from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.schema import Instant, OutputInstant, ResponseBody
from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.extensions import db
from app.paging import keyset_page


class AuditQuery(PageQuery):
    action: str | None = None
    actor_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: Instant | None = None


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
@endpoint(summary="The audit trail, newest first, a page at a time", roles={"admin"}, query=AuditQuery,
          response=AuditEventOut, many=True, tags=("audit",))
def list_audit_events(query: AuditQuery):
    write_now(db.session)
    statement = select(AuditEvent)
    for column in ("action", "actor_id", "target_type", "target_id"):
        value = getattr(query, column)
        if value is not None:
            statement = statement.where(getattr(AuditEvent, column) == value)
    if query.since is not None:
        statement = statement.where(AuditEvent.occurred_at >= query.since)
    page = keyset_page(db.session, statement, columns=[AuditEvent.id], limit=query.limit,
                       cursor=query.cursor, descending=True)
    return ApiResponse(page.rows, headers=next_link(page))
