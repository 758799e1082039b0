"""GET /api/v1/reports/quality: the same figures as the domain, for coordinators and admins only."""
from __future__ import annotations

from test_figures import HUB, LONDON, NAIROBI


def headers(client, user):
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "correct horse battery"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


PERIOD = "from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z"


def test_quality_report_per_site_board_and_specialist(client, history):
    response = client.get(f"/api/v1/reports/quality?{PERIOD}", headers=headers(client, history.coordinator))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["since"], body["until"], body["as_of"]) == ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z",
                                                             "2026-11-01T00:00:00Z")
    sites = [{k: v for k, v in row.items() if k != "site_id"} for row in body["sites"]]
    assert sites == [HUB, NAIROBI, LONDON]
    assert body["sites"][1]["site_id"] == history.nairobi.id
    assert body["network"]["median_days_to_discussion"] == 6.77
    assert [row["country"] for row in body["countries"]] == ["CN", "GB", "KE"]
    assert body["cases"]["rolled_over"] == 2 and body["cases"]["shares"]["discussed"] == 0.6
    assert (body["cases"]["deferred"], body["cases"]["deferred_missing_data"]) == (2, 1)
    assert body["boards"][0]["quorum_met"] == 1 and body["boards"][0]["disciplines"][0]["discipline"] == "pathology"
    assert {k: body["boards"][0][k] for k in ("seats_accepted", "seats_attended", "attendance_share")} == {
        "seats_accepted": 6, "seats_attended": 5, "attendance_share": 0.833}
    assert [(r["name"], r["member"], r["fair_shifts"], r["shifts_held"], r["shifts_over_fair"], r["hours_held"])
            for r in body["on_call"]] == [("Dana Declining", False, 0.0, 1, 1.0, 168.0),
                                          ("Paula Pathologist", True, 2.0, 1, -1.0, 168.0),
                                          ("Ravi Radiologist", True, 2.0, 2, 0.0, 336.0)]
    assert body["on_call"][2]["rota_id"] == history.rota.id and body["on_call"][2]["user_id"] == history.radiologist.id
    assert [(p["name"], p["meetings"], p["unsocial_share"]) for p in body["specialists"]] == [
        ("Paula Pathologist", 3, 0.333), ("Ravi Radiologist", 3, 0.0)]
    assert body["follow_ups"]["median_days_to_follow_up"] == 6.0
    assert (body["specialists_total"], body["specialists_next"]) == (2, None)
    assert (body["on_call_total"], body["on_call_next"]) == (3, None)


def test_the_specialists_and_the_on_call_rows_come_a_page_at_a_time(client, history):
    auth = headers(client, history.coordinator)
    first = client.get(f"/api/v1/reports/quality?{PERIOD}&specialists_limit=1", headers=auth).get_json()
    assert [p["name"] for p in first["specialists"]] == ["Paula Pathologist"]
    assert (first["specialists_total"], first["specialists_next"]) == (2, 1)
    assert len(first["specialist_countries"]) >= 1   # everyone's load, whatever the page
    second = client.get(f"/api/v1/reports/quality?{PERIOD}&specialists_limit=1&specialists_cursor=1",
                        headers=auth).get_json()
    assert [p["name"] for p in second["specialists"]] == ["Ravi Radiologist"] and second["specialists_next"] is None
    on_call = []
    cursor = ""
    while True:
        page = client.get(f"/api/v1/reports/quality?{PERIOD}&on_call_limit=2{cursor}", headers=auth).get_json()
        assert len(page["on_call"]) <= 2 and page["on_call_total"] == 3
        on_call += [row["name"] for row in page["on_call"]]
        if page["on_call_next"] is None:
            break
        cursor = f"&on_call_cursor={page['on_call_next']}"
    assert on_call == ["Dana Declining", "Paula Pathologist", "Ravi Radiologist"]
    for query in ("specialists_limit=0", "specialists_limit=201", "specialists_cursor=-1", "on_call_limit=0",
                  "on_call_limit=201", "on_call_cursor=-1"):
        refused = client.get(f"/api/v1/reports/quality?{PERIOD}&{query}", headers=auth)
        assert refused.status_code == 422 and query.split("=")[0] in str(refused.get_json()), query


def test_filters_and_refusals_name_the_field(client, history):
    auth = headers(client, history.coordinator)
    kenya = client.get(f"/api/v1/reports/quality?{PERIOD}&country=ke&board_id={history.board.id}", headers=auth)
    assert [row["site"] for row in kenya.get_json()["sites"]] == ["Nairobi Teaching Hospital"]
    for query, field in (("from=yesterday", "from"), ("urgency=soon", "urgency"),
                         ("from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z", "to"),
                         ("from=2020-01-01T00:00:00Z&to=2026-10-01T00:00:00Z", "from")):
        refused = client.get(f"/api/v1/reports/quality?{query}", headers=auth)
        assert refused.status_code in (400, 422), (query, refused.get_json())
        assert field in str(refused.get_json()), (query, refused.get_json())
    assert client.get(f"/api/v1/reports/quality?board_id={history.board.id + 99}", headers=auth).status_code == 404
    assert client.get("/api/v1/reports/quality", headers=headers(client, history.referrer)).status_code == 403


def test_the_report_is_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/reports/quality"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "board_id", "country", "urgency"}
    site = document["components"]["schemas"]["SiteFigures"]["properties"]
    assert {"site_id", "country", "cases_submitted", "cases_discussed", "median_days_to_discussion",
            "p90_days_to_discussion", "median_days_to_outcome"} <= set(site)
    board = document["components"]["schemas"]["BoardFigures"]["properties"]
    assert {"quorum_met", "seats_accepted", "seats_attended", "attendance_share"} <= set(board)
    assert "description" in board["seats_attended"]
    on_call = document["components"]["schemas"]["OnCallFigures"]["properties"]
    assert {"rota_id", "user_id", "fair_shifts", "shifts_held", "shifts_over_fair", "hours_held"} <= set(on_call)
    assert "on_call" in document["components"]["schemas"]["QualityReportOut"]["properties"]
