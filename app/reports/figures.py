"""The figures of the quality and equity reports, each computed in SQL over the cases submitted in a
period. Plain Python (no Flask); the web pages, the CSV files, the API and the equity alert all read
these functions, so a number means the same everywhere.

Definitions (docs/reports.md):
- a case counts in the period it was *submitted* in; its wait runs to its first discussion, its
  outcome time to its first signed outcome; times are elapsed days between UTC instants, so a wait
  across a clock change is as long as it really was;
- a case not discussed by the end of the period (or now, if sooner), and neither withdrawn, listed
  under a standard of care nor returned, is *waiting*: counted, with how long it has waited so far;
- medians and 90th percentiles interpolate between ranks (PostgreSQL's percentile_cont).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time

from sqlalchemy import and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from app.accounts.models import Organization, User
from app.boards.models import Board, QuorumRequirement
from app.cases.models import Case, CaseTransition
from app.db import UTCDateTime
from app.errors import InvalidInput
from app.vocabulary import N_
from app.meetings.models import AgendaItem, Attendance, Invitation, Meeting
from app.outcomes.models import FOLLOW_UP_STATUSES, Outcome, OutcomeFollowUp
from app.reports.sql import days_after_utc_date, elapsed_days, share, summary
from app.rotas.models import OnCallShift, Rota, RotaMember
from app.specialists.models import SpecialistProfile
from app.timekeeping import ensure_utc, to_local

URGENCIES = ("routine", "urgent")
# A meeting is at an unsocial hour for someone when any of it falls outside this, in their own zone.
WORKING_DAY = (time(8, 0), time(18, 0))
HELD_MEETING_STATES = ("in_progress", "finished")
DAYS_DECIMALS = 2


@dataclass(frozen=True)
class ReportScope:
    """Which cases a report covers: submitted in [since, until), narrowed by board, site, country
    (the referring site's) and urgency. `at` is when the report is read: nothing after it is known."""

    since: datetime
    until: datetime
    at: datetime
    board_id: int | None = None
    site_id: int | None = None
    country: str | None = None
    urgency: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "since", ensure_utc(self.since))
        object.__setattr__(self, "until", ensure_utc(self.until))
        object.__setattr__(self, "at", ensure_utc(self.at))
        if self.until <= self.since:
            raise InvalidInput("to", N_("must be after from"))
        if self.urgency is not None and self.urgency not in URGENCIES:
            raise InvalidInput("urgency", N_("must be routine or urgent"))
        if self.country is not None and (len(self.country) != 2 or not self.country.isalpha()):
            raise InvalidInput("country", N_("must be a two-letter ISO 3166 code"))

    @property
    def as_of(self) -> datetime:
        """The end of what the report knows: the period's end, or now when the period is not over."""
        return min(self.until, self.at)

    def narrowed(self, **changes) -> "ReportScope":
        return replace(self, **changes)


def _days(value) -> float | None:
    return None if value is None else round(float(value), DAYS_DECIMALS)


def _as_of(scope: ReportScope):
    return literal(scope.as_of, UTCDateTime())


