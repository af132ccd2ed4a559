#!/usr/bin/env bash
# The whole test suite on PostgreSQL and Redis, as CI runs it (.ci/run calls `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/bootstrap.sh
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/portal}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/9}
export DJANGO_ALLOW_ASYNC_UNSAFE=true
echo "==> pytest on $DATABASE_URL"
exec .venv/bin/python -m pytest "$@"
