"""API: export one patient's data, erase it on request, set a site's retention (admins, and a site's
data-protection officer for their own site)."""
from __future__ import annotations

from flask import current_app, request
from pydantic import Field

from app.accounts.models import Organization
from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.cases.attachments import attachment_store
from app.dataprotection import operations
from app.errors import NotFound
from app.extensions import db
from app.security import current_actor
from app.timekeeping import now_utc
from app.vocabulary import N_

ADMINS = set(operations.DATA_PROTECTION_ROLES)
TAGS = ("data protection",)


def _site(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(N_('No organisation with id %(organization_id)s.'),
                       params={'organization_id': organization_id})
    operations.require_data_protection_access(current_actor(), organization.id)
    return organization


@api.get("/organizations/<int:organization_id>/patients/<reference>/export")
@endpoint(summary="Everything held about one patient of a site, as a zip (patient.json and attachments)",
          roles=ADMINS, tags=TAGS)
def export_patient(organization_id: int, reference: str):
    site = _site(organization_id)
    data = operations.export_patient(db.session, attachment_store(current_app), site.id, reference,
                                     actor=current_actor(), at=now_utc(), source_address=request.remote_addr)
    db.session.commit()
    return current_app.response_class(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="patient-{site.id}.zip"',
        "Cache-Control": "private, no-store"})


class ErasureIn(RequestBody):
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the patient's request and its date")


class ErasureOut(ResponseBody):
    cases: int
    attachments: int
    files: int
    comments: int
    outcomes: int
    live_events: int


@api.post("/organizations/<int:organization_id>/patients/<reference>/erasure")
@endpoint(summary="Erase everything held about one patient of a site (cases, attachments, comments, "
                  "outcomes, notes, live events); an audit tombstone remains", roles=ADMINS, body=ErasureIn,
          response=ErasureOut, tags=TAGS)
def erase_patient(organization_id: int, reference: str, body: ErasureIn):
    site = _site(organization_id)
    erased = operations.erase_patient(db.session, attachment_store(current_app), site.id, reference,
                                      actor=current_actor(), reason=body.reason, at=now_utc(),
                                      source_address=request.remote_addr)
    return vars(erased)


class RetentionIn(RequestBody):
    years: int | None = Field(description="Erase finished cases this many years after they finished; "
                                          "null keeps them")


class RetentionOut(ResponseBody):
    organization_id: int
    years: int | None


@api.put("/organizations/<int:organization_id>/retention")
@endpoint(summary="Set how long a site keeps finished cases", roles=ADMINS, body=RetentionIn,
          response=RetentionOut, tags=TAGS)
def set_retention(organization_id: int, body: RetentionIn):
    site = _site(organization_id)
    before = site.retention_years
    operations.set_retention(site, body.years)
    audit(db.session, "organization.retention_set", actor=current_actor(), target_type="organization",
          target_id=site.id, source_address=request.remote_addr,
          detail={"before": before, "after": site.retention_years})
    return {"organization_id": site.id, "years": site.retention_years}
