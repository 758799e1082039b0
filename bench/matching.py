"""Benchmark of the time-zone matching engine (app.scheduling).

Run from the repository root:

    .venv/bin/python bench/matching.py            # 1,000 and 4,000 specialists
    .venv/bin/python bench/matching.py --sizes 1000 --repeat 9

For each size it builds one deterministic (seeded) request: specialists spread over 32
zones (odd offsets, both hemispheres' DST), a 28-day window straddling the March/April
2026 DST changes, 5-minute steps, four requirements (pathology needs two), some people
holding two disciplines, busy intervals, date overrides, one attendee, and a limit large
enough to return every feasible slot. It then times:

* parse  - `json.loads` of the request text (the yardstick);
* engine - `parse_request` + `find_slots` on the already-decoded dict (everything the
           engine does, excluding `json.loads` and response encoding).
  The two are run alternately, GC paused during each run as timeit does; medians and
  best times are printed (best is the steadiest on a shared machine);
* naive  - a baseline that checks every specialist for every candidate slot minute by
           minute with pytz. It is run on the first few slots only and extrapolated
           linearly to all slots (its cost per slot is constant), and its answers on
           those slots are checked against the engine's.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytz  # noqa: E402

from app.scheduling import find_slots, parse_request  # noqa: E402
from app.scheduling.matching import assign_seats  # noqa: E402

ZONES = [
    "Asia/Kathmandu", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "Europe/London",
    "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Helsinki", "Europe/Lisbon",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
    "America/Santiago", "Australia/Sydney", "Australia/Adelaide", "Australia/Melbourne", "Pacific/Auckland",
    "Pacific/Chatham", "Asia/Tokyo", "Asia/Singapore", "Asia/Dubai", "Africa/Johannesburg",
    "Africa/Casablanca", "Africa/Lagos", "Asia/Tehran", "America/Havana", "Asia/Beirut",
    "America/Mexico_City", "Asia/Shanghai",
]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REQUIRED = ["radiology", "pathology", "oncology", "surgery"]
OTHER = ["nursing"]
WINDOW_START = datetime(2026, 3, 16, tzinfo=timezone.utc)
WINDOW_DAYS = 28
STEP_MINUTES = 5
DURATION_MINUTES = 60


def clock(minute: int) -> str:
    minute %= 24 * 60
    return f"{minute // 60:02d}:{minute % 60:02d}"


def weekly_hours(rng: random.Random) -> dict[str, list[list[str]]]:
    kind = rng.random()
    if kind < 0.70:  # day shifts, Monday to Friday, some days off
        start = rng.randrange(6 * 60, 11 * 60, 30)
        length = rng.randrange(6 * 60, 10 * 60 + 1, 30)
        hours = {day: [[clock(start), clock(start + length)]] for day in WEEKDAYS[:5] if rng.random() > 0.1}
        if rng.random() < 0.2:  # split shift on one day
            day = rng.choice(WEEKDAYS[:5])
            hours[day] = [[clock(start), clock(start + 180)], [clock(start + 240), clock(start + length)]]
        return hours
    if kind < 0.85:  # evening or overnight shifts
        start = rng.randrange(16 * 60, 23 * 60, 60)
        return {day: [[clock(start), clock(start + 8 * 60)]] for day in rng.sample(WEEKDAYS, 4)}
    hours = {day: [["08:00", "16:00"]] for day in WEEKDAYS[:4]}  # on call around the clock
    for day in rng.sample(WEEKDAYS, 2):
        hours[day] = [["00:00", "24:00"]]
    return hours


def busy_intervals(rng: random.Random) -> list[list[str]]:
    busy = []
    for _ in range(rng.randrange(0, 7)):
        begin = WINDOW_START + timedelta(minutes=rng.randrange(0, WINDOW_DAYS * 24 * 60, 15))
        end = begin + timedelta(minutes=rng.choice([30, 60, 90, 180]))
        offset = timezone(timedelta(minutes=rng.choice([0, 60, 345, 330, -150, -300])))
        busy.append([begin.astimezone(offset).isoformat(), end.astimezone(offset).isoformat()])
    return busy


def specialist(rng: random.Random, index: int) -> dict:
    disciplines = [rng.choice(REQUIRED + OTHER)]
    if rng.random() < 0.3:
        disciplines.append(rng.choice([d for d in REQUIRED if d not in disciplines]))
    spec = {
        "id": f"sp-{index:05d}",
        "timezone": ZONES[index % len(ZONES)] if index < len(ZONES) else rng.choice(ZONES),
        "disciplines": disciplines,
        "weekly_hours": weekly_hours(rng),
        "busy": busy_intervals(rng),
    }
    if rng.random() < 0.1:
        day_off = (WINDOW_START + timedelta(days=rng.randrange(WINDOW_DAYS))).date()
        spec["date_overrides"] = {day_off.isoformat(): []}
    return spec


def build_request(specialists: int, seed: int = 20260329) -> dict:
    rng = random.Random(seed)
    people = [specialist(rng, index) for index in range(specialists)]
    people[0] = {  # the referring clinician, who must attend
        "id": "referrer",
        "timezone": "Europe/London",
        "disciplines": [],
        "weekly_hours": {day: [["07:00", "21:00"]] for day in WEEKDAYS[:6]},
    }
    return {
        "window_start": WINDOW_START.isoformat().replace("+00:00", "Z"),
        "window_end": (WINDOW_START + timedelta(days=WINDOW_DAYS)).isoformat().replace("+00:00", "Z"),
        "duration_minutes": DURATION_MINUTES,
        "step_minutes": STEP_MINUTES,
        "limit": 100_000,
        "requirements": [
            {"discipline": "radiology", "count": 1},
            {"discipline": "pathology", "count": 2},
            {"discipline": "oncology", "count": 1},
            {"discipline": "surgery", "count": 1},
        ],
        "attendees": ["referrer"],
        "specialists": people,
    }


# --- naive baseline ------------------------------------------------------------------


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def naive_available(spec: dict, zone, busy: list, instant: datetime) -> bool:
    """Is `spec` available at `instant`? Straight from the definition, one instant at a time."""
    if any(start <= instant < end for start, end in busy):
        return False
    local = instant.astimezone(zone)
    minute = local.hour * 60 + local.minute
    overrides = spec.get("date_overrides", {})
    for day_shift in (0, 1):  # ranges of today, and overnight ranges of yesterday
        local_date = local.date() - timedelta(days=day_shift)
        ranges = overrides.get(local_date.isoformat(), spec["weekly_hours"].get(WEEKDAYS[local_date.weekday()], []))
        for start_text, end_text in ranges:
            start, end = _minutes(start_text), _minutes(end_text)
            if day_shift == 0 and start <= minute and (end < start or minute < end):
                return True
            if day_shift == 1 and end < start and minute < end:
                return True
    return False


def naive_feasible_starts(raw: dict, slot_indices: list[int]) -> list[datetime]:
    """The baseline, on the given candidate slots only."""
    start = datetime.fromisoformat(raw["window_start"].replace("Z", "+00:00"))
    zones = {spec["id"]: pytz.timezone(spec["timezone"]) for spec in raw["specialists"]}
    busy = {
        spec["id"]: [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in spec.get("busy", [])]
        for spec in raw["specialists"]
    }
    ids = [spec["id"] for spec in raw["specialists"]]
    attendees = set(raw["attendees"])
    requirements = raw["requirements"]
    seats = [group for group, req in enumerate(requirements) for _ in range(req["count"])]
    candidates = [
        [i for i, spec in enumerate(raw["specialists"]) if req["discipline"] in spec["disciplines"] and spec["id"] not in attendees]
        for req in requirements
    ]
    feasible = []
    for index in slot_indices:
        slot_start = start + timedelta(minutes=index * raw["step_minutes"])
        minutes = [slot_start + timedelta(minutes=m) for m in range(raw["duration_minutes"])]
        present = [
            all(naive_available(spec, zones[spec["id"]], busy[spec["id"]], moment) for moment in minutes)
            for spec in raw["specialists"]
        ]
        if not all(present[ids.index(attendee)] for attendee in attendees):
            continue
        if assign_seats(seats, candidates, present) is not None:
            feasible.append(slot_start)
    return feasible


def sample_slots(total: int, count: int) -> list[int]:
    """`count` candidate slot indices drawn from the whole window (seeded, so repeatable)."""
    return sorted(random.Random(7).sample(range(total), count))


# --- timing ----------------------------------------------------------------------------


def timed_pair(parse, engine, repeat: int) -> tuple[list[float], list[float], object]:
    """Run `parse` and `engine` alternately `repeat` times, GC paused during each run (as
    timeit does), so a noisy neighbour hurts both alike. Returns both lists of seconds
    and the engine's last result."""
    parse_times, engine_times, result = [], [], None
    for _ in range(repeat):
        for function, times in ((parse, parse_times), (engine, engine_times)):
            gc.collect()
            gc.disable()
            began = time.perf_counter()
            result = function()
            times.append(time.perf_counter() - began)
            gc.enable()
    return parse_times, engine_times, result


