"""The delivery protocol under real use: two web processes over PostgreSQL and Redis, many clients,
concurrent writers, clients moving between processes, and Redis stopped and started again."""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from app.cases.models import Case
from app.meetings.models import AgendaItem
from live_helpers import LiveClient
from process_fixtures import database_url, process_env, redis_url, start_web_process, two_web_processes  # noqa: F401
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (TEST_DATABASE_URL) and Redis")

# Long enough for every client to converge on a loaded 2-core machine; they normally do in seconds.
CONVERGE_SECONDS = 60


def _more_cases(session, world, count):
    cases = list(world.cases)
    for n in range(count):
        case = Case(organization_id=world.case.organization_id, referrer_id=world.referrer.id,
                    board_id=world.board.id, residency_region="cn", state="triaged", urgency="routine",
                    patient_reference=f"FCG-10{n}", question="Resectable?", clinical_summary="Mass.",
                    icd10_code="C34.1", cross_border_consent=True)
        session.add(case)
        session.flush()
        session.add(AgendaItem(meeting_id=world.meeting.id, case_id=case.id, position=10 + n, status="listed"))
        cases.append(case)
    session.commit()
    return [case.id for case in cases]


def _comment(url, headers, case_id, n):
    response = requests.post(f"{url}/api/v1/cases/{case_id}/comments", json={"body": f"Comment {n}."},
                             headers=headers, timeout=30)
    assert response.status_code == 201, response.text


def _room_seqs(database_url, rooms):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {room: [row[0] for row in connection.execute(
                text("SELECT seq FROM live_events WHERE room = :room ORDER BY seq"), {"room": room})]
                for room in rooms}
    finally:
        engine.dispose()


def _wait_converged(clients_rooms, expected):
    deadline = time.monotonic() + CONVERGE_SECONDS
    for client, rooms in clients_rooms:
        for room in rooms:
            remaining = max(0.1, deadline - time.monotonic())
            client.wait_for(room, lambda evs, room=room: len(evs) >= len(expected[room]), timeout=remaining)
    for client, rooms in clients_rooms:
        for room in rooms:
            assert [e["seq"] for e in client.events(room)] == expected[room]   # each once, in seq order


def _connect_all(urls, world, rooms, count, rng):
    made = []

    def one(i):
        token = world.token["chair" if i % 2 else "seat_cn"]
        client = LiveClient(urls[i % len(urls)], token, gap_wait=0.5, resume_when_dropped=True).connect()
        mine = [rooms[i % len(rooms)]] + ([rooms[(i + 1) % len(rooms)]] if i % 5 == 0 else [])
        for room in mine:
            assert client.subscribe(room)["ok"] is True
        return client, mine

    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(one, range(count)))
    return made


def test_many_clients_and_writers_across_two_processes_get_every_event_once_in_order(
        two_web_processes, world, session, database_url):
    rng = random.Random(12)
    urls = two_web_processes
    case_ids = _more_cases(session, world, 2)
    rooms = [f"case:{case_id}" for case_id in case_ids]
    clients = _connect_all(urls, world, rooms, 200, rng)
    movers = rng.sample(range(len(clients)), 20)
    try:
        writes = [(urls[n % 2], case_ids[rng.randrange(len(case_ids))], n) for n in range(500)]

        def moving():
            for index in movers:     # drop and come back on the other process, mid-run
                client, _ = clients[index]
                client.reconnect(urls[1] if client.url == urls[0] else urls[0])

        with ThreadPoolExecutor(8) as writers, ThreadPoolExecutor(1) as mover:
            futures = [writers.submit(_comment, url, world.headers["chair"], case_id, n)
                       for url, case_id, n in writes[:100]]
            moved = mover.submit(moving)
            futures += [writers.submit(_comment, url, world.headers["chair"], case_id, n)
                        for url, case_id, n in writes[100:]]
            for future in futures:
                future.result()
            moved.result()   # every mover is connected again (its failure would be silent otherwise)
        expected = _room_seqs(database_url, rooms)
        assert sum(len(seqs) for seqs in expected.values()) >= 500
        _wait_converged(clients, expected)
    finally:
        for client, _ in clients:
            client.close()