def case_rows(scope: ReportScope):
    """One row per case in scope with what happened to it by `as_of` (a subquery). The histories
    are read only for the cases in scope, so the cost follows the period, not the whole table."""
    as_of = _as_of(scope)
    conditions = [Case.submitted_at.is_not(None), Case.submitted_at >= scope.since, Case.submitted_at < scope.until,
                  Case.submitted_at < scope.as_of]
    if scope.board_id is not None:
        conditions.append(Case.board_id == scope.board_id)
    if scope.site_id is not None:
        conditions.append(Case.organization_id == scope.site_id)
    if scope.urgency is not None:
        conditions.append(Case.urgency == scope.urgency)
    if scope.country is not None:
        conditions.append(Case.organization_id.in_(select(Organization.id).where(
            Organization.country == scope.country.upper())))
    in_scope = select(Case.id).where(*conditions)
    history = (select(
        CaseTransition.case_id.label("case_id"),
        func.min(case((CaseTransition.to_state == "discussed", CaseTransition.at))).label("discussed_at"),
        func.max(case((CaseTransition.to_state == "returned", 1), else_=0)).label("returned"),
        func.max(case((CaseTransition.to_state == "listed_not_discussed", 1), else_=0)).label("standard_of_care"),
        func.max(case((CaseTransition.to_state == "withdrawn", 1), else_=0)).label("withdrawn"),
    ).where(CaseTransition.at < as_of, CaseTransition.case_id.in_(in_scope),
            # only the moves a figure reads: most rows of the table are others
            CaseTransition.to_state.in_(("discussed", "returned", "listed_not_discussed", "withdrawn")))
        .group_by(CaseTransition.case_id).subquery())
    # first signing, and the latest signed version (whose follow-up counts), in one pass
    signed = (select(Outcome.case_id.label("case_id"), func.min(Outcome.signed_at).label("signed_at"),
                     func.max(Outcome.version).label("version"))
              .where(Outcome.signed_at.is_not(None), Outcome.signed_at < as_of, Outcome.case_id.in_(in_scope))
              .group_by(Outcome.case_id).subquery())
    agenda = (select(AgendaItem.case_id.label("case_id"),
                     func.sum(case((AgendaItem.rolled_from_meeting_id.is_not(None), 1), else_=0)).label("roll_overs"),
                     func.max(case((AgendaItem.status == "removed", 1), else_=0)).label("deferred"),
                     func.max(case((and_(AgendaItem.status == "removed", AgendaItem.removal_reason == "missing_data"),
                                    1), else_=0)).label("deferred_missing_data"))
              .where(AgendaItem.added_at < as_of, AgendaItem.case_id.in_(in_scope))
              .group_by(AgendaItem.case_id).subquery())
    followed = (select(signed.c.case_id, OutcomeFollowUp.status.label("status"),
                       days_after_utc_date(OutcomeFollowUp.occurred_on, Outcome.signed_at).label("days"))
                .join(Outcome, and_(Outcome.case_id == signed.c.case_id, Outcome.version == signed.c.version))
                .join(OutcomeFollowUp, and_(OutcomeFollowUp.outcome_id == Outcome.id,
                                            OutcomeFollowUp.recorded_at < as_of))
                .subquery())
    discussed = history.c.discussed_at.is_not(None)
    closed_otherwise = or_(history.c.standard_of_care == 1, history.c.withdrawn == 1, Case.state == "returned")
    waiting = and_(~discussed, func.coalesce(closed_otherwise, False) == False)  # noqa: E712
    statement = (
        select(Case.id.label("case_id"), Case.organization_id.label("site_id"), Organization.name.label("site"),
               Organization.country.label("country"), Case.board_id.label("board_id"), Case.urgency.label("urgency"),
               Case.submitted_at.label("submitted_at"),
               case((discussed, 1), else_=0).label("discussed"),
               case((waiting, 1), else_=0).label("waiting"),
               func.coalesce(history.c.returned, 0).label("returned"),
               func.coalesce(history.c.standard_of_care, 0).label("standard_of_care"),
               func.coalesce(history.c.withdrawn, 0).label("withdrawn"),
               func.coalesce(agenda.c.deferred, 0).label("deferred"),
               func.coalesce(agenda.c.deferred_missing_data, 0).label("deferred_missing_data"),
               func.coalesce(agenda.c.roll_overs, 0).label("roll_overs"),
               case((and_(Case.urgency == "urgent", discussed), 1), else_=0).label("urgent_discussed"),
               case((and_(Case.urgency == "urgent", discussed, history.c.discussed_at <= Case.target_at), 1),
                    else_=0).label("urgent_on_target"),
               elapsed_days(history.c.discussed_at, Case.submitted_at).label("days_to_discussion"),
               elapsed_days(signed.c.signed_at, Case.submitted_at).label("days_to_outcome"),
               case((waiting, elapsed_days(as_of, Case.submitted_at))).label("days_waiting"),
               case((signed.c.case_id.is_not(None), 1), else_=0).label("outcome_signed"),
               followed.c.status.label("follow_up"), followed.c.days.label("days_to_follow_up"))
        .join(Organization, Organization.id == Case.organization_id)
        .outerjoin(history, history.c.case_id == Case.id)
        .outerjoin(signed, signed.c.case_id == Case.id)
        .outerjoin(agenda, agenda.c.case_id == Case.id)
        .outerjoin(followed, followed.c.case_id == Case.id)
        .where(*conditions))
    return statement.cte("case_rows")


