"""The job rows: asking for work (one row per piece of work), claiming it under a lease,
reporting progress and the outcome. Every function commits: a job's state is what other
processes (the polling browser, the other workers) read.

The claim is one conditional UPDATE, so of two workers handed the same task (Redis re-delivers
a task whose worker died, or whose run outlasted the visibility timeout) exactly one moves the
row to `running`; PostgreSQL re-checks the condition after waiting for the row lock, SQLite
serialises the writers.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from notices_app.extensions import db
from notices_app.models import Job, utcnow


def worker_name() -> str:
    # Read at claim time: a prefork pool child has another pid than the parent that imported us.
    return f"{socket.gethostname()}:{os.getpid()}"


def lease() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("JOBS_LEASE_SECONDS", 300)))


def find(key: str) -> Job | None:
    # populate_existing: a poll must see what a worker committed since this session last looked.
    return db.session.scalar(select(Job).where(Job.key == key).execution_options(populate_existing=True))


def ask(kind: str, key: str, **columns: Any) -> tuple[Job, bool]:
    """The job for `key`: the existing one, or a new queued one (committed). Returns (job, new).

    A failed job asked for again is queued again (same row, so the browser's link stays valid);
    a queued, running or done one is left alone: the work is not done twice.
    """
    job = find(key)
    if job is None:
        job = Job(kind=kind, key=key, status="queued", stage="queued", **columns)
        db.session.add(job)
        try:
            db.session.commit()
            return job, True
        except IntegrityError:  # another request asked for the same work a moment earlier
            db.session.rollback()
            job = find(key)
            if job is None:
                raise
    if job.status == "failed":
        job.status, job.stage, job.error, job.done = "queued", "queued", None, 0
        job.finished_at = None
        db.session.commit()
        return job, True
    return job, False


def claim(job_id: int) -> Job | None:
    """Take the job: queued, or running with a lapsed lease (its worker died). None when it is
    finished or another worker holds a fresh lease."""
    now = utcnow()
    result = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == "queued",
                and_(Job.status == "running", Job.heartbeat_at < now - lease()),
            ),
        )
        .values(
            status="running",
            attempts=Job.attempts + 1,
            worker=worker_name(),
            started_at=now,
            heartbeat_at=now,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if getattr(result, "rowcount", 0) != 1:
        return None
    return db.session.get(Job, job_id)


def beat(job: Job, stage: str, done: int, total: int) -> None:
    """Progress, and a sign of life that renews the lease."""
    job.stage, job.done, job.total = stage, done, total
    job.heartbeat_at = utcnow()
    db.session.commit()


def finish(job: Job, result: dict[str, Any] | None = None) -> None:
    job.status, job.stage = "done", "done"
    job.done = job.total = max(job.total, 1)
    job.result = dict(result or {})
    job.finished_at = utcnow()
    db.session.commit()


def fail(job_id: int, error: str) -> None:
    """Record that the work raised (after a rollback: the session may hold a broken transaction)."""
    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.status, job.error = "failed", error[:2000]
    job.finished_at = utcnow()
    db.session.commit()


def is_finished(job_id: int) -> bool:
    status = db.session.scalar(select(Job.status).where(Job.id == job_id))
    return status in (None, "done", "failed")
