"""The Reports pages and their CSV files: coordinators and admins only, the same numbers as the API."""
from __future__ import annotations

import csv
import io


def sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code in (302, 303), response.status_code


def test_network_page_shows_every_figure_with_its_csv(client, history, app):
    history.coordinator.display_timezone = "UTC"
    from app.extensions import db
    db.session.commit()
    sign_in(client, history.coordinator)
    page = client.get("/reports?from=2026-10-01&to=2026-10-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-figure="network-median">6.77<' in html and "Nairobi Teaching Hospital" in html
    assert html.count("<canvas") == 7 and "style=" not in html
    assert 'data-column="attendance">5 / 6 (83.3%)<' in html
    assert 'data-column="deferred">2<' in html and 'data-column="deferred_missing_data">1<' in html
    cases = list(csv.DictReader(io.StringIO(client.get("/reports/cases.csv?from=2026-10-01&to=2026-10-31")
                                            .get_data(as_text=True))))
    assert (cases[0]["deferred"], cases[0]["deferred_missing_data"]) == ("2", "1")
    assert 'data-column="fair_shifts">2<' in html and 'data-column="shifts_over_fair">-1<' in html
    quorum = list(csv.DictReader(io.StringIO(client.get("/reports/quorum.csv?from=2026-10-01&to=2026-10-31")
                                             .get_data(as_text=True))))
    assert [(r["board"], r["seats_accepted"], r["seats_attended"], r["attendance_share"]) for r in quorum] == [
        ("Thoracic", "6", "5", "0.833")]
    on_call = client.get("/reports/on-call.csv?from=2026-10-01&to=2026-10-31").get_data(as_text=True).splitlines()
    assert on_call[0] == ",".join(("rota_id", "rota", "user_id", "name", "country", "member", "fair_shifts",
                                   "shifts_held", "shifts_over_fair", "hours_held"))
    assert on_call[1:] == [
        f"{history.rota.id},Thoracic on call,{history.declining.id},Dana Declining,IN,False,0.0,1,1.0,168.0",
        f"{history.rota.id},Thoracic on call,{history.pathologist.id},Paula Pathologist,GB,True,2.0,1,-1.0,168.0",
        f"{history.rota.id},Thoracic on call,{history.radiologist.id},Ravi Radiologist,IN,True,2.0,2,0.0,336.0"]
    sites = client.get("/reports/sites.csv?from=2026-10-01&to=2026-10-31")
    assert sites.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(sites.get_data(as_text=True))))
    assert [(r["site"], r["cases_submitted"], r["median_days_to_discussion"], r["cases_waiting"]) for r in rows] == [
        ("Hub Cancer Centre", "5", "4.0", "0"), ("Nairobi Teaching Hospital", "4", "15.0", "1"),
        ("London Satellite Clinic", "1", "7.04", "0")]
    kenya = client.get("/reports/countries.csv?from=2026-10-01&to=2026-10-31&country=KE").get_data(as_text=True)
    assert kenya.splitlines()[1].startswith("KE,4,2,1,12.0,15.0,19.0,17.0,21.8,")
    disciplines = client.get("/reports/disciplines.csv?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert "pathology,1,2,0.5" in disciplines
    board = client.get(f"/reports/boards/{history.board.id}?from=2026-10-01&to=2026-10-31")
    assert board.status_code == 200 and "Thoracic" in board.get_data(as_text=True)
    assert client.get(f"/reports/boards/{history.board.id}/follow-ups.csv?from=2026-10-01&to=2026-10-31"
                      ).get_data(as_text=True).splitlines()[1] == "4,1,1,1,1,6.0"


def test_bad_filters_name_the_field_and_others_may_not_look(client, history):
    sign_in(client, history.coordinator)
    refused = client.get("/reports?from=2026-13-01")
    assert refused.status_code == 400 and "from" in refused.get_data(as_text=True)
    assert client.get("/reports/sites.csv?urgency=soon").status_code == 400
    assert client.get("/reports/nothing.csv").status_code == 404
    assert client.get(f"/reports/boards/{history.board.id + 50}").status_code == 404
    client.post("/logout")
    sign_in(client, history.referrer)
    assert client.get("/reports").status_code in (403, 404)


def test_the_page_shows_the_rota_members_furthest_from_their_fair_share_first():
    from app.web.report_views import ON_CALL_SHOWN, on_call_shown

    rows = [{"user_id": n, "shifts_over_fair": over} for n, over in enumerate([0.5, -3.0, 2.0] + [0.0] * ON_CALL_SHOWN)]
    shown = on_call_shown({"on_call": rows})
    assert len(shown) == ON_CALL_SHOWN and [row["user_id"] for row in shown[:3]] == [1, 2, 0]
