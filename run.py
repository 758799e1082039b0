"""Serve Meridian with Flask-SocketIO (threading mode): `python run.py [--host H] [--port P]`.

What cannot start (a bad --port, a setting Meridian cannot start with, a port already taken, a host
that does not resolve) is one line on stderr and exit status 2, with nothing started. The in-process
scheduler (development) starts only once the server is listening, and stops with it.
"""
import argparse
import errno
import os
import socket
import sys


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, opened as Werkzeug's server opens its own; OSError if it cannot
    be (the port is taken, the host does not resolve...)."""
    from werkzeug.serving import LISTEN_QUEUE, get_sockaddr, select_address_family

    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family != getattr(socket, "AF_UNIX", None):
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(LISTEN_QUEUE)
    except BaseException:
        listener.close()
        raise
    return listener


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
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # "setup plugin ..." at each start
    from app import create_app

    try:
        app = create_app()
    except RuntimeError as exc:  # config.ConfigurationError names the setting
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    try:
        listener = listen(args.host, port)
    except (OSError, UnicodeError) as exc:
        hint = (" (another program uses it: stop that program or choose another --port)"
                if getattr(exc, "errno", None) == errno.EADDRINUSE else "")
        print(f"run.py: cannot listen on {args.host}:{port}: {getattr(exc, 'strerror', None) or exc}{hint}",
              file=sys.stderr)
        return 2
    from werkzeug.serving import make_server

    # Werkzeug's threaded server on the socket already listening (what socketio.run starts in threading
    # mode; the app's wsgi_app is Flask-SocketIO's middleware, WebSockets through simple-websocket).
    server = make_server(args.host, port, app, threaded=True, fd=listener.fileno())
    listener.close()  # the server holds its own duplicate
    started = None
    try:
        if app.config.get("RUN_SCHEDULER_IN_PROCESS"):
            from app.scheduler.runner import start_background_scheduler

            started = start_background_scheduler(app)
        print(f"Meridian is serving on http://{args.host}:{port}", flush=True)
        server.serve_forever()  # returns on Ctrl-C
    finally:
        server.server_close()
        if started is not None:
            from app.scheduler.runner import stop_background_scheduler

            stop_background_scheduler(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
