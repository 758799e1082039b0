"""The equity alert: coordinators hear when a site's cases wait much longer than the network's.

Each run looks at the last complete calendar month (UTC): every site whose median days from
submission to discussion exceed the network's by more than a factor (`EQUITY_ALERT_FACTOR`), over
at least `EQUITY_ALERT_MIN_CASES` discussed cases, is named to every active coordinator, once per
site and month (the dedupe key), however often the job runs.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole
from app.notifications.operations import notify
from app.reports import figures
from app.timekeeping import UTC, ensure_utc

DEFAULT_FACTOR = 1.5
DEFAULT_MIN_CASES = 3
NOTIFICATION_KIND = "reports.unequal_wait"


def _setting(name: str, default):
    try:
        from flask import current_app

        return type(default)(current_app.config.get(name, default))
    except RuntimeError:  # outside an app (a plain script)
        return default


def last_complete_month(at: datetime) -> tuple[date, date]:
    """[first day, first day of the next month) of the calendar month before `at`'s, in UTC."""
    at = ensure_utc(at)
    this_month = date(at.year, at.month, 1)
    previous = date(this_month.year - (this_month.month == 1), 12 if this_month.month == 1 else this_month.month - 1, 1)
    return previous, this_month


def unequal_sites(session: Session, scope: figures.ReportScope, *, factor: float, min_cases: int):
    """(network row, [site rows]) of the sites whose median wait exceeds the network's by `factor`."""
    network = figures.network_waits(session, scope)
    if network is None or not network["median_days_to_discussion"]:
        return network, []
    limit = factor * network["median_days_to_discussion"]
    return network, [site for site in figures.waits_by_site(session, scope)
                     if site["cases_discussed"] >= min_cases and site["median_days_to_discussion"] is not None
                     and site["median_days_to_discussion"] > limit]


def alert_unequal_waits(session: Session, at: datetime, *, factor: float | None = None,
                        min_cases: int | None = None) -> int:
    factor = factor if factor is not None else _setting("EQUITY_ALERT_FACTOR", DEFAULT_FACTOR)
    min_cases = min_cases if min_cases is not None else _setting("EQUITY_ALERT_MIN_CASES", DEFAULT_MIN_CASES)
    first, following = last_complete_month(at)
    scope = figures.ReportScope(since=datetime(first.year, first.month, 1, tzinfo=UTC),
                                until=datetime(following.year, following.month, 1, tzinfo=UTC), at=at)
    network, sites = unequal_sites(session, scope, factor=factor, min_cases=min_cases)
    if not sites:
        return 0
    coordinators = session.scalars(select(User.id).join(UserRole).where(
        UserRole.role == "coordinator", User.is_active.is_(True)).order_by(User.id)).all()
    last_day = date.fromordinal(following.toordinal() - 1)
    added = 0
    for site in sites:
        params = {"site": site["site"], "country": site["country"], "site_cases": site["cases_discussed"],
                  "site_median_days": site["median_days_to_discussion"],
                  "network_median_days": network["median_days_to_discussion"], "factor": factor,
                  "period_from_on": first.isoformat(), "period_to_on": last_day.isoformat()}
        link = f"/reports?from={first.isoformat()}&to={last_day.isoformat()}&site={site['site_id']}"
        for user_id in coordinators:
            added += notify(session, user_id=user_id, kind=NOTIFICATION_KIND,
                            dedupe_key=f"unequal-wait:{site['site_id']}:{first.isoformat()}:{user_id}",
                            params=params, link=link, at=at)
    return added
