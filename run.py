"""Serve Meridian with Flask-SocketIO (threading mode): `python run.py [--host H] [--port P]`."""
import argparse
import os
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Serve Meridian.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    args = parser.parse_args(argv)
    try:
        port = int(args.port)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        print(f"run.py: --port must be a number from 1 to 65535, not {args.port!r}", file=sys.stderr)
        return 2

    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from app import create_app
    from app.extensions import socketio

    try:
        app = create_app()
    except RuntimeError as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    if app.config.get("RUN_SCHEDULER_IN_PROCESS"):
        from app.scheduler.runner import start_background_scheduler

        start_background_scheduler(app)
    print(f"Meridian is serving on http://{args.host}:{port}", flush=True)
    socketio.run(app, host=args.host, port=port, allow_unsafe_werkzeug=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
