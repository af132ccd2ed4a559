#!/usr/bin/env bash
# Install, migrate, load the demo and serve the portal on http://127.0.0.1:8000.
# With no DATABASE_URL/REDIS_URL it runs on SQLite with tasks in-process; with them it uses
# PostgreSQL and Redis and also starts a Celery worker per queue (billing's, mail's) and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p var
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=portal.settings
$PY scripts/ensure_database.py
$PY manage.py check
$PY manage.py migrate --noinput
$PY manage.py load_demo
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -n "${REDIS_URL:-}" ]; then
  echo "==> starting a Celery worker per queue and beat (logs in var/)"
  # The queue names as the portal reads them (the environment or .env).
  read -r queue mail_queue < <($PY -c 'import django; django.setup()
from django.conf import settings as s; print(s.CELERY_TASK_DEFAULT_QUEUE, s.CELERY_MAIL_QUEUE)')
  .venv/bin/celery -A portal worker --loglevel INFO --concurrency 2 -Q "$queue" \
    -n "billing@%h" >var/worker.log 2>&1 &
  pids+=($!)
  .venv/bin/celery -A portal worker --loglevel INFO --concurrency 1 -Q "$mail_queue" \
    -n "mail@%h" >var/mail-worker.log 2>&1 &
  pids+=($!)
  .venv/bin/celery -A portal beat --loglevel INFO >var/beat.log 2>&1 &
  pids+=($!)
fi
port=${PORT:-8000}
echo
echo "==> the portal: http://127.0.0.1:${port}/  (admin: http://127.0.0.1:${port}/admin/)"
echo
$PY manage.py runserver "127.0.0.1:${port}"
