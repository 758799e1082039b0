#!/usr/bin/env bash
# Run the production stack on loopback: one gunicorn instance per core (threaded worker, see
# app/serving.py; ports 5001, 5002, ...) and the scheduler, sharing PostgreSQL and Redis (already
# running locally). Ctrl-C stops them all.
#
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/meridian REDIS_URL=redis://127.0.0.1:6379/0 scripts/stack.sh
#
# SECRET_KEY is generated per run unless set (sessions then last only as long as this run); so is
# ATTACHMENT_KEYS (attachments uploaded in one run cannot be read in the next: set it to keep them).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
FLASK="$PY -m flask --app app:create_app"
export MERIDIAN_CONFIG=${MERIDIAN_CONFIG:-production}
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/meridian}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export SOCKETIO_CHANNEL=${SOCKETIO_CHANNEL:-meridian-socketio}
export SECRET_KEY=${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(48))')}
export ATTACHMENT_KEYS=${ATTACHMENT_KEYS:-$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}
PORTS=${PORTS:-$(seq -s ' ' 5001 $((5000 + $(nproc))))}

$PY -c "import redis, os; redis.Redis.from_url(os.environ['REDIS_URL'], socket_timeout=3).ping()" \
  || { echo "stack.sh: Redis at $REDIS_URL does not answer" >&2; exit 1; }
$FLASK db upgrade

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

for port in $PORTS; do
  HOST=127.0.0.1 PORT=$port $PY -m gunicorn -c python:app.serving app.wsgi:application & pids+=($!)
done
$FLASK scheduler & pids+=($!)
echo "stack.sh: web on $(for p in $PORTS; do printf 'http://127.0.0.1:%s ' "$p"; done)and the scheduler; Ctrl-C stops."
wait -n "${pids[@]}"   # one died: stop the rest
