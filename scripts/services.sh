#!/usr/bin/env bash
# Make sure the real services the tests use answer: Redis on 6379 and PostgreSQL on 5432
# (trust auth for 127.0.0.1, user postgres). Starts, and on a bare machine installs, them.
set -euo pipefail

redis_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(7).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! redis_up; then
  if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /tmp/mizan-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/mizan-redis --logfile /tmp/mizan-redis/redis.log
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
fi
redis_up || { echo "Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then
    as_root apt-get update -qq && as_root apt-get install -y -qq postgresql >/dev/null
  fi
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  hba="/etc/postgresql/$ver/main/pg_hba.conf"
  if ! grep -q "mizan-tests" "$hba"; then
    # Tests connect as postgres over TCP without a password, as on the development machines.
    as_root sed -i '1i host all all 127.0.0.1/32 trust # mizan-tests\nhost all all ::1/128 trust # mizan-tests' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 100); do pg_up && break; sleep 0.2; done
fi
pg_up || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE test" >/dev/null
