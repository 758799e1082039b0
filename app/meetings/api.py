"""API: search for a meeting time."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.extensions import db
from app.meetings.search import SearchCriteria, SeatRequirement, search_meeting_times
from app.timekeeping import now_utc


class SeatIn(RequestBody):
    discipline: str = Field(description="A discipline code, e.g. radiology")
    count: int = Field(default=1, ge=1, le=10)


class SearchIn(RequestBody):
    requirements: list[SeatIn] = Field(min_length=1, max_length=12)
    duration_minutes: int = Field(ge=15, le=480)
    window_start: Instant
    window_end: Instant
    step_minutes: int = Field(default=15, ge=5, le=60)
    limit: int = Field(default=10, ge=1, le=50)
    attendees: list[int] = Field(default=[], max_length=10,
                                 description="User ids who must attend, e.g. the referring clinician")
    licensed_in: str | None = Field(default=None, pattern="^[A-Z]{2}$",
                                    description="Only specialists with a valid licence in this country")
    language: str | None = Field(default=None, pattern="^[a-z]{2}$",
                                 description="Only specialists who speak this ISO 639-1 language")
    urgent: bool = Field(default=False, description="Only specialists who take urgent requests")


class ParticipantOut(ResponseBody):
    user_id: int
    name: str
    role: str
    discipline: str | None
    timezone: str
    local_start: str
    local_end: str
    local_weekday: str
    within_working_hours: bool
    on_call: bool


class SlotOut(ResponseBody):
    start: OutputInstant
    end: OutputInstant
    score: float
    assignment: dict[str, list[int]]
    participants: list[ParticipantOut]


class WindowOut(ResponseBody):
    start: OutputInstant
    end: OutputInstant


class ExplanationOut(ResponseBody):
    requirements: list[dict[str, Any]]
    attendees: list[dict[str, Any]]
    earliest_after_window: WindowOut | None


class SearchOut(ResponseBody):
    slots: list[SlotOut]
    explanation: ExplanationOut


@api.post("/scheduling/search")
@endpoint(summary="Find meeting times with every required discipline inside everyone's working hours",
          roles={"coordinator", "admin"}, body=SearchIn, response=SearchOut, tags=("scheduling",))
def search(body: SearchIn):
    criteria = SearchCriteria(
        requirements=tuple(SeatRequirement(r.discipline, r.count) for r in body.requirements),
        duration_minutes=body.duration_minutes, window_start=body.window_start, window_end=body.window_end,
        at=now_utc(), step_minutes=body.step_minutes, limit=body.limit,
        attendee_ids=tuple(body.attendees), licensed_in=body.licensed_in, language=body.language,
        urgent=body.urgent,
    )
    result = search_meeting_times(db.session, criteria)
    return {"slots": result.slots, "explanation": {
        "requirements": result.requirements, "attendees": result.attendees,
        "earliest_after_window": result.earliest_after_window,
    }}
