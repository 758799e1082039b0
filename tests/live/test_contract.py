"""The Socket.IO contract: who may connect, who may join which room, each event type arriving."""
from __future__ import annotations

import time

import pytest
import socketio

from app.extensions import db
from app.live.publish import publish
from live_helpers import LiveClient


def test_connection_without_credentials_is_refused(live_server):
    for auth in (None, {"token": "not-a-token"}, {"user_id": 1}):
        client = LiveClient(live_server.url, auth=auth if auth is not None else {})
        if auth is None:
            client.auth = None
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect()


def test_a_refused_connection_is_told_why_in_the_handshake_s_language_with_a_code(live_server):
    refusals = []
    sio = socketio.Client(reconnection=False)
    sio.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(live_server.url, auth={"token": "not-a-token"}, headers={"Accept-Language": "ru"},
                    transports=["websocket"], wait_timeout=5)
    assert refusals == [{"message": "требуется аутентификация", "data": {"code": "authentication_required"}}]


def test_connection_with_a_token_is_accepted_and_unknown_events_are_refused(live_server, world, clients):
    client = clients(live_server.url, world.token["seat_cn"])
    assert client.sio.connected
    assert client.sio.call("drop_tables", {}, timeout=5) == {"ok": False, "code": "unknown_event",
                                                             "error": "unknown event"}
    assert client.sio.call("subscribe", "meeting:1", timeout=5)["ok"] is False
    assert client.sio.call("subscribe", {"room": "meeting:1", "since": -1}, timeout=5)["ok"] is False


def test_refusals_name_a_stable_code_and_say_why_in_the_persons_saved_language(
        live_server, world, clients, session):
    """A program reads `code`; a person reads `error`, in the language they chose, whatever their
    connection's handshake asked for (a token has no session)."""
    from app.accounts.models import User

    for name, language in (("seat_cn", "zh"), ("stranger", "ru")):
        session.get(User, getattr(world, name).id).locale = language
    session.commit()
    seat, stranger = clients(live_server.url, world.token["seat_cn"]), clients(live_server.url, world.token["stranger"])
    assert seat.sio.call("drop_tables", {}, timeout=5) == {"ok": False, "code": "unknown_event", "error": "未知事件"}
    assert stranger.subscribe(f"meeting:{world.meeting.id}") == {
        "ok": False, "code": "not_allowed", "error": "нет доступа или такой комнаты нет"}
    assert seat.sio.call("subscribe", {"room": "meeting:1", "limit": 0}, timeout=5) == {
        "ok": False, "code": "invalid_limit", "error": "limit 必须是 1 到 200 之间的整数（最多重放的事件数）"}
    assert seat.unsubscribe("meeting:42") == {"ok": False, "code": "not_subscribed", "error": "未订阅 meeting:42"}


