"""Run part of the test suite under several fixed clocks and fail if any result differs.

    python scripts/test_clocks.py [--clock ISO ...] [pytest arguments ...]

Each clock is one pytest run with MERIDIAN_TEST_CLOCK set (see tests/clock.py). The clocks are the
moments of the year where a time-dependent test is most likely to break. Every run must pass, and every
test must have the same outcome under every clock; a table of the runs is printed at the end.
Without pytest arguments it runs the tests marked `clock` (tests/conftest.py says which).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from datetime import datetime

CLOCKS = {
    "2026-11-26T01:43:00Z": "Thursday morning in Shanghai, before the Thoracic board meets",
    "2027-03-28T01:30:00Z": "the Sunday Europe moves its clocks forward, just after",
    "2027-04-03T16:30:00Z": "the Sunday Sydney moves its clocks back, in the repeated hour",
    "2026-12-31T10:30:00Z": "New Year's Eve, 23:30 in UTC+14 (Pacific/Kiritimati)",
    "2028-02-29T12:00:00Z": "29 February 2028",
}


def outcomes(junit_path: str) -> dict[str, str]:
    """Test id -> passed / failed / skipped, from pytest's JUnit XML."""
    results = {}
    for case in ElementTree.parse(junit_path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            results[name] = "failed"
        elif case.find("skipped") is not None:
            results[name] = "skipped"
        else:
            results[name] = "passed"
    return results


def is_instant(text: str) -> bool:
    """Whether `text` is what MERIDIAN_TEST_CLOCK takes (tests/clock.py): ISO 8601 with an offset."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return value.tzinfo is not None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clock", action="append", help="an ISO 8601 instant (repeatable); default: all")
    options, pytest_args = parser.parse_known_args(argv)
    clocks = options.clock or list(CLOCKS)
    for clock in clocks:  # refused here, in one line, not by pytest's INTERNALERROR in each run
        if not is_instant(clock):
            print(f"test_clocks: --clock {clock!r} is not an ISO 8601 instant with an offset, "
                  "e.g. 2027-03-28T01:30:00Z", file=sys.stderr)
            return 2
    pytest_args = pytest_args or ["-m", "clock"]
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, clock in enumerate(clocks):
            junit = os.path.join(folder, f"run{index}.xml")
            env = {**os.environ, "MERIDIAN_TEST_CLOCK": clock}
            env.pop("MERIDIAN_TEST_CLOCK_ORIGIN", None)
            print(f"\n=== clock {clock}: {CLOCKS.get(clock, 'chosen')} ===", flush=True)
            started = time.monotonic()
            code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    f"--junit-xml={junit}", *pytest_args], env=env)
            if code not in (0, 1) or not os.path.exists(junit):
                print(f"test_clocks: pytest exited {code} under {clock}", file=sys.stderr)
                return 1
            runs[clock] = (outcomes(junit), time.monotonic() - started)
    every_test = sorted(set().union(*(results for results, _ in runs.values())))
    differing = [name for name in every_test
                 if len({results.get(name, "absent") for results, _ in runs.values()}) > 1]
    failed_anywhere = [name for name in every_test
                       if any(results.get(name) == "failed" for results, _ in runs.values())]
    print("\nclock                  passed failed skipped   seconds")
    for clock, (results, seconds) in runs.items():
        counts = {state: sum(1 for value in results.values() if value == state)
                  for state in ("passed", "failed", "skipped")}
        print(f"{clock}  {counts['passed']:6d} {counts['failed']:6d} {counts['skipped']:7d} {seconds:9.0f}")
    for name in sorted(set(differing) | set(failed_anywhere)):
        print(f"  {name}: " + ", ".join(f"{clock} {results.get(name, 'absent')}"
                                       for clock, (results, _) in runs.items()))
    passed = sum(1 for results, _ in runs.values() for value in results.values() if value == "passed")
    failed = sum(1 for results, _ in runs.values() for value in results.values() if value == "failed")
    if differing or failed_anywhere:
        print(f"{len(failed_anywhere)} tests failed and {len(differing)} differ between clocks")
        print(f"test_clocks: {passed} passed, {failed} failed")
        return 1
    print(f"{len(every_test)} tests, the same result under {len(runs)} clocks")
    print(f"test_clocks: {passed} passed, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