WAIT_COLUMNS = ("cases_submitted", "cases_discussed", "cases_waiting", "longest_wait_days",
                "median_days_to_discussion", "p90_days_to_discussion", "median_days_to_outcome",
                "p90_days_to_outcome", "urgent_discussed", "urgent_on_target", "urgent_on_target_share")


LEVELS = {"network": [], "country": ["country"], "site": ["site_id", "site", "country"]}
MEASURES = ("days_to_discussion", "days_to_outcome", "days_to_follow_up")


def _aggregates(rows):
    return [func.count().label("cases_submitted"), func.sum(rows.c.discussed).label("cases_discussed"),
            func.sum(rows.c.waiting).label("cases_waiting"), func.max(rows.c.days_waiting).label("longest"),
            func.sum(rows.c.urgent_discussed).label("urgent_discussed"),
            func.sum(rows.c.urgent_on_target).label("urgent_on_target"),
            func.sum(rows.c.standard_of_care).label("standard_of_care"), func.sum(rows.c.returned).label("returned"),
            func.sum(rows.c.withdrawn).label("withdrawn"), func.sum(rows.c.deferred).label("deferred"),
            func.sum(rows.c.deferred_missing_data).label("deferred_missing_data"),
            func.sum(case((rows.c.roll_overs > 0, 1), else_=0)).label("rolled_over"),
            func.sum(rows.c.roll_overs).label("roll_overs"), func.max(rows.c.roll_overs).label("most_roll_overs"),
            func.sum(rows.c.outcome_signed).label("outcomes_signed"),
            *[func.sum(case((rows.c.follow_up == status, 1), else_=0)).label(status) for status in FOLLOW_UP_STATUSES]]


def case_figures(session: Session, scope: ReportScope) -> dict:
    """The figures over the cases in scope at every level (network, country, site) in one statement:
    the cases' rows are built once (a common table expression) and summarised three times."""
    rows = case_rows(scope)
    ordered_set = session.get_bind().dialect.name == "postgresql"
    parts = []
    for level, keys in LEVELS.items():
        summarised = summary(rows, keys, MEASURES, _aggregates, ordered_set=ordered_set).subquery()
        # typed NULLs for the keys a level does not have: PostgreSQL matches UNION columns by type
        keyed = [summarised.c[key] if key in keys else cast(null(), rows.c[key].type) for key in LEVELS["site"]]
        parts.append(select(literal(level).label("level"), *[column.label(key) for column, key in
                                                                 zip(keyed, LEVELS["site"])],
                            *[column for column in summarised.c if column.key not in keys]))
    found = {"network": None, "country": [], "site": []}
    for row in session.execute(union_all(*parts)):
        if not row.cases_submitted:
            continue  # the network row of an empty period
        entry = {key: getattr(row, key) for key in LEVELS[row.level]}
        entry["_row"] = row
        if row.level == "network":
            found["network"] = entry
        else:
            found[row.level].append(entry)
    for level in ("country", "site"):
        found[level].sort(key=lambda entry: tuple(entry[key] for key in LEVELS[level]))
    return found


def _wait_figures(entry: dict) -> dict:
    row = entry.pop("_row")
    entry.update({
        "cases_submitted": row.cases_submitted, "cases_discussed": int(row.cases_discussed or 0),
        "cases_waiting": int(row.cases_waiting or 0), "longest_wait_days": _days(row.longest),
        "median_days_to_discussion": _days(row.days_to_discussion_p50),
        "p90_days_to_discussion": _days(row.days_to_discussion_p90),
        "median_days_to_outcome": _days(row.days_to_outcome_p50),
        "p90_days_to_outcome": _days(row.days_to_outcome_p90),
        "urgent_discussed": int(row.urgent_discussed or 0), "urgent_on_target": int(row.urgent_on_target or 0),
        "urgent_on_target_share": share(int(row.urgent_on_target or 0), int(row.urgent_discussed or 0)),
    })
    return entry


