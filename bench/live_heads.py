"""Heartbeat cost: the latest seq of every room a web process serves (app.live.publish.room_heads:
one primary-key query per 500 rooms on `live_rooms`), beside a live_events table with many events
per room, which it no longer reads.

Run from the repository root:

    .venv/bin/python bench/live_heads.py                                  # SQLite file
    .venv/bin/python bench/live_heads.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The PostgreSQL database is created empty by the caller and migrated here (its tables are filled).
Figures: median and max of 9 runs for 1,000 and 5,000 rooms, with 100,000 events in 10,000 rooms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rooms", type=int, default=10_000)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import insert, text

    from app import create_app
    from app.extensions import db
    from app.live.models import LiveEvent
    from app.live.publish import room_heads
    from app.timekeeping import now_utc
    from tests.conftest import make_config

    folder = tempfile.mkdtemp(prefix="meridian-bench-")
    url = args.database_url or f"sqlite:///{folder}/heads.sqlite"
    app = create_app(make_config(url, folder))
    rng = random.Random(7)
    with app.app_context():
        flask_migrate.upgrade()
        at = now_utc()
        rows = [{"room": f"case:{rng.randrange(1, args.rooms + 1)}", "type": "tick", "data": {},
                 "has_summary": n % 3 == 0, "at": at} for n in range(args.events)]
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(LiveEvent), rows[start:start + 5_000])
        db.session.execute(text(   # what publishing keeps up to date, as the migration builds it
            "INSERT INTO live_rooms (room, seq, summary_seq) SELECT room, MAX(seq), "
            "COALESCE(MAX(CASE WHEN has_summary THEN seq END), 0) FROM live_events GROUP BY room"))
        db.session.commit()
        for count in (1_000, 5_000):
            rooms = [f"case:{n}" for n in rng.sample(range(1, args.rooms + 1), count)]
            timings = []
            for _ in range(9):
                started = time.perf_counter()
                heads = room_heads(db.session, rooms)
                timings.append(time.perf_counter() - started)
                db.session.rollback()
            print(f"{db.engine.dialect.name}: {count:>5} rooms -> {len(heads)} heads: "
                  f"median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
