"""Practitioner (a person of the network) and PractitionerRole (a specialist's disciplines at
their organisation).

Who may be read is whom the API shows the actor: themselves; every specialist (GET /specialists)
and board member (GET /boards); the people the API names on a case they see in full (referrer,
who moved it, recorded its consent, commented, drafted or signed its outcome); the invitees of a
meeting they may see; and everyone, for coordinators and admins (GET /users). The owner of an
outcome's action is named by a logical reference (identifier and name), as the API names them.
"""
from __future__ import annotations

from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from flask_babel import gettext
from sqlalchemy import or_, select, true
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.boards.models import BoardMember
from app.boards.operations import EDITOR_ROLES, visible_meetings_query
from app.cases.models import Case, CaseComment, CaseTransition
from app.cases.visibility import full_access_condition, visible_cases_query
from app.errors import NotFound
from app.fhir.codes import (DISCIPLINE_SYSTEM, EXT_TIMEZONE, ISO_COUNTRY_SYSTEM, LANGUAGE_SYSTEM,
                            LICENCE_SYSTEM, PRACTITIONER_ID_SYSTEM)
from app.fhir.common import (build, discipline_concept, holds_a_discipline, instant, reader_language, reference,
                             starts_with)
from app.fhir.context import Context
from app.fhir.search import Page, Query, SearchParam, codes_in, id_conditions, page_rows, parse_id
from app.i18n import current_locale_code
from app.meetings.models import Invitation, Meeting
from app.outcomes.models import Outcome, OutcomeSignature
from app.specialists.models import SpecialistProfile
from app.timekeeping import country_name_for_reader
from app.vocabulary import N_

PRACTITIONER_PARAMS = (
    SearchParam("_id", "token", "Logical id (the Meridian user id)"),
    SearchParam("name", "string", "Name starts with (case-insensitive)"),
)
ROLE_PARAMS = (
    SearchParam("_id", "token", "Logical id (the same as the Practitioner's)"),
    SearchParam("practitioner", "reference", "Practitioner/{id}", ("Practitioner",)),
    SearchParam("organization", "reference", "Organization/{id}", ("Organization",)),
    SearchParam("specialty", "token", f"A discipline code ({DISCIPLINE_SYSTEM})"),
)


def visible_condition(ctx: Context):
    """SQL over User.id: the people the actor may read as Practitioners."""
    actor = ctx.actor
    if actor.has_role(*EDITOR_ROLES):
        return true()
    viewer = ctx.viewer
    case_ids = visible_cases_query(viewer).where(full_access_condition(viewer)).with_only_columns(Case.id)
    meetings = visible_meetings_query(actor).with_only_columns(Meeting.id)
    return or_(
        User.id == actor.id,
        User.id.in_(select(SpecialistProfile.user_id)),
        User.id.in_(select(BoardMember.user_id)),
        # The people the API names on a case seen in full: its referrer, who moved it, who recorded
        # the consent, who commented, who drafted and who signed its outcome.
        User.id.in_(select(Case.referrer_id).where(Case.id.in_(case_ids))),
        User.id.in_(select(Case.consent_recorded_by_id).where(Case.id.in_(case_ids))),
        User.id.in_(select(CaseTransition.actor_id).where(CaseTransition.case_id.in_(case_ids))),
        User.id.in_(select(CaseComment.author_id).where(CaseComment.case_id.in_(case_ids))),
        User.id.in_(select(Outcome.drafted_by_id).where(Outcome.case_id.in_(case_ids))),
        User.id.in_(select(OutcomeSignature.user_id).join(Outcome, Outcome.id == OutcomeSignature.outcome_id)
                    .where(Outcome.case_id.in_(case_ids))),
        User.id.in_(select(Invitation.user_id).where(Invitation.meeting_id.in_(meetings))),
    )


def _profiles_of(ctx: Context, user_ids) -> dict[int, SpecialistProfile]:
    profiles = ctx.session.scalars(
        select(SpecialistProfile).where(SpecialistProfile.user_id.in_(list(user_ids)))
        .options(selectinload(SpecialistProfile.licences), selectinload(SpecialistProfile.disciplines)))
    return {profile.user_id: profile for profile in profiles}