def bench(size: int, repeat: int, baseline_slots: int) -> dict:
    raw = build_request(size)
    text = json.dumps(raw)
    decoded = json.loads(text)
    parse_times, engine_times, slots = timed_pair(
        lambda: json.loads(text), lambda: find_slots(parse_request(decoded)), repeat
    )
    total_slots = (WINDOW_DAYS * 24 * 60 - DURATION_MINUTES) // STEP_MINUTES + 1
    sampled = sample_slots(total_slots, baseline_slots)
    began = time.perf_counter()
    naive = naive_feasible_starts(raw, sampled)
    naive_seconds = (time.perf_counter() - began) * total_slots / len(sampled)
    sampled_starts = {WINDOW_START + timedelta(minutes=index * STEP_MINUTES) for index in sampled}
    engine_on_sample = [slot.start for slot in slots if slot.start in sampled_starts]
    return {
        "size": size,
        "zones": len({spec["timezone"] for spec in raw["specialists"]}),
        "json_kb": len(text) // 1024,
        "candidate_slots": total_slots,
        "feasible_slots": len(slots),
        "parse": statistics.median(parse_times),
        "parse_best": min(parse_times),
        "engine": statistics.median(engine_times),
        "engine_best": min(engine_times),
        "engine_first": engine_times[0],
        "naive": naive_seconds,
        "baseline_agrees": naive == engine_on_sample,
        "baseline_feasible": f"{len(naive)}/{len(sampled)}",
    }


