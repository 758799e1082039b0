"""The administrator's pages: sites, people (invite, roles, deactivate, reset a password), the licence
verification queue, the discipline vocabulary and CSV onboarding; and the public page where an invited
person sets their password. Routes parse, authorise and call the domain (app.accounts, app.specialists)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import operations as accounts
from app.accounts import password_links
from app.accounts.models import ROLE_VALUES, Organization, User, UserRole
from app.audit.operations import record as audit
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.inputs import parse_id
from app.paging import keyset_page
from app.security import PUBLIC, current_actor, page
from app.specialists import csv_import, disciplines as vocabulary
from app.specialists import operations as specialists
from app.specialists.models import Discipline
from app.timekeeping import now_utc
from app.vocabulary import N_
from app.web import web
from app.web.admin_forms import (ROLE_LABELS, DisciplineEditForm, DisciplineForm, InviteForm, LicenceVerdictForm,
                                 OnboardingForm, RolesForm, SiteForm)
from app.web.forms import PlainForm, SetPasswordForm, choice
from app.ratelimit import set_password_limits

ADMIN = {"admin"}
VERIFIERS = {"coordinator", "admin"}
USERS_PER_PAGE = 50
LICENCES_PER_PAGE = 50


def _audit(action: str, target_type: str, target_id, detail: dict | None = None, actor=None) -> None:
    audit(db.session, action, actor=actor or current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


def _field_error(form, refusal: InvalidInput, fallback: str | None = None) -> None:
    """The domain's words under the field they name (or `fallback`'s), as a sentence of their own."""
    message = gettext(refusal.message)
    message = message[:1].upper() + message[1:]
    name = (refusal.field or "").split("[")[0].split(".")[0]
    target = getattr(form, name, None) or (getattr(form, fallback, None) if fallback else None)
    if target is None:
        form.form_errors.append(message)
    else:
        target.errors = list(target.errors) + [message]


def _site_choices():
    return [choice(str(org.id), org.name) for org in db.session.scalars(select(Organization).order_by(Organization.name))]


# --- sites --------------------------------------------------------------------------------------------


@web.get("/admin/sites")
@page(ADMIN)
def admin_sites():
    sites = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    return render_template("admin/sites.html", sites=sites)


@web.route("/admin/sites/new", methods=["GET", "POST"], endpoint="admin_new_site")
@web.route("/admin/sites/<int:site_id>", methods=["GET", "POST"])
@page(ADMIN)
def admin_site(site_id: int | None = None):
    site = None
    if site_id is not None:
        site = db.session.get(Organization, site_id)
        if site is None:
            abort(404)
    form = SiteForm(obj=site)
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in ("name", "country", "timezone", "residency_region")}
        try:
            if site is None:
                site = accounts.create_organization(db.session, **values)
                _audit("organization.created", "organization", site.id)
            else:
                changes = accounts.update_organization(db.session, site, **values)
                if changes:
                    _audit("organization.updated", "organization", site.id, {"changes": changes})
        except InvalidInput as refusal:
            db.session.rollback()
            _field_error(form, refusal)
            status = 422
        except Conflict:
            db.session.rollback()
            form.name.errors = [gettext("Another site already has this name.")]
            status = 409
        else:
            db.session.commit()
            flash(gettext("Site “%(name)s” is saved.", name=site.name))
            return redirect(url_for("web.admin_sites"))
    elif request.method == "POST":
        status = 422
    return render_template("admin/site_form.html", form=form, site=site), status


# --- people ---------------------------------------------------------------------------------------------


@web.get("/admin/users")
@page(ADMIN)
def admin_users():
    role = request.args.get("role") or ""
    site_id = parse_id(request.args.get("site"))
    active = request.args.get("active") or ""
    statement = select(User).options(selectinload(User.organization))
    if role in ROLE_VALUES:
        statement = statement.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    else:
        role = ""
    if site_id is not None:
        statement = statement.where(User.organization_id == site_id)
    if active in ("yes", "no"):
        statement = statement.where(User.is_active.is_(active == "yes"))
    else:
        active = ""
    users = keyset_page(db.session, statement, columns=[User.name, User.id], limit=USERS_PER_PAGE,
                        cursor=request.args.get("cursor") or None)
    filters = {"role": role, "site": site_id or "", "active": active}
    return render_template("admin/users.html", users=users, filters=filters, sites=_site_choices(),
                           role_labels=ROLE_LABELS)


@web.route("/admin/users/invite", methods=["GET", "POST"])
@page(ADMIN)
def admin_invite():
    form = InviteForm()
    form.organization_id.choices = _site_choices()
    form.roles.choices = [choice(role, label) for role, label in ROLE_LABELS.items()]
    status = 200
    if form.validate_on_submit():
        organization = db.session.get(Organization, parse_id(form.organization_id.data) or 0)
        try:
            if organization is None:
                raise InvalidInput("organization_id", N_("Choose a site."))
            user, link = password_links.invite_user(
                db.session, email=form.email.data, name=form.name.data, organization=organization,
                roles=form.roles.data, by=current_actor(), at=now_utc(),
                lifetime=password_links.configured_lifetime(current_app.config))
        except InvalidInput as refusal:
            db.session.rollback()
            _field_error(form, refusal)
            status = 422
        except Conflict:
            db.session.rollback()
            form.email.errors = [gettext("Someone already has an account with this e-mail address.")]
            status = 409
        else:
            _audit("user.invited", "user", user.id, {"roles": sorted(user.roles), "link_id": link.id})
            db.session.commit()
            flash(gettext("%(name)s is invited: a link to set a password is on its way to %(email)s.",
                          name=user.name, email=user.email))
            return redirect(url_for("web.admin_user", user_id=user.id))
    elif request.method == "POST":
        status = 422
    return render_template("admin/invite.html", form=form), status


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@web.get("/admin/users/<int:user_id>")
@page(ADMIN)
def admin_user(user_id: int, roles_form=None, status: int = 200):
    user = _user_or_404(user_id)
    if roles_form is None:
        roles_form = RolesForm(data={"roles": sorted(user.roles)})
    roles_form.roles.choices = [choice(role, label) for role, label in ROLE_LABELS.items()]
    pending = db.session.scalar(
        select(password_links.PasswordLink).where(password_links.PasswordLink.user_id == user.id,
                                                  password_links.PasswordLink.used_at.is_(None))
        .order_by(password_links.PasswordLink.id.desc()).limit(1))
    return render_template("admin/user.html", user=user, roles_form=roles_form, form=PlainForm(),
                           link=pending if pending is not None and pending.is_usable(now_utc()) else None,
                           is_self=user.id == current_actor().id), status


@web.post("/admin/users/<int:user_id>/roles")
@page(ADMIN)
def admin_user_roles(user_id: int):
    user = _user_or_404(user_id)
    form = RolesForm()
    form.roles.choices = [choice(role, label) for role, label in ROLE_LABELS.items()]
    if not form.validate_on_submit():
        return admin_user(user_id, roles_form=form, status=422)
    try:
        before, after = accounts.change_roles(user, form.roles.data, by=current_actor())
    except PermissionDenied:
        db.session.rollback()
        form.roles.errors = [gettext("You cannot grant yourself a role; another administrator must.")]
        return admin_user(user_id, roles_form=form, status=403)
    if before != after:
        _audit("user.updated", "user", user.id, {"fields": ["roles"], "roles": {"before": before, "after": after}})
    db.session.commit()
    flash(gettext("Roles of %(name)s are saved.", name=user.name))
    return redirect(url_for("web.admin_user", user_id=user.id))


@web.post("/admin/users/<int:user_id>/active")
@page(ADMIN)
def admin_user_active(user_id: int):
    user = _user_or_404(user_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "yes"
    try:
        changed = password_links.set_active(db.session, user, active, by=current_actor(), at=now_utc())
    except PermissionDenied:
        flash(gettext("You cannot deactivate your own account; another administrator must."), "error")
        return redirect(url_for("web.admin_user", user_id=user.id))
    if changed:
        _audit("user.reactivated" if active else "user.deactivated", "user", user.id)
    db.session.commit()
    flash(gettext("%(name)s can sign in again.", name=user.name) if active
          else gettext("%(name)s is deactivated and signed out everywhere.", name=user.name))
    return redirect(url_for("web.admin_user", user_id=user.id))


@web.post("/admin/users/<int:user_id>/reset")
@page(ADMIN)
def admin_user_reset(user_id: int):
    user = _user_or_404(user_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        link = password_links.reset_password(db.session, user, by=current_actor(), at=now_utc(),
                                             lifetime=password_links.configured_lifetime(current_app.config))
    except InvalidInput:
        db.session.rollback()
        flash(gettext("Reactivate the account before resetting its password."), "error")
        return redirect(url_for("web.admin_user", user_id=user.id))
    _audit("user.password_reset", "user", user.id, {"link_id": link.id})
    db.session.commit()
    flash(gettext("The password of %(name)s no longer works; a link to choose a new one is on its way to %(email)s.",
                  name=user.name, email=user.email))
    return redirect(url_for("web.admin_user", user_id=user.id))


# --- the invited person's page -------------------------------------------------------------------------


@web.route("/set-password/<secret>", methods=["GET", "POST"])
@set_password_limits
@page(PUBLIC)
def set_password(secret: str):
    at = now_utc()
    key = password_links.link_key(current_app.config["SECRET_KEY"])
    try:
        link = password_links.find_usable_link(db.session, secret, key=key, at=at)
    except NotFound:
        return render_template("error.html", status=404, message=gettext(password_links.LINK_UNUSABLE)), 404
    form, status = SetPasswordForm(), 200
    if form.validate_on_submit():
        try:
            user = password_links.set_password_with_link(db.session, secret, form.new_password.data, key=key, at=at)
        except InvalidInput as refusal:
            db.session.rollback()
            _field_error(form, refusal, fallback="new_password")
            status = 422
        except NotFound:
            db.session.rollback()
            return render_template("error.html", status=404, message=gettext(password_links.LINK_UNUSABLE)), 404
        else:
            _audit("auth.password_set_with_link", "user", user.id, {"purpose": link.purpose}, actor=user)
            db.session.commit()
            if current_actor() is not None:
                logout_user()  # whoever was signed in on this browser is not the link's owner
            flash(gettext("Your password is set. Sign in with your e-mail address and the new password."))
            return redirect(url_for("web.login"))
    elif request.method == "POST":
        status = 422
    return render_template("set_password.html", form=form, user=link.user, link=link), status


# --- licence verification --------------------------------------------------------------------------------


@web.get("/admin/licences")
@page(VERIFIERS)
def admin_licences():
    queue = request.args.get("queue") or "pending"
    if queue not in specialists.LICENCE_QUEUES:
        queue = "pending"
    at = now_utc()
    rows = specialists.licence_queue(db.session, queue, at=at, limit=LICENCES_PER_PAGE,
                                     cursor=request.args.get("cursor") or None)
    return render_template("admin/licences.html", queue=queue, rows=rows, at=at, form=LicenceVerdictForm(),
                           status_of=lambda licence: specialists.licence_status(licence, at))


@web.post("/admin/licences/<int:licence_id>")
@page(VERIFIERS)
def admin_licence_verdict(licence_id: int):
    form = LicenceVerdictForm()
    queue = request.args.get("queue") or "pending"
    back = url_for("web.admin_licences", queue=queue if queue in specialists.LICENCE_QUEUES else "pending")
    if not form.validate_on_submit() or form.verdict.data not in ("verify", "reject"):
        flash(gettext("Choose to verify or to refuse the licence."), "error")
        return redirect(back)
    licence = specialists.get_licence(db.session, licence_id)
    at, actor = now_utc(), current_actor()
    try:
        if form.verdict.data == "verify":
            specialists.verify_licence(db.session, licence, verifier=actor, at=at, note=form.note.data)
        else:
            specialists.reject_licence(db.session, licence, verifier=actor, at=at, note=form.note.data)
    except InvalidInput:
        db.session.rollback()
        flash(gettext("Say in the evidence note why you refuse the licence."), "error")
        return redirect(back)
    except (PermissionDenied, Conflict) as refusal:
        db.session.rollback()
        flash(gettext(refusal.message), "error")
        return redirect(back)
    holder = licence.profile.user
    _audit("licence.verified" if form.verdict.data == "verify" else "licence.rejected", "licence", licence.id,
           {"user_id": holder.id, "jurisdiction": licence.jurisdiction, "expires_on": licence.expires_on.isoformat(),
            "note": licence.verification_note})
    db.session.commit()
    flash(gettext("The licence of %(name)s in %(country)s is verified.", name=holder.name, country=licence.jurisdiction)
          if form.verdict.data == "verify" else
          gettext("The licence of %(name)s in %(country)s is refused.", name=holder.name, country=licence.jurisdiction))
    return redirect(back)


# --- the discipline vocabulary ------------------------------------------------------------------------


@web.route("/admin/disciplines", methods=["GET", "POST"])
@page(ADMIN)
def admin_disciplines():
    form, status = DisciplineForm(), 200
    if form.validate_on_submit():
        try:
            added = vocabulary.add_discipline(db.session, code=form.code.data, name=form.name.data,
                                              labels={"zh": form.label_zh.data, "ru": form.label_ru.data})
        except InvalidInput as refusal:
            db.session.rollback()
            _field_error(form, refusal)
            status = 422
        except Conflict:
            db.session.rollback()
            form.code.errors = [gettext("Another discipline already has this code.")]
            status = 409
        else:
            _audit("discipline.added", "discipline", added.code, {"name": added.name})
            db.session.commit()
            flash(gettext("Discipline “%(name)s” is added.", name=added.name))
            return redirect(url_for("web.admin_disciplines"))
    elif request.method == "POST":
        status = 422
    rows = specialists.list_disciplines(db.session, include_retired=True)
    return render_template("admin/disciplines.html", rows=rows, form=form, plain=PlainForm()), status


@web.route("/admin/disciplines/<code>", methods=["GET", "POST"])
@page(ADMIN)
def admin_discipline(code: str):
    discipline = db.session.get(Discipline, code)
    if discipline is None:
        abort(404)
    labels = discipline.labels or {}
    form = DisciplineEditForm(data={"name": discipline.name, "label_zh": labels.get("zh", ""),
                                    "label_ru": labels.get("ru", "")})
    status = 200
    if form.validate_on_submit():
        try:
            changes = vocabulary.update_discipline(db.session, discipline, name=form.name.data,
                                                   labels={"zh": form.label_zh.data, "ru": form.label_ru.data})
        except InvalidInput as refusal:
            db.session.rollback()
            _field_error(form, refusal)
            status = 422
        else:
            if changes:
                _audit("discipline.updated", "discipline", discipline.code, {"changes": changes})
            db.session.commit()
            flash(gettext("Discipline “%(name)s” is saved.", name=discipline.name))
            return redirect(url_for("web.admin_disciplines"))
    elif request.method == "POST":
        status = 422
    return render_template("admin/discipline_form.html", discipline=discipline, form=form,
                           plain=PlainForm()), status


@web.post("/admin/disciplines/<code>/retired")
@page(ADMIN)
def admin_discipline_retired(code: str):
    discipline = db.session.get(Discipline, code)
    if discipline is None:
        abort(404)
    if not PlainForm().validate_on_submit():
        abort(400)
    retire = request.form.get("retired") == "yes"
    if vocabulary.set_retired(db.session, discipline, retire, at=now_utc()):
        _audit("discipline.retired" if retire else "discipline.restored", "discipline", discipline.code)
    db.session.commit()
    flash(gettext("Discipline “%(name)s” is retired: no longer offered, kept where it is used.", name=discipline.name)
          if retire else gettext("Discipline “%(name)s” is offered again.", name=discipline.name))
    return redirect(url_for("web.admin_disciplines"))


# --- CSV onboarding ----------------------------------------------------------------------------------


@web.route("/admin/onboarding", methods=["GET", "POST"])
@page(VERIFIERS)
def admin_onboarding():
    form = OnboardingForm()
    form.organization_id.choices = _site_choices()
    report, status = None, 200
    if form.validate_on_submit():
        organization = db.session.get(Organization, parse_id(form.organization_id.data) or 0)
        apply = request.form.get("action") == "apply"
        limit = current_app.config.get("SPECIALIST_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
        data = form.file.data.read(limit + 1) if form.file.data else (form.csv_text.data or "").encode()
        if organization is None:
            form.organization_id.errors = [gettext("Choose a site.")]
            status = 422
        elif not data.strip():
            form.file.errors = [gettext("Choose a CSV file.")]
            status = 422
        elif len(data) > limit:
            form.file.errors = [gettext("The file is larger than %(limit)s bytes; split it.", limit=limit)]
            status = 413
        else:
            try:
                report = csv_import.onboard(db.session, organization, data, apply=apply, by=current_actor(),
                                            at=now_utc(), via="page",
                                            link_lifetime=password_links.configured_lifetime(current_app.config),
                                            source_address=request.remote_addr)
            except InvalidInput as refusal:
                db.session.rollback()
                form.file.errors = [refusal.message]
                status = 422
            else:
                if report.applied:
                    db.session.commit()
                    flash(gettext("Onboarding applied: %(create)s created, %(update)s updated; %(invited)s "
                                  "people were sent a link to set their password.",
                                  create=report.totals["create"], update=report.totals["update"], invited=report.invited))
                else:
                    db.session.rollback()  # a dry run writes nothing
                    form.csv_text.data = data.decode("utf-8-sig", errors="replace")
                    if apply:
                        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("admin/onboarding.html", form=form, report=report, columns=csv_import.COLUMNS,
                           change_lines=csv_import.change_lines), status

