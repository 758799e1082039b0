"""Referrer pages through the Flask test client: the pro-forma, my site's cases, a case's page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.cases.models import Case
from app.paging import encode_cursor
from tests.web.page_helpers import error_beside, text


def case_of(session, reference):
    return session.scalar(select(Case).where(Case.patient_reference == reference))


COMPLETE = {
    "patient_reference": "FCG-2026-9001", "year_of_birth": "1960", "sex": "female", "country_of_residence": "cn",
    "icd10_code": "c34.1", "diagnosis": "Adenocarcinoma RUL", "performance_status": "1",
    "clinical_summary": "Summary text.", "question": "Surgery?", "urgency": "urgent",
    "disciplines": ["radiology", "pathology"], "language": "zh", "cross_border_consent": "yes",
}


def board_id(session, name_part):
    from app.boards.models import Board
    return session.scalar(select(Board.id).where(Board.name.ilike(f"%{name_part}%")))


@pytest.mark.parametrize("path", ["/cases", "/cases/new"])
def test_referrer_pages_refuse_other_roles(demo, sign_in, client, path):
    sign_in(demo["surgeon.dubai"])
    assert client.get(path).status_code == 403
    client.post("/logout")
    sign_in(demo["coordinator"])
    assert client.get(path).status_code == 403


def test_strangers_are_sent_to_sign_in(client):
    for path in ("/cases", "/cases/new", "/cases/1", "/coordinator/cases"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_new_case_form_labels_every_field(demo, sign_in, client):
    sign_in(demo["referrer"])
    html = text(client.get("/cases/new"))
    for name in ("patient_reference", "year_of_birth", "sex", "country_of_residence", "icd10_code", "diagnosis",
                 "performance_status", "frailty_score", "clinical_summary", "question", "urgency", "language",
                 "board_id", "cross_border_consent"):
        assert f'<label for="pf-{name}">' in html, name
    assert "Save draft" in html and ">Submit<" in html
    assert "times in <strong data-viewer-zone>Asia/Shanghai</strong>" in html


def test_bad_input_is_shown_beside_each_field(demo, sign_in, client, session):
    sign_in(demo["referrer"])
    response = client.post("/cases/new", data={"action": "draft", "patient_reference": "Jane Doe",
                                               "icd10_code": "lung", "year_of_birth": "abc",
                                               "performance_status": "7", "language": "english",
                                               "urgency": "routine"})
    assert response.status_code == 422
    html = text(response)
    assert "never a name" in error_beside(html, "pf-patient_reference")
    assert "ICD-10" in error_beside(html, "pf-icd10_code")
    assert "whole number" in error_beside(html, "pf-year_of_birth")
    assert "between 0 and 4" in error_beside(html, "pf-performance_status")
    assert "ISO 639-1" in error_beside(html, "pf-language")
    assert 'value="Jane Doe"' in html  # what was typed is shown again
    assert session.scalar(select(Case).where(Case.patient_reference == "Jane Doe")) is None


def test_save_draft_then_submit_lists_every_missing_field(demo, sign_in, client, session):
    sign_in(demo["referrer"])
    response = client.post("/cases/new", data={"action": "draft", "patient_reference": "FCG-2026-8001",
                                               "icd10_code": "C18", "urgency": "routine"})
    assert response.status_code == 302
    case = case_of(session, "FCG-2026-8001")
    assert case.state == "draft"
    assert response.headers["Location"].endswith(f"/cases/{case.id}/edit")

    response = client.post(f"/cases/{case.id}/edit", data={"action": "submit", "patient_reference": "FCG-2026-8001",
                                                          "icd10_code": "C18", "urgency": "routine",
                                                          "diagnosis": "Colon adenocarcinoma"})
    assert response.status_code == 422
    html = text(response)
    assert 'id="missing-summary"' in html
    for field in ("year_of_birth", "sex", "country_of_residence", "performance_status", "clinical_summary",
                  "question", "language", "board_id", "cross_border_consent"):
        assert error_beside(html, f"pf-{field}") == "is required for submission", field
    assert error_beside(html, "pf-disciplines") == "is required for submission"
    session.expire_all()
    assert case_of(session, "FCG-2026-8001").diagnosis == "Colon adenocarcinoma"  # the draft was saved
    assert case_of(session, "FCG-2026-8001").state == "draft"


def test_complete_case_is_submitted_with_a_target(demo, sign_in, client, session):
    sign_in(demo["referrer"])
    data = dict(COMPLETE, action="submit", board_id=str(board_id(session, "thoracic")))
    response = client.post("/cases/new", data=data)
    assert response.status_code == 302, text(response)
    case = case_of(session, "FCG-2026-9001")
    assert case.state == "submitted" and case.target_at is not None
    assert case.icd10_code == "C34.1" and case.country_of_residence == "CN"
    assert case.cross_border_consent is True and case.consent_recorded_by_id == demo["referrer"].id
    html = text(client.get(f"/cases/{case.id}"))
    assert "Dr Huang Wei" in html and re.search(r"draft\s*→\s*submitted", html)
    assert "(Asia/Shanghai, UTC+08:00)" in html
    # Not editable once submitted.
    assert client.get(f"/cases/{case.id}/edit").status_code == 302


def test_my_sites_cases_lists_status_and_target_in_my_zone(demo, sign_in, client, session):
    sign_in(demo["referrer.nairobi"])
    html = text(client.get("/cases"))
    assert "KNH-2026-5521" in html and "KNH-2026-5490" in html
    assert "FCG-2026-0287" not in html  # another site's case
    assert "(Africa/Nairobi, UTC+03:00)" in html
    assert "submitted" in html
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.viewed")).all()
    assert [(event.detail or {}).get("via") for event in events] == ["list page"]  # one event for the page


def test_case_page_shows_history_with_reason_in_viewers_zone(demo, sign_in, client, session):
    case = case_of(session, "TSH-RCH-2026-114")  # returned, with a reason
    sign_in(demo["referrer.tashkent"])
    html = text(client.get(f"/cases/{case.id}"))
    assert "Please attach the staging CT" in html
    assert "Li Na" in html  # the coordinator who returned it
    assert "(Asia/Tashkent, UTC+05:00)" in html
    assert "Edit the pro-forma" in html
    assert 'data-upload-url="/api/v1/cases/%d/attachments"' % case.id in html
    viewed = [event for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "case.viewed"))
              if (event.detail or {}).get("via") == "page" and str(event.target_id) == str(case.id)]
    assert viewed


def test_summary_level_viewer_sees_no_free_text(demo, sign_in, client, session):
    case = case_of(session, "KNH-2026-5521")  # cross-border without consent: the thoracic board sees a summary
    sign_in(demo["coordinator"])
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    html = text(response)
    assert 'data-access="summary"' in html
    for secret in ("KNH-2026-5521", "Large cell neuroendocrine", "haemoptysis", "curative option", "1980"):
        assert secret not in html, secret
    assert "C34.1" in html
    assert "Asia/Shanghai" in html
    board = text(client.get("/coordinator/cases"))
    assert "KNH-2026-5521" not in board


def test_strangers_to_a_case_get_not_found(demo, sign_in, client, session):
    case = case_of(session, "KNH-2026-5521")
    sign_in(demo["referrer.tashkent"])
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/edit").status_code == 404


def test_comment_on_a_case(demo, sign_in, client, session):
    case = case_of(session, "FCG-2026-0264")
    sign_in(demo["referrer"])
    response = client.post(f"/cases/{case.id}/comments", data={"body": "EBUS report to follow."})
    assert response.status_code == 302
    assert "EBUS report to follow." in text(client.get(f"/cases/{case.id}"))
    client.post(f"/cases/{case.id}/comments", data={"body": "  "})
    assert "must not be empty" in text(client.get(f"/cases/{case.id}"))


def test_a_long_discussion_shows_its_newest_comments_and_pages_back(demo, sign_in, client, session):
    from datetime import UTC, datetime, timedelta

    from app.cases.operations import add_comment

    case = case_of(session, "FCG-2026-0264")
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    for n in range(53):
        add_comment(session, case, demo["referrer"], f"Update number {n:02d}.", at=start + timedelta(minutes=n))
    session.commit()
    sign_in(demo["referrer"])
    page = text(client.get(f"/cases/{case.id}"))
    assert "Comments (53)" in page
    assert "Update number 52." in page and "Update number 03." in page and "Update number 02." not in page
    assert page.index("Update number 03.") < page.index("Update number 52.")   # in the order written
    earlier = re.search(r'<a href="([^"]+)">Earlier comments</a>', page).group(1).replace("&amp;", "&")
    back = text(client.get(earlier))
    assert "Update number 02." in back and "Update number 00." in back and "Update number 03." not in back
    assert "Earlier comments" not in back
    for made_up in (encode_cursor([2 ** 70]), encode_cursor(["x"]), "not-a-cursor"):  # a 4xx page, never a 500
        refused = client.get(f"/cases/{case.id}?comments_before={made_up}")
        assert 400 <= refused.status_code < 500 and "Traceback" not in text(refused)
    # Each page's audit record names the comments it showed by their first and last id.
    ids = sorted(comment.id for comment in case.comments)
    write_now(session)
    shown = [event.detail for event in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.comments_viewed", AuditEvent.target_id == str(case.id))
        .order_by(AuditEvent.id))]
    assert shown[-2:] == [{"count": 50, "first_id": ids[3], "last_id": ids[-1]},
                          {"count": 3, "first_id": ids[0], "last_id": ids[2]}]


@pytest.mark.parametrize("reference, page_path", [("FCG-2026-0264", "/cases/{id}"),        # the case page
                                                  ("FCG-2026-0311", "/cases/{id}/edit")])  # a draft's form
def test_a_case_with_many_attachments_shows_the_newest_and_pages_back(demo, sign_in, client, session, reference,
                                                                       page_path):
    from datetime import UTC, datetime, timedelta

    from app.cases.models import Attachment

    case = case_of(session, reference)
    before = len(case.attachments)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    for n in range(53):
        session.add(Attachment(case=case, filename=f"scan-{n:02d}.txt", media_type="text/plain", size_bytes=10 + n,
                               sha256=f"{n:064x}", uploaded_by_id=demo["referrer"].id,
                               uploaded_at=start + timedelta(minutes=n)))
    session.commit()
    sign_in(demo["referrer"])
    page = text(client.get(page_path.format(id=case.id)))
    assert re.search(r"Attachments \(<span[^>]*>(\d+)</span>\)", page).group(1) == str(before + 53)
    assert "scan-52.txt" in page and "scan-03.txt" in page and "scan-02.txt" not in page
    assert page.index("scan-03.txt") < page.index("scan-52.txt")   # in the order added
    earlier = re.search(r'<a href="([^"]+)">Earlier attachments</a>', page).group(1).replace("&amp;", "&")
    assert earlier.startswith(page_path.format(id=case.id)) and earlier.endswith("#attachments")
    back = text(client.get(earlier))
    assert "scan-02.txt" in back and "scan-00.txt" in back and "scan-03.txt" not in back
    assert "Earlier attachments" not in back


def test_navigation_for_referrers(demo, sign_in, client):
    sign_in(demo["referrer"])
    html = text(client.get("/"))
    assert "My site&#39;s cases" in html or "My site's cases" in html
    assert "Case board" not in html


def test_my_sites_cases_come_a_page_at_a_time_with_more(demo, sign_in, client, session, monkeypatch):
    from app.web import referrer_views

    referrer = demo["referrer.nairobi"]
    mine = session.scalars(select(Case).where(Case.organization_id == referrer.organization_id)
                           .order_by(Case.updated_at.desc(), Case.id.desc())).all()
    assert len(mine) >= 2, "the demo site has several cases"
    monkeypatch.setattr(referrer_views, "CASE_LIST_PAGE", 1)
    sign_in(referrer)
    url, seen = "/cases", []
    while url:
        html = text(client.get(url))
        seen += [int(i) for i in re.findall(r'<th scope="row"><a href="/cases/(\d+)"', html)]
        more = re.search(r'<a class="button" href="([^"]+)" rel="next">', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == [case.id for case in mine]
    assert client.get("/cases?after=nonsense").status_code == 404


def test_a_closed_case_shows_its_target_without_time_left(demo, sign_in, client, session):
    closed = session.scalar(select(Case).where(Case.state == "closed", Case.target_at.is_not(None)))
    waiting = session.scalar(select(Case).where(Case.state == "submitted", Case.target_at.is_not(None),
                                                Case.organization_id == closed.organization_id))
    referrer = next(user for user in demo.values() if user.organization_id == closed.organization_id
                    and "referrer" in user.email)
    sign_in(referrer)
    closed_page = text(client.get(f"/cases/{closed.id}"))
    assert "Discuss before" in closed_page
    assert " left)" not in closed_page and "overdue by" not in closed_page
    if waiting is not None:
        waiting_page = text(client.get(f"/cases/{waiting.id}"))
        assert " left)" in waiting_page or "(overdue by" in waiting_page
