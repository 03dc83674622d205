"""Handing a committed job to whatever runs jobs here: Celery workers through the broker, a
background thread of this process, or the request itself.

Always called after the job row is committed: a worker may pick the task up before the
request has even returned, and must find the row.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from notices_app.extensions import db
from notices_app.jobs.celery_app import TASK_NAMES, celery_for
from notices_app.jobs.work import run

MODES = ("celery", "thread", "inline")
_EXECUTOR_KEY = "notices_jobs_executor"
_lock = threading.Lock()


def mode(app: Flask | None = None) -> str:
    """How jobs run in this process (config JOBS_MODE; "" chooses from the broker setting)."""
    config = (app or current_app).config
    chosen = str(config.get("JOBS_MODE") or "")
    if chosen:
        if chosen not in MODES:
            raise ValueError(f"JOBS_MODE must be one of {', '.join(MODES)}, not {chosen!r}")
        return chosen
    if config.get("CELERY_BROKER_URL"):
        return "celery"
    return "inline" if config.get("TESTING") else "thread"


def submit(kind: str, job_id: int) -> None:
    """Run job `job_id` of `kind` the way this process runs jobs."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    how = mode(app)
    if how == "celery":
        celery_for(app).send_task(TASK_NAMES[kind], args=[job_id], task_id=f"job-{job_id}-{kind}")
    elif how == "thread":
        _executor(app).submit(_run_in_context, app, job_id)
    else:
        run(job_id)


def _executor(app: Flask) -> ThreadPoolExecutor:
    # One worker thread: the demo builds one edition at a time, as one Celery worker would, and
    # the web threads keep the CPU for the pages the browser polls.
    with _lock:
        executor = app.extensions.get(_EXECUTOR_KEY)
        if executor is None:
            executor = app.extensions[_EXECUTOR_KEY] = ThreadPoolExecutor(1, thread_name_prefix="notices-job")
        return executor


def _run_in_context(app: Flask, job_id: int) -> Any:
    with app.app_context():
        try:
            return run(job_id)
        except Exception:  # the runners record their failures; this is a bug in the runner itself
            app.logger.exception("background job %s crashed", job_id)
            return None
        finally:
            db.session.remove()


def wait_idle(app: Flask) -> None:
    """Wait for the jobs handed to this process's thread (tests; an orderly shutdown)."""
    with _lock:
        executor = app.extensions.pop(_EXECUTOR_KEY, None)
    if executor is not None:
        executor.shutdown(wait=True)
