"""Ordering feasible slots by kindness and load, never changing which slots are feasible.

Kindness: for each participant (attendees and seat holders), how close the slot sits to
the middle of the working stretch that contains it: 1.0 dead centre, 0.0 flush against
its start or end. A slot's kindness is the mean over participants. The stretch is the
merged working interval (busy ignored), measured in real elapsed time, so a stretch that
runs over a DST change is judged by the hours actually worked.

Load: the mean of `recent_bookings` over the seat holders. With `rebalance` the seats of
each slot are first re-filled preferring the least-booked available specialists (a valid
assignment for the same slot; preferred ids still come first).

Score = kindness_weight * kindness - load_weight * load / (1 + highest booking count);
slots are returned best first, ties broken by start time.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .availability import SecondsInterval, available_seconds, working_seconds
from .engine import iter_feasible_slots
from .matching import assign_seats
from .models import MatchRequest, Slot, SpecialistSpec
from .zones import to_epoch_seconds


@dataclass(frozen=True, slots=True)
class RankedSlot:
    """A slot with its scores; `slot.assignment` may be a rebalanced valid one."""

    slot: Slot
    kindness: float
    load: float
    score: float


def centrality(start: int, end: int, stretches: Sequence[SecondsInterval]) -> float:
    """1.0 when ``[start, end)`` is centred in the stretch containing it, falling to 0.0
    at the stretch's edges (and 0.0 when no stretch contains it)."""
    position = bisect_right(stretches, [start, float("inf")]) - 1
    if position < 0 or stretches[position][1] < end:
        return 0.0
    stretch_start, stretch_end = stretches[position]
    slack_before, slack_after = start - stretch_start, stretch_end - end
    room = slack_before + slack_after
    return 1.0 if room == 0 else 1.0 - abs(slack_before - slack_after) / room


def _covers(intervals: Sequence[SecondsInterval], start: int, end: int) -> bool:
    position = bisect_right(intervals, [start, float("inf")]) - 1
    return position >= 0 and intervals[position][1] >= end


class _Calendars:
    """Working and available intervals per specialist over the slots' span, computed once."""

    def __init__(self, specialists: Sequence[SpecialistSpec], start: int, end: int) -> None:
        self._by_id = {spec.id: spec for spec in specialists}
        self._span = (start, end)
        self._working: dict[str, list[SecondsInterval]] = {}
        self._available: dict[str, list[SecondsInterval]] = {}

    def working(self, person: str) -> list[SecondsInterval]:
        if person not in self._working:
            self._working[person] = working_seconds(self._by_id[person], *self._span)
        return self._working[person]

    def available(self, person: str) -> list[SecondsInterval]:
        if person not in self._available:
            self._available[person] = available_seconds(self._by_id[person], *self._span)
        return self._available[person]


def _candidate_order(
    discipline: str,
    specialists: Sequence[SpecialistSpec],
    bookings: Mapping[str, int],
    attendees: set[str],
    preferred: Mapping[str, Sequence[str]],
) -> list[int]:
    """Indices of the specialists who may sit for `discipline`: preferred first, then by
    fewest bookings, then by id."""
    first = {person: rank for rank, person in enumerate(preferred.get(discipline, ()))}
    holders = [
        index
        for index, spec in enumerate(specialists)
        if discipline in spec.disciplines and spec.id not in attendees
    ]
    ids = [spec.id for spec in specialists]
    holders.sort(key=lambda index: (first.get(ids[index], len(first)), bookings.get(ids[index], 0), ids[index]))
    return holders


class _PresentOnDemand:
    """`available[person]` for `assign_seats`, computed only for the people it actually asks about
    (a greedy fill asks about a few, not every holder of the discipline)."""

    def __init__(self, specialists: Sequence[SpecialistSpec], calendars: _Calendars, start: int, end: int) -> None:
        self._specialists, self._calendars, self._span = specialists, calendars, (start, end)
        self._known: dict[int, bool] = {}

    def __getitem__(self, index: int) -> bool:
        if index not in self._known:
            self._known[index] = _covers(self._calendars.available(self._specialists[index].id), *self._span)
        return self._known[index]


