"""The time search for a case (`/coordinator/search?case=<id>`) shows the case at the coordinator's access
level, and every read of it is in the audit trail: a coordinator who sees only the pseudonymised summary of
a cross-border case without consent sees its id, urgency and disciplines, never the patient's reference or
what the summary leaves out (the referring team's language, its site's country)."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from tests.web.page_helpers import main_of, text

SUMMARY_ONLY = "KNH-2026-5521"   # Nairobi (region ke), consent refused: the thoracic board sees a summary
SEEN_IN_FULL = "FCG-2026-0287"   # Fangchenggang, the coordinator's own region


def case_of(session, reference) -> Case:
    return session.scalar(select(Case).where(Case.patient_reference == reference))


def time_search_reads(session, case) -> list[AuditEvent]:
    session.expire_all()
    return [event for event in session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case.viewed", AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id)))
        if (event.detail or {}).get("via") == "time search"]


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def test_a_summary_only_case_is_searched_for_by_its_id_without_its_patient_reference(demo, sign_in, client,
                                                                                       session):
    case = case_of(session, SUMMARY_ONLY)
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    response = client.get(f"/coordinator/search?case={case.id}")
    assert response.status_code == 200
    html = main_of(text(response))
    searched = re.search(r'<p class="card case-searched" id="case-searched">(.*?)</p>', html, re.S).group(1)
    assert f"For case <strong>#{case.id}</strong>" in searched
    assert SUMMARY_ONLY not in html and "Large cell neuroendocrine" not in html
    assert "Only a pseudonymised summary of this case is available to you" in searched
    # What a summary shows is still filled in: its disciplines are ticked; not its language. The licence
    # follows the case without naming its country.
    ticked = sorted(re.findall(r'name="discipline" value="([\w-]+)" id="[\w-]+" checked', html))
    assert ticked == sorted(d.code for d in case.disciplines)
    assert input_value(html, "language") == "" and input_value(html, "licensed_in") is None
    rule = re.search(r'<div class="field" id="licence-rule">(.*?)</div>', html, re.S).group(1)
    assert "The country where the case was referred" in rule
    assert "Kenya" not in html and "(KE)" not in html

    [read] = time_search_reads(session, case)
    assert read.actor_id == coordinator.id and read.detail["access"] == "summary"


def test_a_case_seen_in_full_is_named_by_its_patient_reference_and_its_read_is_recorded_as_full(
        demo, sign_in, client, session):
    case = case_of(session, SEEN_IN_FULL)
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    html = main_of(text(client.get(f"/coordinator/search?case={case.id}")))
    assert f"For case <strong>{SEEN_IN_FULL}</strong>" in html
    assert "Only a pseudonymised summary" not in html
    assert input_value(html, "licensed_in") is None
    assert f"({case.organization.country})" in re.search(r'id="licence-rule">(.*?)</div>', html, re.S).group(1)
    [read] = time_search_reads(session, case)
    assert read.actor_id == coordinator.id and read.detail["access"] == "full"


def test_running_the_search_for_a_case_is_a_read_recorded_too(demo, sign_in, client, session):
    case = case_of(session, SUMMARY_ONLY)
    sign_in(demo["coordinator"])
    html = text(client.get(f"/coordinator/search?case={case.id}"))
    data = {"case_id": str(case.id), "seats-radiology": "1", "duration_minutes": "60",
            "from_date": input_value(html, "from_date"), "to_date": input_value(html, "to_date")}
    response = client.post("/coordinator/search", data=data)
    assert response.status_code == 200, text(response)
    assert SUMMARY_ONLY not in text(response)
    # The search asked for a licence in Kenya, and says so without naming the country.
    explanation = re.search(r'<section [^>]*id="explanation">(.*?)</section>', text(response), re.S).group(1)
    assert ": no valid licence where the case was referred</li>" in explanation
    assert "Kenya" not in explanation and "KE" not in explanation
    assert [read.detail["access"] for read in time_search_reads(session, case)] == ["summary", "summary"]

    # A booking refused (a slot that cannot be read) still shows the case, so its read is recorded as well.
    refused = client.post("/coordinator/search/book", data={**data, "slot_start": "not a time"})
    assert refused.status_code == 422
    assert SUMMARY_ONLY not in text(refused)
    assert len(time_search_reads(session, case)) == 3
