"""The CLI contract end to end: `python -m app.scheduling` with JSON on stdin."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduling_samples import EXAMPLE

REPO = Path(__file__).resolve().parents[2]

def run_cli(stdin: bytes | str, *args: str) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "app.scheduling", *args], input=data, capture_output=True, cwd=REPO, timeout=60
    )


def test_answers_the_example_request():
    result = run_cli(json.dumps(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    slots = json.loads(result.stdout)["slots"]
    # London 08:00 BST = 07:00Z; Lord Howe 24:00 (+11) = 13:00Z, the last end.
    assert slots[0] == {
        "start": "2026-03-29T07:00:00Z",
        "end": "2026-03-29T08:00:00Z",
        "assignment": {"radiology": ["r1"], "pathology": ["p2", "p5"]},
    }
    assert len(slots) == 10
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)


def test_no_feasible_slot_is_an_empty_list():
    request = copy.deepcopy(EXAMPLE)
    request["window_end"] = "2026-03-28T06:00:00Z"
    result = run_cli(json.dumps(request))
    assert result.returncode == 0 and json.loads(result.stdout) == {"slots": []}


def mutate(path: str, value) -> str:
    """EXAMPLE with the value at a dotted path replaced (or removed when value is DELETE)."""
    request = copy.deepcopy(EXAMPLE)
    *parents, last = path.split(".")
    target = request
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return json.dumps(request)


DELETE = object()

BAD_INPUTS = [
    ("unknown time zone", mutate("specialists.0.timezone", "Mars/Olympus_Mons"), "specialists[0].timezone"),
    ("hour 25", mutate("specialists.0.weekly_hours.mon", [["09:00", "25:00"]]), "specialists[0].weekly_hours.mon[0]"),
    ("minute 60", mutate("specialists.1.weekly_hours.sun", [["09:60", "17:00"]]), "specialists[1].weekly_hours.sun[0]"),
    ("24:00 start", mutate("specialists.1.weekly_hours.sun", [["24:00", "02:00"]]), "specialists[1].weekly_hours.sun[0]"),
    ("not HH:MM", mutate("specialists.1.weekly_hours.sun", [["9am", "17:00"]]), "specialists[1].weekly_hours.sun[0]"),
    ("equal start and end", mutate("specialists.1.weekly_hours.sun", [["09:00", "09:00"]]), "specialists[1].weekly_hours.sun[0]"),
    ("range not a pair", mutate("specialists.1.weekly_hours.sun", [["09:00"]]), "specialists[1].weekly_hours.sun[0]"),
    ("unknown weekday", mutate("specialists.1.weekly_hours.funday", [["09:00", "17:00"]]), "specialists[1].weekly_hours.funday"),
    ("naive window start", mutate("window_start", "2026-03-28T00:00:00"), "window_start"),
    ("naive window end", mutate("window_end", "2026-03-31T00:00:00"), "window_end"),
    ("garbage timestamp", mutate("window_start", "yesterday"), "window_start"),
    ("window end before start", mutate("window_end", "2026-03-27T00:00:00Z"), "window_end"),
    ("window end equal start", mutate("window_end", "2026-03-28T00:00:00Z"), "window_end"),
    ("zero duration", mutate("duration_minutes", 0), "duration_minutes"),
    ("negative duration", mutate("duration_minutes", -30), "duration_minutes"),
    ("zero step", mutate("step_minutes", 0), "step_minutes"),
    ("negative step", mutate("step_minutes", -5), "step_minutes"),
    ("zero limit", mutate("limit", 0), "limit"),
    ("requirement without discipline", mutate("requirements.0", {"count": 1}), "requirements[0].discipline"),
    ("requirement with empty discipline", mutate("requirements.0", {"discipline": " ", "count": 1}), "requirements[0].discipline"),
    ("count zero", mutate("requirements.1.count", 0), "requirements[1].count"),
    ("duplicate requirement", mutate("requirements.1.discipline", "radiology"), "requirements[1].discipline"),
    ("unknown attendee", mutate("attendees", ["nobody"]), "attendees[0]"),
    ("unknown preferred id", mutate("requirements.0.preferred", ["nobody"]), "requirements[0].preferred[0]"),
    ("missing window_start", mutate("window_start", DELETE), "window_start"),
    ("missing duration", mutate("duration_minutes", DELETE), "duration_minutes"),
    ("missing specialists", mutate("specialists", DELETE), "specialists"),
    ("missing requirements", mutate("requirements", DELETE), "requirements"),
    ("missing specialist id", mutate("specialists.2.id", DELETE), "specialists[2].id"),
    ("missing weekly hours", mutate("specialists.2.weekly_hours", DELETE), "specialists[2].weekly_hours"),
    ("duplicate specialist id", mutate("specialists.2.id", "p2"), "specialists[2].id"),
    ("duration as string", mutate("duration_minutes", "60"), "duration_minutes"),
    ("duration as float", mutate("duration_minutes", 60.5), "duration_minutes"),
    ("limit as boolean", mutate("limit", True), "limit"),
    ("specialists not an array", mutate("specialists", {"r1": {}}), "specialists"),
    ("specialist not an object", mutate("specialists.0", "r1"), "specialists[0]"),
    ("weekly hours as list", mutate("specialists.0.weekly_hours", [["09:00", "17:00"]]), "specialists[0].weekly_hours"),
    ("disciplines as string", mutate("specialists.0.disciplines", "radiology"), "specialists[0].disciplines"),
    ("timezone as number", mutate("specialists.0.timezone", 5.75), "specialists[0].timezone"),
    ("naive busy", mutate("specialists.0.busy", [["2026-03-30T03:00:00", "2026-03-30T04:00:00Z"]]), "specialists[0].busy[0][0]"),
    ("busy end before start", mutate("specialists.0.busy", [["2026-03-30T04:00:00Z", "2026-03-30T03:00:00Z"]]), "specialists[0].busy[0]"),
    ("bad override date", mutate("specialists.0.date_overrides", {"2026-02-30": []}), "specialists[0].date_overrides.2026-02-30"),
    ("misspelt optional field", mutate("step_minute", 5), "step_minute"),
    ("window too long", mutate("window_end", "2027-06-01T00:00:00Z"), "window_end"),
    ("malformed JSON", '{"window_start": ', "request"),
    ("JSON array", "[1, 2]", "request"),
    ("JSON null", "null", "request"),
    ("empty input", "", "request"),
    ("not UTF-8", b"\xff\xfe{", "request"),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, "request"),
    ("newline in a value", mutate("specialists.0.timezone", "Europe/\nLondon"), "specialists[0].timezone"),
]


@pytest.mark.parametrize("stdin, field", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_naming_the_field(stdin, field):
    result = run_cli(stdin)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert result.stdout == b""
    assert "Traceback" not in stderr
    assert stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
    assert stderr.startswith(f"bad request: {field}: "), stderr


def test_unexpected_errors_exit_1_with_one_line(monkeypatch, capsys):
    from app.scheduling import __main__ as cli

    def explode(request):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "find_slots", explode)
    monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": __import__("io").BytesIO(json.dumps(EXAMPLE).encode())})())
    assert cli.main([]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "internal error: RuntimeError: boom\\nsecond line\n"


def test_importing_the_package_does_not_import_flask():
    code = "import sys, app.scheduling, app.scheduling.__main__; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_broken_pipe_is_quiet():
    request = copy.deepcopy(EXAMPLE)
    request["limit"] = 100_000
    request["specialists"][1]["weekly_hours"] = {day: [["00:00", "24:00"]] for day in ("fri", "sat", "sun", "mon")}
    command = f"{sys.executable} -m app.scheduling | head -c 10 > /dev/null"
    result = subprocess.run(["bash", "-c", command], input=json.dumps(request).encode(), capture_output=True, cwd=REPO, timeout=60)
    assert b"Traceback" not in result.stderr and b"Exception" not in result.stderr
