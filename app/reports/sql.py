"""Portable SQL pieces for the reports: elapsed days and percentiles, one definition for SQLite and
PostgreSQL."""
from __future__ import annotations

from sqlalchemy import Float, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class elapsed_days(FunctionElement):
    """(later - earlier) in days, fractional; both instants (timestamps stored as UTC)."""

    type = Float()
    inherit_cache = True
    name = "elapsed_days"


@compiles(elapsed_days, "sqlite")
def _elapsed_days_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"


@compiles(elapsed_days, "postgresql")
def _elapsed_days_postgresql(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
            " / 86400.0)")


class days_after_utc_date(FunctionElement):
    """Whole days from the UTC date of an instant (earlier) to a calendar date (later)."""

    type = Float()
    inherit_cache = True
    name = "days_after_utc_date"


@compiles(days_after_utc_date, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (f"(julianday(date({compiler.process(later, **kw)})) - "
            f"julianday(date({compiler.process(earlier, **kw)})))")


@compiles(days_after_utc_date, "postgresql")
def _days_after_postgresql(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (f"CAST(({compiler.process(later, **kw)} - "
            f"CAST(({compiler.process(earlier, **kw)} AT TIME ZONE 'UTC') AS DATE)) AS FLOAT)")


def percentiles(rows, keys: list[str], value: str, percents: tuple[int, ...] = (50, 90)):
    """A select of `keys` and, for each percent P, column `p<P>`: the P-th percentile of `value` per
    group, interpolated linearly between the two nearest ranks (PostgreSQL's percentile_cont), from
    window functions so that SQLite computes exactly the same. `rows` is a subquery; NULL values are
    left out (a group with none has no row)."""
    group = [rows.c[key] for key in keys]
    measured = rows.c[value]
    ranked = select(*group, measured.label("v"),
                    func.row_number().over(partition_by=group or None, order_by=measured).label("rn"),
                    func.count().over(partition_by=group or None).label("n")
                    ).where(measured.is_not(None)).subquery()
    columns = []
    for percent in percents:
        position = percent * (ranked.c.n - 1)  # (rank - 1) * 100, exact in integers
        lower_rank = position // 100 + 1
        fraction = (position % 100) / 100.0
        lower = func.max(case((ranked.c.rn == lower_rank, ranked.c.v)))
        upper = func.max(case((ranked.c.rn == lower_rank + 1, ranked.c.v)))
        step = func.max(case((ranked.c.rn == lower_rank, fraction)))
        columns.append((lower + func.coalesce(step * (upper - lower), 0)).label(f"p{percent}"))
    statement = select(*[ranked.c[key] for key in keys], *columns)
    if keys:
        statement = statement.group_by(*[ranked.c[key] for key in keys])
    return statement


def share(part, whole):
    return round(part / whole, 3) if whole else None


__all__ = ["elapsed_days", "days_after_utc_date", "percentiles", "share", "and_"]