def _shares(row) -> dict:
    counts = {"cases_submitted": int(row.cases_submitted) if row else 0}
    for name, column in (("discussed", "cases_discussed"), ("standard_of_care", "standard_of_care"),
                         ("returned", "returned"), ("withdrawn", "withdrawn"), ("deferred", "deferred"),
                         ("deferred_missing_data", "deferred_missing_data"), ("waiting", "cases_waiting"), ("rolled_over", "rolled_over"), ("roll_overs", "roll_overs"),
                         ("most_roll_overs", "most_roll_overs")):
        counts[name] = int(getattr(row, column) or 0) if row else 0
    submitted = counts["cases_submitted"]
    counts["shares"] = {name: share(counts[name], submitted)
                        for name in ("discussed", "standard_of_care", "returned", "withdrawn", "deferred",
                                     "deferred_missing_data", "waiting", "rolled_over")}
    return counts


def _follow_ups(row) -> dict:
    found = {"outcomes_signed": int(row.outcomes_signed or 0) if row else 0}
    for status in FOLLOW_UP_STATUSES:
        found[status] = int(getattr(row, status) or 0) if row else 0
    found["not_recorded"] = found["outcomes_signed"] - sum(found[status] for status in FOLLOW_UP_STATUSES)
    found["median_days_to_follow_up"] = _days(row.days_to_follow_up_p50) if row else None
    found["shares"] = {status: share(found[status], found["outcomes_signed"] - found["not_recorded"])
                       for status in FOLLOW_UP_STATUSES}
    return found


def waits_by_site(session: Session, scope: ReportScope) -> list[dict]:
    """Per referring site: cases, waits to discussion and to signed outcome, urgent cases on target."""
    return [_wait_figures(entry) for entry in case_figures(session, scope)["site"]]


def waits_by_country(session: Session, scope: ReportScope) -> list[dict]:
    return [_wait_figures(entry) for entry in case_figures(session, scope)["country"]]


def network_waits(session: Session, scope: ReportScope) -> dict | None:
    network = case_figures(session, scope)["network"]
    return _wait_figures(network) if network else None


SHARE_COLUMNS = ("cases_submitted", "discussed", "standard_of_care", "returned", "withdrawn", "deferred",
                 "deferred_missing_data", "waiting", "rolled_over", "roll_overs", "most_roll_overs")


def case_shares(session: Session, scope: ReportScope) -> dict:
    """How the cases submitted in the period fared: counts and shares of the submitted."""
    network = case_figures(session, scope)["network"]
    return _shares(network["_row"] if network else None)


# --- meetings: quorum and attendance, load and unsocial hours ------------------------------------


def _held_meetings(session: Session, scope: ReportScope):
    statement = (select(Meeting.id, Meeting.board_id, Meeting.quorum_at_start, Board.name)
                 .join(Board, Board.id == Meeting.board_id)
                 .where(Meeting.status.in_(HELD_MEETING_STATES), Meeting.starts_at >= scope.since,
                        Meeting.starts_at < scope.until, Meeting.starts_at < scope.as_of))
    if scope.board_id is not None:
        statement = statement.where(Meeting.board_id == scope.board_id)
    return session.execute(statement.order_by(Board.name, Meeting.id)).all()


QUORUM_COLUMNS = ("board_id", "board", "meetings_held", "quorum_recorded", "quorum_met", "quorum_met_share",
                  "seats_accepted", "seats_attended", "attendance_share")


def _seat_taken():
    """An accepted seat (or the chair) of a specialist at a meeting: the seats attendance is counted
    against, per specialist and per board alike."""
    return and_(Invitation.role.in_(("seat", "chair")), Invitation.status == "accepted")


def _attended(invitation=Invitation):
    """Whether the invitee was recorded present at the meeting (any attendance row)."""
    return (select(Attendance.id).where(Attendance.meeting_id == invitation.meeting_id,
                                        Attendance.user_id == invitation.user_id).exists())


