"""The preparation pack, the live page's case panel and the attachment viewer, over the demo with its
CT series: who sees what (deny by default), marking a case reviewed, the chair's overview, the
de-identified copy served across a residency border, and the audit trail."""
from __future__ import annotations

import io

import pydicom
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.cases.attachments import attachment_store
from app.cases.models import Attachment
from app.demo.imaging import seed_images
from app.meetings.models import BOOKING_STATES
from app.preparation.models import CaseReview
from app.timekeeping import now_utc


@pytest.fixture
def pack(app, session, demo):
    """The demo's CT series on the first case of the next meeting, and who is invited to that meeting."""
    case = seed_images(session, attachment_store(app), now_utc())
    case.cross_border_consent = True  # the invited specialists work in other residency regions
    session.commit()
    meeting = next(item.meeting for item in case_agenda(session, case))
    invited = [i for i in meeting.invitations if i.status in BOOKING_STATES]
    return {"case": case, "meeting": meeting, "invited": invited,
            "attachments": session.scalars(select(Attachment).where(Attachment.case_id == case.id)
                                           .order_by(Attachment.id)).all()}


def case_agenda(session, case):
    from app.meetings.models import AgendaItem

    return session.scalars(select(AgendaItem).where(AgendaItem.case_id == case.id, AgendaItem.status == "listed"))


