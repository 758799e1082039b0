"""The preparation pack of a meeting: its agenda's cases as one participant may see them (the
residency-and-consent rule of `app.cases.visibility` decides summary or full), which of them the
participant has reviewed, and, for the chair and coordinators, who has prepared which case."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.boards.operations import may_manage_meeting
from app.cases.models import Case
from app.cases.visibility import access_level, case_facts, viewer_facts
from app.errors import NotFound, PermissionDenied
from app.meetings.models import BOOKING_STATES, AgendaItem, Invitation, Meeting
from app.preparation.models import CaseReview
from app.vocabulary import N_


@dataclass(frozen=True)
class PackItem:
    position: int  # 1-based, as the agenda numbers it
    case: Case
    access: str  # FULL or SUMMARY
    status: str  # the agenda item's status
    reviewed_at: datetime | None


def booking_invitation(meeting: Meeting, user) -> Invitation | None:
    """The user's invitation to `meeting` if it still books them (pending, tentative or accepted)."""
    return next((i for i in meeting.invitations if i.user_id == user.id and i.status in BOOKING_STATES), None)


def sees_preparation(session: Session, meeting: Meeting, user) -> bool:
    """The chair, the meeting's coordinators and admins see who has prepared which case."""
    return meeting.chair_id == user.id or may_manage_meeting(session, user, meeting)


def _listed(meeting: Meeting) -> list[AgendaItem]:
    return sorted((item for item in meeting.agenda if item.status != "removed"), key=lambda item: item.position)


def pack(session: Session, meeting: Meeting, user) -> list[PackItem]:
    """The agenda's cases `user` may see (in agenda order), each at their access level."""
    items = _listed(meeting)
    viewer = viewer_facts(session, user)
    cases = {case.id: case for case in session.scalars(
        select(Case).where(Case.id.in_([item.case_id for item in items]))
        .options(selectinload(Case.disciplines), selectinload(Case.attachments)))}
    reviewed = dict(session.execute(
        select(CaseReview.case_id, CaseReview.reviewed_at)
        .where(CaseReview.meeting_id == meeting.id, CaseReview.user_id == user.id)).all())
    rows = []
    for number, item in enumerate(items, start=1):
        case = cases.get(item.case_id)
        level = access_level(viewer, case_facts(case)) if case is not None else None
        if level is not None:
            rows.append(PackItem(number, case, level, item.status, reviewed.get(case.id)))
    return rows


def mark_reviewed(session: Session, meeting: Meeting, case_id: int, user, *, at: datetime) -> CaseReview:
    """Record that `user` (invited to `meeting`) has prepared `case_id` on its agenda; idempotent."""
    item = next((item for item in _listed(meeting) if item.case_id == case_id), None)
    case = session.get(Case, case_id) if item is not None else None
    if case is None or access_level(viewer_facts(session, user), case_facts(case)) is None:
        raise NotFound(N_("No case with id %(case_id)s on this meeting's agenda."), params={"case_id": case_id})
    if booking_invitation(meeting, user) is None:
        raise PermissionDenied(N_("Only the people invited to this meeting mark its cases reviewed."))
    review = session.scalar(select(CaseReview).where(CaseReview.meeting_id == meeting.id,
                                                     CaseReview.case_id == case_id,
                                                     CaseReview.user_id == user.id))
    if review is None:
        review = CaseReview(meeting_id=meeting.id, case_id=case_id, user_id=user.id, reviewed_at=at)
        session.add(review)
        session.flush()
    return review


@dataclass(frozen=True)
class PreparationRow:
    invitation: Invitation
    reviewed: dict[int, datetime]  # case id -> when this participant reviewed it


def preparation(session: Session, meeting: Meeting) -> tuple[list[int], list[PreparationRow]]:
    """The agenda's case ids and, per invited participant (booking states), what they have reviewed."""
    case_ids = [item.case_id for item in _listed(meeting)]
    reviews: dict[int, dict[int, datetime]] = {}
    for review in session.scalars(select(CaseReview).where(CaseReview.meeting_id == meeting.id)):
        reviews.setdefault(review.user_id, {})[review.case_id] = review.reviewed_at
    booked = [i for i in meeting.invitations if i.status in BOOKING_STATES]
    list(session.scalars(select(User).where(User.id.in_([i.user_id for i in booked]))))  # one query, not one each
    invitations = sorted(booked,
                         key=lambda i: (i.discipline_code or "", i.user.name, i.id))
    return case_ids, [PreparationRow(i, reviews.get(i.user_id, {})) for i in invitations]


@dataclass(frozen=True)
class PreparedColumn:
    position: int  # 1-based, as the agenda numbers it
    case_id: int | None  # None: a case the viewer may not see ("a case you cannot see", no id)


@dataclass(frozen=True)
class PreparedRow:
    invitation: Invitation
    reviewed: tuple[bool, ...]  # one per column: has this participant reviewed that case
    reviewed_case_ids: tuple[int, ...]  # the cases reviewed that the viewer may see


def preparation_seen_by(session: Session, meeting: Meeting,
                        viewer) -> tuple[list[PreparedColumn], list[PreparedRow]]:
    """Who has prepared which case (`preparation`) as `viewer` may see it: a case on the agenda they may
    not see (`app.cases.visibility`) keeps its place and progress, never its id, as the agenda does."""
    case_ids, people = preparation(session, meeting)
    facts = viewer_facts(session, viewer)
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    seen = {case_id for case_id, case in cases.items() if access_level(facts, case_facts(case)) is not None}
    columns = [PreparedColumn(number, case_id if case_id in seen else None)
               for number, case_id in enumerate(case_ids, start=1)]
    rows = [PreparedRow(row.invitation, tuple(case_id in row.reviewed for case_id in case_ids),
                        tuple(sorted(case_id for case_id in row.reviewed if case_id in seen)))
            for row in people]
    return columns, rows


def review_counts(session: Session, meeting: Meeting) -> dict[int, tuple[int, int]]:
    """Per agenda case id: (how many invited participants have reviewed it, how many are invited)."""
    case_ids, people = preparation(session, meeting)
    return {case_id: (sum(case_id in row.reviewed for row in people), len(people)) for case_id in case_ids}