def attendance_by_board(session: Session, scope: ReportScope) -> dict[int, tuple[int, int]]:
    """Per board, over the meetings held in the period: the accepted seats, and how many of them were
    attended (the same facts as each specialist's `meetings_attended`). One query."""
    statement = (select(Meeting.board_id, func.count(Invitation.id),
                        func.sum(case((_attended(), 1), else_=0)))
                 .join(Meeting, Meeting.id == Invitation.meeting_id)
                 .where(_seat_taken(), Meeting.status.in_(HELD_MEETING_STATES), Meeting.starts_at >= scope.since,
                        Meeting.starts_at < scope.until, Meeting.starts_at < scope.as_of)
                 .group_by(Meeting.board_id))
    if scope.board_id is not None:
        statement = statement.where(Meeting.board_id == scope.board_id)
    return {board_id: (int(seats), int(attended or 0)) for board_id, seats, attended in session.execute(statement)}


def quorum_by_board(session: Session, scope: ReportScope) -> list[dict]:
    """Per board, the meetings held in the period and how many had their quorum when they opened,
    with each required discipline's own count (the presence recorded at the start, against the
    board's requirement), and the board's attendance: accepted seats at those meetings and how many
    were attended. One query for the meetings, one for the requirements, one for attendance."""
    meetings = _held_meetings(session, scope)
    seats = attendance_by_board(session, scope) if meetings else {}
    required: dict[int, dict[str, int]] = {}
    for board_id, code, count in session.execute(select(QuorumRequirement.board_id, QuorumRequirement.discipline_code,
                                                        QuorumRequirement.count)
                                                 .where(QuorumRequirement.board_id.in_({m.board_id for m in meetings}))):
        required.setdefault(board_id, {})[code] = count
    boards: dict[int, dict] = {}
    for meeting in meetings:
        entry = boards.setdefault(meeting.board_id, {
            "board_id": meeting.board_id, "board": meeting.name, "meetings_held": 0, "quorum_recorded": 0,
            "quorum_met": 0, "disciplines": {code: {"discipline": code, "met": 0, "recorded": 0}
                                             for code in sorted(required.get(meeting.board_id, {}))}})
        entry["meetings_held"] += 1
        if meeting.quorum_at_start is None:
            continue
        entry["quorum_recorded"] += 1
        all_met = True
        for code, needed in required.get(meeting.board_id, {}).items():
            met = len(meeting.quorum_at_start.get(code, [])) >= needed
            entry["disciplines"][code]["recorded"] += 1
            entry["disciplines"][code]["met"] += met
            all_met = all_met and met
        entry["quorum_met"] += all_met
    found = []
    for entry in boards.values():
        entry["quorum_met_share"] = share(entry["quorum_met"], entry["quorum_recorded"])
        accepted, attended = seats.get(entry["board_id"], (0, 0))
        entry.update(seats_accepted=accepted, seats_attended=attended, attendance_share=share(attended, accepted))
        entry["disciplines"] = [dict(d, met_share=share(d["met"], d["recorded"])) for d in entry["disciplines"].values()]
        found.append(entry)
    return found


def is_unsocial(starts_at: datetime, ends_at: datetime, zone: str) -> bool:
    """Whether any of a meeting falls outside 08:00-18:00 on the clock of `zone`."""
    start, end = to_local(starts_at, zone), to_local(ends_at, zone)
    return (start.date() != end.date() or start.time() < WORKING_DAY[0] or end.time() > WORKING_DAY[1])


SPECIALIST_COLUMNS = ("user_id", "name", "country", "zone", "meetings", "unsocial_meetings", "unsocial_share",
                      "fair_unsocial_meetings", "meetings_attended")


