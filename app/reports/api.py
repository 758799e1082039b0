"""API: the quality and equity report as JSON (the same figures as the Reports pages and their CSV)."""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import Instant, OutputInstant, ResponseBody
from app.boards import operations as boards
from app.errors import InvalidInput
from app.vocabulary import N_
from app.extensions import db
from app.reports import figures
from app.timekeeping import now_utc

DEFAULT_PERIOD = timedelta(days=90)
LONGEST_PERIOD = timedelta(days=731)


class QualityReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: Instant | None = Field(default=None, alias="from",
                                  description="Cases submitted from this instant (default: 90 days before `to`)")
    to: Instant | None = Field(default=None, description="... and before this one (default: now)")
    board_id: int | None = None
    site_id: int | None = Field(default=None, description="The referring site (organisation)")
    country: str | None = Field(default=None, min_length=2, max_length=2,
                                description="ISO 3166 code of the referring site (of the specialist, for load)")
    urgency: Literal[figures.URGENCIES] | None = None
    specialists_limit: int = Field(default=50, ge=1, le=200,
                                   description="How many specialists per page of `specialists` (most meetings first)")
    specialists_cursor: int | None = Field(default=None, ge=0, le=1_000_000,
                                           description="`specialists_next` of the previous page")
    on_call_limit: int = Field(default=50, ge=1, le=200, description="How many rows per page of `on_call`")
    on_call_cursor: int | None = Field(default=None, ge=0, le=1_000_000,
                                       description="`on_call_next` of the previous page")


class WaitFigures(ResponseBody):
    cases_submitted: int
    cases_discussed: int
    cases_waiting: int = Field(description="Not discussed by the end of the period (or now), not closed otherwise")
    longest_wait_days: float | None = Field(description="How long the longest-waiting of them has waited so far")
    median_days_to_discussion: float | None
    p90_days_to_discussion: float | None
    median_days_to_outcome: float | None = Field(description="Submission to first signed outcome")
    p90_days_to_outcome: float | None
    urgent_discussed: int
    urgent_on_target: int = Field(description="Urgent cases discussed before their target instant")
    urgent_on_target_share: float | None


class SiteFigures(WaitFigures):
    site_id: int
    site: str
    country: str


class CountryFigures(WaitFigures):
    country: str


class CaseShares(ResponseBody):
    cases_submitted: int
    discussed: int
    standard_of_care: int = Field(description="Listed, not discussed: an agreed standard of care applies")
    returned: int = Field(description="Returned to the referrer for missing information at least once")
    withdrawn: int
    deferred: int = Field(description="Removed from a meeting's agenda at least once")
    deferred_missing_data: int = Field(description="... of which at least once for missing data "
                                                   "(`removal_reason` missing_data)")
    waiting: int
    rolled_over: int = Field(description="Cases rolled over to a later meeting at least once")
    roll_overs: int = Field(description="Roll-overs in all")
    most_roll_overs: int
    shares: dict[str, float | None] = Field(description="Each count divided by cases_submitted")


class DisciplineQuorumFigures(ResponseBody):
    discipline: str
    met: int
    recorded: int
    met_share: float | None


class BoardFigures(ResponseBody):
    board_id: int
    board: str
    meetings_held: int
    quorum_recorded: int = Field(description="Meetings whose presence was recorded when they opened")
    quorum_met: int
    quorum_met_share: float | None
    disciplines: list[DisciplineQuorumFigures]
    seats_accepted: int = Field(description="Accepted seats (and chairs) at the meetings held: the seats invited "
                                            "specialists said they would take")
    seats_attended: int = Field(description="... of which the specialist was recorded present (the same attendance "
                                            "as each specialist's `meetings_attended`)")
    attendance_share: float | None = Field(description="seats_attended / seats_accepted; null without seats")


class SpecialistFigures(ResponseBody):
    user_id: int
    name: str
    country: str
    zone: str
    meetings: int = Field(description="Meetings they held an accepted seat at (not cancelled)")
    unsocial_meetings: int = Field(description="... of which any part fell outside 08:00-18:00 in their zone")
    unsocial_share: float | None
    fair_unsocial_meetings: float = Field(description="Their meetings times the network's unsocial share: what "
                                                      "an even spread of unsocial meetings would give (the rota "
                                                      "generator's own promise is in `on_call`)")
    meetings_attended: int


