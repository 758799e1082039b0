"""The feed URL (the secret is the credential) and the API to issue or revoke it."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for

from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.schema import ResponseBody
from app.audit.operations import record as audit
from app.calendar import operations
from app.extensions import db
from app.notifications.texts import recipient_locale
from app.security import PUBLIC, current_actor, declare_access
from app.timekeeping import now_utc

calendar_feed = Blueprint("calendar", __name__)


@calendar_feed.get("/calendar/<secret>.ics")
def feed(secret: str):
    user = operations.user_for_secret(db.session, secret)
    if user is None:
        abort(404)
    body = operations.build_feed(db.session, user, at=now_utc(), base_url=request.host_url.rstrip("/"),
                                 locale=recipient_locale(user, current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"))
    return body, 200, {"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "private, max-age=300"}


declare_access(feed, PUBLIC)


class FeedOut(ResponseBody):
    url: str


@api.post("/me/calendar-feed")
@endpoint(summary="Create my private calendar feed, or replace its secret (the old URL stops working)",
          response=FeedOut, status=201, tags=("calendar",))
def issue_feed():
    user = current_actor()
    secret = operations.issue_feed_secret(db.session, user)
    audit(db.session, "calendar.feed_issued", actor=user, target_type="user", target_id=user.id,
          source_address=request.remote_addr)
    return {"url": url_for("calendar.feed", secret=secret, _external=True)}


@api.delete("/me/calendar-feed")
@endpoint(summary="Revoke my calendar feed", status=204, tags=("calendar",))
def revoke_feed():
    user = current_actor()
    operations.revoke_feed(db.session, user)
    audit(db.session, "calendar.feed_revoked", actor=user, target_type="user", target_id=user.id,
          source_address=request.remote_addr)
    return ApiResponse(None)