def test_connection_with_the_session_cookie(live_server, world, client):
    from tests.conftest import PASSWORD

    response = client.post("/login", data={"email": world.seat_cn.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    cookie = client.get_cookie("session")
    assert cookie is not None
    live = LiveClient(live_server.url, headers={"Cookie": f"session={cookie.value}"})
    live.connect()
    try:
        assert live.subscribe(f"meeting:{world.meeting.id}")["ok"] is True
        assert live.subscribe(f"user:{world.seat_cn.id}")["ok"] is True
        assert live.subscribe(f"user:{world.chair.id}")["ok"] is False
    finally:
        live.close()


@pytest.mark.parametrize("who,room,allowed", [
    ("seat_cn", "meeting", True), ("seat_de", "meeting", True), ("stranger", "meeting", False),
    ("chair", "board", True), ("seat_cn", "board", False), ("stranger", "board", False),
    ("seat_cn", "case", True), ("seat_de", "case", True), ("stranger", "case", False),
    ("referrer", "case", True),
    ("seat_cn", "own-user", True), ("seat_cn", "other-user", False),
    ("seat_cn", "junk", False),
])
def test_who_may_join_which_room(live_server, world, clients, who, room, allowed):
    name = {"meeting": f"meeting:{world.meeting.id}", "board": f"board:{world.board.id}",
            "case": f"case:{world.case.id}", "own-user": f"user:{getattr(world, who).id}",
            "other-user": f"user:{world.chair.id}", "junk": "meeting:1; DROP"}[room]
    client = clients(live_server.url, world.token[who])
    answer = client.subscribe(name)
    assert answer["ok"] is allowed, answer
    if not allowed:
        assert answer == {"ok": False, "code": "not_allowed", "error": "not allowed, or no such room"}


def test_refused_room_for_a_missing_object_looks_like_a_forbidden_one(live_server, world, clients):
    client = clients(live_server.url, world.token["stranger"])
    assert client.subscribe("meeting:999999") == client.subscribe(f"meeting:{world.meeting.id}")


def test_unsubscribe_stops_delivery(live_server, world, clients, app):
    client = clients(live_server.url, world.token["seat_cn"])
    room = f"user:{world.seat_cn.id}"
    client.subscribe(room)
    publish(db.session, room, "ping", {"n": 1})
    db.session.commit()
    client.wait_for(room, lambda evs: len(evs) == 1)
    assert client.unsubscribe(room) == {"ok": True, "room": room}
    publish(db.session, room, "ping", {"n": 2})
    publish(db.session, room, "ping", {"n": 3})
    db.session.commit()
    other = clients(live_server.url, world.token["seat_cn"])
    other.subscribe(room, since=0)
    other.wait_for(room, lambda evs: len(evs) == 3)
    assert [e["data"]["n"] for e in client.events(room)] == [1]


def test_a_rolled_back_event_is_neither_stored_nor_emitted(live_server, world, clients):
    from app.live.models import LiveEvent

    client = clients(live_server.url, world.token["seat_cn"])
    room = f"user:{world.seat_cn.id}"
    client.subscribe(room)
    publish(db.session, room, "ghost", {})
    db.session.rollback()
    with db.session.begin_nested():
        publish(db.session, room, "ghost-in-savepoint", {})
        db.session.rollback()  # the savepoint only
    publish(db.session, room, "real", {})
    db.session.commit()
    client.wait_for(room, lambda evs: len(evs) == 1)
    assert client.types(room) == ["real"]
    assert [e.type for e in db.session.query(LiveEvent).filter_by(room=room)] == ["real"]


def test_summary_viewer_never_receives_clinical_data(live_server, world, clients, api_auth):
    full = clients(live_server.url, world.token["seat_cn"])
    summary = clients(live_server.url, world.token["seat_de"])
    room = f"case:{world.case.id}"
    assert full.subscribe(room)["ok"] is True
    answer = summary.subscribe(room)
    assert answer["ok"] is True and answer["level"] == "summary"
    from app.cases.models import Case
    from app.cases.operations import add_comment

    case = db.session.get(Case, world.case.id)
    add_comment(db.session, case, world.seat_cn, "Suspicious nodule in the left upper lobe", at=__import__(
        "app.timekeeping", fromlist=["now_utc"]).now_utc())
    publish(db.session, room, "marker", {"secret": "clinical"}, summary_data={"marker": True})
    db.session.commit()
    full.wait_for(room, lambda evs: len(evs) == 2)
    summary.wait_for(room, lambda evs: len(evs) == 1)
    assert full.types(room) == ["case.comment_added", "marker"]
    assert full.events(room)[0]["data"]["body"].startswith("Suspicious")
    assert summary.types(room) == ["marker"]
    assert summary.events(room)[0]["data"] == {"marker": True}
    # Replay honours the same rule.
    late = clients(live_server.url, world.token["seat_de"])
    late.subscribe(room, since=0)
    late.wait_for(room, lambda evs: len(evs) == 1)
    assert all("clinical" not in str(p) and "Suspicious" not in str(p) for p in summary.raw + late.raw)


def test_savepoints_neither_emit_early_nor_drop_the_outer_transactions_events(live_server, world, clients):
    from app.live.models import LiveEvent

    client = clients(live_server.url, world.token["seat_cn"])
    room = f"user:{world.seat_cn.id}"
    client.subscribe(room)
    publish(db.session, room, "before-savepoint", {})
    with db.session.begin_nested():            # released: nothing is committed yet
        publish(db.session, room, "inside-released-savepoint", {})
    savepoint = db.session.begin_nested()
    publish(db.session, room, "inside-rolled-back-savepoint", {})
    savepoint.rollback()
    time.sleep(0.3)
    assert client.raw == []
    db.session.commit()
    client.wait_for(room, lambda evs: len(evs) == 2)
    assert client.types(room) == ["before-savepoint", "inside-released-savepoint"]
    assert [e.type for e in db.session.query(LiveEvent).filter_by(room=room).order_by(LiveEvent.seq)] == [
        "before-savepoint", "inside-released-savepoint"]
