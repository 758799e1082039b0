"""HTML pages. Each area's views live in their own module and add routes to `web` on import."""
from flask import Blueprint

web = Blueprint("web", __name__)

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