COLUMNS = [
    ("specialists", 11, lambda r: f"{r['size']}"),
    ("zones", 5, lambda r: f"{r['zones']}"),
    ("JSON", 7, lambda r: f"{r['json_kb']}KB"),
    ("slots", 6, lambda r: f"{r['candidate_slots']}"),
    ("feasible", 8, lambda r: f"{r['feasible_slots']}"),
    ("json.loads", 10, lambda r: f"{r['parse'] * 1e3:.1f}ms"),
    ("engine", 8, lambda r: f"{r['engine'] * 1e3:.1f}ms"),
    ("ratio", 6, lambda r: f"{r['engine'] / r['parse']:.1f}x"),
    ("best: loads", 11, lambda r: f"{r['parse_best'] * 1e3:.1f}ms"),
    ("engine", 8, lambda r: f"{r['engine_best'] * 1e3:.1f}ms"),
    ("ratio", 6, lambda r: f"{r['engine_best'] / r['parse_best']:.1f}x"),
    ("cold", 8, lambda r: f"{r['engine_first'] * 1e3:.1f}ms"),
    ("naive (extrap.)", 15, lambda r: f"{r['naive']:.0f}s"),
    ("naive/engine", 12, lambda r: f"{r['naive'] / r['engine']:.0f}x"),
    ("agrees", 9, lambda r: f"{r['baseline_agrees']} {r['baseline_feasible']}"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--repeat", type=int, default=9, help="timed runs of each measurement")
    parser.add_argument("--baseline-slots", type=int, default=8, help="slots the naive baseline really checks")
    args = parser.parse_args(argv)
    print(f"Matching engine benchmark: {WINDOW_DAYS}-day window, step {STEP_MINUTES} min, "
          f"duration {DURATION_MINUTES} min, 4 requirements (5 seats), 1 attendee, limit 100000.")
    print(f"engine = parse_request + find_slots on the decoded dict (json.loads excluded); median and best "
          f"of {args.repeat} runs alternating with json.loads; ratio = engine / json.loads; cold = first run.")
    print(f"naive = checks every specialist for every slot minute by minute; run on {args.baseline_slots} "
          f"random slots and extrapolated linearly to all slots; 'agrees' = same verdicts as the engine there.")
    print(" ".join(f"{title:>{width}}" for title, width, _ in COLUMNS))
    results = []
    for size in args.sizes:
        row = bench(size, args.repeat, args.baseline_slots)
        results.append(row)
        print(" ".join(f"{cell(row):>{width}}" for _, width, cell in COLUMNS))
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"growth {first['size']} -> {last['size']} specialists ({last['size'] / first['size']:.0f}x): "
              f"engine {last['engine_best'] / first['engine_best']:.2f}x, "
              f"json.loads {last['parse_best'] / first['parse_best']:.2f}x (best times)")
    return 0 if all(row["baseline_agrees"] for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
