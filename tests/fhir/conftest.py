"""Fixtures for the FHIR facade: a frozen clock, a small network (sites in two residency regions,
referrers, a board and its coordinator, specialists with licences), cases moved through their
lifecycle the way the product moves them, a signed and amended outcome, and a client that checks
every answer is valid FHIR."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from app.timekeeping import UTC

# A Monday. The clock is frozen here for every test of the facade.
NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
URGENT = timedelta(hours=72)
ROUTINE = timedelta(days=14)
FHIR_JSON = "application/fhir+json"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def validated(body: dict) -> dict:
    """`body` must validate as its resource type under fhir.resources (R4B); so must every entry."""
    model = get_fhir_model_class(body["resourceType"])
    model.model_validate(body)
    for entry in body.get("entry", []) if body["resourceType"] == "Bundle" else []:
        if "resource" in entry:
            validated(entry["resource"])
    return body


class Fhir:
    """A FHIR client over the test client, authenticated with API bearer tokens."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, path: str, user=None, *, status: int = 200, params=None, extra_headers=None):
        headers = dict(self.headers(user)) if user is not None else {}
        headers.update(extra_headers or {})
        response = self.client.get("/fhir/R4/" + path.lstrip("/"), headers=headers, query_string=params)
        return self._checked(response, status)

    def post(self, path: str, user, body, *, status: int = 201, content_type: str = FHIR_JSON):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.client.post("/fhir/R4/" + path.lstrip("/"), headers=self.headers(user), data=data,
                                    content_type=content_type)
        return self._checked(response, status)

    def follow(self, url: str, user, *, status: int = 200):
        return self.get(url.split("/fhir/R4/", 1)[1], user, status=status)

    def resolve(self, reference: dict, user) -> dict:
        """Read what a Reference points at (references inside resources must resolve)."""
        return self.get(reference["reference"], user)

    def search_all(self, path: str, user, params=None) -> tuple[list[dict], dict]:
        """Every match across pages (following next links), and the first page."""
        first = page = self.get(path, user, params=params)
        found = []
        while True:
            found += [e["resource"] for e in page.get("entry", []) if e["search"]["mode"] == "match"]
            following = [link["url"] for link in page["link"] if link["relation"] == "next"]
            if not following:
                return found, first
            page = self.follow(following[0], user)

    @staticmethod
    def _checked(response, status):
        assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
        assert response.mimetype == FHIR_JSON, response.mimetype
        assert "Traceback" not in response.get_data(as_text=True)
        body = response.get_json()
        validated(body)
        if status >= 400:
            assert body["resourceType"] == "OperationOutcome"
        body["_headers"] = dict(response.headers)
        return body


@pytest.fixture
def fhir(client, headers):
    return Fhir(client, headers)


def issues_of(outcome: dict) -> list[dict]:
    return outcome["issue"]


@pytest.fixture
def network(session, make_user, make_org, organization, make_specialist):
    """Sites in two residency regions, their people, a board with a coordinator, and specialists."""
    from app.boards.models import Board, BoardMember, QuorumRequirement
    from app.specialists import operations as specialists

    class Network:
        hub = organization  # cn
        other_site = make_org("Nanning Second People's Hospital", "CN", "Asia/Shanghai", "cn")
        foreign_site = make_org("Nairobi Teaching and Referral Hospital", "KE", "Africa/Nairobi", "ke")

    n = Network()
    n.referrer = make_user("referrer", name="Dr Huang Wei")
    n.colleague = make_user("referrer", name="Dr Liang")
    n.other_site_referrer = make_user("referrer", name="Dr Wang", organization_=n.other_site)
    n.coordinator = make_user("coordinator", name="Li Na")
    n.admin = make_user("admin", name="Site Admin")
    n.radiologist = make_specialist(name="Dr Kamau", organization_=n.foreign_site, zone="Africa/Nairobi",
                                    disciplines=("radiology",), languages=("en", "sw"), min_notice_hours=0)
    n.pathologist = make_specialist(name="Dr Osei", organization_=n.foreign_site, zone="Africa/Nairobi",
                                    disciplines=("pathology",))
    n.stranger = make_user("specialist", name="Dr Stranger", organization_=n.foreign_site)
    for person in (n.radiologist, n.pathologist):
        profile = specialists.find_profile(session, person.id)
        licence = specialists.add_licence(session, profile, jurisdiction="CN", registration_number=f"CN-{person.id}",
                                          expires_on=date(2028, 1, 31), at=NOW)
        specialists.verify_licence(session, licence, verifier=n.coordinator, at=NOW)
    n.board = Board(name="Thoracic MDT", host_organization_id=n.hub.id, timezone="Asia/Shanghai", weekday=2,
                    start_time=time(14, 0), anchor_date=date(2026, 3, 4))
    session.add(n.board)
    session.flush()
    session.add(BoardMember(board_id=n.board.id, user_id=n.coordinator.id, role="coordinator"))
    session.add(QuorumRequirement(board_id=n.board.id, discipline_code="radiology", count=1))
    session.commit()
    return n


