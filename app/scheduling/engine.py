"""Slot search: which grid slots have every attendee present and every seat fillable.

How it stays fast (linear in specialists x days, plus slots):

1. Each relevant specialist's rules are expanded once into UTC intervals (see
   `availability.py`), and each interval becomes the contiguous range of slot indices
   that fit wholly inside it.
2. A sweep over slot indices opens and closes those ranges, keeping per-discipline head
   counts. Only where the counts could suffice is a seat assignment attempted.
3. The assignment is a function of who is present, so between arrivals and departures
   the previous slot's answer is reused, and often across them too: an infeasible slot
   stays infeasible when people only leave, and a greedily found answer survives people
   leaving whom it did not seat or arriving who rank after its picks. Every reused answer
   is exactly what solving that slot alone would give (a property test checks this).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Iterator, Mapping, Sequence

from .availability import available_seconds
from .matching import solve_seats
from .models import MatchRequest, Slot
from .zones import EPOCH, to_epoch_seconds

Events = dict[int, list[int]]  # slot index -> specialist indices


@dataclass(frozen=True, slots=True)
class SlotGrid:
    """Slot k covers UTC seconds ``[first_start + k*step, first_start + k*step + duration)``."""

    first_start: int
    step: int
    duration: int
    count: int

    @classmethod
    def for_request(cls, request: MatchRequest) -> "SlotGrid":
        first_start = to_epoch_seconds(request.window_start)
        window_end = to_epoch_seconds(request.window_end)
        step = request.step_minutes * 60
        duration = request.duration_minutes * 60
        span = window_end - first_start - duration
        return cls(first_start, step, duration, span // step + 1 if span >= 0 else 0)


@dataclass(slots=True)
class _Roles:
    """Who matters for a request, as indices into `request.specialists`."""

    discipline_names: list[str]
    seats: list[int]  # discipline index of every seat, in requirement order
    seats_needed: list[int]  # seats per discipline index
    attendees: list[int]
    seat_groups_of: dict[int, tuple[int, ...]]  # seat-eligible person -> discipline indices
    candidates: list[list[int]]  # per discipline, in preference order
    rank: list[dict[int, int]]  # per discipline: person -> position in `candidates`


def candidate_order(
    request: MatchRequest, recent_bookings: Mapping[str, int] | None = None
) -> list[list[int]]:
    """Seat candidates per requirement, as specialist indices in preference order.

    Preferred ids come first in the order given, then everyone else eligible by fewest
    `recent_bookings` and then by id. Attendees never fill seats.
    """
    attendee_ids = set(request.attendees)
    bookings = recent_bookings or {}
    index_of = {spec.id: index for index, spec in enumerate(request.specialists)}
    orders = []
    for requirement in request.requirements:
        eligible = [
            index
            for index, spec in enumerate(request.specialists)
            if requirement.discipline in spec.disciplines and spec.id not in attendee_ids
        ]
        eligible_set = set(eligible)
        preferred: list[int] = []
        for preferred_id in requirement.preferred:
            index = index_of.get(preferred_id)
            if index in eligible_set and index not in preferred:
                preferred.append(index)
        chosen = set(preferred)
        rest = sorted(
            (index for index in eligible if index not in chosen),
            key=lambda index: (bookings.get(request.specialists[index].id, 0), request.specialists[index].id),
        )
        orders.append(preferred + rest)
    return orders


def _plan_roles(request: MatchRequest, recent_bookings: Mapping[str, int] | None) -> _Roles:
    index_of = {spec.id: index for index, spec in enumerate(request.specialists)}
    candidates = candidate_order(request, recent_bookings)
    seat_groups_of: dict[int, list[int]] = {}
    for group, people in enumerate(candidates):
        for person in people:
            seat_groups_of.setdefault(person, []).append(group)
    seats = [group for group, req in enumerate(request.requirements) for _ in range(req.count)]
    return _Roles(
        discipline_names=[req.discipline for req in request.requirements],
        seats=seats,
        seats_needed=[req.count for req in request.requirements],
        attendees=[index_of[attendee] for attendee in request.attendees],
        seat_groups_of={person: tuple(groups) for person, groups in seat_groups_of.items()},
        candidates=candidates,
        rank=[{person: position for position, person in enumerate(people)} for people in candidates],
    )


def _presence_events(request: MatchRequest, grid: SlotGrid, people: Sequence[int],
                     known: Mapping[str, Sequence[Sequence[int]]] | None = None) -> tuple[Events, Events]:
    """Who becomes available (`arrivals`) and who stops (`departures`), by slot index.

    `known` may give a person's available UTC-second intervals already computed over a span that
    covers the window (the caller checked them), so they are not expanded a second time."""
    arrivals: Events = defaultdict(list)
    departures: Events = defaultdict(list)
    first, step, duration, count = grid.first_start, grid.step, grid.duration, grid.count
    window_start, window_end = first, first + (count - 1) * step + duration  # all the slots span
    known = known or {}
    for person in people:
        spec = request.specialists[person]
        intervals = known.get(spec.id)
        if intervals is None:
            intervals = available_seconds(spec, window_start, window_end)
        for start, end in intervals:
            # Slots k in [low, high) lie wholly inside [start, end): the first whose start
            # is >= start (a ceiling division) up to the last that ends by `end`.
            low = -((first - start) // step)
            high = (end - duration - first) // step + 1
            if low < 0:
                low = 0
            if high > count:
                high = count
            if low < high:
                arrivals[low].append(person)
                departures[high].append(person)
    return arrivals, departures


def iter_feasible_slots(
    request: MatchRequest, *, recent_bookings: Mapping[str, int] | None = None,
    available: Mapping[str, Sequence[Sequence[int]]] | None = None,
) -> Iterator[Slot]:
    """Every feasible slot of the request in start order, ignoring `request.limit`.

    Each slot carries one valid assignment: seats are filled in requirement order, each
    by the first free candidate in preference order (`Requirement.preferred`, then fewest
    `recent_bookings`, then id), with augmenting paths when that is not enough.
    `available` optionally maps specialist ids to their available UTC-second intervals
    (`availability.available_seconds`) over a span covering the window, already computed.
    """
    grid = SlotGrid.for_request(request)
    if grid.count == 0:
        return
    roles = _plan_roles(request, recent_bookings)
    people = sorted(set(roles.attendees) | set(roles.seat_groups_of))
    arrivals, departures = _presence_events(request, grid, people, available)
    yield from _sweep(request, grid, roles, arrivals, departures)


@dataclass(slots=True)
class _Solution:
    """The current slot's answer and what is needed to tell whether it can be kept.

    A greedy answer (every seat took the first free candidate in preference order) stays
    the answer when people it did not seat leave, and when people arrive who rank after
    every pick of each discipline they hold: each seat's pick is still the first free one.
    """

    assignment: dict[str, list[str]]
    seated: frozenset[int]
    greedy: bool
    last_pick_rank: list[int]  # per discipline: the worst rank among its picks

    def survives(
        self, leaving: Sequence[int], arriving: Sequence[int], roles: _Roles, is_attendee: bytearray
    ) -> bool:
        if not self.greedy:
            return False
        seated = self.seated
        if any(is_attendee[person] or person in seated for person in leaving):
            return False
        last_pick_rank = self.last_pick_rank
        for person in arriving:
            for group in roles.seat_groups_of.get(person, ()):
                if roles.rank[group][person] < last_pick_rank[group]:
                    return False
        return True


def _sweep(
    request: MatchRequest, grid: SlotGrid, roles: _Roles, arrivals: Events, departures: Events
) -> Iterator[Slot]:
    ids = [spec.id for spec in request.specialists]
    present = bytearray(len(ids))
    is_attendee = bytearray(len(ids))
    for person in roles.attendees:
        is_attendee[person] = 1
    groups_of: list[tuple[int, ...]] = [()] * len(ids)
    for person, groups in roles.seat_groups_of.items():
        groups_of[person] = groups
    head_count = [0] * len(roles.seats_needed)
    needed = list(enumerate(roles.seats_needed))
    attendees_needed, total_seats = len(roles.attendees), len(roles.seats)
    attendees_present = seat_pool = 0

    def solve() -> _Solution | None:
        # Head counts are necessary conditions; only when they hold is matching tried.
        if attendees_present < attendees_needed or seat_pool < total_seats:
            return None
        if any(head_count[group] < need for group, need in needed):
            return None
        return _solve(roles, present, ids)

    def update(people: list[int], delta: int) -> None:
        nonlocal attendees_present, seat_pool
        for person in people:
            present[person] = delta > 0
            if is_attendee[person]:
                attendees_present += delta
            else:
                seat_pool += delta
                for group in groups_of[person]:
                    head_count[group] += delta

    # Nobody is present before the first arrival; only an empty meeting fits then.
    solution = solve()
    first_start = EPOCH + timedelta(seconds=grid.first_start)
    step, duration = timedelta(seconds=grid.step), timedelta(seconds=grid.duration)
    changes = sorted(set(arrivals) | set(departures) | {0})
    # Presence is constant from one change to the next, and so is the answer.
    for change, next_change in zip(changes, changes[1:] + [grid.count]):
        if change >= grid.count:
            break
        leaving, arriving = departures.get(change, ()), arrivals.get(change, ())
        update(leaving, -1)
        update(arriving, 1)
        if solution is None:
            if arriving:  # with departures alone an infeasible slot stays infeasible
                solution = solve()
        elif not solution.survives(leaving, arriving, roles, is_attendee):
            solution = solve()
        if solution is not None:
            for index in range(change, next_change):
                start = first_start + step * index
                assignment = {name: list(seated) for name, seated in solution.assignment.items()}
                yield Slot(start, start + duration, assignment)


def _solve(roles: _Roles, present: bytearray, ids: list[str]) -> _Solution | None:
    seat_people, greedy = solve_seats(roles.seats, roles.candidates, present)
    if seat_people is None:
        return None
    by_discipline: dict[str, list[str]] = {name: [] for name in roles.discipline_names}
    for group, person in zip(roles.seats, seat_people):
        by_discipline[roles.discipline_names[group]].append(ids[person])
    assignment = {name: sorted(people) for name, people in by_discipline.items()}
    last_pick_rank = [-1] * len(roles.discipline_names)
    for group, person in zip(roles.seats, seat_people):
        last_pick_rank[group] = max(last_pick_rank[group], roles.rank[group][person])
    return _Solution(assignment, frozenset(seat_people), greedy, last_pick_rank)


def find_slots(request: MatchRequest, *, recent_bookings: Mapping[str, int] | None = None) -> list[Slot]:
    """The earliest `request.limit` feasible slots in start order, each with a valid
    assignment (see `iter_feasible_slots`)."""
    return list(islice(iter_feasible_slots(request, recent_bookings=recent_bookings), request.limit))
