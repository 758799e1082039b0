"""The versioned JSON API: `/api/v1`, problem+json errors, an OpenAPI document built from the code."""
from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")
