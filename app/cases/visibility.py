"""Who sees a case, and how much. Deny by default.

The rule is one plain function over plain facts (`access_level`), so it can be tested without a
database; `viewer_facts` and `case_facts` gather the facts, and `visible_cases_query` turns the
same facts into SQL for lists.

A user is related to a case when they are
- at the referring site: a user of the case's organisation holding a clinical role (referrer,
  specialist or coordinator; an admin account alone gives no access to patient data);
- a coordinator (BoardMember role "coordinator") of the board the case is referred to; or
- invited to discuss it: an invitation in a booking state (pending, tentative, accepted) to a
  meeting whose agenda lists the case (an agenda item not marked "removed").

A related user whose organisation's residency region differs from the case's sees the clinical
content only when cross-border consent is recorded as given (`cross_border_consent is True`);
otherwise they see a pseudonymised summary (SUMMARY_FIELDS). Everyone else sees nothing, and is
told the case does not exist.
"""
from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import String, and_, bindparam, event, false, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.boards.models import BoardMember
from app.cases.models import Case, case_disciplines
from app.specialists.models import Discipline
from app.meetings.models import BOOKING_STATES, AgendaItem, Invitation
from app.paging import keyset_condition
from app.vocabulary import N_

FULL = "full"
SUMMARY = "summary"
# What an agenda shows in place of a case the viewer may not know exists (no id, urgency or disciplines).
HIDDEN_CASE_LABEL = N_("A case you cannot see")
CLINICAL_ROLES = frozenset({"referrer", "specialist", "coordinator"})
# What a summary shows: nothing that names, describes or documents the patient.
SUMMARY_FIELDS = ("id", "state", "urgency", "icd10_code", "disciplines", "board_id", "target_at")


@dataclass(frozen=True)
class Viewer:
    user_id: int
    organization_id: int
    residency_region: str
    roles: frozenset[str]
    coordinated_board_ids: frozenset[int] = frozenset()
    invited_case_ids: frozenset[int] = frozenset()


class CaseFacts(NamedTuple):
    """What decides who sees a case (a tuple: a list builds one per case)."""
    case_id: int
    organization_id: int
    board_id: int | None
    residency_region: str
    cross_border_consent: bool | None


def is_related(viewer: Viewer, case: CaseFacts) -> bool:
    at_site = viewer.organization_id == case.organization_id and bool(viewer.roles & CLINICAL_ROLES)
    coordinates = case.board_id is not None and case.board_id in viewer.coordinated_board_ids
    invited = case.case_id in viewer.invited_case_ids
    return at_site or coordinates or invited


def access_level(viewer: Viewer, case: CaseFacts) -> str | None:
    """FULL, SUMMARY, or None (the viewer must not learn the case exists)."""
    if not is_related(viewer, case):
        return None
    if viewer.residency_region != case.residency_region and case.cross_border_consent is not True:
        return SUMMARY
    return FULL


# --- gathering the facts ----------------------------------------------------------------------


def case_facts(case: Case) -> CaseFacts:
    return CaseFacts(case.id, case.organization_id, case.board_id, case.residency_region, case.cross_border_consent)


_VIEWERS = "viewer_facts"


def viewer_facts(session: Session, user) -> Viewer:
    """What decides what `user` sees, read once per transaction (a request asks several times: the
    case, the moves they may make, ...) and again after anything is written."""
    cached = session.info.setdefault(_VIEWERS, {})
    pending = session.new or session.dirty or session.deleted  # unwritten changes may concern them
    if user.id in cached and not pending:
        return cached[user.id]
    cached[user.id] = viewer = _read_viewer_facts(session, user)
    return viewer