def events(session, action):
    write_now(session)
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_invited_specialist_prepares_from_the_pack_and_the_chair_sees_it(pack, sign_in, session, demo):
    meeting, case = pack["meeting"], pack["case"]
    invitee = pack["invited"][0].user
    client = sign_in(invitee)
    page = client.get(f"/meetings/{meeting.id}/preparation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-pack-case="{case.id}"' in html and case.question in html
    assert 'data-dicom="modality">CT<' in html and 'data-dicom="images">5<' in html
    assert [e for e in events(session, "cases.viewed") if e.actor_id == invitee.id]

    assert f'data-mark-reviewed="{case.id}"' in html
    marked = client.post(f"/meetings/{meeting.id}/preparation/cases/{case.id}/reviewed")
    assert marked.status_code == 302
    assert session.scalar(select(CaseReview).where(CaseReview.user_id == invitee.id, CaseReview.case_id == case.id))
    assert "data-reviewed" in client.get(f"/meetings/{meeting.id}/preparation").get_data(as_text=True)
    assert [e.target_id for e in events(session, "case.reviewed")] == [str(case.id)]

    client.post("/logout")
    coordinator = sign_in(demo["coordinator"])
    overview = coordinator.get(f"/meetings/{meeting.id}/preparation").get_data(as_text=True)
    row = overview.split(f'data-participant="{invitee.id}"')[1].split("</tr>")[0]
    assert f'data-case="{case.id}"><span class="status status-met">' in row


def test_a_stranger_gets_nothing_and_cannot_mark(pack, sign_in, demo):
    meeting = pack["meeting"]
    stranger = demo["referrer.tashkent"]
    client = sign_in(stranger)
    assert client.get(f"/meetings/{meeting.id}/preparation").status_code == 404
    assert client.get(f"/attachments/{pack['attachments'][0].id}/viewer").status_code == 404
    assert client.get(f"/attachments/{pack['attachments'][0].id}/inline").status_code == 404


def test_the_viewer_serves_the_original_at_home_and_the_deidentified_copy_across_the_border(pack, sign_in, session, demo):
    case, first = pack["case"], pack["attachments"][0]
    home = case.referrer  # at the referring site, in the case's residency region
    abroad = next(i.user for i in pack["invited"] if i.user.organization.residency_region != case.residency_region)

    client = sign_in(home)
    viewer = client.get(f"/attachments/{first.id}/viewer").get_data(as_text=True)
    assert "data-dicom-viewer" in viewer and "dicom_viewer.js" in viewer
    original = pydicom.dcmread(io.BytesIO(client.get(f"/attachments/{first.id}/inline").data))
    assert str(original.PatientName) == "Demo^Patient" and original.InstitutionName == case.organization.name

    client = sign_in(abroad)
    page = client.get(f"/meetings/{pack['meeting'].id}/preparation").get_data(as_text=True)
    assert "data-deidentified-note" in page
    for url in (f"/attachments/{first.id}/inline", f"/api/v1/attachments/{first.id}/content"):
        served = client.get(url)
        assert served.status_code == 200
        copy = pydicom.dcmread(io.BytesIO(served.data))
        assert copy.PatientIdentityRemoved == "YES" and str(copy.PatientName) == "ANONYMOUS"
        assert "InstitutionName" not in copy and copy.SOPInstanceUID != original.SOPInstanceUID
    downloads = events(session, "attachment.downloaded")
    assert [e.detail["deidentified"] for e in downloads if e.actor_id == abroad.id] == [True, True]
    assert [e.detail["deidentified"] for e in downloads if e.actor_id == home.id] == [False]


def test_the_live_panel_shows_the_case_under_discussion(pack, sign_in, session):
    meeting, case = pack["meeting"], pack["case"]
    invitee = pack["invited"][0].user
    meeting.current_case_id = case.id
    session.commit()
    client = sign_in(invitee)
    live = client.get(f"/meetings/{meeting.id}/live").get_data(as_text=True)
    assert f'hx-get="/meetings/{meeting.id}/live/case' in live and f'href="/meetings/{meeting.id}/preparation"' in live
    panel = client.get(f"/meetings/{meeting.id}/live/case").get_data(as_text=True)
    assert f"Case #{case.id}: pro-forma and images" in panel and case.question in panel
    assert "data-open-series" in panel


def test_the_api_gives_the_pack_takes_a_review_and_keeps_who_prepared_to_the_chair(pack, api_auth, demo):
    from tests.web.conftest import DEMO_PASSWORD

    meeting, case, client = pack["meeting"], pack["case"], api_auth.client
    invitee = pack["invited"][0].user
    mine = {"Authorization": f"Bearer {api_auth.token_for(invitee, DEMO_PASSWORD)}"}
    body = client.get(f"/api/v1/meetings/{meeting.id}/preparation-pack", headers=mine).get_json()
    row = next(r for r in body if r["case_id"] == case.id)
    assert row["access"] == "full" and row["reviewed_at"] is None
    assert [(s["modality"], s["images"]) for s in row["series"]] == [("CT", 5)]
    reviewed = client.post(f"/api/v1/meetings/{meeting.id}/preparation-pack/cases/{case.id}/review", headers=mine)
    assert reviewed.status_code == 200 and reviewed.get_json()["case_id"] == case.id
    assert client.get(f"/api/v1/meetings/{meeting.id}/preparation-pack/people", headers=mine).status_code == 403

    chair = {"Authorization": f"Bearer {api_auth.token_for(demo['coordinator'], DEMO_PASSWORD)}"}
    people = client.get(f"/api/v1/meetings/{meeting.id}/preparation-pack/people", headers=chair).get_json()
    assert next(p for p in people if p["user_id"] == invitee.id)["reviewed_case_ids"] == [case.id]


def test_the_pack_is_linked_and_only_the_invited_mark_cases(pack, sign_in, session, demo):
    meeting, case = pack["meeting"], pack["case"]
    invitee = pack["invited"][0].user
    client = sign_in(invitee)
    link = f'href="/meetings/{meeting.id}/preparation" data-preparation-link'
    assert link in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert link in client.get("/schedule").get_data(as_text=True)

    inline = client.get(f"/attachments/{pack['attachments'][0].id}/inline")
    assert "frame-ancestors 'self'" in inline.headers["Content-Security-Policy"]
    assert inline.headers["Cache-Control"] == "private, no-store" and inline.mimetype == "application/dicom"
    client.post("/logout")

    coordinator = sign_in(demo["coordinator"])  # sees the pack and who prepared, but is not invited
    page = coordinator.get(f"/meetings/{meeting.id}/preparation").get_data(as_text=True)
    assert "data-preparation-overview" in page and "data-mark-reviewed" not in page
    refused = coordinator.post(f"/meetings/{meeting.id}/preparation/cases/{case.id}/reviewed", follow_redirects=True)
    assert "Only the people invited to this meeting mark its cases reviewed." in refused.get_data(as_text=True)
    assert coordinator.post(f"/meetings/{meeting.id}/preparation/cases/999999/reviewed").status_code == 404
    assert session.scalar(select(CaseReview.id).where(CaseReview.user_id == demo["coordinator"].id)) is None


PNG_PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                          "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


def _attach(app, session, case, filename: str, data: bytes):
    """`data` attached to `case` by its referrer, as an upload stores it."""
    from app.cases.operations import add_attachment

    stored = attachment_store(app).save(io.BytesIO(data), limit=len(data))
    attachment, _ = add_attachment(session, case, case.referrer, filename=filename, stored=stored, at=now_utc())
    session.commit()
    return attachment


def test_a_png_is_previewed_inline_in_the_pack(app, pack, sign_in, session):
    png = _attach(app, session, pack["case"], "photo.png", PNG_PIXEL)
    client = sign_in(pack["invited"][0].user)
    page = client.get(f"/meetings/{pack['meeting'].id}/preparation").get_data(as_text=True)
    assert f'<img src="/attachments/{png.id}/inline" alt="Preview of photo.png"' in page
    served = client.get(f"/attachments/{png.id}/inline")
    assert served.mimetype == "image/png" and served.data == PNG_PIXEL
    assert "attachment" not in served.headers.get("Content-Disposition", "")


def test_the_meeting_page_tells_the_coordinator_how_many_have_reviewed_each_case(pack, sign_in, session, demo):
    meeting, case = pack["meeting"], pack["case"]
    invitee = pack["invited"][0].user
    specialist = sign_in(invitee)
    assert "data-prepared=" not in specialist.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    specialist.post(f"/meetings/{meeting.id}/preparation/cases/{case.id}/reviewed")
    specialist.post("/logout")

    coordinator = sign_in(demo["coordinator"])
    html = coordinator.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    link = html.split(f'data-prepared="{case.id}"')[0].rsplit("<a ", 1)[1]
    assert f'href="/meetings/{meeting.id}/preparation#case-{case.id}"' in link
    count = html.split(f'data-prepared="{case.id}">')[1].split("</a>")[0]
    assert count == f"1 of {len(pack['invited'])} invited have reviewed"


def test_without_cross_border_consent_an_invitee_abroad_prepares_from_the_summary_only(pack, sign_in, session):
    meeting, case = pack["meeting"], pack["case"]
    case.cross_border_consent = False
    session.commit()
    invitee = next(i.user for i in pack["invited"] if i.user.organization.residency_region != case.residency_region)
    html = sign_in(invitee).get(f"/meetings/{meeting.id}/preparation").get_data(as_text=True)
    card = html.split(f'data-pack-case="{case.id}"')[1].split("</article>")[0]
    assert 'data-access="summary"' in card and case.icd10_code in card
    assert case.question not in card and "data-dicom" not in card and case.clinical_summary not in card


# The smallest baseline JPEG (1 x 1 pixel) and a one-page PDF, as a referrer's camera or scanner makes them.
JPEG_PIXEL = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a"
    "1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f"
    "0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d010203"
    "00041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a343536373839"
    "3a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4"
    "a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"
    "ffda0008010100003f00fbd3ffd9")
