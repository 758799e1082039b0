"""The test suite's clock: one shifted timeline that every process of a test run shares.

`MERIDIAN_TEST_CLOCK` (an ISO 8601 instant with an offset) names the instant the run starts at. Unset, the
run starts at the real time, read once here and printed in pytest's header, so any run can be repeated
under the same clock. `MERIDIAN_TEST_CLOCK_ORIGIN` is the real epoch second at which that instant was
fixed: a process started later (an xdist worker, a server or CLI subprocess) travels to
clock + (real now - origin), so all processes of a run agree on "now" while time still moves on.

Travel uses time-machine, which replaces the wall-clock functions (datetime.now, time.time, ...) in every
thread; the monotonic clocks that timeouts use are left alone.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

CLOCK = "MERIDIAN_TEST_CLOCK"
ORIGIN = "MERIDIAN_TEST_CLOCK_ORIGIN"
TRAVELLING = "MERIDIAN_TEST_CLOCK_PID"
SITE = str(Path(__file__).with_name("clock_site"))


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{CLOCK}={text!r} needs an offset, e.g. 2026-11-26T01:43:00Z")
    return value.astimezone(timezone.utc)


def fix_for_run() -> tuple[datetime, bool]:
    """In the first process of a run: fix the run's clock in the environment (inherited by every
    process started later). Returns (the instant, whether it came from MERIDIAN_TEST_CLOCK)."""
    chosen = os.environ.get(CLOCK)
    if chosen:
        instant = _parse(chosen)
        os.environ.setdefault(ORIGIN, repr(time.time()))
    else:
        # The real time, to the second (as printed), fixed at that same second: the timeline is then
        # the real clock itself, which the database's and Redis's clocks also read.
        second = int(time.time())
        instant = datetime.fromtimestamp(second, timezone.utc)
        os.environ[CLOCK] = instant.isoformat().replace("+00:00", "Z")
        os.environ.setdefault(ORIGIN, repr(float(second)))
    # Python subprocesses import tests/clock_site/sitecustomize.py, which calls follow().
    path = os.environ.get("PYTHONPATH")
    if SITE not in (path or "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SITE, path) if p)
    return instant, bool(chosen)


def follow():
    """Travel this process onto the run's timeline; returns the started traveller, or None."""
    chosen = os.environ.get(CLOCK)
    if not chosen or os.environ.get(TRAVELLING) == str(os.getpid()):
        return None  # no clock chosen, or this process is on the timeline already
    import time_machine

    os.environ[TRAVELLING] = str(os.getpid())

    elapsed = time.time() - float(os.environ.get(ORIGIN, time.time()))
    traveller = time_machine.travel(_parse(chosen) + timedelta(seconds=max(elapsed, 0.0)), tick=True)
    traveller.start()
    # time-machine starts ticking at the first reading, not at start(): read now, or a process that
    # imports for a second before reading the time would run that second behind the others.
    time.time()
    return traveller
