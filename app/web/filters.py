"""Jinja filters that show instants in the viewer's zone, always naming the zone."""
from app.timekeeping import to_local, utc_offset_label


def local_time(value, zone_name: str, fmt: str = "%a %d %b %Y %H:%M") -> str:
    if value is None:
        return ""
    local = to_local(value, zone_name)
    return f"{local.strftime(fmt)} ({zone_name}, UTC{utc_offset_label(value, zone_name)})"


def register_filters(app):
    app.add_template_filter(local_time, "local_time")
