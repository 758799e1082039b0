"""Account operations: sign-in, API tokens, creating people and organisations.

Plain Python over a SQLAlchemy session; callers commit. Times are passed in (`at`) so the
rules can be tested without waiting.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import pytz
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts import passwords
from app.accounts.models import ROLE_VALUES, ApiToken, Organization, User, UserRole
from app.errors import Conflict, InvalidInput, InvalidValue, PermissionDenied, fill
from app.timekeeping import ensure_utc, validate_zone
from app.vocabulary import N_

# A dummy hash to verify against when the e-mail is unknown, so both paths take the same time.
_TIMING_DUMMY_HASH = None

_ISO_639_1 = re.compile(r"^[a-z]{2}$")
_REGION = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

# How stale a token's `last_used_at` may get: reads then cost no write (and no row lock on a
# token shared by several clients); the time is still right to within this interval.
TOKEN_USE_RECORD_INTERVAL = timedelta(minutes=5)




class SignInRefused(Exception):
    """Wrong credentials, an inactive account, or tried again too soon (then `retry_after` is set)."""

    def __init__(self, template: str, retry_after: int | None = None, params: dict | None = None):
        self.template, self.params = template, dict(params or {})
        self.message = fill(template, self.params)  # English, for the audit trail
        super().__init__(self.message)
        self.retry_after = retry_after


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def active_people_by_email(session: Session, emails, *, role: str | None = None) -> dict[str, User]:
    """The active people (holding `role`, if given) with these e-mail addresses, in one query, by their
    normalised address; an address nobody active has is missing from the answer."""
    wanted = sorted({normalize_email(email) for email in emails})
    if not wanted:
        return {}
    statement = select(User).where(User.email.in_(wanted), User.is_active.is_(True))
    if role is not None:
        statement = statement.where(User.role_grants.any(UserRole.role == role))
    return {user.email: user for user in session.scalars(statement)}


def people_starting_with(session: Session, typed: str, *, role: str | None = None, limit: int):
    """(e-mail, name, site name) of at most `limit` active people (holding `role`, if given) whose
    name or e-mail starts with `typed`, whatever its case, by name."""
    pattern = typed[:100].replace("\\", "").replace("%", "").replace("_", "").lower() + "%"
    statement = (select(User.email, User.name, Organization.name)
                 .join(Organization, Organization.id == User.organization_id)
                 .where(User.is_active.is_(True), func.lower(User.name).like(pattern) | User.email.like(pattern)))
    if role is not None:
        statement = statement.where(User.role_grants.any(UserRole.role == role))
    return session.execute(statement.order_by(User.name, User.id).limit(limit)).all()


def authenticate(session: Session, email: str, password: str, *, at: datetime) -> User:
    """Return the user whose credentials these are, or raise SignInRefused.

    Failures are counted on the account (for its owner and the audit) but never lock it: anyone who
    knows an e-mail address could otherwise keep a clinician out. Guessing is slowed at the edge
    instead (`app.ratelimit`: a growing delay per address and account, and rate limits).
    """
    global _TIMING_DUMMY_HASH
    at = ensure_utc(at)
    user = find_user_by_email(session, email)
    if user is None:
        if _TIMING_DUMMY_HASH is None:
            _TIMING_DUMMY_HASH = passwords.hash_password(secrets.token_hex(8))
        passwords.verify_password(_TIMING_DUMMY_HASH, password)
        raise SignInRefused(N_("The e-mail address or password is wrong."))
    if not passwords.verify_password(user.password_hash, password):
        user.failed_login_count = (user.failed_login_count or 0) + 1
        raise SignInRefused(N_("The e-mail address or password is wrong."))
    if not user.is_active:
        raise SignInRefused(N_("This account has been deactivated."))
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = at
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def end_every_session(user: User) -> None:
    """Every browser session of `user` stops working at its next request (cookies are client-side)."""
    user.session_generation = (user.session_generation or 0) + 1


def change_password(session: Session, user: User, current: str, new: str, *, at: datetime) -> None:
    """Check the current password and the new one's strength, then end every session and API token
    (a thief holding either loses it); the caller signs the person's own browser in again."""
    at = ensure_utc(at)
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidInput("current_password", N_("is not your current password"))
    if new == current:
        raise InvalidInput("new_password", N_("must differ from the current password"))
    passwords.check_strength(new, email=user.email, name=user.name, field="new_password")
    user.password_hash = passwords.hash_password(new)
    end_every_session(user)
    revoke_every_token(session, user, at=at)


