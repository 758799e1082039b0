"""API: a meeting's preparation pack (the agenda's cases at your access level, with their DICOM
series and whether you reviewed them), marking a case reviewed, and who has prepared (chair and
coordinators). The same rules and audit records as the pages (`app.web.preparation_views`)."""
from __future__ import annotations

from flask import current_app
from pydantic import Field

from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import OutputInstant, ResponseBody
from app.boards.operations import get_visible_meeting
from app.cases import api as cases_api
from app.cases.attachments import attachment_store
from app.cases.visibility import FULL
from app.errors import PermissionDenied
from app.extensions import db
from app.imaging import operations as imaging
from app.preparation import operations as preparation
from app.security import current_actor
from app.timekeeping import now_utc
from app.vocabulary import N_

TAGS = ("preparation",)


class SeriesOut(ResponseBody):
    modality: str | None
    body_part: str | None
    images: int
    frames: int
    burned_in_annotation: str | None
    attachment_ids: list[int]
    deidentified: bool


class PackCaseOut(ResponseBody):
    case_id: int
    position: int
    access: str
    agenda_status: str
    question: str | None = None
    series: list[SeriesOut] = []
    reviewed_at: OutputInstant | None = None


class ReviewOut(ResponseBody):
    meeting_id: int
    case_id: int
    user_id: int
    reviewed_at: OutputInstant


class PreparedOut(ResponseBody):
    user_id: int
    name: str
    discipline: str | None
    reviewed_case_ids: list[int] = Field(description="The cases on the agenda this person has reviewed, among "
                                                     "those you may see")


def series_out(case, user, at) -> list[dict]:
    store = attachment_store(current_app)
    attachments = list(case.attachments)
    records = imaging.image_records(db.session, store, attachments, at=at)
    deidentified = imaging.crosses_border(user.organization.residency_region, case.residency_region)
    return [{"modality": s.record.modality, "body_part": s.record.body_part, "images": len(s.attachments),
             "frames": s.frames, "burned_in_annotation": s.record.burned_in_annotation,
             "attachment_ids": [a.id for a in s.attachments], "deidentified": deidentified}
            for s in imaging.group_series(attachments, records)]


@api.get("/meetings/<int:meeting_id>/preparation-pack")
@endpoint(summary="The preparation pack: the agenda's cases you may see (full or summary), with the DICOM "
                  "series of each case you see in full and whether you marked it reviewed",
          response=PackCaseOut, many=True, tags=TAGS)
def get_preparation_pack(meeting_id: int):
    user, at = current_actor(), now_utc()
    meeting = get_visible_meeting(db.session, user, meeting_id)
    items = preparation.pack(db.session, meeting, user)
    cases_api.audit_cases_shown([(item.case, item.access) for item in items], via="preparation pack API")
    return [{"case_id": item.case.id, "position": item.position, "access": item.access,
             "agenda_status": item.status, "reviewed_at": item.reviewed_at,
             **({"question": item.case.question, "series": series_out(item.case, user, at)}
                if item.access == FULL else {})}
            for item in items]


@api.post("/meetings/<int:meeting_id>/preparation-pack/cases/<int:case_id>/review")
@endpoint(summary="Mark a case on the agenda reviewed (you must be invited to the meeting); idempotent",
          response=ReviewOut, tags=TAGS)
def review_case(meeting_id: int, case_id: int):
    user = current_actor()
    meeting = get_visible_meeting(db.session, user, meeting_id)
    review = preparation.mark_reviewed(db.session, meeting, case_id, user, at=now_utc())
    cases_api.audit_case("case.reviewed", target_id=case_id, detail={"meeting_id": meeting.id})
    return {"meeting_id": meeting.id, "case_id": case_id, "user_id": user.id, "reviewed_at": review.reviewed_at}


@api.get("/meetings/<int:meeting_id>/preparation-pack/people")
@endpoint(summary="Who has prepared which case (the chair, the board's coordinators and admins)",
          response=PreparedOut, many=True, tags=TAGS)
def who_has_prepared(meeting_id: int):
    user = current_actor()
    meeting = get_visible_meeting(db.session, user, meeting_id)
    if not preparation.sees_preparation(db.session, meeting, user):
        raise PermissionDenied(N_("Only the meeting's chair and its board's coordinators see who has prepared."))
    _columns, rows = preparation.preparation_seen_by(db.session, meeting, user)  # as the page: no hidden case ids
    return [{"user_id": row.invitation.user_id, "name": row.invitation.user.name,
             "discipline": row.invitation.discipline_code, "reviewed_case_ids": list(row.reviewed_case_ids)}
            for row in rows]
