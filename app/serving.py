"""gunicorn settings for production: `gunicorn -c python:app.serving app.wsgi:application`.

Flask-SocketIO's threading mode under gunicorn is one worker per instance with many threads
(`-w 1 --threads N`, WebSockets through simple-websocket): a Socket.IO session lives in one process,
so instances scale out behind the balancer (one per core, sharing Redis), never as workers of one
master. Each WebSocket holds a thread while it is open, and each thread may hold a database
connection while it answers, so the database pool is sized from the threads (config.pool_options).
"""
import os

from config import web_threads

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5001')}"
workers = 1
worker_class = "gthread"
threads = web_threads()
# Clients that keep a connection open between requests (the API's, the balancer's) reuse it.
keepalive = 5
# Requests carry patient data in their paths only as ids; still, access logs are left to the balancer.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = "meridian-web"
# Several instances run on one host (one per core); each would otherwise claim the same default
# control socket. Instances are managed by signals (stack.sh, the service manager) instead.
control_socket_disable = True
