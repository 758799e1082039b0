"""Portable SQL pieces for the reports: elapsed days and percentiles, one definition for SQLite and
PostgreSQL."""
from __future__ import annotations

from sqlalchemy import Float, Integer, case, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
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


def summary(rows, keys: list[str], measures: tuple[str, ...], aggregates, percents: tuple[int, ...] = (50, 90),
            ordered_set: bool = False):
    """One select over subquery `rows`, grouped by `keys` (none: one row for all): the columns
    `aggregates(ranked)` returns, and for each measure M and percent P a column `M_pP`, the P-th
    percentile of M in the group, leaving NULLs out (NULL when there is no value).

    Percentiles interpolate linearly between the two nearest ranks, as PostgreSQL's percentile_cont
    does; they are built from window functions (row_number, count) and integer arithmetic so that
    SQLite, which has no percentile function, computes exactly the same. With `ordered_set` (PostgreSQL)
    each group's values are sorted once inside an aggregate (array_agg ... ORDER BY) instead of a window
    sort of every row per measure and level, which was most of the report's time at scale."""
    group = [rows.c[key] for key in keys]
    if ordered_set:
        columns = []
        for measure in measures:
            value = rows.c[measure]
            # the group's values in order, read by rank: the same ranks and arithmetic as below,
            # so every figure is the same to the last digit
            ordered = func.array_agg(aggregate_order_by(value, value)).filter(value.is_not(None))
            count = func.count(value)
            for percent in percents:
                position = percent * (count - 1)
                lower_rank = cast(position // 100 + 1, Integer)
                lower, upper = ordered[lower_rank], ordered[lower_rank + 1]
                step = (position % 100) / 100.0
                columns.append((lower + func.coalesce(step * (upper - lower), 0)).label(f"{measure}_p{percent}"))
        statement = select(*group, *aggregates(rows), *columns)
        return statement.group_by(*group).order_by(*group) if keys else statement
    partition = group or None
    windows = []
    for measure in measures:
        value = rows.c[measure]
        windows += [func.row_number().over(partition_by=partition, order_by=[value.is_(None), value])
                    .label(f"rank_{measure}"),
                    func.count(value).over(partition_by=partition).label(f"count_{measure}")]
    ranked = select(*rows.c, *windows).subquery()
    columns = []
    for measure in measures:
        value, rank, count = ranked.c[measure], ranked.c[f"rank_{measure}"], ranked.c[f"count_{measure}"]
        for percent in percents:
            position = percent * (count - 1)  # (rank - 1) * 100, exact in integers
            lower_rank = position // 100 + 1
            lower = func.max(case((rank == lower_rank, value)))
            upper = func.max(case((rank == lower_rank + 1, value)))
            step = func.max(case((rank == lower_rank, (position % 100) / 100.0)))
            columns.append((lower + func.coalesce(step * (upper - lower), 0)).label(f"{measure}_p{percent}"))
    statement = select(*[ranked.c[key] for key in keys], *aggregates(ranked), *columns)
    if keys:
        statement = statement.group_by(*[ranked.c[key] for key in keys]).order_by(*[ranked.c[key] for key in keys])
    return statement


def share(part, whole):
    return round(part / whole, 3) if whole else None


