"""The delivery protocol (docs/live.md): events delivered out of order, lost in transit, or lost at
the tail are applied in seq order, each once, with the missing ones fetched by replay."""
from __future__ import annotations

import time

from flask import current_app

from app.extensions import db
from app.live import heartbeat
from app.live import publish as live_publish


def _publish_held(monkeypatch, room, count):
    """Commit `count` events without emitting them; returns the (room, full, summary) triples."""
    held = []
    monkeypatch.setattr(live_publish, "emit_payloads", held.extend)
    for n in range(count):
        live_publish.publish(db.session, room, "tick", {"n": n})
        db.session.commit()
    monkeypatch.undo()
    return held


def _ticks(client, room):
    return [e["data"]["n"] for e in client.events(room) if e["type"] == "tick"]


def test_events_out_of_order_with_one_lost_are_applied_in_order_and_the_lost_one_is_fetched(
        live_server, world, clients, monkeypatch):
    room = f"meeting:{world.meeting.id}"
    client = clients(live_server.url, world.token["seat_cn"], gap_wait=0.2)
    client.subscribe(room)
    first, lost, third, fourth = _publish_held(monkeypatch, room, 4)
    live_publish.emit_payloads([fourth, first, third])    # the second never arrives
    try:
        client.wait_for(room, lambda evs: len([e for e in evs if e["type"] == "tick"]) == 4)
    except AssertionError:
        raise AssertionError((client.raw, client.replays, client.contiguous, client.ahead))
    assert _ticks(client, room) == [0, 1, 2, 3]
    seqs = [e["seq"] for e in client.events(room)]
    assert seqs == sorted(set(seqs))
    assert client.replays >= 1


def test_events_swapped_in_transit_are_applied_in_order_without_a_replay(live_server, world, clients,
                                                                          monkeypatch):
    room = f"meeting:{world.meeting.id}"
    client = clients(live_server.url, world.token["seat_cn"], gap_wait=5)
    client.subscribe(room)
    first, second = _publish_held(monkeypatch, room, 2)
    live_publish.emit_payloads([second])
    assert _ticks(client, room) == []          # waits for the first
    live_publish.emit_payloads([first])
    client.wait_for(room, lambda evs: len([e for e in evs if e["type"] == "tick"]) == 2)
    assert _ticks(client, room) == [0, 1] and client.replays == 0


def test_a_lost_last_event_is_fetched_after_the_heartbeat(live_server, world, clients, monkeypatch):
    room = f"case:{world.case.id}"
    full = clients(live_server.url, world.token["chair"], gap_wait=0.2)
    full.subscribe(room)
    summary = clients(live_server.url, world.token["seat_de"], gap_wait=0.2)
    assert summary.subscribe(room)["level"] == "summary"
    held = []
    monkeypatch.setattr(live_publish, "emit_payloads", held.extend)
    live_publish.publish(db.session, room, "case.updated", {"fields": ["question"]}, summary_data={})
    db.session.commit()
    live_publish.publish(db.session, room, "case.comment_added", {"body": "Seen."})
    db.session.commit()
    monkeypatch.undo()
    assert full.events(room) == []
    assert heartbeat.send_heads(current_app._get_current_object()) >= 2   # connections told
    full.wait_for(room, lambda evs: len(evs) == 2)
    assert [e["type"] for e in full.events(room)] == ["case.updated", "case.comment_added"]
    summary.wait_for(room, lambda evs: len(evs) == 1)
    # The summary viewer's head is the last event it may see: it is not behind, and replays no more.
    assert summary.heads[room] == summary.events(room)[0]["seq"]
    assert [e["type"] for e in summary.events(room)] == ["case.updated"]
    replays = summary.replays
    heartbeat.send_heads(current_app._get_current_object())
    full.wait_for(room, lambda evs: True)
    assert summary.replays == replays


def test_a_room_the_heartbeat_does_not_name_is_subscribed_again(live_server, world, clients, monkeypatch):
    """The server stops holding a room without a word (a subscribe lost to a passing failure): the
    next heartbeat does not name it, and the client subscribes again and gets what it missed."""
    room = f"meeting:{world.meeting.id}"
    client = clients(live_server.url, world.token["seat_cn"], gap_wait=0.2)
    client.subscribe(room)
    assert client.sio.call("unsubscribe", {"room": room}, timeout=10)["ok"] is True   # behind its back
    missed = _publish_held(monkeypatch, room, 1)
    live_publish.emit_payloads(missed)    # to the room, which no longer has this client
    # The first heartbeat after an answer may predate the subscription it answered: the second counts.
    seen = client.heads_seen
    assert heartbeat.send_heads(current_app._get_current_object()) >= 1
    client.wait_heads(seen + 1)
    assert client.state(room)["unheld"] is False and _ticks(client, room) == [] and client.replays == 0
    heartbeat.send_heads(current_app._get_current_object())
    client.wait_for(room, lambda evs: _ticks(client, room) == [0])
    assert client.replays == 1