def revoke_every_token(session: Session, user: User, *, at: datetime) -> None:
    """Every API token of `user` stops working: whenever their password changes or is reset, a token
    taken with the old one (perhaps by a thief) must not outlive it."""
    for record in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                         ApiToken.revoked_at.is_(None))):
        revoke_token(record, at=at)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, user: User, *, at: datetime, lifetime: timedelta, label: str | None = None
) -> tuple[str, ApiToken]:
    """Create a token; return the secret (shown once) and its stored record."""
    secret = "mrd_" + secrets.token_urlsafe(32)
    record = ApiToken(
        user=user,
        token_hash=_token_digest(secret),
        label=label,
        created_at=ensure_utc(at),
        expires_at=ensure_utc(at) + lifetime,
    )
    session.add(record)
    session.flush()
    return secret, record


# One round trip for the token, its user, their roles and site (every API request needs them); built
# once, as every API request runs it.
_TOKEN_WITH_USER = (select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))
                    .options(joinedload(ApiToken.user).joinedload(User.role_grants),
                             joinedload(ApiToken.user).joinedload(User.organization)))


def resolve_token(session: Session, secret: str, *, at: datetime) -> ApiToken | None:
    """The usable token record for `secret` (not expired, not revoked, active user), else None."""
    record = session.scalars(_TOKEN_WITH_USER, {"digest": _token_digest(secret)}).unique().first()
    if record is None or not record.is_usable(ensure_utc(at)) or not record.user.is_active:
        return None
    return record


def token_use_is_stale(record: ApiToken, *, at: datetime) -> bool:
    """Whether `last_used_at` is older than TOKEN_USE_RECORD_INTERVAL (so worth writing)."""
    return record.last_used_at is None or ensure_utc(at) - record.last_used_at >= TOKEN_USE_RECORD_INTERVAL


def note_token_use(record: ApiToken, *, at: datetime) -> None:
    """Record a use within the caller's transaction (for requests that write anyway)."""
    if token_use_is_stale(record, at=at):
        record.last_used_at = ensure_utc(at)


def record_token_use(connection, token_id: int, *, at: datetime) -> None:
    """Record a use on its own connection; a no-op when another request already did so lately."""
    at = ensure_utc(at)
    connection.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id,
               or_(ApiToken.last_used_at.is_(None),
                   ApiToken.last_used_at <= at - TOKEN_USE_RECORD_INTERVAL))
        .values(last_used_at=at)
    )


def revoke_token(record: ApiToken, *, at: datetime) -> None:
    if record.revoked_at is None:
        record.revoked_at = ensure_utc(at)


def checked_zone(field: str, zone_name: str | None) -> str | None:
    """None stays None (use the default zone); anything else must be a known IANA zone."""
    if zone_name is None:
        return None
    try:
        return validate_zone(zone_name)
    except InvalidValue as exc:
        raise InvalidInput(field, exc.template, exc.params) from None


def checked_interface_locale(value: str | None) -> str | None:
    """The interface language a person chose: one Meridian has a catalogue for, or None (the browser's)."""
    from app.i18n import checked_locale

    try:
        return checked_locale(value)
    except InvalidValue as exc:
        raise InvalidInput("locale", exc.template, exc.params) from None


