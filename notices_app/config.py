"""Configuration: defaults, then test overrides, then NOTICES_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar


class DefaultConfig:
    # Signs session cookies and CSRF tokens. Production refuses to start with this one or with
    # fewer than MIN_SECRET_KEY_BYTES (notices_app/web/security.py says how to make one).
    SECRET_KEY = "dev-only-change-me"
    # The public address of the site's root (https://notices.example.cn): every absolute link in
    # feeds and on proofs starts with it, never with the Host header a request happened to
    # send. Production needs it; elsewhere feeds fall back to the demo's http://127.0.0.1:5000.
    # NOTICES_PUBLIC_BASE_URL, its older name, still works.
    SITE_URL = ""
    # SQLALCHEMY_DATABASE_URI is filled in by create_app from NOTICES_DATABASE_URL or the instance folder.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # a filer may spend an hour on a termination notice
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Plain http on a laptop or LAN demo would drop a Secure cookie; production forces it on
    # (and the __Host- name below) in notices_app/web/security.py.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # NOTICES_PRODUCTION=true: __Host- Secure session cookie, HSTS, Redis rate limits, a real secret.
    PRODUCTION = False
    PRODUCTION_SESSION_COOKIE_NAME = "__Host-session"
    HSTS_SECONDS = 63072000
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none).
    TRUSTED_PROXIES = 0
    # Rate limits (Flask-Limiter syntax, ";" between several). None: on, except under TESTING.
    RATELIMIT_ENABLED: bool | None = None
    # Empty: Redis at REDIS_URL when set, else memory (one process: the demo and the tests).
    RATELIMIT_STORAGE_URI = ""
    RATELIMIT_KEY_PREFIX = "notices"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in memory rather than fail
    RATELIMIT_LOGIN = "10 per minute;60 per hour"
    RATELIMIT_SIGNUP = "5 per hour;20 per day"
    RATELIMIT_PASSWORD = "10 per hour"
    RATELIMIT_SUBMIT = "30 per minute;300 per hour"
    RATELIMIT_LIVE_PREVIEW = "120 per minute"
    RATELIMIT_API = "120 per minute;3000 per hour"
    # Every search runs the full-text query: generous for a reader, a wall for a scraper.
    RATELIMIT_SEARCH = "60 per minute;600 per hour"
    # API tokens expire after this many days unless `flask tokens create --days N` says otherwise.
    API_TOKEN_DAYS = 90
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    STRIPE_API_BASE = ""
    REDIS_URL = ""
    CELERY_BROKER_URL = ""
    # Background jobs (notices_app/jobs). With CELERY_BROKER_URL (redis://…) the web enqueues and
    # Celery workers run the jobs. Without it they run in the web process: "thread" on a
    # background thread (the demo: the request returns at once, the page polls), "inline" inside
    # the request. "" picks celery when a broker is set, else inline under TESTING, else thread.
    JOBS_MODE = ""
    # A running job's lease: a second delivery of its task waits this long after the last sign of
    # life before taking over (the worker that claimed it is then presumed dead).
    JOBS_LEASE_SECONDS = 300
    # Redis re-delivers a task nobody acknowledged after this long (acks_late: a worker that dies
    # mid-job never acknowledges). Longer than the longest build; the lease covers overlaps.
    JOBS_VISIBILITY_TIMEOUT = 3600
    STORAGE_DIR = ""
    PUBLICATION_SLUG = "zibo-evening"
    QUOTE_VALIDITY_HOURS = 48
    # Filers without an invoicing account pay before an editor reviews their notice.
    PAY_BEFORE_REVIEW = True
    DEFAULT_LANG = "zh"


def env_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """NOTICES_FOO=bar becomes FOO='bar'; NOTICES_DATABASE_URL maps to SQLAlchemy's key."""
    environ = dict(os.environ if environ is None else environ)
    out: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith("NOTICES_"):
            continue
        name = key.removeprefix("NOTICES_")
        if name == "DATABASE_URL":
            out["SQLALCHEMY_DATABASE_URI"] = value
        elif value.lower() in {"true", "false"}:
            out[name] = value.lower() == "true"
        elif value.isdigit():
            out[name] = int(value)
        else:
            out[name] = value
    return out


def default_database_uri(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return "sqlite:///" + str(Path(instance_path) / "notices.sqlite3")