def test_a_subscribe_refused_for_a_passing_failure_is_asked_again(live_server, world, clients, monkeypatch,
                                                                  caplog):
    """The server fails while answering a resubscribe (`internal_error`): the client asks again
    shortly, as after no answer, and gets the backlog; a refusal for good is not asked again."""
    from app.live import events

    room = f"meeting:{world.meeting.id}"
    client = clients(live_server.url, world.token["seat_cn"], gap_wait=0.2)
    client.subscribe(room)
    first, second = _publish_held(monkeypatch, room, 2)
    failures = []
    real_room_access = events.room_access

    def failing_once(*args, **kwargs):
        if not failures:
            failures.append(True)
            raise RuntimeError("the database went away")
        return real_room_access(*args, **kwargs)

    monkeypatch.setattr(events, "room_access", failing_once)
    live_publish.emit_payloads([second])    # the first is missing: a gap, and a resubscribe that fails
    client.wait_for(room, lambda evs: _ticks(client, room) == [0, 1])
    assert failures == [True] and client.replays >= 2
    assert "live: _subscribe failed" in caplog.text

    # A resubscribe refused for good: the room is forgotten, and heartbeats that do not name it
    # bring no resubscribe.
    monkeypatch.setattr(events, "room_access", lambda *args, **kwargs: None)
    assert client.subscribe(room, resume=True)["code"] == "not_allowed"
    monkeypatch.setattr(events, "room_access", real_room_access)
    replays, seen = client.replays, client.heads_seen
    for _ in range(2):
        heartbeat.send_heads(current_app._get_current_object())
    client.wait_heads(seen + 2)
    time.sleep(0.5)   # well past gap_wait: a resubscribe, were one armed, would have been made
    assert client.state(room)["contiguous"] is None and client.replays == replays


def test_replay_is_limited_in_the_database(live_server, world, clients, monkeypatch):
    """A client too far behind to page through gets `reset: true` and no backlog; the query reads at most
    the limit."""
    from app.live import events

    monkeypatch.setattr(events, "REPLAY_PAGE", 2)
    monkeypatch.setattr(events, "RESET_AFTER", 4)
    room = f"user:{world.seat_cn.id}"
    for n in range(5):
        live_publish.publish(db.session, room, "tick", {"n": n})
    db.session.commit()
    assert len(live_publish.backlog(db.session, room, 0, 10 ** 9, limit=2)) == 2
    assert live_publish.more_than(db.session, room, 0, 10 ** 9, 4) is True
    assert live_publish.more_than(db.session, room, 0, 10 ** 9, 5) is False
    db.session.commit()
    client = clients(live_server.url, world.token["seat_cn"])
    answer = client.subscribe(room, since=0)
    assert answer["reset"] is True and client.events(room) == []


def test_a_client_behind_by_more_than_a_page_catches_up_page_by_page(live_server, world, clients, monkeypatch):
    """Without `limit` the backlog comes REPLAY_PAGE events at a time with `next`; a client that follows
    `next` gets every event once, in order."""
    from app.live import events

    monkeypatch.setattr(events, "REPLAY_PAGE", 2)
    room = f"user:{world.seat_cn.id}"
    for n in range(5):
        live_publish.publish(db.session, room, "tick", {"n": n})
    db.session.commit()
    client = clients(live_server.url, world.token["seat_cn"])
    first = client.sio.call("subscribe", {"room": room, "since": 0}, timeout=10)
    assert first["ok"] is True and first["replayed"] == 2 and first["next"] < first["seq"]
    following = clients(live_server.url, world.token["seat_cn"])
    following.subscribe(room, since=0)   # the helper follows `next` as live.js does
    assert [p["data"]["n"] for p in following.events(room)] == [0, 1, 2, 3, 4]


def test_closing_a_websocket_logs_no_error(live_server, world, clients, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="werkzeug"):
        for _ in range(3):
            client = clients(live_server.url, world.token["seat_cn"])
            client.subscribe(f"user:{world.seat_cn.id}")
            client.close()
        # The server has handled the closes once a new connection is answered.
        clients(live_server.url, world.token["seat_cn"]).subscribe(f"user:{world.seat_cn.id}")
    assert [r.getMessage() for r in caplog.records if r.name == "werkzeug" and r.levelno >= logging.ERROR] == []
    assert not any("code 400" in r.getMessage() for r in caplog.records)


def test_a_publish_that_fails_is_noticed(monkeypatch):
    from app.live.queue import MessageQueueHealth, client_manager
    import app.live.queue as queue

    health = MessageQueueHealth()
    monkeypatch.setattr(queue, "message_queue_health", health)
    from live_helpers import free_port

    manager = client_manager(f"redis://127.0.0.1:{free_port()}/0", "meridian-test", write_only=True)
    manager._publish({"method": "emit", "event": "event", "data": {}})   # nothing listens on that port
    assert health.down
    assert health.succeeded() is True and not health.down


def test_replay_comes_a_page_at_a_time_with_a_cursor(live_server, world, clients):
    """With `limit`, each subscribe replays at most that many events and names the `next` seq to ask from."""
    room = f"user:{world.seat_cn.id}"
    for n in range(5):
        live_publish.publish(db.session, room, "tick", {"n": n})
    db.session.commit()
    client = clients(live_server.url, world.token["seat_cn"])
    pages, since = [], 0
    while since is not None:
        before = len(client.raw)
        answer = client.sio.call("subscribe", {"room": room, "since": since, "limit": 2}, timeout=10)
        assert answer["ok"] is True and "reset" not in answer
        pages.append([p["data"]["n"] for p in client.raw[before:] if p.get("type") == "tick"])
        since = answer.get("next")
    assert pages == [[0, 1], [2, 3], [4]]
    for bad in (0, -1, 201, "2", True):
        answer = client.sio.call("subscribe", {"room": room, "since": 0, "limit": bad}, timeout=10)
        assert answer["ok"] is False and "limit" in answer["error"]
