"""Filling seats with distinct people: bipartite matching with augmenting paths (Kuhn).

Greedy filling is wrong when someone holds two disciplines: taking them for the first seat
can leave the second seat empty although swapping would fill both. Augmenting paths undo
such choices, so a full assignment is found whenever one exists.
"""

from __future__ import annotations

from typing import Sequence


def assign_seats(
    seat_groups: Sequence[int],
    candidates_by_group: Sequence[Sequence[int]],
    available: Sequence[int],
) -> list[int] | None:
    """Give every seat a distinct available candidate, or return None if impossible.

    `seat_groups[s]` is the group (discipline index) of seat s; `candidates_by_group[g]`
    lists people for group g in preference order; `available[p]` is truthy when person p
    may sit now. Returns the person of each seat. Seats are filled in order, each by the
    first free candidate in preference order when there is one, so results are
    deterministic and favour preferred people.
    """
    return solve_seats(seat_groups, candidates_by_group, available)[0]


def solve_seats(
    seat_groups: Sequence[int],
    candidates_by_group: Sequence[Sequence[int]],
    available: Sequence[int],
) -> tuple[list[int] | None, bool]:
    """`assign_seats`, also telling whether every seat was filled greedily.

    A greedy answer cannot change when someone it did not seat becomes unavailable (each
    seat's pick stays the first free candidate), which lets a sweep skip re-solving.
    """
    seat_person = [-1] * len(seat_groups)
    person_seat: dict[int, int] = {}
    greedy = True

    def augment(seat: int, visited: set[int]) -> bool:
        for person in candidates_by_group[seat_groups[seat]]:
            if not available[person] or person in visited:
                continue
            visited.add(person)
            holder = person_seat.get(person)
            if holder is None or augment(holder, visited):
                person_seat[person] = seat
                seat_person[seat] = person
                return True
        return False

    for seat, group in enumerate(seat_groups):
        for person in candidates_by_group[group]:
            if available[person] and person not in person_seat:
                person_seat[person] = seat
                seat_person[seat] = person
                break
        else:
            greedy = False
            # Kuhn: if no augmenting path starts here now, none ever will, so the seats
            # cannot all be filled.
            if not augment(seat, set()):
                return None, False
    return seat_person, greedy