def complete_values(board_id, **overrides):
    values = {
        "patient_reference": "FCG-2026-0142", "year_of_birth": 1961, "sex": "female",
        "country_of_residence": "CN", "icd10_code": "C34.1",
        "diagnosis": "Adenocarcinoma of the right upper lobe", "performance_status": 1, "frailty_score": 3,
        "clinical_summary": "62-year-old never-smoker, 3 cm RUL mass, no distant disease on PET-CT.",
        "question": "Surgery or SBRT?", "urgency": "routine",
        "disciplines": ["radiology", "thoracic-surgery"], "language": "zh", "board_id": board_id,
        "cross_border_consent": True,
    }
    values.update(overrides)
    return values


PATHS = {
    "draft": [],
    "submitted": [("submitted", "referrer")],
    "returned": [("submitted", "referrer"), ("returned", "coordinator")],
    "triaged": [("submitted", "referrer"), ("triaged", "coordinator")],
    "withdrawn": [("withdrawn", "referrer")],
    "discussed": [("submitted", "referrer"), ("triaged", "coordinator"), ("scheduled", "coordinator"),
                  ("discussed", "coordinator")],
}


@pytest.fixture
def make_case(session, network):
    """A case by a referrer (default: network.referrer), moved to `state` through `transition`."""
    from app.cases import operations, workflow

    def make(state="draft", *, referrer=None, at=NOW, **overrides):
        referrer = referrer or network.referrer
        case = operations.create_case(session, referrer, complete_values(network.board.id, **overrides), at=at)
        actors = {"referrer": referrer, "coordinator": network.coordinator}
        for step, (to_state, who) in enumerate(PATHS[state], start=1):
            workflow.transition(session, case, to_state, actors[who], at=at + timedelta(hours=step),
                                reason="because", targets=workflow.SubmissionTargets(urgent=URGENT, routine=ROUTINE))
        session.commit()
        return case

    return make


@pytest.fixture
def make_meeting(session, network):
    """A board meeting with `cases` on its agenda and `invitees` ({user: status}) invited to seats."""
    from app.meetings.models import AgendaItem, Invitation, Meeting

    def make(starts, *, cases=(), invitees=None, status="scheduled", hours=2, board=True):
        meeting = Meeting(title="Thoracic MDT", kind="board" if board else "adhoc",
                          board_id=network.board.id if board else None,
                          occurrence_date=starts.date() if board else None, starts_at=starts,
                          ends_at=starts + timedelta(hours=hours), host_timezone="Asia/Shanghai", status=status)
        session.add(meeting)
        session.flush()
        for position, case in enumerate(cases, start=1):
            session.add(AgendaItem(meeting_id=meeting.id, case_id=case.id, position=position))
        for user, answer in (invitees or {}).items():
            session.add(Invitation(meeting_id=meeting.id, user_id=user.id, status=answer, role="seat",
                                   discipline_code="radiology", busy_from=starts,
                                   busy_until=starts + timedelta(hours=hours)))
        session.commit()
        return meeting

    return make


@pytest.fixture
def signed(session, network, make_case):
    """A discussed case whose outcome was signed, then amended and signed again."""
    from app.outcomes.models import Outcome, OutcomeSignature

    case = make_case("discussed", patient_reference="FCG-2026-0500", cross_border_consent=False)

    def version(number, supersedes=None):
        outcome = Outcome(case_id=case.id, version=number, supersedes_id=supersedes, recommendation=f"Plan {number}",
                          amendment_reason="Nodal disease on the restaging PET." if supersedes else None,
                          category="surgery", rationale="Resectable.", drafted_by_id=network.coordinator.id,
                          actions=[{"action": "Book surgery", "owner_id": network.colleague.id, "due": "2026-03-20"}])
        session.add(outcome)
        session.flush()
        session.add(OutcomeSignature(outcome_id=outcome.id, user_id=network.radiologist.id,
                                     discipline_code="radiology", signed_at=NOW + timedelta(hours=number)))
        session.flush()
        outcome.signed_at = NOW + timedelta(hours=number)
        session.flush()
        return outcome

    first = version(1)
    second = version(2, supersedes=first.id)
    session.commit()
    return case, first, second
