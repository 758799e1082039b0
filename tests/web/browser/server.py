"""Serve Meridian for the browser tests: a fresh SQLite database, migrated and demo-seeded.

`python tests/web/browser/server.py DB_PATH PORT PASSWORD` prints "ready" once it listens. CSRF is on
(unlike the test-client config), so the pages' forms and the JavaScript's X-CSRFToken are exercised.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)


def main(db_path: str, port: int, password: str) -> None:
    import flask_migrate

    from app import create_app
    from app.cases.attachments import attachment_store
    from app.demo.imaging import seed_images
    from app.demo.seed import seed_demo
    from app.timekeeping import now_utc
    from app.extensions import db, socketio
    from config import TestingConfig

    config = type("BrowserTestConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "INSTANCE_PATH": os.path.dirname(db_path),
        "WTF_CSRF_ENABLED": True,
        "TESTING": False,
        "LIVE_HEARTBEAT_SECONDS": 1,   # live pages learn of a lost last event within a second
    })
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo(db.session, password)
        seed_images(db.session, attachment_store(app), now_utc())  # as `flask seed-demo` does
        db.session.commit()
    print("ready", flush=True)
    socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
