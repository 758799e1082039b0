"""Someone who may follow a meeting but not see one of its cases learns nothing identifying about it:
not from the live state, the live events as they happen, nor their replay."""
from __future__ import annotations

import json

from app.boards.models import BoardMember
from app.extensions import db


def identifying(world, payloads) -> list:
    """What in `payloads` names one of the world's cases (an id under a case key, or its reference)."""
    found = []
    for payload in payloads:
        data = payload.get("data") or {}
        for key in ("case_id", "case_ids", "current_case_id"):
            if key in data:
                found.append((payload["type"], key, data[key]))
        text = json.dumps(payload)
        found += [(payload["type"], "reference", case.patient_reference) for case in world.cases
                  if case.patient_reference in text]
    return found


def test_an_observer_without_access_receives_nothing_identifying(live_server, world, clients, client):
    # A specialist at another site who observes the board: may follow its meetings, sees none of its cases.
    db.session.add(BoardMember(board_id=world.board.id, user_id=world.stranger.id, role="observer"))
    db.session.commit()
    room, base = f"meeting:{world.meeting.id}", f"/api/v1/meetings/{world.meeting.id}/live"
    observer = clients(live_server.url, world.token["stranger"])
    observer.subscribe(room)

    chair = world.headers["chair"]
    assert client.post(base + "/start", headers=chair).status_code == 200
    second = world.cases[1].id
    assert client.post(base + "/current-case", json={"case_id": second}, headers=chair).status_code == 200
    assert client.post(base + "/discussed", json={"case_id": second}, headers=chair).status_code == 200
    assert client.post(base + "/current-case", json={"case_id": world.case.id}, headers=chair).status_code == 200
    assert client.put(base + "/notes", json={"case_id": world.case.id, "notes": "Lobectomy."},
                      headers=world.headers["seat_cn"]).status_code == 200
    # The live state: each case is "a case you cannot see", in its place, with its progress only.
    state = client.get(base, headers=world.headers["stranger"]).get_json()
    assert [(item["case_id"], item["position"], item["status"], item["access"], item["notes"])
            for item in state["agenda"]] == [(None, 0, "listed", None, None), (None, 1, "discussed", None, None)]
    assert state["current_case_id"] is None and state["current_position"] == 0
    # ...while a seat with access still reads the cases by id.
    state = client.get(base, headers=world.headers["seat_cn"]).get_json()
    assert [item["case_id"] for item in state["agenda"]] == [world.case.id, second]

    assert client.post(base + "/finish", headers=chair).status_code == 200
    observer.wait_type(room, "meeting.finished")

    seen = observer.events(room)
    assert {"meeting.started", "meeting.current_case", "agenda.case_discussed", "notes.updated"} <= \
        {event["type"] for event in seen}
    assert [e["data"]["position"] for e in seen if e["type"] == "meeting.current_case"] == [1, 0]
    assert identifying(world, seen) == []

    # The whole history again, as a reconnecting client replays it.
    late = clients(live_server.url, world.token["stranger"])
    late.subscribe(room, since=0)
    late.wait_type(room, "meeting.finished")
    assert identifying(world, late.events(room)) == []