def specialist_load(session: Session, scope: ReportScope) -> list[dict]:
    """Per specialist, the meetings in the period they held a seat at (accepted, not cancelled), how
    many of those fell at unsocial hours in their own zone, their fair share of those (their meetings
    times the network's unsocial share), and how many they attended. The country
    filter is the specialist's own country here; site and urgency do not apply."""
    zone = func.coalesce(SpecialistProfile.home_timezone, User.display_timezone, Organization.timezone)
    statement = (select(Invitation.user_id, User.name, Organization.country, zone.label("zone"),
                        Meeting.starts_at, Meeting.ends_at,
                        func.count().label("seats"))
                 .join(Meeting, Meeting.id == Invitation.meeting_id)
                 .join(User, User.id == Invitation.user_id)
                 .join(Organization, Organization.id == User.organization_id)
                 .outerjoin(SpecialistProfile, SpecialistProfile.user_id == User.id)
                 .where(Invitation.role.in_(("seat", "chair")), Invitation.status == "accepted",
                        Meeting.status != "cancelled", Meeting.starts_at >= scope.since,
                        Meeting.starts_at < scope.until, Meeting.starts_at < scope.as_of)
                 .group_by(Invitation.user_id, User.name, Organization.country, zone, Meeting.starts_at,
                           Meeting.ends_at))
    attended = (select(Attendance.user_id, func.count(func.distinct(Attendance.meeting_id)))
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .join(Invitation, and_(Invitation.meeting_id == Attendance.meeting_id,
                                       Invitation.user_id == Attendance.user_id))
                .where(Invitation.role.in_(("seat", "chair")), Invitation.status == "accepted",
                       Meeting.status.in_(HELD_MEETING_STATES), Meeting.starts_at >= scope.since,
                       Meeting.starts_at < scope.until, Meeting.starts_at < scope.as_of)
                .group_by(Attendance.user_id))
    if scope.board_id is not None:
        statement = statement.where(Meeting.board_id == scope.board_id)
        attended = attended.where(Meeting.board_id == scope.board_id)
    if scope.country is not None:
        statement = statement.where(Organization.country == scope.country.upper())
    people: dict[int, dict] = {}
    verdicts: dict[tuple, bool] = {}  # the same times and zone recur across specialists: convert once
    for row in session.execute(statement):
        entry = people.setdefault(row.user_id, {"user_id": row.user_id, "name": row.name, "country": row.country,
                                                "zone": row.zone, "meetings": 0, "unsocial_meetings": 0})
        key = (row.starts_at, row.ends_at, row.zone)
        if key not in verdicts:
            verdicts[key] = is_unsocial(row.starts_at, row.ends_at, row.zone)
        entry["meetings"] += row.seats
        entry["unsocial_meetings"] += row.seats if verdicts[key] else 0
    present = dict(session.execute(attended).all()) if people else {}
    # An even spread of unsocial hours: each person carrying the network's share of them on the
    # meetings they hold. (The rota generator's own promise, on-call shifts, is `on_call_fairness`.)
    network_share = (sum(e["unsocial_meetings"] for e in people.values())
                     / max(1, sum(e["meetings"] for e in people.values())))
    found = []
    for entry in people.values():
        entry["unsocial_share"] = share(entry["unsocial_meetings"], entry["meetings"])
        entry["fair_unsocial_meetings"] = round(entry["meetings"] * network_share, 1)
        entry["meetings_attended"] = int(present.get(entry["user_id"], 0))
        found.append(entry)
    return sorted(found, key=lambda e: (-e["meetings"], e["name"].lower(), e["user_id"]))


def load_by_country(specialists: list[dict]) -> list[dict]:
    """The specialists' load summed per country (from `specialist_load`'s rows)."""
    countries: dict[str, dict] = {}
    for person in specialists:
        entry = countries.setdefault(person["country"], {"country": person["country"], "specialists": 0,
                                                         "meetings": 0, "unsocial_meetings": 0})
        entry["specialists"] += 1
        entry["meetings"] += person["meetings"]
        entry["unsocial_meetings"] += person["unsocial_meetings"]
    for entry in countries.values():
        entry["unsocial_share"] = share(entry["unsocial_meetings"], entry["meetings"])
    return sorted(countries.values(), key=lambda e: e["country"])


# --- on call: the rota generator's fair share against the shifts held ----------------------------

ON_CALL_COLUMNS = ("rota_id", "rota", "user_id", "name", "country", "member", "fair_shifts", "shifts_held",
                   "shifts_over_fair", "hours_held")


