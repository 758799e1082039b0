"""The notification inbox (everyone signed in). The header shows the unread count on every page."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from app.extensions import db
from app.inputs import parse_id
from app.i18n import current_locale_code
from app.notifications import operations as notifications
from app.security import SIGNED_IN, current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.forms import PlainForm

INBOX_LIMIT = 100


@web.get("/inbox")
@page(SIGNED_IN)
def inbox():
    user = current_actor()
    unread_only = request.args.get("unread") == "1"
    items = notifications.rendered_inbox(db.session, user, locale=current_locale_code(), unread_only=unread_only,
                                         limit=INBOX_LIMIT).rows
    return render_template("inbox.html", user=user, items=items, zone=user.timezone, unread_only=unread_only,
                           form=PlainForm())


@web.post("/inbox/read")
@page(SIGNED_IN)
def mark_read():
    """Mark one notification (`id`) or all of them read."""
    user = current_actor()
    if PlainForm().validate_on_submit():
        raw = request.form.get("id", "")
        ids = [parse_id(raw)] if parse_id(raw) else None
        marked = notifications.mark_read(db.session, user.id, ids, at=now_utc())
        db.session.commit()
        if ids is None:
            flash(ngettext("%(num)s notification marked read.", "%(num)s notifications marked read.", marked))
    return redirect(url_for("web.inbox"))
