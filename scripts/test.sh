#!/usr/bin/env bash
# The whole test suite as CI runs it (.ci/run calls `make test`), in two legs:
#   1. PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL), every test;
#   2. the embedded default `make run` uses: SQLite, tasks in-process (DATABASE_URL and
#      REDIS_URL unset); tests marked postgres_only skip there, saying why.
# Arguments go to both pytest runs. TEST_LEGS=postgres or TEST_LEGS=sqlite runs one leg.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/bootstrap.sh
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
export DJANGO_ALLOW_ASYNC_UNSAFE=true
legs=${TEST_LEGS:-postgres sqlite}

if [[ " $legs " == *" postgres "* ]]; then
  DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/portal}
  REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/9}
  echo "==> pytest on $DATABASE_URL"
  SECONDS=0
  DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL .venv/bin/python -m pytest "$@"
  echo "==> PostgreSQL leg: ${SECONDS} s"
fi

if [[ " $legs " == *" sqlite "* ]]; then
  echo "==> pytest on the embedded default (SQLite, tasks in-process)"
  SECONDS=0
  env -u DATABASE_URL -u REDIS_URL .venv/bin/python -m pytest "$@"
  echo "==> SQLite leg: ${SECONDS} s"
fi
