"""Who is asking, and may they? Deny by default.

Every view declares its access with `@page(...)` (HTML) or `@endpoint(...)` (API); a request
to a view that declares nothing is refused before the view runs.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from app.accounts import operations as accounts
from app.extensions import db
from app.timekeeping import now_utc

PUBLIC = "public"
SIGNED_IN = "signed-in"


def declare_access(view, access):
    view._meridian_access = access
    return view


def access_of(view):
    return getattr(view, "_meridian_access", None)


def bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_actor():
    """The signed-in user for this request (bearer token first, else the session), or None.

    A request that presents a bearer token is judged by the token alone, never the cookie.
    """
    if "actor" in g:
        return g.actor
    actor = None
    g.auth_method = None
    if request.headers.get("Authorization"):
        secret = bearer_token()
        record = accounts.resolve_token(db.session, secret, at=now_utc()) if secret else None
        if record is not None:
            actor, g.auth_method, g.api_token = record.user, "token", record
    elif current_user.is_authenticated and current_user.is_active:
        actor, g.auth_method = current_user._get_current_object(), "session"
    g.actor = actor
    return actor


def is_allowed(actor, access) -> bool:
    if access == PUBLIC:
        return True
    if actor is None:
        return False
    if access == SIGNED_IN:
        return True
    return actor.has_role(*access)


def page(roles=SIGNED_IN):
    """Declare an HTML view's access: PUBLIC, SIGNED_IN, or an iterable of role names."""
    access = roles if roles in (PUBLIC, SIGNED_IN) else frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if access != PUBLIC and actor is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if not is_allowed(actor, access):
                abort(403)
            return view(*args, **kwargs)

        return declare_access(wrapper, access)

    return decorator


def enforce_declared_access():
    """before_request hook: refuse any view that does not say who may use it."""
    # `g` lives as long as the app context, which tests and CLI commands share across requests.
    for name in ("actor", "auth_method", "api_token", "_login_user"):  # _login_user: Flask-Login's
        g.pop(name, None)
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if access_of(view) is None:
        current_app.logger.error("view %s declares no access; refused", request.endpoint)
        abort(403)
    return None
