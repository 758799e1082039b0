"""Fair on-call generation: who takes each period. Plain Python: no database, no clock, no zones.

The caller describes each period as a `Slot` (who cannot take it and why, for whom its handoff
falls at an unsocial hour, and whether it is pinned to someone) and gets back a `Plan`.

The rules, in order of priority (docs/rotas.md says the same in plain words):

1. Eligibility. A period goes only to a member eligible for it; a pinned period goes to its pin.
   A period nobody is eligible for is left uncovered and reported with each member's reason.
2. Cap: no back-to-back periods. The period after one a member holds goes to someone else
   whenever anyone else is eligible, and a member is not given the period just before one only
   they can take while anyone else could have it. So a member holds two periods in a row only
   when nobody else is eligible for the second, and everyone else eligible for the first held
   the period before it (`cap_breaches` checks exactly this).
3. Fairness. Each period adds 1/k to the *fair share* of each of its k eligible members; the
   period goes to the candidate furthest below their fair share (count minus share, exact
   fractions). Members eligible for exactly the same periods have equal shares throughout, so
   this hands their periods out in turn: their counts never differ by more than one.
4. Unsocial handoffs. The plan is built once per possible starting member (rule 5's rota-order
   tie-break rotated); then pairs of periods are swapped between two members while a swap
   lowers the sum of squared unsocial counts and keeps rules 1 and 2. A swap keeps every count,
   so rule 3 still holds. The plan with the lowest sum of squares wins (rota order on ties).
5. Rotation: among equally entitled candidates, the member who served least recently (counting
   shifts before the horizon, `recent`), then rota order.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

Member = Hashable


@dataclass(frozen=True)
class Slot:
    """One period as the algorithm sees it."""

    ineligible: Mapping[Member, str] = field(default_factory=dict)  # member -> why not
    unsocial: frozenset = frozenset()  # members for whom this period's handoff is unsocial
    pinned: Member | None = None  # kept by this member whatever else holds (an approved cover)

    def eligible(self, members: Sequence[Member]) -> list[Member]:
        if self.pinned is not None:
            return [self.pinned]
        return [member for member in members if member not in self.ineligible]


@dataclass(frozen=True)
class Uncovered:
    index: int
    reasons: dict  # member -> reason, in rota order


@dataclass
class Plan:
    members: tuple
    assignees: list  # a member or None (uncovered) per slot
    uncovered: list[Uncovered]
    counts: dict  # member -> periods held
    unsocial_counts: dict  # member -> periods whose handoff was unsocial for them
    shares: dict  # member -> fair share (Fraction)
    swaps: int = 0


def plan(members: Sequence[Member], slots: Sequence[Slot], *, before: Member | None = None,
         after: Member | None = None, recent: Sequence[Member] = ()) -> Plan:
    """Assign every slot. `before` holds the period just before the first slot and `after` the
    one just after the last (both kept as they are): the first is never given to `before` when
    anyone else is eligible; the last goes to `after` only when fairness leaves no other choice.
    `recent` lists members who served before the horizon, most recent last, so the rotation
    carries on from an earlier run instead of starting again at the top of the rota.

    The rotation is tried from each member in turn (rule 5's tie-break only); the plan with the
    lowest sum of squared unsocial counts wins, rota order first on ties. Every candidate obeys
    rules 1-3, so the choice only ever evens out unsocial handoffs.
    """
    members = tuple(dict.fromkeys(members))
    best = None
    for rotation in range(max(1, len(members))):
        candidate = _plan_once(members, slots, before=before, after=after, recent=recent,
                               rotation=rotation)
        score = sum(value * value for value in candidate.unsocial_counts.values())
        if best is None or score < best[0]:
            best = (score, candidate)
        if score == 0:
            break
    return best[1]


def _plan_once(members: tuple, slots: Sequence[Slot], *, before, after, recent,
               rotation: int) -> Plan:
    eligible = [slot.eligible(members) for slot in slots]
    everyone = list(members) + [m for slot in slots if slot.pinned is not None
                                for m in [slot.pinned] if m not in members]
    everyone = list(dict.fromkeys(everyone))
    position = {member: ((index - rotation) % len(members) if index < len(members) else index)
                for index, member in enumerate(everyone)}
    counts = {member: 0 for member in everyone}
    unsocial = {member: 0 for member in everyone}
    shares = {member: Fraction(0) for member in everyone}
    recent = [member for member in dict.fromkeys(recent) if member in position]
    last_served = {member: -len(recent) - 3 for member in everyone}
    for order, member in enumerate(recent):
        last_served[member] = order - len(recent) - 2
    if before in last_served:
        last_served[before] = -1

    assignees: list = []
    uncovered: list[Uncovered] = []
    previous = before
    for index, slot in enumerate(slots):
        candidates_all = eligible[index]
        if not candidates_all:
            assignees.append(None)
            reasons = {member: slot.ineligible.get(member, "not eligible") for member in members}
            uncovered.append(Uncovered(index, reasons))
            previous = None
            continue
        for member in candidates_all:
            shares[member] += Fraction(1, len(candidates_all))
        following = eligible[index + 1] if index + 1 < len(slots) else None
        forced_next = following[0] if following is not None and len(following) == 1 else None
        candidates = ([m for m in candidates_all if m != previous and m != forced_next]
                      or [m for m in candidates_all if m != previous]
                      or candidates_all)
        last_index = len(slots) - 1

        def key(member, index=index):
            return (counts[member] - shares[member],
                    index == last_index and after is not None and member == after,
                    last_served[member], position[member])

        chosen = min(candidates, key=key)
        assignees.append(chosen)
        counts[chosen] += 1
        unsocial[chosen] += chosen in slot.unsocial
        last_served[chosen] = index
        previous = chosen

    swaps = _spread_unsocial(slots, eligible, assignees, unsocial, before=before, after=after)
    return Plan(members=members, assignees=assignees, uncovered=uncovered, counts=counts,
                unsocial_counts=unsocial, shares=shares, swaps=swaps)


def _holder(assignees, index, before):
    if index < 0:
        return before
    if index >= len(assignees):
        return None
    return assignees[index]


def _pair_ok(eligible, assignees, index, before) -> bool:
    """Rule 2 for the pair (index, index + 1); index -1 is the period before the horizon."""
    if index + 1 >= len(assignees) or index < -1:
        return True
    member = _holder(assignees, index, before)
    if member is None or assignees[index + 1] != member:
        return True
    if list(eligible[index + 1]) != [member]:
        return False
    if index == -1:
        return True
    prior = _holder(assignees, index - 1, before)
    return all(other == member or other == prior for other in eligible[index])


def cap_breaches(members: Sequence[Member], slots: Sequence[Slot], assignees: Sequence,
                 *, before: Member | None = None) -> list[int]:
    """Indexes i where one member holds periods i and i + 1 although rule 2 forbids it
    (i = -1: the first period went to `before`'s holder though someone else was eligible)."""
    eligible = [slot.eligible(tuple(dict.fromkeys(members))) for slot in slots]
    return [index for index in range(-1, len(slots) - 1)
            if not _pair_ok(eligible, list(assignees), index, before)]


def _spread_unsocial(slots, eligible, assignees, unsocial, *, before, after) -> int:
    """Swap pairs of periods between two members while that lowers the sum of squared
    unsocial counts and keeps eligibility, pins and the cap. Counts never change."""
    n = len(slots)
    pinned = [slot.pinned is not None for slot in slots]
    eligible_sets = [set(members) for members in eligible]
    swaps = 0

    def cap_ok_around(*indexes) -> bool:
        to_check = {k for i in indexes for k in (i - 2, i - 1, i, i + 1)}
        return all(_pair_ok(eligible, assignees, k, before) for k in to_check)

    while True:
        best = None
        for i in range(n):
            a = assignees[i]
            if a is None or pinned[i]:
                continue
            for j in range(i + 1, n):
                b = assignees[j]
                if b is None or b == a or pinned[j]:
                    continue
                if a not in eligible_sets[j] or b not in eligible_sets[i]:
                    continue
                new_a = unsocial[a] - (a in slots[i].unsocial) + (a in slots[j].unsocial)
                new_b = unsocial[b] - (b in slots[j].unsocial) + (b in slots[i].unsocial)
                gain = unsocial[a] ** 2 + unsocial[b] ** 2 - new_a ** 2 - new_b ** 2
                if gain <= 0 or (best is not None and gain <= best[0]):
                    continue
                assignees[i], assignees[j] = b, a
                seam_ok = not (after is not None and n - 1 in (i, j) and assignees[n - 1] == after)
                if seam_ok and cap_ok_around(i, j):
                    best = (gain, i, j, new_a, new_b)
                assignees[i], assignees[j] = a, b
        if best is None:
            return swaps
        _, i, j, new_a, new_b = best
        a, b = assignees[i], assignees[j]
        assignees[i], assignees[j] = b, a
        unsocial[a], unsocial[b] = new_a, new_b
        swaps += 1