def on_call_fairness(session: Session, scope: ReportScope) -> list[dict]:
    """Per rota and person, over the on-call shifts in force (scheduled and published) that began in
    the period: the shifts the rota generator's fairness promised them against those they held.

    The generator adds 1/k of every period to the fair share of each of its k eligible members
    (app/rotas/generation.py, rule 3); here every member of the rota counts as eligible for every
    shift (leave and other reasons a member could not take a period are not known afterwards), so a
    member's fair share is the rota's shifts in the period divided by its members. Held counts the
    shift's holder as it stands, after approved cover swaps; someone who covered without being a
    member has a fair share of 0. Board narrows to the rotas serving that board; country to the
    person's country. Two queries, whatever the number of shifts."""
    in_period = [OnCallShift.in_force(), OnCallShift.starts_at >= scope.since, OnCallShift.starts_at < scope.until,
                 OnCallShift.starts_at < scope.as_of]
    rota_filter = [] if scope.board_id is None else [Rota.board_id == scope.board_id]
    person_filter = [] if scope.country is None else [Organization.country == scope.country.upper()]
    shifts = (select(OnCallShift.rota_id.label("rota_id"), func.count().label("shifts"))
              .where(*in_period).group_by(OnCallShift.rota_id).subquery())
    members = (select(RotaMember.rota_id.label("rota_id"), func.count().label("members"))
               .group_by(RotaMember.rota_id).subquery())
    # members of rotas with shifts in the period, with the rota's shifts and size
    promised = (select(Rota.id, Rota.name.label("rota"), User.id.label("user_id"), User.name, Organization.country,
                       shifts.c.shifts, members.c.members)
                .join(shifts, shifts.c.rota_id == Rota.id)
                .join(members, members.c.rota_id == Rota.id)
                .join(RotaMember, RotaMember.rota_id == Rota.id)
                .join(User, User.id == RotaMember.user_id)
                .join(Organization, Organization.id == User.organization_id)
                .where(*rota_filter, *person_filter))
    held = (select(Rota.id, Rota.name.label("rota"), User.id.label("user_id"), User.name, Organization.country,
                   func.count().label("held"),
                   func.sum(elapsed_days(OnCallShift.ends_at, OnCallShift.starts_at)).label("days"))
            .join(Rota, Rota.id == OnCallShift.rota_id)
            .join(User, User.id == OnCallShift.user_id)
            .join(Organization, Organization.id == User.organization_id)
            .where(*in_period, *rota_filter, *person_filter)
            .group_by(Rota.id, Rota.name, User.id, User.name, Organization.country))
    people: dict[tuple[int, int], dict] = {}

    def entry_for(row):
        return people.setdefault((row.id, row.user_id), {
            "rota_id": row.id, "rota": row.rota, "user_id": row.user_id, "name": row.name, "country": row.country,
            "member": False, "fair_shifts": 0.0, "shifts_held": 0, "hours_held": 0.0})

    for row in session.execute(promised):
        entry = entry_for(row)
        entry["member"] = True
        entry["fair_shifts"] = round(row.shifts / row.members, DAYS_DECIMALS)
    for row in session.execute(held):
        entry = entry_for(row)
        entry["shifts_held"] = int(row.held)
        entry["hours_held"] = round(float(row.days or 0) * 24, 1)
    for entry in people.values():
        entry["shifts_over_fair"] = round(entry["shifts_held"] - entry["fair_shifts"], DAYS_DECIMALS)
    return sorted(people.values(), key=lambda e: (e["rota"].lower(), e["rota_id"], e["name"].lower(), e["user_id"]))


# --- what became of the recommendations ----------------------------------------------------------

FOLLOW_UP_COLUMNS = ("outcomes_signed", "carried_out", "changed", "not_carried_out", "not_recorded",
                     "median_days_to_follow_up")


def follow_ups(session: Session, scope: ReportScope) -> dict:
    """Of the cases in scope with a signed outcome: how many were carried out, changed, not carried
    out (the follow-up record of their latest signed version), or have no record yet; and the median
    whole days from signing to the day it happened."""
    network = case_figures(session, scope)["network"]
    return _follow_ups(network["_row"] if network else None)


def quality_report(session: Session, scope: ReportScope) -> dict:
    """Every figure of the report for one scope."""
    specialists = specialist_load(session, scope)
    cases = case_figures(session, scope)
    network_row = cases["network"]["_row"] if cases["network"] else None
    return {
        "network": _wait_figures(cases["network"]) if cases["network"] else None,
        "sites": [_wait_figures(entry) for entry in cases["site"]],
        "countries": [_wait_figures(entry) for entry in cases["country"]],
        "shares": _shares(network_row),
        "follow_ups": _follow_ups(network_row),
        "boards": quorum_by_board(session, scope),
        "specialists": specialists,
        "specialist_countries": load_by_country(specialists),
        "on_call": on_call_fairness(session, scope),
    }
