"""Demo cases: referrals from several sites in every early state of the lifecycle.

Plain Python over a session; the caller commits. Cases are created and moved with the real
operations and `transition`, so their histories, targets and audit trail are what the product
would have recorded. They are referred to the demo boards of `app.demo.boards` (created through
its `seed_boards` when absent, so the order of seeding does not matter).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.boards.models import Board, BoardMember
from app.cases import operations, workflow
from app.cases.models import Case
from app.demo.network import EMAIL_DOMAIN
from app.timekeeping import ensure_utc, to_local

# The demo boards (app.demo.boards), hosted at the Fangchenggang hub and coordinated by Li Na.
# name, coordinator (e-mail local part), weekday (0 = Monday), start (host wall clock)
BOARDS = {
    "thoracic": ("Thoracic Oncology MDT", "coordinator", 3, time(14, 0)),
    "colorectal": ("Colorectal MDT", "coordinator", 1, time(9, 0)),
}

# referrer, board, state, days ago, the pro-forma (patient references are pseudonyms), reasons
CASES = [
    ("referrer", None, "draft", 1, {
        "patient_reference": "FCG-2026-0311", "icd10_code": "C34.1", "urgency": "routine",
        "diagnosis": "Suspected right upper lobe carcinoma; biopsy pending",
    }, {}),
    ("referrer", "thoracic", "submitted", 2, {
        "patient_reference": "FCG-2026-0287", "year_of_birth": 1958, "sex": "male", "country_of_residence": "CN",
        "icd10_code": "C34.3", "diagnosis": "Squamous cell carcinoma, right lower lobe, cT3N1M0",
        "performance_status": 1, "frailty_score": 3,
        "clinical_summary": "Former smoker (40 pack-years). PET-CT: 5.2 cm RLL mass, ipsilateral hilar node; "
                            "FEV1 68% predicted.",
        "question": "Lobectomy after neoadjuvant chemo-immunotherapy, or definitive chemoradiotherapy?",
        "urgency": "urgent", "disciplines": ["radiology", "thoracic-surgery", "medical-oncology",
                                             "clinical-oncology"],
        "language": "zh", "cross_border_consent": True,
    }, {}),
    ("referrer.tashkent", "colorectal", "returned", 6, {
        "patient_reference": "TSH-RCH-2026-114", "year_of_birth": 1967, "sex": "female", "country_of_residence": "UZ",
        "icd10_code": "C18.7", "diagnosis": "Adenocarcinoma of the sigmoid colon",
        "performance_status": 0,
        "clinical_summary": "Colonoscopy: stenosing sigmoid tumour; biopsy moderately differentiated adenocarcinoma.",
        "question": "Primary resection or neoadjuvant treatment?",
        "urgency": "routine", "disciplines": ["radiology", "pathology", "colorectal-surgery", "medical-oncology"],
        "language": "ru", "cross_border_consent": True,
    }, {"returned": "Please attach the staging CT of chest, abdomen and pelvis."}),
    ("referrer", "thoracic", "triaged", 5, {
        "patient_reference": "FCG-2026-0264", "year_of_birth": 1971, "sex": "female", "country_of_residence": "CN",
        "icd10_code": "C34.1", "diagnosis": "Adenocarcinoma, right upper lobe, EGFR exon 19 deletion",
        "performance_status": 1,
        "clinical_summary": "Never-smoker. 3.1 cm RUL lesion, no nodal disease on EBUS.",
        "question": "Surgery or stereotactic radiotherapy? Role of adjuvant osimertinib?",
        "urgency": "routine", "disciplines": ["radiology", "pathology", "thoracic-surgery", "clinical-oncology"],
        "language": "zh", "cross_border_consent": True,
    }, {}),
    ("oncologist.karachi", "thoracic", "listed_not_discussed", 9, {
        "patient_reference": "KIO-26-0932", "year_of_birth": 1949, "sex": "male", "country_of_residence": "PK",
        "icd10_code": "C34.9", "diagnosis": "Resected stage IA adenocarcinoma, clear margins",
        "performance_status": 1, "frailty_score": 4,
        "clinical_summary": "Wedge resection 6 weeks ago; pT1bN0, R0. Recovering well.",
        "question": "Confirm surveillance only.",
        "urgency": "routine", "disciplines": ["thoracic-surgery", "medical-oncology"],
        "language": "en", "cross_border_consent": True,
    }, {"listed_not_discussed": "Standard of care: CT surveillance per guideline; no adjuvant therapy for pT1bN0."}),
    ("referrer.tashkent", "colorectal", "withdrawn", 8, {
        "patient_reference": "TSH-RCH-2026-098", "year_of_birth": 1975, "sex": "male", "country_of_residence": "UZ",
        "icd10_code": "C20", "diagnosis": "Adenocarcinoma of the mid rectum, MRI cT3N1",
        "performance_status": 1,
        "clinical_summary": "Rectal bleeding for 3 months; tumour 8 cm from the anal verge, mesorectal fascia clear.",
        "question": "Short-course radiotherapy or total neoadjuvant therapy?",
        "urgency": "urgent", "disciplines": ["radiology", "clinical-oncology", "medical-oncology"],
        "language": "uz", "cross_border_consent": True,
    }, {"withdrawn": "The patient chose to be treated locally."}),
    # Cross-border without consent: the thoracic board (region cn) sees only a summary.
    ("referrer.nairobi", "thoracic", "submitted", 3, {
        "patient_reference": "KNH-2026-5521", "year_of_birth": 1980, "sex": "female", "country_of_residence": "KE",
        "icd10_code": "C34.1", "diagnosis": "Large cell neuroendocrine carcinoma, left upper lobe",
        "performance_status": 2,
        "clinical_summary": "Presented with haemoptysis. CT: 4 cm LUL mass with mediastinal nodes.",
        "question": "Is there a curative option?",
        "urgency": "urgent", "disciplines": ["radiology", "pathology", "medical-oncology"],
        "language": "en", "cross_border_consent": False,
    }, {}),
    ("referrer.nairobi", "colorectal", "submitted", 4, {
        "patient_reference": "KNH-2026-5490", "year_of_birth": 1962, "sex": "male", "country_of_residence": "KE",
        "icd10_code": "C18.2", "diagnosis": "Adenocarcinoma of the ascending colon with two liver metastases",
        "performance_status": 1,
        "clinical_summary": "Right hemicolectomy planned; CT shows two segment VI/VII liver lesions, 2 and 3 cm.",
        "question": "Synchronous or staged liver resection, and the place of perioperative chemotherapy?",
        "urgency": "routine", "disciplines": ["radiology", "pathology", "medical-oncology", "clinical-oncology"],
        "language": "en", "cross_border_consent": True,
    }, {}),
]

# The moves that bring a draft to each seeded state, and who makes each.
PATHS = {
    "draft": [],
    "submitted": [("submitted", "referrer")],
    "returned": [("submitted", "referrer"), ("returned", "coordinator")],
    "triaged": [("submitted", "referrer"), ("triaged", "coordinator")],
    "listed_not_discussed": [("submitted", "referrer"), ("listed_not_discussed", "coordinator")],
    "withdrawn": [("submitted", "referrer"), ("withdrawn", "referrer")],
}


def _email(local_part: str) -> str:
    return f"{local_part}@{EMAIL_DOMAIN}"


def ensure_board(session: Session, key: str, users_by_email: dict, at: datetime) -> Board:
    """The demo board for `key`, with its coordinator; made by `seed_boards` when absent (or, should
    that not make it, a bare board at the coordinator's organisation)."""
    name, coordinator, weekday, start = BOARDS[key]
    board = session.scalar(select(Board).where(Board.name == name))
    if board is None:
        from app.demo.boards import seed_boards

        seed_boards(session, users_by_email, at)
        board = session.scalar(select(Board).where(Board.name == name))
    coordinator = users_by_email[_email(coordinator)]
    if board is None:
        zone = coordinator.organization.timezone
        today = to_local(at, zone).date()
        anchor = today + timedelta(days=(weekday - today.weekday()) % 7)
        board = Board(name=name, host_organization_id=coordinator.organization_id, timezone=zone,
                      weekday=weekday, start_time=start, anchor_date=anchor, created_at=at)
        session.add(board)
        session.flush()
    has_coordinator = session.scalar(select(BoardMember.id).where(
        BoardMember.board_id == board.id, BoardMember.user_id == coordinator.id,
        BoardMember.role == "coordinator"))
    if has_coordinator is None:
        session.add(BoardMember(board_id=board.id, user_id=coordinator.id, role="coordinator"))
        session.flush()
    return board


def seed_cases(session: Session, users_by_email: dict, at: datetime, *,
               urgent_target: timedelta = timedelta(hours=72),
               routine_target: timedelta = timedelta(days=14)) -> list[Case]:
    """Create the demo cases; `users_by_email` maps the demo e-mails to their users."""
    at = ensure_utc(at)
    boards = {key: ensure_board(session, key, users_by_email, at) for key in BOARDS}
    targets = workflow.SubmissionTargets(urgent=urgent_target, routine=routine_target)
    cases = []
    for referrer_key, board_key, state, days_ago, values, reasons in CASES:
        referrer = users_by_email[_email(referrer_key)]
        coordinator = users_by_email[_email(BOARDS[board_key][1])] if board_key else None
        started = at - timedelta(days=days_ago)
        values = dict(values)
        if board_key:
            values["board_id"] = boards[board_key].id
        case = operations.create_case(session, referrer, values, at=started)
        actors = {"referrer": referrer, "coordinator": coordinator}
        for step, (to_state, who) in enumerate(PATHS[state], start=1):
            workflow.transition(session, case, to_state, actors[who], at=started + timedelta(hours=3 * step),
                                reason=reasons.get(to_state), targets=targets)
        cases.append(case)
    session.flush()
    return cases
