from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from app.accounts import operations as accounts
from app.audit.operations import record as audit
from app.errors import InvalidInput
from app.extensions import db
from app.ratelimit import sign_in, sign_in_limits
from app.security import PUBLIC, SIGNED_IN, current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.forms import LoginForm, LogoutForm, PasswordChangeForm


def _safe_next(target: str | None) -> str:
    """Only follow redirects within this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.home")


@web.route("/login", methods=["GET", "POST"])
@sign_in_limits
@page(PUBLIC)
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = sign_in(db.session, form.email.data, form.password.data, at=now_utc())
        except accounts.SignInRefused as refusal:
            audit(db.session, "auth.sign_in_refused", source_address=request.remote_addr,
                  detail={"email": accounts.normalize_email(form.email.data),
                          "reason": refusal.message})
            db.session.commit()
            form.password.errors.append(refusal.message)
            status = 429 if refusal.retry_after else 401
        else:
            login_user(user)
            audit(db.session, "auth.sign_in", actor=user, source_address=request.remote_addr)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form), status


@web.post("/logout")
@page(SIGNED_IN)
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        user = current_actor()
        audit(db.session, "auth.sign_out", actor=user, source_address=request.remote_addr)
        accounts.end_every_session(user)  # a copy of this cookie must not outlive the sign-out
        db.session.commit()
        logout_user()
        flash("You are signed out.")
    return redirect(url_for("web.login"))


@web.route("/me/password", methods=["GET", "POST"])
@page(SIGNED_IN)
def change_password():
    """Change my password; every other session and API token of mine ends, this browser stays in."""
    form, status = PasswordChangeForm(), 200
    if form.validate_on_submit():
        user = current_actor()
        try:
            accounts.change_password(db.session, user, form.current_password.data, form.new_password.data,
                                     at=now_utc())
        except InvalidInput as refusal:
            db.session.rollback()
            getattr(form, refusal.field).errors.append(refusal.message[0].upper() + refusal.message[1:] + ".")
            status = 422
        else:
            audit(db.session, "auth.password_changed", actor=user, target_type="user", target_id=user.id,
                  source_address=request.remote_addr)
            db.session.commit()
            login_user(user)  # this browser, under the new session generation
            flash("Your password is changed; you were signed out everywhere else.")
            return redirect(url_for("web.home"))
    elif request.method == "POST":
        status = 422
    return render_template("change_password.html", form=form), status


@web.get("/")
@page(SIGNED_IN)
def home():
    return render_template("home.html", user=current_actor(), now=now_utc())