def practitioner(user: User, profile: SpecialistProfile | None) -> Practitioner:
    qualifications = []
    for licence in (profile.licences if profile else []):
        if licence.verified_at is None:
            continue  # an unverified licence is not yet a qualification
        country = country_name_for_reader(licence.jurisdiction, current_locale_code())
        qualifications.append({
            "identifier": [{"system": f"{LICENCE_SYSTEM}/{licence.jurisdiction}",
                            "value": licence.registration_number}],
            "code": {"text": gettext("Licence to practise medicine (%(country)s)", country=country)},
            "period": {"start": instant(licence.verified_at), "end": licence.expires_on.isoformat()},
            "issuer": {"identifier": {"system": ISO_COUNTRY_SYSTEM, "value": licence.jurisdiction},
                       "display": gettext("Medical licensing authority, %(country)s", country=country)},
        })
    return build(Practitioner, {
        "id": str(user.id),
        "language": reader_language(),
        "identifier": [{"system": PRACTITIONER_ID_SYSTEM, "value": str(user.id)}],
        "active": user.is_active,
        "name": [{"text": user.name}],
        "communication": [{"coding": [{"system": LANGUAGE_SYSTEM, "code": code}]}
                          for code in (user.languages or [])],
        "qualification": qualifications,
    })


def practitioner_role(profile: SpecialistProfile) -> PractitionerRole:
    user = profile.user
    return build(PractitionerRole, {
        "id": str(user.id),
        "language": reader_language(),
        "active": user.is_active,
        "practitioner": reference("Practitioner", user.id, user.name),
        "organization": reference("Organization", user.organization_id, user.organization.name),
        "code": [{"text": gettext("MDT specialist")}],
        "specialty": [discipline_concept(d.code, d.name) for d in profile.disciplines],
        "extension": [{"url": EXT_TIMEZONE, "valueCode": profile.home_timezone}],
    })


def _visible_user(ctx: Context, resource_id: str, what: str) -> User:
    user_id = parse_id(resource_id)
    user = None
    if user_id is not None:
        user = ctx.session.scalar(select(User).where(User.id == user_id, visible_condition(ctx)))
    if user is None:
        raise NotFound(N_('No %(what)s with id %(resource_id)s.'),
                       params={'what': what, 'resource_id': resource_id})
    return user


def read_practitioner(ctx: Context, resource_id: str) -> Practitioner:
    user = _visible_user(ctx, resource_id, "Practitioner")
    return practitioner(user, _profiles_of(ctx, [user.id]).get(user.id))


def search_practitioners(ctx: Context, query: Query) -> Page:
    statement = select(User).where(visible_condition(ctx))
    for condition in id_conditions(query, "_id", User.id):
        statement = statement.where(condition)
    for name in query.strings("name"):
        statement = statement.where(User.name.ilike(starts_with(name), escape="\\"))

    def convert(users):
        profiles = _profiles_of(ctx, [user.id for user in users])
        return [practitioner(user, profiles.get(user.id)) for user in users]

    return page_rows(ctx.session, statement, User.id, query, convert)


def read_role(ctx: Context, resource_id: str) -> PractitionerRole:
    user_id = parse_id(resource_id)
    profile = ctx.session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user_id)) \
        if user_id is not None else None
    if profile is None:
        raise NotFound(N_('No PractitionerRole with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    return practitioner_role(profile)


def search_roles(ctx: Context, query: Query) -> Page:
    statement = select(SpecialistProfile).join(User, User.id == SpecialistProfile.user_id)
    for condition in id_conditions(query, "_id", SpecialistProfile.user_id):
        statement = statement.where(condition)
    for condition in id_conditions(query, "practitioner", SpecialistProfile.user_id):
        statement = statement.where(condition)
    for condition in id_conditions(query, "organization", User.organization_id):
        statement = statement.where(condition)
    for codes in codes_in(query, "specialty", DISCIPLINE_SYSTEM):
        statement = statement.where(holds_a_discipline(codes))

    def convert(profiles):
        ids = [profile.id for profile in profiles]
        loaded = ctx.session.scalars(
            select(SpecialistProfile).where(SpecialistProfile.id.in_(ids))
            .options(selectinload(SpecialistProfile.disciplines), selectinload(SpecialistProfile.user)
                     .selectinload(User.organization))).all()
        by_id = {profile.id: profile for profile in loaded}
        return [practitioner_role(by_id[i]) for i in ids]

    # The resource id is the user id, so pages are keyed on it.
    return page_rows(ctx.session, statement, SpecialistProfile.user_id, query, convert,
                     key=lambda profile: profile.user_id)
