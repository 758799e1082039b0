"""API lists that can grow come a page at a time: `limit`, an opaque `cursor`, a `Link` to the next page."""
from datetime import UTC, datetime, timedelta

from app.notifications.operations import notify
from app.paging import encode_cursor

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def walk(client, url, headers, *, rows=lambda body: body):
    """Every page from `url` on: the ids in order, and how many pages it took."""
    ids, pages = [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        ids += [row["id"] for row in rows(response.get_json())]
        pages += 1
        link = response.headers.get("Link")
        url = link[1:link.index(">")] if link else None
    return ids, pages


def test_users_by_name_then_id(client, make_user, headers):
    admin = make_user("admin", name="Zeynep Admin")
    for name in ("Bola", "Aigerim", "Bola", "Chen"):
        make_user("specialist", name=name)
    ids, pages = walk(client, "/api/v1/users?limit=2", headers(admin))
    everyone = client.get("/api/v1/users?limit=200", headers=headers(admin)).get_json()
    assert ids == [row["id"] for row in sorted(everyone, key=lambda row: (row["name"], row["id"]))]
    assert len(ids) == 5 and pages == 3


def test_audit_events_newest_first(client, make_user, headers):
    admin = make_user("admin")
    h = headers(admin)
    for _ in range(3):
        client.post("/api/v1/auth/token", json={"email": admin.email, "password": "correct horse battery"})
    ids, pages = walk(client, "/api/v1/audit-events?limit=2&action=auth.token_created", h)
    assert ids == sorted(ids, reverse=True) and len(ids) == 4 and pages == 2


def test_notifications_newest_first_keeps_the_unread_count(client, session, make_user, headers):
    user = make_user("specialist")
    for n in range(5):
        notify(session, user_id=user.id, kind="test", dedupe_key=f"test:{n}", subject=f"Note {n}",
               at=T0 + timedelta(minutes=n))
    session.commit()
    response = client.get("/api/v1/notifications?limit=2", headers=headers(user))
    assert response.get_json()["unread_count"] == 5
    ids, pages = walk(client, "/api/v1/notifications?limit=2", headers(user),
                      rows=lambda body: body["notifications"])
    assert len(ids) == 5 and pages == 3 and ids == sorted(ids, reverse=True)


def test_specialists_pages_stay_full_when_a_filter_is_judged_in_python(client, make_user, make_specialist, headers):
    coordinator = make_user("coordinator")
    speakers = [make_specialist(languages=("ru", "en"), name=f"Speaker {n}") for n in range(5)]
    for n in range(4):
        make_specialist(languages=("en",), name=f"Other {n}")
    ids, pages = walk(client, "/api/v1/specialists?language=ru&limit=2", headers(coordinator),
                      rows=lambda body: [{"id": row["user_id"]} for row in body])
    assert ids == [user.id for user in speakers] and pages == 3


INSTANT = {"t": "2026-11-02T08:00:00+00:00"}
HAND_MADE_CURSORS = {  # each decodes, but could never have come from the list it is sent to
    "/api/v1/cases": [["x"], [2 ** 40], [2 ** 70]],                              # by id
    "/api/v1/users": [["Bola\u0000", 3], [INSTANT, 3], ["Bola", "3"]],             # by name, then id
    "/api/v1/notifications": [["2026-11-02", 3], [INSTANT, 2 ** 40], [3, 3]],    # by time, then id
}


def test_a_hand_made_cursor_is_a_422_naming_it_on_every_database(client, make_user, headers):
    admin = make_user("admin")
    for url, cursors in HAND_MADE_CURSORS.items():
        for values in cursors:
            response = client.get(f"{url}?cursor={encode_cursor(values)}", headers=headers(admin))
            assert response.status_code == 422, (url, values, response.get_data(as_text=True))
            assert [error["field"] for error in response.get_json()["errors"]] == ["cursor"], (url, values)
