from app.notifications.operations import notify


def test_notify_is_idempotent_by_key(session, make_user):
    user = make_user()
    assert notify(session, user_id=user.id, kind="test", dedupe_key="k1", subject="Hello") is True
    assert notify(session, user_id=user.id, kind="test", dedupe_key="k1", subject="Hello again") is False
    session.commit()


def test_inbox_lists_newest_first_and_marks_read(client, session, make_user, api_auth):
    user, other = make_user(), make_user()
    for index in range(3):
        notify(session, user_id=user.id, kind="test", dedupe_key=f"n{index}", subject=f"Message {index}")
    notify(session, user_id=other.id, kind="test", dedupe_key="other", subject="Not yours")
    session.commit()
    headers = api_auth.headers(user)
    inbox = client.get("/api/v1/notifications", headers=headers).get_json()
    assert inbox["unread_count"] == 3
    assert [n["subject"] for n in inbox["notifications"]] == ["Message 2", "Message 1", "Message 0"]
    first_id = inbox["notifications"][0]["id"]
    marked = client.post("/api/v1/notifications/read", headers=headers, json={"ids": [first_id]}).get_json()
    assert marked == {"marked": 1, "unread_count": 2}
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert len(unread["notifications"]) == 2
    everything = client.post("/api/v1/notifications/read", headers=headers, json={}).get_json()
    assert everything == {"marked": 2, "unread_count": 0}


def test_bad_inbox_query_names_the_field(client, make_user, api_auth):
    response = client.get("/api/v1/notifications?limit=many", headers=api_auth.headers(make_user()))
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "limit"
