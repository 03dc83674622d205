"""The Celery application of a Flask app: configured from its config, every task run inside
its app context.

Delivery is at least once: `acks_late` acknowledges a task only after it ran, and
`task_reject_on_worker_lost` puts it back when the pool process running it dies, so a killed
worker's job is run again by another. The job row's claim (notices_app/jobs/records.py) turns
"at least once" into "once": a copy that finds the job finished does nothing, and one that finds
another worker's fresh lease retries after the lease, taking over only if that worker has gone
quiet. Results live in the job rows, not in a Celery result backend.
"""

from __future__ import annotations

import sys
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask
from sqlalchemy.exc import DBAPIError

from notices_app.extensions import db
from notices_app.jobs.work import RUNNERS

_KEY = "notices_celery"
# The kinds of job and the Celery task each is sent as (notices_app/jobs/dispatch.py sends them).
TASK_NAMES = {
    "edition_build": "notices.edition_build",
    "proof": "notices.proof",
    "preview": "notices.preview",
}
# A busy job is looked at again this often until its holder finishes or its lease lapses.
BUSY_RETRIES = 100


def celery_for(app: Flask) -> Celery:
    """The Celery app of `app` (made once; the broker is read from CELERY_BROKER_URL)."""
    broker = str(app.config.get("CELERY_BROKER_URL") or "")
    made: tuple[str, Celery] | None = app.extensions.get(_KEY)
    if made is None or made[0] != broker:
        made = (broker, make_celery(app, broker))
        app.extensions[_KEY] = made
    return made[1]


def make_celery(app: Flask, broker: str) -> Celery:
    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.import_name, task_cls=FlaskTask, set_as_current=False)
    lease = int(app.config.get("JOBS_LEASE_SECONDS", 300))
    celery.conf.update(
        broker_url=broker or "memory://",
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": int(app.config.get("JOBS_VISIBILITY_TIMEOUT", 3600))},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long build must not hold a second job back from an idle worker
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="notices",
        worker_hijack_root_logger=False,
        enable_utc=True,
    )

    def register(kind: str) -> None:
        def task(self: Task, job_id: int) -> str:
            outcome = RUNNERS[kind](job_id)
            if outcome == "busy":
                # Another worker holds the job. If it dies, its lease lapses and this copy takes
                # over; if it finishes, this copy finds the job finished.
                raise self.retry(countdown=max(lease // 4, 1), max_retries=BUSY_RETRIES)
            return outcome

        # The database briefly unreachable (a failover, a restart): try again later rather than
        # drop the task, which acks_late would otherwise acknowledge as failed.
        celery.task(
            name=TASK_NAMES[kind],
            bind=True,
            autoretry_for=(DBAPIError,),
            retry_backoff=True,
            retry_backoff_max=300,
            max_retries=BUSY_RETRIES,
        )(task)

    for kind in TASK_NAMES:
        register(kind)
    return celery


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    # A prefork pool child inherits the parent's pooled database connections; sharing one socket
    # between processes corrupts both sides, so each child starts with an empty pool.
    worker = sys.modules.get("notices_app.jobs.worker")
    app = getattr(worker, "flask_app", None)
    if app is not None:
        with app.app_context():
            db.engine.dispose(close=False)