def validate_languages(languages) -> list[str]:
    if not isinstance(languages, list | tuple):
        raise InvalidInput("languages", N_("must be a list of ISO 639-1 codes, e.g. ['en', 'zh']"))
    cleaned = []
    for code in languages:
        code = str(code).strip().lower()
        if not _ISO_639_1.match(code):
            raise InvalidInput("languages", N_('%(code)s is not an ISO 639-1 language code'),
                                            params={'code': repr(code)})
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def _clean_site(session: Session, *, name: str, country: str, timezone: str, residency_region: str,
                keep: Organization | None = None) -> dict:
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 200:
        raise InvalidInput("name", N_("must be 2 to 200 characters long"))
    country = (country or "").strip().upper()
    if country not in pytz.country_names:
        raise InvalidInput("country", N_('%(country)s is not an ISO 3166-1 alpha-2 country code'),
                                      params={'country': repr(country)})
    checked_zone("timezone", timezone)
    region = (residency_region or "").strip().lower()
    if not _REGION.match(region):
        raise InvalidInput(
            "residency_region", N_("must be a short lower-case code such as 'cn' or 'eaeu'")
        )
    clash = session.scalar(select(Organization).where(func.lower(Organization.name) == name.lower()))
    if clash is not None and clash is not keep:
        raise Conflict(N_('An organisation named %(name)s already exists.'), params={'name': repr(name)})
    return {"name": name, "country": country, "timezone": timezone, "residency_region": region}


def create_organization(
    session: Session, *, name: str, country: str, timezone: str, residency_region: str
) -> Organization:
    organization = Organization(**_clean_site(session, name=name, country=country, timezone=timezone,
                                              residency_region=residency_region))
    session.add(organization)
    session.flush()
    return organization


def update_organization(session: Session, organization: Organization, **values) -> dict:
    """Change a site's name, country, zone or residency region; returns {field: {from, to}}.

    A new residency region applies to what is stored from now on; moving data already stored is a
    data-protection decision made outside Meridian (docs/security.md)."""
    current = {name: getattr(organization, name) for name in ("name", "country", "timezone", "residency_region")}
    cleaned = _clean_site(session, **{**current, **values}, keep=organization)
    changes = {name: {"from": current[name], "to": value} for name, value in cleaned.items() if value != current[name]}
    for name, change in changes.items():
        setattr(organization, name, change["to"])
    session.flush()
    return changes


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    organization: Organization,
    roles,
    languages=(),
    display_timezone: str | None = None,
    check_strength: bool = True,
    locale: str | None = None,
) -> User:
    """`check_strength=False` only for passwords nobody chose (random ones, the demo's published one)."""
    email = normalize_email(email)
    if find_user_by_email(session, email) is not None:
        raise Conflict(N_('A user with e-mail %(email)s already exists.'),
                       params={'email': email})
    if check_strength:
        passwords.check_strength(password, email=email, name=name)
    checked_zone("display_timezone", display_timezone)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=passwords.hash_password(password),
        organization=organization,
        display_timezone=display_timezone,
        locale=checked_interface_locale(locale),
        languages=validate_languages(list(languages)),
        is_active=True,
        failed_login_count=0,
    )
    set_roles(user, roles)
    session.add(user)
    session.flush()
    return user


def change_roles(user: User, roles, *, by: User) -> tuple[list[str], list[str]]:
    """Set `user`'s roles as admin `by`; returns (before, after). Nobody grants themself a role: an
    admin who could would read patient data at the next request with no second person involved."""
    before = sorted(user.roles)
    gained = set(roles) - set(before)
    if by.id == user.id and gained:
        raise PermissionDenied(N_('You cannot grant yourself the role(s) %(gained)s; another '
                                  'admin must.'),
                               params={'gained': ', '.join(sorted(gained))})
    set_roles(user, roles)
    return before, sorted(user.roles)


def set_roles(user: User, roles) -> None:
    roles = list(dict.fromkeys(roles))
    unknown = [role for role in roles if role not in ROLE_VALUES]
    if unknown:
        raise InvalidInput("roles", N_('unknown role(s) %(unknown)s; known: %(role_values)s'),
                                    params={'unknown': unknown, 'role_values': list(ROLE_VALUES)})
    if not roles:
        raise InvalidInput("roles", N_("a user needs at least one role"))
    kept = [grant for grant in user.role_grants if grant.role in roles]
    have = {grant.role for grant in kept}
    user.role_grants = kept + [UserRole(role=role) for role in roles if role not in have]