class OnCallFigures(ResponseBody):
    rota_id: int
    rota: str
    user_id: int
    name: str
    country: str
    member: bool = Field(description="A member of the rota now (false: held shifts by covering only)")
    fair_shifts: float = Field(description="The rota generator's fair share of the shifts in force that began in "
                                           "the period: the rota's shifts divided by its members")
    shifts_held: int = Field(description="Shifts in force (scheduled, published) they held, after approved cover "
                                         "swaps")
    shifts_over_fair: float = Field(description="shifts_held - fair_shifts: above zero, more than promised")
    hours_held: float = Field(description="The hours of those shifts")


class CountryLoadFigures(ResponseBody):
    country: str
    specialists: int
    meetings: int
    unsocial_meetings: int
    unsocial_share: float | None


class FollowUpFigures(ResponseBody):
    outcomes_signed: int
    carried_out: int
    changed: int
    not_carried_out: int
    not_recorded: int
    median_days_to_follow_up: float | None
    shares: dict[str, float | None]


class QualityReportOut(ResponseBody):
    since: OutputInstant = Field(description="The period's start (`from`)")
    until: OutputInstant = Field(description="The period's end (`to`)")
    as_of: OutputInstant = Field(description="What the figures know: the end of the period, or now if sooner")
    board_id: int | None
    site_id: int | None
    country: str | None
    urgency: str | None
    network: WaitFigures | None = Field(description="Null when no case was submitted in the period")
    sites: list[SiteFigures]
    countries: list[CountryFigures]
    cases: CaseShares
    boards: list[BoardFigures]
    specialists: list[SpecialistFigures] = Field(description="One page, most meetings first (`specialists_limit`)")
    specialists_total: int = Field(description="How many specialists held a seat in the period")
    specialists_next: int | None = Field(description="`specialists_cursor` for the next page; null on the last")
    specialist_countries: list[CountryLoadFigures] = Field(description="Everyone's load, summed per country")
    on_call: list[OnCallFigures] = Field(description="One page (`on_call_limit`), per rota and person: the on-call "
                                                     "shifts the rota generator's fairness promised against those held")
    on_call_total: int = Field(description="How many rota members (and coverers) held or were owed a shift")
    on_call_next: int | None = Field(description="`on_call_cursor` for the next page; null on the last")
    follow_ups: FollowUpFigures


def scope_from(query: QualityReportQuery) -> figures.ReportScope:
    at = now_utc()
    until = query.to or at
    since = query.from_ or until - DEFAULT_PERIOD
    if until - since > LONGEST_PERIOD:
        raise InvalidInput("from", N_("the period may be at most %(days)s days long"),
                           params={"days": LONGEST_PERIOD.days})
    if query.board_id is not None:
        boards.get_board(db.session, query.board_id)
    return figures.ReportScope(since=since, until=until, at=at, board_id=query.board_id, site_id=query.site_id,
                               country=query.country.upper() if query.country else None, urgency=query.urgency)


@api.get("/reports/quality")
@endpoint(summary="MDT quality and equity: waits by site and country, how cases fared, quorum and attendance, load, "
                  "on-call fairness, follow-up",
          roles={"coordinator", "admin"}, query=QualityReportQuery, response=QualityReportOut, tags=("reports",))
def quality_report(query: QualityReportQuery):
    scope = scope_from(query)
    report = figures.quality_report(db.session, scope)
    specialists, specialists_total, specialists_next = _page(report.pop("specialists"), query.specialists_cursor,
                                                             query.specialists_limit)
    on_call, on_call_total, on_call_next = _page(report.pop("on_call"), query.on_call_cursor, query.on_call_limit)
    return {"since": scope.since, "until": scope.until, "as_of": scope.as_of, "board_id": scope.board_id,
            "site_id": scope.site_id, "country": scope.country, "urgency": scope.urgency,
            "cases": report.pop("shares"), "specialists": specialists, "specialists_total": specialists_total,
            "specialists_next": specialists_next, "on_call": on_call, "on_call_total": on_call_total,
            "on_call_next": on_call_next, **report}


def _page(rows: list, cursor: int | None, limit: int) -> tuple[list, int, int | None]:
    """One page of a report's per-person rows (computed whole, in SQL): the rows, their total, the next cursor."""
    start = cursor or 0
    end = start + limit
    return rows[start:end], len(rows), end if end < len(rows) else None
