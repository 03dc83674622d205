#!/usr/bin/env bash
# The whole test suite: lint gate (ruff check + format, mypy on the pure packages), then pytest on
# SQLite and again on PostgreSQL. Extra arguments go to pytest (e.g. -k composer, --runslow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "==> lint: ruff check, ruff format --check, mypy (pure packages)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "==> pytest on SQLite"
NOTICES_TEST_DATABASE_URL="" .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 "$@"

PG_URL=${NOTICES_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "==> starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "==> pytest on PostgreSQL"
  NOTICES_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at 127.0.0.1:5432 and CI requires it" >&2
  exit 1
else
  echo "==> PostgreSQL not reachable at 127.0.0.1:5432: skipped (CI runs it)"
fi
