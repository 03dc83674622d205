"""The 60-second load run (bench/load.py) behind --runslow: public pages and search at a steady
rate under gunicorn while an edition builds in a loop; it must end with no errors.

Its figures (requests per second, p50/p95/p99 per page kind, build seconds) are printed; run
`pytest tests/bench --runslow -s` to see them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_minute_of_readers_during_a_build_gets_no_errors() -> None:
    """On the suite's database: SQLite, or PostgreSQL when NOTICES_TEST_DATABASE_URL names it."""
    pytest.importorskip("locust", reason="bench/requirements.txt is not installed")
    pg_url = os.environ.get("NOTICES_TEST_DATABASE_URL", "")
    args = [sys.executable, str(ROOT / "bench/load.py"), "--seconds", "60", "--rate", "15"]
    args += (
        ["--db", "postgresql", "--pg-url", pg_url] if pg_url.startswith("postgresql") else ["--db", "sqlite"]
    )
    run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "errors: 0 → OK" in run.stdout
