"""HTML pages. Each area's views live in their own module and add routes to `web` on import."""
from flask import Blueprint

web = Blueprint("web", __name__)

from app.web import (  # noqa: E402,F401
    coordinator_views,
    inbox_views,
    layout,
    meeting_views,
    specialist_views,
    views,
)
