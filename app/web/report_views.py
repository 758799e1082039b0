"""Reports for coordinators and admins: the quality and equity figures of the network or of one board,
filtered by period (dates in the reader's zone), board, site, country and urgency, each figure with a
chart, its table and a CSV file of the same rows."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Response, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Organization
from app.boards.models import Board
from app.errors import InvalidInput, InvalidValue
from app.vocabulary import N_
from app.extensions import db
from app.i18n import current_locale_code
from app.inputs import parse_id
from app.reports import figures
from app.security import current_actor, page
from app.timekeeping import check_supported_year, country_name_for_reader, local_midnight, now_utc, reader_locale, to_local
from app.web import web
from app.web.layout import COORDINATING

DEFAULT_DAYS = 90
SPECIALISTS_SHOWN = 25  # the most loaded, on the page and its chart; the CSV has everyone
ON_CALL_SHOWN = 25      # the rota members furthest from their fair share, likewise
LONGEST_DAYS = 731

# figure -> (title, the report's key, its columns in CSV order); the CSV columns are the API's fields.
CSV_FIGURES = {
    "sites": (_l("Waits by referring site"), "sites", ("site_id", "site", "country") + figures.WAIT_COLUMNS),
    "countries": (_l("Waits by country"), "countries", ("country",) + figures.WAIT_COLUMNS),
    "cases": (_l("How the cases fared"), "shares", figures.SHARE_COLUMNS),
    "quorum": (_l("Quorum at the start of meetings"), "boards", figures.QUORUM_COLUMNS),
    "disciplines": (_l("Quorum per core discipline"), "disciplines",
                    ("board_id", "board", "discipline", "met", "recorded", "met_share")),
    "specialists": (_l("Load per specialist"), "specialists", figures.SPECIALIST_COLUMNS),
    "specialist-countries": (_l("Load per country"), "specialist_countries",
                             ("country", "specialists", "meetings", "unsocial_meetings", "unsocial_share")),
    "follow-ups": (_l("What became of the recommendations"), "follow_ups", figures.FOLLOW_UP_COLUMNS),
    "on-call": (_l("On call: fair share against shifts held"), "on_call", figures.ON_CALL_COLUMNS),
}


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(name, N_("must be a date, YYYY-MM-DD")) from None
    try:
        return check_supported_year(day)
    except InvalidValue as refusal:  # year 1 or 9999 would overflow the period's arithmetic
        raise InvalidInput(name, refusal.template, params=refusal.params) from None


def _int(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    value = parse_id(text)
    if value is None:
        raise InvalidInput(name, N_("must be a number"))
    return value


def read_filters(user, *, board: Board | None) -> tuple[figures.ReportScope, dict]:
    """The scope from the query string; dates are whole days in the reader's zone, both included."""
    at, zone = now_utc(), user.timezone
    last = _day("to") or to_local(at, zone).date()
    first = _day("from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput("to", N_("must not be before from"))
    if (last - first).days >= LONGEST_DAYS:
        raise InvalidInput("from", N_("the period may be at most %(days)s days long"),
                           params={"days": LONGEST_DAYS})
    urgency = request.args.get("urgency", "").strip() or None
    country = request.args.get("country", "").strip().upper() or None
    scope = figures.ReportScope(since=local_midnight(first, zone), until=local_midnight(last + timedelta(days=1), zone),
                                at=at, board_id=board.id if board else _int("board"), site_id=_int("site"),
                                country=country, urgency=urgency)
    chosen = {"from": first.isoformat(), "to": last.isoformat(), "board": scope.board_id, "site": scope.site_id,
              "country": country or "", "urgency": urgency or ""}
    return scope, chosen


def csv_rows(report: dict, figure: str) -> tuple[tuple[str, ...], list[dict]]:
    _, key, columns = CSV_FIGURES[figure]
    if key == "disciplines":
        rows = [dict(d, board_id=b["board_id"], board=b["board"]) for b in report["boards"] for d in b["disciplines"]]
    elif key in ("shares", "follow_ups"):
        rows = [report[key]]
    else:
        rows = report[key]
    return columns, rows


def country_names(codes) -> dict[str, str]:
    locale = current_locale_code()
    return {code: country_name_for_reader(code, locale) for code in codes}


def _board_or_404(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        abort(404)
    return board


def _render(board: Board | None):
    user = current_actor()
    try:
        scope, chosen = read_filters(user, board=board)
    except InvalidInput as refused:
        chosen = {name: request.args.get(name, "") for name in ("from", "to", "country", "urgency")}
        chosen.update(board=board.id if board else None, site=None)
        return render_template("reports/report.html", report=None, board=board, problem=refused, chosen=chosen,
                               zone=user.timezone, **_choices()), 400
    report = figures.quality_report(db.session, scope)
    query = {k: v for k, v in chosen.items() if v not in (None, "") and not (board and k == "board")}
    charts = chart_data(report)
    return render_template("reports/report.html", report=report, board=board, problem=None, chosen=chosen,
                           scope=scope, charts=charts, csv_query=query, zone=user.timezone,
                           specialists=report["specialists"][:SPECIALISTS_SHOWN], on_call=on_call_shown(report),
                           **_choices())


def on_call_shown(report: dict) -> list[dict]:
    """The on-call rows the page and its chart show: those furthest from their fair share (either way)
    first, at most ON_CALL_SHOWN of them; the CSV has them all."""
    return sorted(report["on_call"], key=lambda row: -abs(row["shifts_over_fair"]))[:ON_CALL_SHOWN]


def _choices() -> dict:
    sites = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    codes = sorted({site.country for site in sites})
    return {"boards": db.session.scalars(select(Board).order_by(Board.name)).all(), "sites": sites,
            "countries": country_names(codes), "urgencies": figures.URGENCIES}


def chart_data(report: dict) -> dict:
    """What each chart draws (the JS reads it from data attributes); the tables beside hold the same."""
    from flask_babel import gettext

    sites, countries = report["sites"], report["countries"]
    names = country_names([row["country"] for row in countries] + [p["country"] for p in report["specialist_countries"]]
                          + [row["country"] for row in report["on_call"]])

    def waits(rows, label):
        return {"type": "bar", "labels": [label(row) for row in rows], "unit": gettext("days"),
                "series": [{"label": gettext("Median days to discussion"),
                            "values": [row["median_days_to_discussion"] for row in rows]},
                           {"label": gettext("90th percentile"), "values": [row["p90_days_to_discussion"] for row in rows]},
                           {"label": gettext("Median days to signed outcome"),
                            "values": [row["median_days_to_outcome"] for row in rows]}]}

    shares = report["shares"]
    fared = [("discussed", gettext("Discussed")), ("standard_of_care", gettext("Standard of care")),
             ("returned", gettext("Returned")), ("withdrawn", gettext("Withdrawn")), ("deferred", gettext("Deferred")),
             ("deferred_missing_data", gettext("Deferred for missing data")),
             ("waiting", gettext("Waiting")), ("rolled_over", gettext("Rolled over"))]
    follow = report["follow_ups"]
    people, on_call = report["specialists"][:SPECIALISTS_SHOWN], on_call_shown(report)
    return {
        "sites": waits(sites, lambda row: row["site"]),
        "countries": waits(countries, lambda row: names[row["country"]]),
        "cases": {"type": "bar", "labels": [label for _, label in fared], "unit": gettext("cases"),
                  "series": [{"label": gettext("Cases"), "values": [shares[key] for key, _ in fared]}]},
        "quorum": {"type": "bar", "labels": [b["board"] for b in report["boards"]], "unit": "%",
                   "series": [{"label": gettext("Quorum met at start"),
                               "values": [None if b["quorum_met_share"] is None else round(100 * b["quorum_met_share"], 1)
                                          for b in report["boards"]]}]},
        "specialists": {"type": "bar", "stacked": True, "labels": [p["name"] for p in people],
                        "unit": gettext("meetings"),
                        "series": [{"label": gettext("Within 08:00-18:00"),
                                    "values": [p["meetings"] - p["unsocial_meetings"] for p in people]},
                                   {"label": gettext("Unsocial hours"),
                                    "values": [p["unsocial_meetings"] for p in people]}]},
        "on_call": {"type": "bar", "labels": [f"{row['name']} ({row['rota']})" for row in on_call],
                    "unit": gettext("shifts"),
                    "series": [{"label": gettext("Fair share promised"), "values": [row["fair_shifts"] for row in on_call]},
                               {"label": gettext("Shifts held"), "values": [row["shifts_held"] for row in on_call]}]},
        "follow_ups": {"type": "bar", "labels": [gettext("Carried out"), gettext("Changed"), gettext("Not carried out"),
                                                  gettext("No record yet")], "unit": gettext("outcomes"),
                       "series": [{"label": gettext("Signed outcomes"),
                                   "values": [follow["carried_out"], follow["changed"], follow["not_carried_out"],
                                              follow["not_recorded"]]}]},
        "country_names": names,
    }


@web.get("/reports")
@page(COORDINATING)
def reports():
    return _render(None)


@web.get("/reports/boards/<int:board_id>")
@page(COORDINATING)
def board_report(board_id: int):
    return _render(_board_or_404(board_id))


def _csv(board: Board | None, figure: str):
    if figure not in CSV_FIGURES:
        abort(404)
    user = current_actor()
    try:
        scope, chosen = read_filters(user, board=board)
    except InvalidInput as refused:
        return Response(f"{refused.field}: {refused}\n", status=400, mimetype="text/plain")
    report = figures.quality_report(db.session, scope)
    columns, rows = csv_rows(report, figure)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: "" if row.get(name) is None else row.get(name) for name in columns})
    name = f"meridian-{figure}-{chosen['from']}-{chosen['to']}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@web.get("/reports/<figure>.csv")
@page(COORDINATING)
def report_csv(figure: str):
    return _csv(None, figure)


@web.get("/reports/boards/<int:board_id>/<figure>.csv")
@page(COORDINATING)
def board_report_csv(board_id: int, figure: str):
    return _csv(_board_or_404(board_id), figure)


def csv_link(figure: str, board: Board | None, query: dict) -> str:
    if board is not None:
        return url_for("web.board_report_csv", board_id=board.id, figure=figure, **query)
    return url_for("web.report_csv", figure=figure, **query)


@web.app_template_global("report_csv_link")
def report_csv_link(figure, board, query):
    return csv_link(figure, board, query)


@web.app_template_filter("share")
def share_text(value) -> str:
    """A share (0..1) as a percentage in the reader's locale; a dash when there is nothing to divide."""
    from babel.numbers import format_percent

    if value is None:
        return "—"
    return format_percent(value, format="#,##0.#%", locale=reader_locale(current_locale_code()))


@web.app_template_filter("days")
def days_text(value) -> str:
    from babel.numbers import format_decimal

    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.##", locale=reader_locale(current_locale_code()))
