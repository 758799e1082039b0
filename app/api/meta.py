"""The API's description of itself."""
from flask import jsonify

from app.api import api
from app.api.openapi import build_openapi
from app.security import PUBLIC, declare_access


@api.get("/openapi.json")
def openapi_document():
    return jsonify(build_openapi())


declare_access(openapi_document, PUBLIC)