ONE_PAGE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
                b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def test_a_jpeg_and_a_pdf_open_in_the_viewer_and_are_served_inline_not_downloaded(app, pack, sign_in, session):
    case = pack["case"]
    jpeg = _attach(app, session, case, "wound.jpg", JPEG_PIXEL)
    pdf = _attach(app, session, case, "histology-report.pdf", ONE_PAGE_PDF)
    assert (jpeg.media_type, pdf.media_type) == ("image/jpeg", "application/pdf")
    client = sign_in(pack["invited"][0].user)

    pack_page = client.get(f"/meetings/{pack['meeting'].id}/preparation").get_data(as_text=True)
    assert f'<img src="/attachments/{jpeg.id}/inline" alt="Preview of wound.jpg"' in pack_page  # a thumbnail
    assert f'/attachments/{pdf.id}/viewer' in pack_page and "histology-report.pdf" in pack_page  # a link

    viewer = client.get(f"/attachments/{jpeg.id}/viewer").get_data(as_text=True)
    assert f'class="attachment-preview" src="/attachments/{jpeg.id}/inline" alt="Preview of wound.jpg"' in viewer
    viewer = client.get(f"/attachments/{pdf.id}/viewer").get_data(as_text=True)
    assert f'<iframe class="attachment-pdf" src="/attachments/{pdf.id}/inline" title="Preview of histology-report.pdf"' \
        in viewer
    for attachment, media_type, data in ((jpeg, "image/jpeg", JPEG_PIXEL), (pdf, "application/pdf", ONE_PAGE_PDF)):
        served = client.get(f"/attachments/{attachment.id}/inline")
        assert served.status_code == 200 and served.mimetype == media_type and served.data == data
        assert "attachment" not in served.headers.get("Content-Disposition", "")
        assert served.headers["Cache-Control"] == "private, no-store"
    viewed = [e.target_id for e in events(session, "attachment.downloaded")]
    assert str(jpeg.id) in viewed and str(pdf.id) in viewed  # every read of patient data is audited


@pytest.mark.parametrize("annotation, warning", [
    ("YES", "Burned-in annotation: these images may show identifying text in the pixels."),
    ("", "The images do not say whether text is burned into the pixels; look before sharing them."),
    ("NO", None),
], ids=["YES", "not stated", "NO"])
def test_a_series_that_may_show_identifying_text_in_its_pixels_carries_a_warning(app, pack, session, sign_in,
                                                                                  annotation, warning):
    """The pack's CT series says NO; a second series from an ultrasound machine says YES, or nothing."""
    from app.imaging.synthetic import synthetic_series

    files = synthetic_series(slices=2, size=16, series_description="Ultrasound, liver",
                             burned_in_annotation=annotation)
    second = [_attach(app, session, pack["case"], f"us-{number}.dcm", data) for number, data in enumerate(files)]
    client = sign_in(pack["invited"][0].user)
    pages = {"pack": client.get(f"/meetings/{pack['meeting'].id}/preparation").get_data(as_text=True),
             "viewer": client.get(f"/attachments/{second[0].id}/viewer").get_data(as_text=True),
             "the CT's viewer": client.get(f"/attachments/{pack['attachments'][0].id}/viewer").get_data(as_text=True)}
    assert pages["pack"].count("data-series>") == 2
    assert "data-burned-in" not in pages["the CT's viewer"]
    for name in ("pack", "viewer"):
        warnings = [part.split("</p>", 1)[0] for part in pages[name].split("data-burned-in>")[1:]]
        assert warnings == ([] if warning is None else [warning]), name