def _rebalanced(
    slot: Slot,
    specialists: Sequence[SpecialistSpec],
    calendars: _Calendars,
    orders: Mapping[str, list[int]],
) -> Slot:
    """The same slot, seats re-filled in `orders` (original kept if no valid alternative is
    found, e.g. for a slot not built from these specialists)."""
    start, end = to_epoch_seconds(slot.start), to_epoch_seconds(slot.end)
    disciplines = list(slot.assignment)
    candidates = [orders[discipline] for discipline in disciplines]
    present = _PresentOnDemand(specialists, calendars, start, end)
    seats = [group for group, discipline in enumerate(disciplines) for _ in slot.assignment[discipline]]
    seat_people = assign_seats(seats, candidates, present)
    if seat_people is None:
        return slot
    assignment: dict[str, list[str]] = {discipline: [] for discipline in disciplines}
    for group, person in zip(seats, seat_people):
        assignment[disciplines[group]].append(specialists[person].id)
    return Slot(slot.start, slot.end, {name: sorted(people) for name, people in assignment.items()})


def rank_slots(
    slots: Iterable[Slot],
    specialists: Sequence[SpecialistSpec],
    recent_bookings: Mapping[str, int] | None = None,
    *,
    attendees: Sequence[str] = (),
    preferred: Mapping[str, Sequence[str]] | None = None,
    rebalance: bool = True,
    kindness_weight: float = 1.0,
    load_weight: float = 1.0,
) -> list[RankedSlot]:
    """Feasible `slots` best first (see the module docstring for the score).

    `specialists` must be the request's specialists and `attendees` its attendees (they
    count for kindness and never fill seats); `preferred` maps a discipline to ids tried
    first when rebalancing. The set of slots is unchanged; only order and, with
    `rebalance`, assignments (always valid) may differ.
    """
    slots = list(slots)
    if not slots:
        return []
    bookings = dict(recent_bookings or {})
    calendars = _Calendars(
        specialists,
        min(to_epoch_seconds(slot.start) for slot in slots),
        max(to_epoch_seconds(slot.end) for slot in slots),
    )
    attendee_set = set(attendees)
    busiest = max(bookings.values(), default=0)
    ranked = []
    orders: dict[str, list[int]] = {}
    for slot in slots:
        if rebalance:
            for discipline in slot.assignment:
                if discipline not in orders:
                    orders[discipline] = _candidate_order(
                        discipline, specialists, bookings, attendee_set, preferred or {}
                    )
            slot = _rebalanced(slot, specialists, calendars, orders)
        start, end = to_epoch_seconds(slot.start), to_epoch_seconds(slot.end)
        holders = slot.seat_holders
        participants = list(attendees) + holders
        kindness = 1.0
        if participants:
            scores = [centrality(start, end, calendars.working(person)) for person in participants]
            kindness = sum(scores) / len(scores)
        load = sum(bookings.get(person, 0) for person in holders) / len(holders) if holders else 0.0
        score = kindness_weight * kindness - load_weight * load / (1 + busiest)
        ranked.append(RankedSlot(slot, kindness, load, score))
    ranked.sort(key=lambda item: (-item.score, item.slot.start))
    return ranked


def rank_request(
    request: MatchRequest,
    recent_bookings: Mapping[str, int] | None = None,
    *,
    limit: int | None = None,
    kindness_weight: float = 1.0,
    load_weight: float = 1.0,
) -> list[RankedSlot]:
    """All feasible slots of `request` (assignments already favouring the least booked),
    ranked, and cut to `limit` (default `request.limit`)."""
    slots = iter_feasible_slots(request, recent_bookings=recent_bookings)
    ranked = rank_slots(
        slots,
        request.specialists,
        recent_bookings,
        attendees=request.attendees,
        rebalance=False,
        kindness_weight=kindness_weight,
        load_weight=load_weight,
    )
    return ranked[: request.limit if limit is None else limit]
