"""Jinja filters that show instants and dates in the viewer's zone and language, always naming the zone.

The formatting itself lives in app.timekeeping; these only add the request's language.
"""
from app.cases.workflow import AWAITING_DISCUSSION
from app.i18n import current_locale_code, file_size_for_reader
from app.timekeeping import (
    format_day_for_reader,
    format_duration_for_reader,
    format_for_reader,
    format_relative_for_reader,
    format_time_of_day_for_reader,
    reader_locale,
    weekday_for_reader,
    zone_name_for_reader,
)

# Patterns templates used before dates followed the reader's language, read as the matching style.
_STRFTIME_STYLES = {"%a %d %b %Y %H:%M": "long", "%a %d %b %Y %H:%M:%S": "long_seconds", "%a %d %b %H:%M": "short", "%d %b %H:%M": "day_time",
                    "%a %H:%M": "weekday_time", "%H:%M": "time", "%d %b %Y": "date",
                    "%a %d %b %Y": "weekday_date", "%d %b": "day", "%a %d %b": "weekday_day"}


def local_time(value, zone_name: str, style: str = "long", name_zone: bool = True) -> str:
    if value is None:
        return ""
    return format_for_reader(value, zone_name, current_locale_code(), _STRFTIME_STYLES.get(style, style),
                             name_zone=name_zone)


def local_day(value, style: str = "date") -> str:
    if value is None:
        return ""
    return format_day_for_reader(value, current_locale_code(), _STRFTIME_STYLES.get(style, style))


def weekday_name(index: int, width: str = "wide") -> str:
    return weekday_for_reader(index, current_locale_code(), width)


def time_of_day(value) -> str:
    return "" if value is None else format_time_of_day_for_reader(value, current_locale_code())


def relative(delta) -> str:
    return format_relative_for_reader(delta, current_locale_code())


def duration(delta) -> str:
    return format_duration_for_reader(delta, current_locale_code())


def zone_name(zone: str) -> str:
    """An IANA zone as the reader's language names it (its city), the IANA name in English."""
    return zone_name_for_reader(zone, current_locale_code()) if zone else ""


def wall_clock(iso_local: str, style: str = "time") -> str:
    """A local reading the API gives as ISO 8601 with its offset ('2026-11-26T09:43:00+08:00'), shown in
    the reader's language without moving it to another zone."""
    from datetime import datetime

    if not iso_local:
        return ""
    reading = datetime.fromisoformat(str(iso_local))
    return format_for_reader(reading, "UTC", current_locale_code(), style, name_zone=False, keep_offset=True)


def iso_day(text, style: str = "date") -> str:
    """A date the domain keeps as 'YYYY-MM-DD' text, as the reader writes it."""
    from datetime import date

    try:
        return local_day(date.fromisoformat(str(text)), style)
    except ValueError:
        return str(text or "")


def number(value) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=reader_locale(current_locale_code()))


def invitation_call(invitation) -> str | None:
    """Where the invitee joins the meeting's call (an external link, or the live page), while their
    invitation holds a place at a meeting still to come or running; else None."""
    from app.conferencing.operations import CLOSED_STATES, call_link
    from app.extensions import db

    if invitation.status not in ("pending", "accepted", "tentative") or invitation.meeting.status in CLOSED_STATES:
        return None
    return call_link(db.session, invitation.meeting)


def register_filters(app):
    from app.web.vocabulary import register_vocabulary

    register_vocabulary(app)
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_day, "local_day")
    app.add_template_filter(weekday_name, "weekday_name")
    app.add_template_filter(time_of_day, "time_of_day")
    app.add_template_filter(relative, "relative")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(zone_name, "zone_name")
    app.add_template_filter(wall_clock, "wall_clock")
    app.add_template_filter(iso_day, "iso_day")
    app.add_template_filter(number, "number")
    app.add_template_filter(file_size_for_reader, "filesize")
    app.add_template_test(lambda state: state in AWAITING_DISCUSSION, "awaiting_discussion")
    app.add_template_filter(invitation_call, "invitation_call")
