"""Contract fuzzing: any JSON value is either a valid request or a RequestError, never a crash."""

from __future__ import annotations

import copy
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scheduling import RequestError, find_slots, parse_request, response_to_json
from scheduling_samples import EXAMPLE

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["24:00", "00:00", "23:59", "2026-03-29T01:30:00+01:00", "2026-03-29", "Europe/London", "mon", "r1"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


def paths(value, prefix=()):
    """Every path into a JSON value (lists by index, objects by key)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


ALL_PATHS = [path for path in paths(EXAMPLE) if path]


def replaced(path, new_value):
    request = copy.deepcopy(EXAMPLE)
    target = request
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new_value
    return request


def parse_or_request_error(value):
    try:
        return parse_request(value)
    except RequestError as error:
        assert error.field and error.message and "\n" not in error.message
        return None


@settings(max_examples=300, deadline=None, database=None)
@given(json_values)
def test_arbitrary_json_is_rejected_cleanly(value):
    assert parse_or_request_error(value) is None


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_PATHS), json_values)
def test_any_single_mutation_parses_or_is_rejected_cleanly(path, new_value):
    request = parse_or_request_error(replaced(path, new_value))
    if request is not None:
        response_to_json(find_slots(request))


def test_parsed_values_are_typed():
    request = parse_request(
        {**EXAMPLE, "specialists": [{**EXAMPLE["specialists"][0], "date_overrides": {"2026-03-30": []}}], "attendees": []}
    )
    spec = request.specialists[0]
    assert request.window_start.utcoffset().total_seconds() == 0
    assert request.step_minutes == 15 and request.limit == 10
    assert spec.timezone == "Asia/Kathmandu"
    assert spec.weekly_hours[5][0].crosses_midnight  # sat 22:00-02:00
    assert spec.weekly_hours[6][0].minutes_after_local_midnight == (0, 1440)
    assert spec.date_overrides == {date(2026, 3, 30): ()}
    assert spec.busy[0][0].utcoffset().total_seconds() == 0


def test_defaults_apply():
    minimal = {key: EXAMPLE[key] for key in ("window_start", "window_end", "duration_minutes", "requirements")}
    minimal["specialists"] = [
        {"id": "a", "timezone": "europe/london", "disciplines": ["radiology"], "weekly_hours": {}}
    ]
    request = parse_request(minimal)
    assert (request.step_minutes, request.limit, request.attendees) == (15, 10, ())
    assert request.specialists[0].busy == () and request.specialists[0].timezone == "Europe/London"