@event.listens_for(Session, "after_flush")
def _forget_viewers_after_writing(session: Session, flush_context) -> None:
    session.info.pop(_VIEWERS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_viewers_after_transaction(session: Session, transaction) -> None:
    session.info.pop(_VIEWERS, None)


def _read_viewer_facts(session: Session, user) -> Viewer:
    boards, invited = [], []
    for kind, related_id in session.execute(_BOARDS_AND_INVITED_CASES, {"user_id": user.id}).all():
        (boards if kind == "board" else invited).append(related_id)
    return _viewer(user, boards, invited)


def _viewer(user, coordinated_board_ids, invited_case_ids) -> Viewer:
    return Viewer(user_id=user.id, organization_id=user.organization_id,
                  residency_region=user.organization.residency_region, roles=frozenset(user.roles),
                  coordinated_board_ids=frozenset(coordinated_board_ids), invited_case_ids=frozenset(invited_case_ids))


def relation_columns(user_id):
    """Whether `user_id` coordinates a case's board, and whether they are invited to discuss it: SQL
    columns to read with the case, for `viewer_of_case`."""
    return (Case.board_id.in_(_coordinated_board_ids(user_id)).label("viewer_coordinates"),
            Case.id.in_(_invited_case_ids(user_id)).label("viewer_invited"))


def viewer_of_case(user, case: CaseFacts, *, coordinates: bool, invited: bool) -> Viewer:
    """`user`'s facts as far as `case` goes, from its `relation_columns`: all `access_level` needs for this
    case, without reading every board the user coordinates and every case they were ever invited to."""
    return _viewer(user, [case.board_id] if coordinates and case.board_id is not None else [],
                   [case.case_id] if invited else [])


def _coordinated_board_ids(user_id):
    """Ids of the boards `user_id` coordinates."""
    return select(BoardMember.board_id).where(BoardMember.user_id == user_id, BoardMember.role == "coordinator")


def _invited_case_ids(user_id):
    """Ids of the cases on the agendas of meetings `user_id` holds a booking invitation to."""
    # The states are written into the SQL, not sent as parameters: PostgreSQL's generic plan for a
    # prepared statement cannot see them and chose a join ten times slower. They are constants, so they
    # are written when the statement is compiled, not again at each execution.
    return (
        select(AgendaItem.case_id)
        .join(Invitation, Invitation.meeting_id == AgendaItem.meeting_id)
        .where(Invitation.user_id == user_id,
               Invitation.status.in_([_sql_constant(state) for state in sorted(BOOKING_STATES)]),
               AgendaItem.status != _sql_constant("removed"))
        .distinct()
    )


def _sql_constant(word: str):
    """A constant of the code (never input) as an SQL string literal."""
    if not word.replace("_", "").isalnum():
        raise ValueError(f"not a plain word: {word!r}")
    return literal_column(f"'{word}'", String)


# One round trip for both: the boards the user coordinates and the cases they are invited to. Built
# once, as nearly every request runs it.
_BOARDS_AND_INVITED_CASES = union_all(
    select(literal("board").label("kind"), _coordinated_board_ids(bindparam("user_id")).subquery().c.board_id),
    select(literal("case").label("kind"), _invited_case_ids(bindparam("user_id")).subquery().c.case_id),
)


def case_access(session: Session, user, case: Case) -> str | None:
    """FULL, SUMMARY or None for `user` on `case` (None for no user)."""
    if user is None or case is None:
        return None
    return access_level(viewer_facts(session, user), case_facts(case))


class _ViewerShape(NamedTuple):
    """Which of the ways to be related to a case a viewer has: what the SQL of their cases depends on
    besides values."""
    at_site: bool
    coordinates: bool
    invited: bool


def _shape_of(viewer: Viewer) -> _ViewerShape:
    return _ViewerShape(bool(viewer.roles & CLINICAL_ROLES), bool(viewer.coordinated_board_ids),
                        bool(viewer.invited_case_ids))


def _related_condition(shape: _ViewerShape, *, user_id, organization_id):
    """SQL for the cases a viewer of `shape` is related to (`is_related`); the ids are values, or
    parameters of a statement built once."""
    conditions = []
    if shape.at_site:
        conditions.append(Case.organization_id == organization_id)
    # The boards and invitations are asked of the database again rather than sent as lists of ids: a
    # coordinator of forty boards made every list render and send forty parameters.
    if shape.coordinates:
        conditions.append(Case.board_id.in_(_coordinated_board_ids(user_id)))
    if shape.invited:
        conditions.append(Case.id.in_(_invited_case_ids(user_id)))
    return or_(*conditions) if conditions else false()


def visible_cases_query(viewer: Viewer):
    """`select(Case)` limited to the cases `viewer` is related to (at either access level).

    Built from the same facts as `access_level`; compute each row's level with `access_level`.
    """
    return select(Case).where(_related_condition(_shape_of(viewer), user_id=viewer.user_id,
                                                 organization_id=viewer.organization_id))


def _full_access(residency_region):
    """The cases a related viewer from `residency_region` sees in full: the same rule as `access_level`."""
    return or_(Case.residency_region == residency_region, Case.cross_border_consent.is_(True))


def full_access_condition(viewer: Viewer):
    """SQL for the cases among `visible_cases_query(viewer)` that `viewer` sees in full: the same
    rule as `access_level` (same residency region, or cross-border consent given)."""
    return _full_access(viewer.residency_region)


def _list_condition(field: str, condition, residency_region):
    if field in SUMMARY_FIELDS:
        return condition
    return and_(condition, _full_access(residency_region))


def list_filter(viewer: Viewer, field: str, condition):
    """`condition`, a list's filter on the case field `field`, as SQL over `visible_cases_query(viewer)`.

    On a field a summary shows (SUMMARY_FIELDS) it applies to every visible case. On any other (the
    referring site, who referred, when it was submitted) it matches only cases `viewer` sees in full:
    a summary-only case that matched would tell what its summary hides ("this one came from site 9")."""
    return _list_condition(field, condition, viewer.residency_region)


# The filters `visible_case_rows` offers, by name: the case field each looks at (see `list_filter`), and
# its condition on a given value.
LIST_FILTERS = {
    "state": ("state", lambda value: Case.state == value),
    "board_id": ("board_id", lambda value: Case.board_id == value),
    "urgency": ("urgency", lambda value: Case.urgency == value),
    "organization_id": ("organization_id", lambda value: Case.organization_id == value),
    "submitted_from": ("submitted_at", lambda value: Case.submitted_at >= value),
    "submitted_before": ("submitted_at", lambda value: Case.submitted_at < value),
}


def visible_case_count(session: Session, user, *, filters=None) -> int:
    """How many cases `user` may see that meet `filters`."""
    statement = visible_cases_query(viewer_facts(session, user)).where(*(filters or ()))
    return session.scalar(select(func.count()).select_from(statement.subquery()))


def visible_case_counts_by_state(session: Session, user, *, filters=None) -> dict[str, int]:
    """How many cases `user` may see per state, among those that meet `filters`."""
    visible = visible_cases_query(viewer_facts(session, user)).where(*(filters or ())).subquery()
    return dict(session.execute(select(visible.c.state, func.count()).group_by(visible.c.state)).all())


def visible_cases(session: Session, user, *, filters=None, order=None,
                  limit: int | None = None) -> list[tuple[Case, str]]:
    """The cases `user` may see, each with its access level, in `order` (default: by id), their
    disciplines loaded (in one query for the page).

    `filters` are extra WHERE clauses (a keyset cursor among them) and `limit` caps the rows, both
    in SQL: every row the query returns is visible, as the query is built from the same facts."""
    viewer = viewer_facts(session, user)
    rows = _with_levels(viewer, session.execute(_page(visible_cases_query(viewer), filters, order, limit)).tuples())
    _fill_disciplines(session, {case: codes for case, _level, codes in rows})
    return [(case, level) for case, level, _codes in rows]


def visible_case_rows(session: Session, user, *, filters: dict | None = None, after_id: int | None = None,
                      limit: int) -> list[tuple[CaseColumns, str, list[str]]]:
    """The cases `user` may see, by id, each as a read-only tuple of its columns (named as `Case`'s
    attributes) with its access level and discipline codes, for readers that only show them (the API's
    list): loading a page of plain rows costs under half of loading it as ORM objects.

    `filters` maps names of LIST_FILTERS to values; only cases after `after_id` (a page's last) are read,
    at most `limit` of them."""
    viewer = viewer_facts(session, user)
    filters = filters or {}
    statement = _case_rows_statement(_shape_of(viewer), tuple(sorted(filters)), after_id is not None)
    values = {"viewer_user_id": viewer.user_id, "viewer_organization_id": viewer.organization_id,
              "viewer_region": viewer.residency_region, "limit": limit, **filters}
    if after_id is not None:
        values["after_id"] = after_id
    # Run on the session's connection: the ORM's result machinery, needless for plain columns, cost
    # more per row than the row itself. Unwritten changes are flushed first, as the ORM would.
    session.flush()
    rows = map(CaseColumns._make, session.connection().execute(statement, values).all())
    return _with_levels(viewer, ((row, row.discipline_codes) for row in rows))


@functools.cache  # at most 1,024: 8 kinds of viewer × 64 sets of filters × a cursor or not
def _case_rows_statement(shape: _ViewerShape, filter_names: tuple[str, ...], after_a_case: bool):
    """`visible_case_rows`' statement for viewers of `shape`, built once: every value is a parameter.
    Building it and its cache key anew cost as much as a page of fifty cases."""
    statement = select(*Case.__table__.columns).where(_related_condition(
        shape, user_id=bindparam("viewer_user_id"), organization_id=bindparam("viewer_organization_id")))
    for name in filter_names:
        field, condition = LIST_FILTERS[name]
        statement = statement.where(_list_condition(field, condition(bindparam(name)), bindparam("viewer_region")))
    if after_a_case:
        statement = statement.where(keyset_condition([Case.id], [bindparam("after_id")], descending=False))
    return statement.add_columns(discipline_codes).order_by(Case.id).limit(bindparam("limit"))


# A case's columns, then its discipline codes, as `visible_case_rows` selects them. A named tuple, not
# SQLAlchemy's Row: a Row finds each attribute by name at about 1 µs, and a list reads some forty a case.
CaseColumns = namedtuple("CaseColumns", [*Case.__table__.columns.keys(), "discipline_codes"])


def _page(statement, filters, order, limit):
    """`statement` with each case's discipline codes, `filters`, `order` (default: by id) and `limit`."""
    statement = statement.add_columns(discipline_codes).order_by(*(order if order is not None else (Case.id,)))
    for condition in filters or ():
        statement = statement.where(condition)
    return statement if limit is None else statement.limit(limit)


def _with_levels(viewer: Viewer, cases_and_codes) -> list[tuple]:
    """(case, access level, sorted discipline codes) for each (case, comma-separated codes) pair."""
    rows = []
    for case, codes in cases_and_codes:
        level = access_level(viewer, case_facts(case))
        if level is not None:
            rows.append((case, level, discipline_code_list(codes)))
    return rows


# Each case's discipline codes, in its own row, comma-separated (`discipline_code_list` reads them): far
# cheaper than a second, per-case-keyed load.
discipline_codes = (select(func.aggregate_strings(case_disciplines.c.discipline_code, ","))
                    .where(case_disciplines.c.case_id == Case.id).scalar_subquery().label("discipline_codes"))


def discipline_code_list(codes: str | None) -> list[str]:
    """The codes of a `discipline_codes` column, in order."""
    return sorted(codes.split(",")) if codes else []


def _fill_disciplines(session: Session, codes_of: dict[Case, list[str]]) -> None:
    """Set each case's `disciplines` (as if loaded) from its codes, the disciplines read in one query."""
    wanted = sorted({code for codes in codes_of.values() for code in codes})
    disciplines = {discipline.code: discipline for discipline in session.scalars(
        select(Discipline).where(Discipline.code.in_(wanted)))} if wanted else {}
    for case, codes in codes_of.items():
        set_committed_value(case, "disciplines", [disciplines[code] for code in codes if code in disciplines])
