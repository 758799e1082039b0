"""Nothing missed: replay after a disconnect, ordering, and the join/backlog race."""
from __future__ import annotations

import threading

from app.extensions import db
from app.live.publish import publish


def _publish_many(room, count, start=0):
    for n in range(start, start + count):
        publish(db.session, room, "tick", {"n": n})
        db.session.commit()


def test_events_arrive_in_order(live_server, world, clients):
    room = f"meeting:{world.meeting.id}"
    client = clients(live_server.url, world.token["seat_cn"])
    client.subscribe(room)
    _publish_many(room, 20)
    events = client.wait_for(room, lambda evs: len([e for e in evs if e["type"] == "tick"]) == 20)
    ticks = [e for e in events if e["type"] == "tick"]
    assert [e["data"]["n"] for e in ticks] == list(range(20))
    assert [e["seq"] for e in ticks] == sorted(e["seq"] for e in ticks)
    assert set(ticks[0]) == {"seq", "prev", "room", "type", "data", "at"}
    assert [e["prev"] for e in ticks[1:]] == [e["seq"] for e in ticks[:-1]]   # each names the one before


def test_replay_after_a_disconnect_delivers_everything_once_in_order(live_server, world, clients):
    room = f"meeting:{world.meeting.id}"
    client = clients(live_server.url, world.token["seat_cn"])
    client.subscribe(room)
    _publish_many(room, 3)
    client.wait_for(room, lambda evs: len([e for e in evs if e["type"] == "tick"]) == 3)
    client.close()
    _publish_many(room, 5, start=3)            # missed while away
    publish(db.session, f"meeting:{world.meeting.id + 1000}", "tick", {"n": -1})  # another room
    db.session.commit()
    client.connect()
    answer = client.subscribe(room, resume=True)
    assert answer["ok"] is True and answer["replayed"] >= 5
    _publish_many(room, 2, start=8)             # live again
    events = client.wait_for(room, lambda evs: len([e for e in evs if e["type"] == "tick"]) == 10)
    ticks = [e["data"]["n"] for e in events if e["type"] == "tick"]
    assert ticks == list(range(10))
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))


def test_subscribe_since_races_with_concurrent_publishers(live_server, world, clients):
    """Events committed while the client joins arrive exactly once, in seq order."""
    room = f"meeting:{world.meeting.id}"
    _publish_many(room, 10)
    db.session.remove()
    stop = threading.Event()
    published = []

    def publisher(app):
        with app.app_context():
            n = 100
            while not stop.is_set() and n < 160:
                publish(db.session, room, "tick", {"n": n})
                db.session.commit()
                published.append(n)
                n += 1
            db.session.remove()

    from flask import current_app

    thread = threading.Thread(target=publisher, args=(current_app._get_current_object(),))
    thread.start()
    subscribers = []
    try:
        for _ in range(4):
            client = clients(live_server.url, world.token["seat_cn"])
            client.subscribe(room, since=0)
            subscribers.append(client)
    finally:
        thread.join(timeout=60)
        stop.set()
    expected = list(range(10)) + published
    for client in subscribers:
        events = client.wait_for(room, lambda evs: len([e for e in evs if e["type"] == "tick"]) >= len(expected))
        ticks = [e["data"]["n"] for e in events if e["type"] == "tick"]
        assert ticks == expected
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(set(seqs))


def test_since_without_new_events_replays_nothing(live_server, world, clients):
    room = f"user:{world.seat_cn.id}"
    _publish_many(room, 2)
    client = clients(live_server.url, world.token["seat_cn"])
    answer = client.subscribe(room, since=0)
    latest = answer["seq"]
    assert answer["replayed"] == 2
    again = clients(live_server.url, world.token["seat_cn"])
    answer = again.subscribe(room, since=latest)
    assert answer == {"ok": True, "seq": latest, "room": room}
    assert again.events(room) == []
