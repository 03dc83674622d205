"""Background jobs: edition builds, proof PDFs and previews of large notices.

`enqueue_*` record the job (and, for a build, its `EditionBuild` row) and hand it to whatever
runs jobs here (dispatch.py: Celery workers when NOTICES_CELERY_BROKER_URL is set, else a
thread of the web process, or the request itself under TESTING); `progress` is what the
browser polls. The work itself is in work.py, the job rows in records.py, Celery in
celery_app.py and the worker's entry point in worker.py.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request

from notices_app.extensions import db
from notices_app.jobs import records
from notices_app.jobs.dispatch import submit
from notices_app.models import Edition, EditionBuild, Job, Notice, PublishedNotice, User, utcnow
from notices_app.rules.messages import msg
from notices_app.rules.states import BuildEvent
from notices_app.services.errors import Conflict
from notices_app.services.status import set_build_status

STAGES = {
    "queued": ("排队等候", "Waiting in the queue"),
    "typeset": ("排字", "Typesetting"),
    "layout": ("拼版", "Laying out the pages"),
    "render": ("出版面", "Rendering the pages"),
    "raster": ("生成图片", "Making the image"),
    "done": ("完成", "Finished"),
}


def enqueue_build(edition: Edition, actor: User | None) -> tuple[EditionBuild, Job]:
    """Start a build of `edition`: its `EditionBuild` row now (Conflict if the edition is
    published), the work in the background. Returns (build, job).

    One build per edition at a time: the edition's write lock is held from the look for a live
    build (`editions.live_build`) until the new build and its job row are committed together, so
    of ten clicks at once the first starts a build and the other nine are handed that one.
    """
    from notices_app.services.editions import live_build, lock_edition, start_build

    lock_edition(edition)
    live = live_build(edition, records.lease())
    if live is not None:
        job = records.find(f"edition_build:{live.id}")
        assert job is not None  # live_build joins the job
        db.session.commit()
        return live, job
    build = start_build(edition, actor)
    build.stage = "queued"
    job = Job(
        kind="edition_build",
        key=f"edition_build:{build.id}",
        status="queued",
        stage="queued",
        build_id=build.id,
        requested_by_id=actor.id if actor else None,
    )
    db.session.add(job)
    db.session.commit()
    _hand_over(job, build)
    return build, job


UNAVAILABLE = msg(
    "jobs.unavailable",
    "后台任务队列暂时不可用，请稍后再试",
    "the background job queue is unavailable; please try again shortly",
)


def _hand_over(job: Job, build: EditionBuild | None = None) -> None:
    """Submit the job; when the broker cannot be reached, close the job (and its build) as
    failed, so nothing waits forever for a task that was never queued, and say so (Conflict)."""
    try:
        submit(job.kind, job.id)
    except Exception as err:
        current_app.logger.exception("could not queue job %s", job.id)
        reason = f"{type(err).__name__}: {err}"
        records.fail(job.id, reason)
        if build is not None:
            db.session.refresh(build)
            if build.status == "running":
                error = f"{UNAVAILABLE.render('zh')} / {UNAVAILABLE.render('en')}"
                set_build_status(build, BuildEvent.FAIL)
                build.error, build.finished_at = error, utcnow()
                db.session.commit()
        raise Conflict(UNAVAILABLE) from err


def enqueue_proof(published: PublishedNotice, actor: User | None = None) -> Job:
    """Make the proof PDF of a published run in the background (once: asking again finds the job)."""
    params = {"base_url": request.url_root} if has_request_context() else {}
    job, new = records.ask(
        "proof",
        f"proof:{published.id}",
        published_id=published.id,
        requested_by_id=actor.id if actor else None,
        params=params,
    )
    if new:
        _hand_over(job)
    return job


def enqueue_preview(notice: Notice, actor: User | None = None) -> Job:
    """Typeset a notice's preview (PDF and PNG) in the background: for notices too large to
    set while a request waits (a termination notice listing hundreds of employees)."""
    from notices_app.jobs.work import preview_digest
    from notices_app.services.typesetting import notice_publication

    pub = notice_publication(notice)
    fields = dict(notice.fields or {})
    digest = preview_digest(notice.kind, fields, pub.geometry_preset, pub.clreq_level)
    job, new = records.ask(
        "preview",
        f"preview:{notice.id}:{digest}",
        notice_id=notice.id,
        requested_by_id=actor.id if actor else None,
        params={
            "kind": notice.kind,
            "fields": fields,
            "preset": pub.geometry_preset,
            "level": pub.clreq_level,
        },
    )
    if new:
        _hand_over(job)
    return job


def job_of_build(build: EditionBuild) -> Job | None:
    return records.find(f"edition_build:{build.id}")


def _shape(status: str, stage: str, done: int, total: int, error: str | None) -> dict[str, Any]:
    finished = status in ("done", "failed")
    zh, en = STAGES.get(stage, (stage, stage))
    return {
        "status": status,
        "finished": finished,
        "stage": stage,
        "stage_zh": zh,
        "stage_en": en,
        "done": done,
        "total": total,
        "percent": 100 if finished else (min(100, round(100 * done / total)) if total else 0),
        "error": error,
    }


def _stalled(job: Job | None) -> bool:
    """A running job whose worker has not reported for longer than the lease."""
    if job is None or job.status != "running" or job.heartbeat_at is None:
        return False
    return job.heartbeat_at < utcnow() - records.lease()


def job_progress(job: Job) -> dict[str, Any]:
    """What the browser polls for a proof or preview job."""
    out = _shape(job.status, job.stage, job.done, job.total, job.error)
    out.update(kind=job.kind, result=job.result if job.status == "done" else {}, stalled=_stalled(job))
    return out


def build_progress(build: EditionBuild, job: Job | None = None) -> dict[str, Any]:
    """What the planner polls for a build. The `EditionBuild` row is the truth about the build
    (one that ran but did not pass is finished and `failed`; one that raised has an error); the
    job says whether it still waits for a worker. A build with no job was started by `flask edition build`."""
    if build.status != "running":
        # An error means the build raised; a build that ran but did not pass is done (and failed).
        status = "failed" if build.error else "done"
        out = _shape(status, "done", build.progress_total or 1, build.progress_total or 1, build.error)
    elif job is not None and job.status == "queued":
        out = _shape("queued", "queued", 0, build.progress_total, None)
    else:
        out = _shape("running", build.stage or "queued", build.progress, build.progress_total, None)
    out.update(
        kind="edition_build",
        build={"number": build.number, "status": build.status},
        stalled=_stalled(job),
    )
    return out
