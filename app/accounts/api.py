"""API: tokens, the signed-in user, organisations and users."""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from flask import current_app, g, request
from pydantic import EmailStr, Field
from sqlalchemy import select

from app import ratelimit
from app.accounts import operations
from app.accounts.models import Organization, User
from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.schema import OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from app.extensions import db
from app.paging import keyset_page
from app.ratelimit import password_change_limits, sign_in, sign_in_limits
from app.security import PUBLIC, current_actor
from app.timekeeping import now_utc
from app.vocabulary import N_

RoleName = Literal["referrer", "specialist", "coordinator", "admin"]


class TokenRequest(RequestBody):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    label: str | None = Field(default=None, max_length=200)


class TokenResponse(ResponseBody):
    token: str
    expires_at: OutputInstant


class OrganizationOut(ResponseBody):
    id: int
    name: str
    country: str
    timezone: str
    residency_region: str


class OrganizationIn(RequestBody):
    name: str = Field(min_length=2, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    timezone: str = Field(description="IANA zone name, e.g. Asia/Kathmandu")
    residency_region: str = Field(description="Data-residency region code, e.g. 'cn'")


class UserOut(ResponseBody):
    id: int
    email: str
    name: str
    organization_id: int
    timezone: str = Field(description="The zone this user reads times in")
    display_timezone: str | None
    languages: list[str]
    locale: str | None = Field(description="Interface language (en, zh, ru); null follows Accept-Language")
    roles: list[RoleName]
    is_active: bool


class UserIn(RequestBody):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=1024)
    organization_id: int
    roles: list[RoleName] = Field(min_length=1)
    languages: list[str] = []
    display_timezone: str | None = None


