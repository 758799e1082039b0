"""The pytz offsets the engine uses agree with the tzdata package the model uses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import pytz
import tzdata

from app.scheduling.zones import offset_spans, to_epoch_seconds
from scheduling_model import model_zone

ZONES = [
    "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu", "America/St_Johns", "Africa/Casablanca",
    "Europe/London", "America/New_York", "Australia/Sydney", "America/Santiago", "America/Havana",
    "Asia/Beirut", "Asia/Kolkata", "UTC", "Etc/GMT+5",
]


def test_tzdata_package_is_the_same_iana_release_as_pytz():
    # The brute-force model reads tzdata; comparing it with pytz only makes sense if both
    # carry the same release (Africa/Casablanca, for one, changes between releases).
    assert tzdata.IANA_VERSION == pytz.OLSON_VERSION


@pytest.mark.parametrize("name", ZONES)
def test_offset_spans_match_zoneinfo_every_quarter_hour_of_2026_and_2027(name):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    end = datetime(2028, 1, 1, tzinfo=timezone.utc)
    spans = offset_spans(name, to_epoch_seconds(start), to_epoch_seconds(end))
    assert spans[0].start == to_epoch_seconds(start) and spans[-1].end == to_epoch_seconds(end)
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
    zone = model_zone(name)
    for span in spans:
        for probe in range(span.start, span.end, 900):
            moment = start + timedelta(seconds=probe - spans[0].start)
            assert moment.astimezone(zone).utcoffset() == timedelta(seconds=span.offset), (name, moment)
