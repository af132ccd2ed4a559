#!/usr/bin/env bash
# Install, migrate, load the demo and serve the portal on http://127.0.0.1:8000.
# With no DATABASE_URL/REDIS_URL it runs on SQLite with tasks in-process; with them it uses
# PostgreSQL and Redis and also starts a Celery worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p var
PY=.venv/bin/python
$PY scripts/ensure_database.py
$PY manage.py check
$PY manage.py migrate --noinput
$PY manage.py load_demo
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -n "${REDIS_URL:-}" ]; then
  echo "==> starting a Celery worker and beat (logs in var/)"
  .venv/bin/celery -A portal worker --loglevel INFO --concurrency 2 >var/worker.log 2>&1 &
  pids+=($!)
  .venv/bin/celery -A portal beat --loglevel INFO >var/beat.log 2>&1 &
  pids+=($!)
fi
port=${PORT:-8000}
echo
echo "==> the portal: http://127.0.0.1:${port}/  (admin: http://127.0.0.1:${port}/admin/)"
echo
$PY manage.py runserver "127.0.0.1:${port}"
