"""What the coordinator dashboard shows of a case seen only as a pseudonymised summary (cross-border, no
consent): its id, urgency and ICD-10 code, but neither when it was submitted nor how long it has waited,
which a summary hides; a case seen in full shows both. The case board shows neither for any case."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.boards.models import Board
from app.cases import operations
from app.cases.models import Case
from app.cases.visibility import FULL, SUMMARY, case_access
from app.cases.workflow import SubmissionTargets, transition
from app.timekeeping import now_utc
from app.web.filters import local_time
from tests.web.page_helpers import text

ZONE = "Asia/Shanghai"   # the coordinator's


@pytest.fixture
def at():
    """One instant for the whole test (the run's clock, frozen), so waiting times are exact."""
    instant = now_utc().replace(microsecond=0)
    with time_machine.travel(instant, tick=False):
        yield instant


@pytest.fixture
def waiting(demo, session, at):
    """Two cases waiting for triage at the thoracic coordinator's board: one seen in full, submitted 50
    hours ago; one from Nairobi without cross-border consent (a summary), submitted 30 hours ago."""
    coordinator = demo["coordinator"]
    full = session.scalar(select(Case).where(Case.patient_reference == "KNH-2026-5490"))
    full.submitted_at = at - timedelta(hours=50)
    thoracic = session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))
    summary = operations.create_case(session, demo["referrer.nairobi"], {
        "patient_reference": "KNH-2026-9002", "year_of_birth": 1971, "sex": "male", "country_of_residence": "KE",
        "icd10_code": "C34.9", "diagnosis": "Squamous cell carcinoma, right lower lobe", "performance_status": 1,
        "clinical_summary": "Cough for three months.", "question": "Surgery or chemoradiotherapy?",
        "urgency": "routine", "disciplines": ["radiology", "pathology"], "language": "en",
        "cross_border_consent": False, "board_id": thoracic.id}, at=at - timedelta(hours=31))
    transition(session, summary, "submitted", demo["referrer.nairobi"], at=at - timedelta(hours=30),
               targets=SubmissionTargets(urgent=timedelta(hours=72), routine=timedelta(days=14)))
    session.commit()
    assert case_access(session, coordinator, full) == FULL
    assert case_access(session, coordinator, summary) == SUMMARY
    return full, summary


def triage_row(html: str, case: Case) -> str:
    section = html.split('id="triage-heading"', 1)[1].split("</section>", 1)[0]
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", section, re.S) if f'href="/cases/{case.id}"' in row]
    assert len(rows) == 1, f"case #{case.id} is listed once"
    return rows[0]


def shown_time(app, instant) -> str:
    """An instant as the dashboard writes it for the coordinator (in English, in their zone)."""
    with app.test_request_context():
        return local_time(instant, ZONE)


def test_the_dashboard_hides_when_a_summary_case_was_submitted_and_how_long_it_waited(
        app, demo, sign_in, client, waiting):
    full, summary = waiting
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator"))

    seen = triage_row(html, full)
    assert f'datetime="{full.submitted_at.isoformat()}"' in seen
    assert shown_time(app, full.submitted_at) in seen
    assert "2 d 2 h" in seen and "summary only" not in seen

    hidden = triage_row(html, summary)
    assert "C34.9" in hidden and "routine" in hidden           # what a summary shows
    assert hidden.count("summary only") == 2                   # the submission time and the wait
    assert "<time" not in hidden
    # ... and nowhere on the page: neither the time it was submitted nor how long it has waited.
    assert summary.submitted_at.isoformat() not in html
    assert shown_time(app, summary.submitted_at) not in html
    assert "1 d 6 h" not in html
    # The header cells stay: each summary cell is still under its column's name.
    assert '<th scope="col">Submitted</th><th scope="col">Waiting</th>' in html


def test_the_case_board_shows_no_submission_time_of_a_summary_case(app, demo, sign_in, client, waiting):
    full, summary = waiting
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator/cases"))
    card = re.search(rf'<li class="card case-card[^"]*" data-case-id="{summary.id}">(.*?)</li>', html, re.S).group(1)
    assert "C34.9" in card and "summary" in card
    assert "KNH-2026-9002" not in html and "Nairobi" not in card
    assert summary.submitted_at.isoformat() not in html
    assert shown_time(app, summary.submitted_at) not in html
