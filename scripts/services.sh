#!/usr/bin/env bash
# Make sure the system parts the tests use are there and running: PostgreSQL, Redis, Chromium,
# docker-compose (to validate docker-compose.yml). Installs missing Debian packages (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=""
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "!! $* missing and not root: install it with apt-get install $*" >&2
    return 1
  fi
  [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "==> installing PostgreSQL"
    apt_install postgresql
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "==> starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  # A fresh Debian cluster wants a password over TCP; trust clusters ignore it.
  if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    echo "==> giving role postgres a password for TCP logins"
    su postgres -c "psql -q -c \"ALTER ROLE postgres PASSWORD 'postgres'\""
  fi
}

redis() {
  if ! command -v redis-server >/dev/null; then
    echo "==> installing Redis"
    apt_install redis-server
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "==> starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
}

chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "==> installing Debian's chromium for the browser tests"
    apt_install chromium fonts-liberation
  fi
}

compose() {
  if ! command -v docker-compose >/dev/null; then
    echo "==> installing docker-compose (to validate docker-compose.yml)"
    apt_install docker-compose
  fi
  # The file refuses to start without a SECRET_KEY; validating it needs only a stand-in.
  SECRET_KEY=${SECRET_KEY:-compose-config-check-only} docker-compose -f docker-compose.yml config -q
  echo "==> docker-compose.yml is valid"
}

if [ $# -eq 0 ]; then set -- postgres redis chromium compose; fi
for part in "$@"; do "$part"; done
