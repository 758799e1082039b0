"""The preparation pack (`/meetings/<id>/preparation`), the case panel of the live page, and the
attachment viewer (`/attachments/<id>/viewer`: DICOM in the DICOM viewer, PNG/JPEG/PDF inline) with
the content it shows (`/attachments/<id>/inline`).

Every case goes through the residency-and-consent rule (`app.cases.visibility`); attachments need full
access; a DICOM image crossing a residency border is served as its de-identified copy
(`app.imaging.operations.served_content`). Every read is audited.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.boards.operations import get_visible_meeting
from app.cases import api as cases_api
from app.cases.attachments import DICOM, JPEG, PDF, PNG, TEXT, attachment_store
from app.cases.models import Attachment, Case
from app.cases.visibility import FULL, HIDDEN_CASE_LABEL
from app.errors import NotFound, PermissionDenied
from app.vocabulary import N_
from app.extensions import db
from app.headers import talisman
from app.imaging import operations as imaging
from app.preparation import operations as preparation
from app.security import SIGNED_IN, current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.forms import PlainForm
from app.web.referrer_views import LABELS

PREVIEWED_INLINE = (PNG, JPEG)
PROFORMA_SHOWN = ("patient_reference", "year_of_birth", "sex", "icd10_code", "diagnosis", "performance_status",
                  "frailty_score", "clinical_summary", "urgency", "language")


def viewer_region(user) -> str:
    return user.organization.residency_region


def case_images(case: Case, user, *, at, records: dict | None = None) -> dict:
    """A case's attachments as a viewer sees them: DICOM series (with what pydicom read), images
    previewed inline, and the other files; `deidentified` when DICOM crosses a border to this viewer.
    `records`: the DicomImage rows already read for these attachments (else read here)."""
    attachments = list(case.attachments)
    if records is None:
        records = imaging.image_records(db.session, attachment_store(current_app), attachments, at=at)
    series = imaging.group_series(attachments, records)
    in_series = {a.id for s in series for a in s.attachments}
    return {"series": series,
            "previews": [a for a in attachments if a.media_type in PREVIEWED_INLINE],
            "files": [a for a in attachments if a.id not in in_series and a.media_type not in PREVIEWED_INLINE],
            "deidentified": imaging.crosses_border(viewer_region(user), case.residency_region),
            "count": len(attachments)}


# --- the preparation pack ---------------------------------------------------------------------------


@web.get("/meetings/<int:meeting_id>/preparation")
@page(SIGNED_IN)
def preparation_pack(meeting_id: int):
    user, at = current_actor(), now_utc()
    meeting = get_visible_meeting(db.session, user, meeting_id)  # NotFound -> 404 page
    items = preparation.pack(db.session, meeting, user)
    full = [item.case for item in items if item.access == FULL]
    records = imaging.image_records(db.session, attachment_store(current_app),  # one query for the whole pack
                                    [a for case in full for a in case.attachments], at=at)
    images = {case.id: case_images(case, user, at=at, records=records) for case in full}
    cases_api.audit_cases_shown([(item.case, item.access) for item in items], via="preparation pack")
    if images:
        cases_api.audit_case("case.attachments_viewed", target_type="meeting", target_id=meeting.id,
                             detail={"via": "preparation pack",
                                     "counts": {str(case_id): i["count"] for case_id, i in images.items()}})
    overview = None
    if preparation.sees_preparation(db.session, meeting, user):
        overview = preparation.preparation_seen_by(db.session, meeting, user)  # hidden cases without their id
    db.session.commit()
    return render_template(
        "preparation/pack.html", user=user, zone=user.timezone, meeting=meeting, items=items, images=images,
        labels=LABELS, fields=PROFORMA_SHOWN, overview=overview, hidden_label=HIDDEN_CASE_LABEL, form=PlainForm(),
        invited=preparation.booking_invitation(meeting, user) is not None)


@web.post("/meetings/<int:meeting_id>/preparation/cases/<int:case_id>/reviewed")
@page(SIGNED_IN)
def mark_case_reviewed(meeting_id: int, case_id: int):
    user = current_actor()
    meeting = get_visible_meeting(db.session, user, meeting_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        preparation.mark_reviewed(db.session, meeting, case_id, user, at=now_utc())
    except PermissionDenied as error:  # not invited: said on the pack; an unknown case stays a 404
        db.session.rollback()
        flash(gettext(error.message), "error")
        return redirect(url_for("web.preparation_pack", meeting_id=meeting.id))
    cases_api.audit_case("case.reviewed", target_id=case_id, detail={"meeting_id": meeting.id})
    db.session.commit()
    flash(gettext("Case #%(id)s is marked reviewed.", id=case_id))
    return redirect(url_for("web.preparation_pack", meeting_id=meeting.id, _anchor=f"case-{case_id}"))


# --- the live page's case panel ------------------------------------------------------------------


@web.get("/meetings/<int:meeting_id>/live/case")
@page(SIGNED_IN)
def live_case_panel(meeting_id: int):
    """The pro-forma and images of the case the live page shows (asked for; else the one under discussion)."""
    user, at = current_actor(), now_utc()
    meeting = get_visible_meeting(db.session, user, meeting_id)
    wanted = request.args.get("case", type=int) or meeting.current_case_id
    item = next((item for item in preparation.pack(db.session, meeting, user) if item.case.id == wanted), None)
    images = None
    if item is not None:
        cases_api.audit_cases_shown([(item.case, item.access)], via="live meeting panel")
        if item.access == FULL:
            images = case_images(item.case, user, at=at)
            cases_api.audit_case("case.attachments_viewed", target_id=item.case.id,
                                 detail={"count": images["count"], "via": "live meeting panel"})
        db.session.commit()
    return render_template("preparation/_live_case.html", meeting=meeting, item=item, images=images,
                           labels=LABELS, fields=PROFORMA_SHOWN, zone=user.timezone)


# --- viewing an attachment -----------------------------------------------------------------------


def _visible_attachment(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(N_("No attachment with id %(attachment_id)s."), params={"attachment_id": attachment_id})
    try:
        cases_api.visible_case(attachment.case_id, need_full=True)
    except NotFound:
        raise NotFound(N_("No attachment with id %(attachment_id)s."), params={"attachment_id": attachment_id}) from None
    return attachment


@web.get("/attachments/<int:attachment_id>/viewer")
@page(SIGNED_IN)
def attachment_viewer(attachment_id: int):
    user, at = current_actor(), now_utc()
    attachment = _visible_attachment(attachment_id)
    case = attachment.case
    images = case_images(case, user, at=at)
    series = next((s for s in images["series"] if attachment in s.attachments), None)
    cases_api.audit_case("attachment.viewed", target_type="attachment", target_id=attachment.id,
                         detail={"case_id": case.id, "series": [a.id for a in series.attachments] if series else None,
                                 "deidentified": bool(series and images["deidentified"])})
    db.session.commit()
    meeting_id = request.args.get("meeting", type=int)
    return render_template("preparation/viewer.html", user=user, attachment=attachment, case=case, series=series,
                           deidentified=images["deidentified"], meeting_id=meeting_id,
                           kind={DICOM: "dicom", PNG: "image", JPEG: "image", PDF: "pdf", TEXT: "text"}.get(
                               attachment.media_type, "file"))


@web.get("/attachments/<int:attachment_id>/inline")
@page(SIGNED_IN)
@talisman(frame_options="SAMEORIGIN",
          # Framed by the viewer page only; Chromium shows a framed PDF through an internal <object>.
          content_security_policy={"default-src": "'none'", "object-src": "'self'", "frame-ancestors": "'self'"})
def attachment_inline(attachment_id: int):
    """The content, shown in the page (an image, the DICOM viewer's input, a PDF in a frame of the
    viewer page); a DICOM image crossing a residency border is its de-identified copy."""
    user = current_actor()
    attachment = _visible_attachment(attachment_id)
    response = cases_api.send_attachment(attachment, user, at=now_utc(), inline=True)
    db.session.commit()
    return response
