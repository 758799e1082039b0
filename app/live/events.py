"""Socket.IO handlers. A connection must prove who it is, or it is refused (deny by default)."""
from __future__ import annotations

from flask_login import current_user

from app.accounts import operations as accounts
from app.extensions import db, socketio
from app.timekeeping import now_utc


def authenticate_connection(auth):
    """The user behind a Socket.IO connection: `auth={"token": ...}`, else the session cookie."""
    if isinstance(auth, dict) and auth.get("token"):
        record = accounts.resolve_token(db.session, str(auth["token"]), at=now_utc())
        return record.user if record else None
    if current_user.is_authenticated and current_user.is_active:
        return current_user._get_current_object()
    return None


@socketio.on("connect")
def on_connect(auth=None):
    user = authenticate_connection(auth)
    db.session.commit()
    if user is None:
        raise ConnectionRefusedError("authentication required")
    return True
