"""HTML pages. Each area's views live in their own module and add routes to `web` on import."""
from flask import Blueprint, abort, request

web = Blueprint("web", __name__)


@web.before_request
def pages_take_form_fields():
    """A page's form is read from its fields. Given a JSON body, Flask-WTF would read that instead, and
    a JSON string or list is no form: such a request is refused (415) before any view reads it."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
        abort(415)

from app.web import (  # noqa: E402,F401
    admin_views,
    agenda_views,
    board_views,
    case_audit_views,
    case_board_views,
    report_views,
    coordinator_views,
    directory_views,
    inbox_views,
    layout,
    meeting_views,
    meeting_admin_views,
    outcome_views,
    people_picker,
    preparation_views,
    referrer_views,
    rota_views,
    specialist_views,
    views,
)
