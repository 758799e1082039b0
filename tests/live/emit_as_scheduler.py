"""A process serving no clients (like `flask scheduler`) publishes one event and exits.

Usage: emit_as_scheduler.py ROOM TYPE  (DATABASE_URL, REDIS_URL, SOCKETIO_CHANNEL from the environment)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def main(room: str, type_: str) -> int:
    from app import create_app
    from app.extensions import db
    from app.live.publish import publish

    app = create_app()
    with app.app_context():
        publish(db.session, room, type_, {"from": "scheduler", "pid": os.getpid()})
        db.session.commit()
        db.session.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