class UserPatch(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[RoleName] | None = Field(default=None, min_length=1)
    is_active: bool | None = None
    languages: list[str] | None = None
    display_timezone: str | None = None


class ProfilePatch(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    languages: list[str] | None = None
    display_timezone: str | None = None
    locale: str | None = Field(default=None, max_length=16,
                               description="Interface language (en, zh, ru); null to follow Accept-Language")


def user_out(user: User) -> dict:
    return {
        "id": user.id, "email": user.email, "name": user.name,
        "organization_id": user.organization_id, "timezone": user.timezone,
        "display_timezone": user.display_timezone, "languages": list(user.languages or []),
        "locale": user.locale,
        "roles": sorted(user.roles), "is_active": user.is_active,
    }


@api.post("/auth/token")
@sign_in_limits
@endpoint(summary="Exchange e-mail and password for a bearer token", roles=PUBLIC,
          body=TokenRequest, response=TokenResponse, status=201, tags=("auth",),
          errors={401: "Wrong e-mail or password"})
def create_token(body: TokenRequest):
    at = now_utc()
    try:
        user = sign_in(db.session, body.email, body.password, at=at)
    except operations.SignInRefused as refusal:
        audit(db.session, "auth.token_refused", source_address=request.remote_addr,
              detail={"email": operations.normalize_email(body.email), "reason": refusal.message})
        db.session.commit()  # keep the failure count and the audit row
        if refusal.retry_after is not None:
            raise TooManyAttempts(refusal.template, retry_after=refusal.retry_after, params=refusal.params) from None
        raise NotAuthenticated(refusal.template, refusal.params) from None
    lifetime = timedelta(hours=current_app.config["API_TOKEN_LIFETIME_HOURS"])
    secret, record = operations.issue_token(db.session, user, at=at, lifetime=lifetime,
                                            label=body.label)
    audit(db.session, "auth.token_created", actor=user, target_type="api_token",
          target_id=record.id, source_address=request.remote_addr)
    return {"token": secret, "expires_at": record.expires_at}


@api.delete("/auth/token")
@endpoint(summary="Revoke the bearer token used for this request", status=204, tags=("auth",))
def revoke_token():
    token = g.get("api_token")
    if token is None:
        raise DomainError(N_("This request was not made with a bearer token; nothing to revoke."))
    operations.revoke_token(token, at=now_utc())
    audit(db.session, "auth.token_revoked", actor=current_actor(), target_type="api_token",
          target_id=token.id, source_address=request.remote_addr)
    return None


@api.get("/me")
@endpoint(summary="The signed-in user", response=UserOut, tags=("users",))
def me():
    return user_out(current_actor())


@api.patch("/me")
@endpoint(summary="Change my name, languages, interface language or display time zone", body=ProfilePatch,
          response=UserOut, tags=("users",))
def update_me(body: ProfilePatch):
    user = current_actor()
    _apply_profile(user, body)
    return user_out(user)


class PasswordChange(RequestBody):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@api.post("/me/password")
@password_change_limits
@endpoint(summary="Change my password: every session and API token of mine ends, this one included",
          body=PasswordChange, status=204, tags=("users",))
def change_my_password(body: PasswordChange):
    user = current_actor()
    # Behind the sign-in delay: a stolen token must not be a way to guess the password behind it.
    ratelimit.change_password(db.session, user, body.current_password, body.new_password, at=now_utc())
    audit(db.session, "auth.password_changed", actor=user, target_type="user", target_id=user.id,
          source_address=request.remote_addr)
    return None


def _apply_profile(user: User, body) -> None:
    fields = body.model_fields_set
    if "name" in fields and body.name is not None:
        user.name = body.name.strip()
    if "languages" in fields and body.languages is not None:
        user.languages = operations.validate_languages(body.languages)
    if "display_timezone" in fields:
        user.display_timezone = operations.checked_zone("display_timezone", body.display_timezone)
    if "locale" in fields:
        user.locale = operations.checked_interface_locale(body.locale)


@api.get("/organizations")
@endpoint(summary="List organisations in the network", response=OrganizationOut, many=True,
          tags=("organizations",))
def list_organizations():
    return db.session.scalars(select(Organization).order_by(Organization.name)).all()


@api.post("/organizations")
@endpoint(summary="Add an organisation", roles={"admin"}, body=OrganizationIn,
          response=OrganizationOut, status=201, tags=("organizations",))
def create_organization(body: OrganizationIn):
    organization = operations.create_organization(db.session, **body.model_dump())
    audit(db.session, "organization.created", actor=current_actor(),
          target_type="organization", target_id=organization.id, source_address=request.remote_addr)
    return organization


@api.get("/users")
@endpoint(summary="List users by name, a page at a time", roles={"admin", "coordinator"}, query=PageQuery,
          response=UserOut, many=True, tags=("users",))
def list_users(query: PageQuery):
    page = keyset_page(db.session, select(User), columns=[User.name, User.id], limit=query.limit,
                       cursor=query.cursor)
    return ApiResponse([user_out(user) for user in page.rows], headers=next_link(page))


@api.post("/users")
@endpoint(summary="Create a user", roles={"admin"}, body=UserIn, response=UserOut, status=201,
          tags=("users",))
def create_user(body: UserIn):
    organization = db.session.get(Organization, body.organization_id)
    if organization is None:
        raise InvalidInput("organization_id", N_('no organisation has id %(organization_id)s'),
                                              params={'organization_id': body.organization_id})
    values = body.model_dump(exclude={"organization_id"})
    user = operations.create_user(db.session, organization=organization, **values)
    audit(db.session, "user.created", actor=current_actor(), target_type="user",
          target_id=user.id, source_address=request.remote_addr,
          detail={"roles": sorted(user.roles)})
    return user_out(user)


@api.patch("/users/<int:user_id>")
@endpoint(summary="Change a user's roles, status or profile", roles={"admin"}, body=UserPatch,
          response=UserOut, tags=("users",))
def update_user(user_id: int, body: UserPatch):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_('No user with id %(user_id)s.'),
                       params={'user_id': user_id})
    detail = {"fields": sorted(body.model_fields_set)}
    if body.roles is not None:
        before, after = operations.change_roles(user, body.roles, by=current_actor())
        if before != after:
            detail["roles"] = {"before": before, "after": after}
    _apply_profile(user, body)
    if body.is_active is not None:
        from app.accounts import password_links

        password_links.set_active(db.session, user, body.is_active, by=current_actor(), at=now_utc())
    audit(db.session, "user.updated", actor=current_actor(), target_type="user",
          target_id=user.id, source_address=request.remote_addr, detail=detail)
    return ApiResponse(user_out(user))


# --- administration: invitations, password resets, sites ------------------------------------------


class InvitationIn(RequestBody):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    organization_id: int
    roles: list[RoleName] = Field(min_length=1)
    languages: list[str] = []
    display_timezone: str | None = None


class PasswordLinkOut(ResponseBody):
    user_id: int
    purpose: Literal["invitation", "reset"]
    expires_at: OutputInstant = Field(description="The link works once, until then; it is e-mailed, never returned")


class OrganizationPatch(RequestBody):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    timezone: str | None = None
    residency_region: str | None = None


@api.post("/users/invitations")
@endpoint(summary="Invite someone: an account without a password, and an e-mail with a one-time link to set one",
          roles={"admin"}, body=InvitationIn, response=PasswordLinkOut, status=201, tags=("users",))
def invite_user(body: InvitationIn):
    from app.accounts import password_links

    organization = db.session.get(Organization, body.organization_id)
    if organization is None:
        raise InvalidInput("organization_id", N_("no organisation has id %(organization_id)s"),
                           params={"organization_id": body.organization_id})
    user, link = password_links.invite_user(
        db.session, email=body.email, name=body.name, organization=organization, roles=body.roles,
        languages=body.languages, display_timezone=body.display_timezone, by=current_actor(), at=now_utc(),
        lifetime=password_links.configured_lifetime(current_app.config))
    audit(db.session, "user.invited", actor=current_actor(), target_type="user", target_id=user.id,
          source_address=request.remote_addr, detail={"roles": sorted(user.roles), "link_id": link.id})
    return {"user_id": user.id, "purpose": link.purpose, "expires_at": link.expires_at}


@api.post("/users/<int:user_id>/password-reset")
@endpoint(summary="Reset a password: the old one stops working and a one-time link to set a new one is e-mailed",
          roles={"admin"}, response=PasswordLinkOut, status=201, tags=("users",))
def reset_user_password(user_id: int):
    from app.accounts import password_links

    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No user with id %(user_id)s."), params={"user_id": user_id})
    link = password_links.reset_password(db.session, user, by=current_actor(), at=now_utc(),
                                         lifetime=password_links.configured_lifetime(current_app.config))
    audit(db.session, "user.password_reset", actor=current_actor(), target_type="user", target_id=user.id,
          source_address=request.remote_addr, detail={"link_id": link.id})
    return {"user_id": user.id, "purpose": link.purpose, "expires_at": link.expires_at}


@api.patch("/organizations/<int:organization_id>")
@endpoint(summary="Change an organisation's name, country, zone or residency region", roles={"admin"},
          body=OrganizationPatch, response=OrganizationOut, tags=("organizations",))
def update_organization(organization_id: int, body: OrganizationPatch):
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(N_("No organisation with id %(organization_id)s."), params={"organization_id": organization_id})
    values = {name: getattr(body, name) for name in body.model_fields_set if getattr(body, name) is not None}
    changes = operations.update_organization(db.session, organization, **values)
    if changes:
        audit(db.session, "organization.updated", actor=current_actor(), target_type="organization",
              target_id=organization.id, source_address=request.remote_addr, detail={"changes": changes})
    return organization
