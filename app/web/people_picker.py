"""Naming a person in a coordinator's form (a board's members, a rota's, a meeting's invitee): typed by
e-mail, with suggestions as one types, and looked up in one query however many rows name someone."""
from __future__ import annotations

import json

from flask import render_template, request, url_for
from sqlalchemy import select

from app.accounts import operations as accounts
from app.accounts.models import User, UserRole
from app.extensions import db
from app.inputs import parse_id
from app.security import page
from app.web import web
from app.web.layout import COORDINATING

PEOPLE_SUGGESTED = 15   # at most this many people suggested as a coordinator types
SUGGESTIONS_LIST = "people-suggestions"   # the page's one <datalist> the suggestions fill


@web.app_template_global()
def person_input_attributes(who: str | None = None) -> dict[str, str]:
    """The attributes that make a text input name a person, suggesting people (`who="specialist"`:
    specialists only) as one types. For `|xmlattr` on a plain input, or a WTForms field's keywords."""
    attributes = {"list": SUGGESTIONS_LIST, "autocomplete": "off", "inputmode": "email",
                  "hx-get": url_for("web.people_suggestions"), "hx-trigger": "input changed delay:250ms",
                  "hx-target": "#" + SUGGESTIONS_LIST, "hx-swap": "innerHTML"}
    if who is not None:
        attributes["hx-vals"] = json.dumps({"who": who})
    return attributes


@web.app_template_global()
def people_suggestions_list() -> str:
    """The id of the page's one `<datalist>` of suggested people."""
    return SUGGESTIONS_LIST


def people_named(texts, *, role: str | None = None) -> dict[str, User]:
    """The active people (holding `role`, if given) that typed texts name, by the text as typed: an
    e-mail address, or (from a script) an account id. A text that names nobody is missing."""
    texts = [(text or "").strip() for text in texts]
    ids = {text: parse_id(text) for text in texts if parse_id(text) is not None}
    emails = [text for text in texts if "@" in text]
    by_email = accounts.active_people_by_email(db.session, emails, role=role)
    found = {text: by_email[accounts.normalize_email(text)] for text in emails
             if accounts.normalize_email(text) in by_email}
    if ids:
        statement = select(User).where(User.id.in_(sorted(set(ids.values()))), User.is_active.is_(True))
        if role is not None:
            statement = statement.where(User.role_grants.any(UserRole.role == role))
        by_id = {user.id: user for user in db.session.scalars(statement)}
        found.update({text: by_id[user_id] for text, user_id in ids.items() if user_id in by_id})
    return found


def person_named(typed: str, *, role: str | None = None) -> User | None:
    """The active person one field names (see `people_named`)."""
    return people_named([typed], role=role).get((typed or "").strip())


@web.get("/coordinator/people-suggestions")
@page(COORDINATING)
def people_suggestions():
    """`<option>`s for the page's people list: active people whose name or e-mail starts with what was
    typed (the field's own parameter; `who=specialist` for specialists only)."""
    typed = next((value.strip() for name, value in request.args.items() if name != "who" and value.strip()), "")
    people = []
    if len(typed) >= 2:
        role = "specialist" if request.args.get("who") == "specialist" else None
        people = accounts.people_starting_with(db.session, typed, role=role, limit=PEOPLE_SUGGESTED)
    return render_template("coordinator/_people_options.html", people=people)
