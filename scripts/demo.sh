#!/usr/bin/env bash
# One command for the demo: install, create the SQLite database, load the seed page, serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo
echo "==> 打开 / open http://127.0.0.1:${PORT:-5000}/  (Ctrl-C stops the demo)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
