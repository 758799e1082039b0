"""Time-zone matching engine for MDT meetings (plain Python; never imports Flask).

Find meeting slots where every required discipline can be seated by distinct specialists
and every named attendee is present, all inside each person's local working hours.
See docs/scheduling.md for the model and the JSON contract.

Public API (stable):
    parse_request(obj) -> MatchRequest          raises RequestError(field, message)
    find_slots(request) -> list[Slot]           earliest `limit` feasible slots
    iter_feasible_slots(request) -> Iterator[Slot]
    response_to_json(slots) -> dict
    working_intervals(spec, start, end) / available_intervals(spec, start, end)
    rank_slots(...), rank_request(...)          see app.scheduling.ranking
"""

from .availability import available_intervals, working_intervals
from .contract import format_utc, parse_request, response_to_json
from .engine import find_slots, iter_feasible_slots
from .models import (
    WEEKDAY_KEYS,
    MatchRequest,
    RequestError,
    Requirement,
    Slot,
    SpecialistSpec,
    WallClockRange,
)
from .ranking import RankedSlot, rank_request, rank_slots

__all__ = [
    "WEEKDAY_KEYS",
    "MatchRequest",
    "RankedSlot",
    "RequestError",
    "Requirement",
    "Slot",
    "SpecialistSpec",
    "WallClockRange",
    "available_intervals",
    "find_slots",
    "format_utc",
    "iter_feasible_slots",
    "parse_request",
    "rank_request",
    "rank_slots",
    "response_to_json",
    "working_intervals",
]
