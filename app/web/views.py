from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext, refresh
from flask_login import login_user, logout_user

from app import i18n, ratelimit
from app.accounts import operations as accounts
from app.audit.operations import record as audit
from app.errors import InvalidInput, TooManyAttempts, in_readers_language
from app.extensions import db
from app.ratelimit import password_change_limits, sign_in, sign_in_limits
from app.security import PUBLIC, SIGNED_IN, current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.vocabulary import N_
from app.web.forms import LanguageForm, LoginForm, LogoutForm, PasswordChangeForm, ProfileForm, choice


# What app.accounts.operations.authenticate says when it refuses, for the catalogues.
SIGN_IN_REFUSALS = (N_("The e-mail address or password is wrong."),
                    N_("This account has been deactivated."))


def _safe_next(target: str | None) -> str:
    """Only follow redirects within this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.home")


def _start_a_new_session() -> None:
    """Signing in starts a new session: nothing set before it (a CSRF token someone else planted or
    read) carries over, so forms get a new token. Only the language chosen with the switcher stays."""
    locale = session.get(i18n.SESSION_KEY)
    session.clear()
    # Flask-WTF keeps this request's token in `g` too; a form rendered later in it must not reuse it.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if locale is not None:
        session[i18n.SESSION_KEY] = locale


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
            if refusal.retry_after:
                message = ngettext("Too many failed attempts from here; try again in %(num)s second.",
                                   "Too many failed attempts from here; try again in %(num)s seconds.",
                                   refusal.retry_after)
            else:
                message = in_readers_language(refusal.template, refusal.params)  # the domain's words, in the reader's language
            form.password.errors.append(message)
            status = 429 if refusal.retry_after else 401
        else:
            _start_a_new_session()
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
        flash(gettext("You are signed out."))
    return redirect(url_for("web.login"))


@web.route("/me/password", methods=["GET", "POST"])
@password_change_limits
@page(SIGNED_IN)
def change_password():
    """Change my password; every other session and API token of mine ends, this browser stays in.
    Wrong current passwords are slowed and limited as wrong passwords at sign-in are (app.ratelimit)."""
    form, status = PasswordChangeForm(), 200
    if form.validate_on_submit():
        user = current_actor()
        try:
            ratelimit.change_password(db.session, user, form.current_password.data, form.new_password.data,
                                      at=now_utc())
        except TooManyAttempts as refusal:
            db.session.rollback()
            form.current_password.errors.append(ngettext(
                "Too many failed attempts from here; try again in %(num)s second.",
                "Too many failed attempts from here; try again in %(num)s seconds.", refusal.retry_after))
            return (render_template("change_password.html", form=form), 429,
                    {"Retry-After": str(refusal.retry_after)})
        except InvalidInput as refusal:
            db.session.rollback()
            # The domain's words follow the field's name ("must be at least ..."); under the field's
            # label they read as a sentence of their own, in the reader's language.
            message = gettext(refusal.message)
            getattr(form, refusal.field).errors.append(message[:1].upper() + message[1:])
            status = 422
        else:
            audit(db.session, "auth.password_changed", actor=user, target_type="user", target_id=user.id,
                  source_address=request.remote_addr)
            db.session.commit()
            login_user(user)  # this browser, under the new session generation
            flash(gettext("Your password is changed; you were signed out everywhere else."))
            return redirect(url_for("web.home"))
    elif request.method == "POST":
        status = 422
    return render_template("change_password.html", form=form), status


@web.get("/")
@page(SIGNED_IN)
def home():
    return render_template("home.html", user=current_actor(), now=now_utc())


@web.post("/language")
@page(PUBLIC)
def choose_language():
    """The navigation's language switcher: this browser session follows the choice, and a signed-in
    person's profile keeps it."""
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in i18n.LOCALES:
        session[i18n.SESSION_KEY] = form.locale.data
        user = current_actor()
        if user is not None:
            user.locale = form.locale.data
            audit(db.session, "user.locale_changed", actor=user, target_type="user", target_id=user.id,
                  source_address=request.remote_addr, detail={"locale": user.locale})
            db.session.commit()
        refresh()
    return redirect(_safe_next(request.args.get("next")))


@web.route("/profile", methods=["GET", "POST"])
@page(SIGNED_IN)
def profile():
    user = current_actor()
    form = ProfileForm(data={"locale": user.locale or ""})
    form.locale.choices = [choice("", gettext("Follow my browser"))] + [
        choice(code, name) for code, name in i18n.LOCALES.items()]
    status = 200
    if form.validate_on_submit():
        user.locale = accounts.checked_interface_locale(form.locale.data or None)
        session.pop(i18n.SESSION_KEY, None)
        audit(db.session, "user.locale_changed", actor=user, target_type="user", target_id=user.id,
              source_address=request.remote_addr, detail={"locale": user.locale})
        db.session.commit()
        refresh()
        flash(gettext("Your profile is saved."))
        return redirect(url_for("web.profile"))
    elif request.method == "POST":
        status = 422
    return render_template("profile.html", user=user, form=form), status
