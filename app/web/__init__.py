"""HTML pages."""
from flask import Blueprint

web = Blueprint("web", __name__)

from app.web import views  # noqa: E402,F401
