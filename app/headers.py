"""Security headers on every response (Flask-Talisman) and no server version banner.

The Content-Security-Policy allows scripts, styles, images and connections from Meridian itself only:
pages carry no inline script or style (htmx's own indicator style is switched off in base.html), so
an injected `<script>` or `style=` never runs. Nothing may frame a page (clinical data, clickjacking).
HSTS is sent only by the production configuration, which is served over HTTPS.
"""
from __future__ import annotations

import logging
import re

from flask_talisman import Talisman

SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "img-src": [SELF, "data:"],
    "font-src": SELF,
    "connect-src": SELF,  # Socket.IO (same origin, ws/wss included)
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": SELF,
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def content_security_policy(jitsi_origin: str | None) -> dict:
    """Meridian's own policy; with a Jitsi Meet server, its origin (exactly) for the IFrame API's script
    and the call's frame."""
    policy = dict(CONTENT_SECURITY_POLICY)
    if jitsi_origin:
        policy["script-src"] = [SELF, jitsi_origin]
        policy["frame-src"] = jitsi_origin
    return policy


def permissions_policy(jitsi_origin: str | None) -> dict:
    """No camera or microphone for Meridian's pages; the Jitsi frame alone may ask for them."""
    if not jitsi_origin:
        return {"camera": "()", "microphone": "()", "geolocation": "()"}
    call = f'("{jitsi_origin}")'
    return {"camera": call, "microphone": call, "display-capture": call, "geolocation": "()"}


def secure_headers(app) -> None:
    production = bool(app.config.get("SECURITY_HSTS"))
    from app.conferencing.operations import jitsi_server

    jitsi_origin = jitsi_server().origin if jitsi_server() is not None else None
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy; HSTS tells browsers to use it
        strict_transport_security=production,
        strict_transport_security_max_age=365 * 24 * 3600,
        strict_transport_security_include_subdomains=True,
        content_security_policy=content_security_policy(jitsi_origin),
        content_security_policy_nonce_in=None,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_http_only=True,
        permissions_policy=permissions_policy(jitsi_origin),
    )
    hide_server_version()
    redact_access_log()


def hide_server_version() -> None:
    """Werkzeug's server (run.py) names itself and the Python version in `Server:`; say only 'Meridian'."""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = lambda handler: "Meridian"


# Parts of a URL that must never reach a log (the access log, an error's log line), each with what
# stands in for it. A calendar feed's and a set-password link's URL is their only credential: whoever
# read the log could subscribe, or choose the person's password. A patient reference is patient data.
_SECRET_PARTS = (
    (re.compile(r"(/calendar/)[^/?\s\"]+(\.ics)"), r"\1[redacted]\2"),
    (re.compile(r"(/set-password/)[^/?\s\"]+"), r"\1[redacted]"),
    (re.compile(r"(/patients/)[^/?\s]+"), r"\1[redacted]"),
)


def redacted(text: str) -> str:
    """`text` (a request line, a path) with every secret or patient reference in a URL replaced."""
    for pattern, replacement in _SECRET_PARTS:
        text = pattern.sub(replacement, text)
    return text


def loggable_request() -> str:
    """The current request as an error's log line may name it: its method and URL rule
    (`POST /set-password/<secret>`), never the values in the URL. Without a rule there is only the
    decoded path, whose secrets no pattern could reliably find: it is left out."""
    from flask import request

    rule = request.url_rule
    return f"{request.method} {rule.rule if rule is not None else '(no matching route)'}"


class RedactSecretPaths(logging.Filter):
    """Rewrites the request line Werkzeug logs for each request (`"GET /calendar/<secret>.ics ..."`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redacted(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redacted(record.msg)
        return True


def redact_access_log() -> None:
    access_log = logging.getLogger("werkzeug")
    if not any(isinstance(existing, RedactSecretPaths) for existing in access_log.filters):
        access_log.addFilter(RedactSecretPaths())
