"""Every response carries the security headers; the server does not name its version; /readyz says
ready or not and nothing more."""
from __future__ import annotations

import threading
import urllib.request

import pytest

from tests.conftest import make_config


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/static/meridian.css", "/nowhere",
                                  "/api/v1/nowhere", "/readyz"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # not over plain HTTP in development
    response.close()


def test_production_sends_hsts(database_url, tmp_path):
    from app import create_app

    application = create_app(make_config(database_url, str(tmp_path), SECURITY_HSTS=True))
    response = application.test_client().get("/login", base_url="https://meridian.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_server_does_not_name_its_version(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/healthz", timeout=10) as answer:
            banner = answer.headers["Server"]
    finally:
        server.shutdown()
    assert banner == "Meridian"


def test_readyz_says_ready_and_nothing_more(client):
    assert client.get("/readyz").get_json() == {"status": "ready"}
