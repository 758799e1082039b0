"""API: my notification inbox."""
from __future__ import annotations

from pydantic import Field

from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.schema import OutputInstant, RequestBody, ResponseBody
from app.extensions import db
from app.i18n import current_locale_code
from app.notifications import operations
from app.security import current_actor
from app.timekeeping import now_utc


class InboxQuery(PageQuery):
    unread: bool = False


class NotificationOut(ResponseBody):
    id: int
    kind: str
    params: dict = Field(description="The notification's data (instants as ISO 8601 UTC, codes, names); "
                                     "subject and body are rendered from it in the reader's language and zone")
    subject: str
    body: str
    link: str | None
    created_at: OutputInstant
    read_at: OutputInstant | None


class InboxOut(ResponseBody):
    unread_count: int
    notifications: list[NotificationOut]


class MarkRead(RequestBody):
    ids: list[int] | None = Field(default=None, description="Omit to mark everything read")


class MarkReadOut(ResponseBody):
    marked: int
    unread_count: int


@api.get("/notifications")
@endpoint(summary="My notifications, newest first, a page at a time, with the unread count",
          query=InboxQuery, response=InboxOut, tags=("notifications",))
def my_notifications(query: InboxQuery):
    user = current_actor()
    page = operations.rendered_inbox(db.session, user, locale=current_locale_code(), unread_only=query.unread,
                                     limit=query.limit, cursor=query.cursor)
    return ApiResponse({
        "unread_count": operations.unread_count(db.session, user.id),
        "notifications": page.rows,
    }, headers=next_link(page))


@api.post("/notifications/read")
@endpoint(summary="Mark my notifications read", body=MarkRead, response=MarkReadOut,
          tags=("notifications",))
def mark_notifications_read(body: MarkRead):
    user = current_actor()
    marked = operations.mark_read(db.session, user.id, body.ids, at=now_utc())
    return {"marked": marked, "unread_count": operations.unread_count(db.session, user.id)}
