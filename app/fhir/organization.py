"""Organization: a site of the network (any signed-in user may list them, as in the API)."""
from __future__ import annotations

from fhir.resources.R4B.organization import Organization as FhirOrganization
from sqlalchemy import select

from app.accounts.models import Organization
from app.errors import NotFound
from app.fhir.codes import EXT_RESIDENCY_REGION, EXT_TIMEZONE, ORGANIZATION_ID_SYSTEM
from app.fhir.common import build, starts_with
from app.fhir.context import Context
from app.fhir.search import Page, Query, SearchParam, id_conditions, page_rows, parse_id
from app.vocabulary import N_

PARAMS = (
    SearchParam("_id", "token", "Logical id"),
    SearchParam("name", "string", "Starts with (case-insensitive), as FHIR string search"),
)


def to_fhir(organization: Organization) -> FhirOrganization:
    return build(FhirOrganization, {
        "id": str(organization.id),
        "identifier": [{"system": ORGANIZATION_ID_SYSTEM, "value": str(organization.id)}],
        "active": True,
        "name": organization.name,
        "address": [{"country": organization.country}],
        "extension": [{"url": EXT_TIMEZONE, "valueCode": organization.timezone},
                      {"url": EXT_RESIDENCY_REGION, "valueCode": organization.residency_region}],
    })


def read(ctx: Context, resource_id: str) -> FhirOrganization:
    organization = ctx.session.get(Organization, parse_id(resource_id) or 0)
    if organization is None:
        raise NotFound(N_('No Organization with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    return to_fhir(organization)


def search(ctx: Context, query: Query) -> Page:
    statement = select(Organization)
    for condition in id_conditions(query, "_id", Organization.id):
        statement = statement.where(condition)
    for name in query.strings("name"):
        statement = statement.where(Organization.name.ilike(starts_with(name), escape="\\"))
    return page_rows(ctx.session, statement, Organization.id, query, lambda rows: [to_fhir(r) for r in rows])

