"""Who is asking, and may they? Deny by default.

Every view declares its access with `@page(...)` (HTML) or `@endpoint(...)` (API); a request
to a view that declares nothing is refused before the view runs.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, after_this_request, current_app, g, redirect, request, url_for
from flask_login import current_user

from app.accounts import operations as accounts
from app.extensions import db
from app.timekeeping import now_utc

PUBLIC = "public"
SIGNED_IN = "signed-in"
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


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
        at = now_utc()
        record = accounts.resolve_token(db.session, secret, at=at) if secret else None
        if record is not None:
            actor, g.auth_method, g.api_token = record.user, "token", record
            _record_token_use(record, at)
    elif current_user.is_authenticated and current_user.is_active:
        actor, g.auth_method = current_user._get_current_object(), "session"
    g.actor = actor
    return actor


def _record_token_use(record, at) -> None:
    """A write records the use in its own transaction; a read never waits for it: the stale
    `last_used_at` is written on a connection of its own once the response has been sent."""
    if not accounts.token_use_is_stale(record, at=at):
        return
    if request.method not in _READ_METHODS:
        accounts.note_token_use(record, at=at)
        return
    app, token_id = current_app._get_current_object(), record.id

    def write_later():
        try:
            with app.app_context(), db.engine.begin() as connection:
                accounts.record_token_use(connection, token_id, at=at)
        except Exception:  # a lost "last used" time must never fail or delay a read
            app.logger.warning("could not record the use of API token %s", token_id, exc_info=True)

    @after_this_request
    def after_sending(response):
        response.call_on_close(write_later)
        return response


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
