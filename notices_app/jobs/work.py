"""The work each kind of job does, given the job's id, inside an app context.

Each function claims its job first and does nothing when it cannot (finished, or another
worker holds it), so running one twice — a task delivered again after its worker died, or a
retry — never makes a second build or proof. It returns the outcome: "done", "failed",
"finished" (someone else already finished it) or "busy" (someone else holds a fresh lease).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from flask import current_app, has_request_context

from notices_app.extensions import db
from notices_app.jobs import records
from notices_app.models import Edition, EditionBuild, Job, PublishedNotice, User, utcnow
from notices_app.rules.states import BuildEvent
from notices_app.services.status import set_build_status

Outcome = Literal["done", "failed", "finished", "busy"]


def _not_claimed(job_id: int) -> Outcome:
    return "finished" if records.is_finished(job_id) else "busy"


def _error(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def run_build(job_id: int) -> Outcome:
    """Build the edition into the `EditionBuild` row the request made (see `enqueue_build`)."""
    from notices_app.services import editions as edition_service

    job = records.claim(job_id)
    if job is None:
        return _not_claimed(job_id)
    build = db.session.get(EditionBuild, job.build_id) if job.build_id else None
    if build is None or build.status != "running":
        # A later build marked it interrupted while it waited in the queue: that build is newer.
        records.fail(job_id, "the build was closed before it ran / 组版记录已关闭")
        return "failed"
    edition = db.session.get(Edition, build.edition_id)
    actor = db.session.get(User, build.started_by_id) if build.started_by_id else None
    assert edition is not None  # a foreign key
    build_id = build.id

    def progress(done: int, total: int, stage: str) -> None:
        records.beat(job, stage, done, total)

    try:
        build = edition_service.build_edition(edition.date, actor, progress, build=build)
    except Exception as err:
        current_app.logger.exception("edition build %s (job %s) failed", build_id, job_id)
        _close_build(build_id, _error(err))
        records.fail(job_id, _error(err))
        return "failed"
    records.finish(job, {"build_id": build.id, "number": build.number, "status": build.status})
    return "done"


def _close_build(build_id: int, error: str) -> None:
    # build_edition records its own failures; this covers whatever raised before it could.
    db.session.rollback()
    build = db.session.get(EditionBuild, build_id)
    if build is not None and build.status == "running":
        set_build_status(build, BuildEvent.FAIL)
        build.error, build.finished_at = error, utcnow()
        db.session.commit()


def run_proof(job_id: int) -> Outcome:
    """Make (or find) the proof-of-publication PDF of a published run."""
    from notices_app.services import proofs

    job = records.claim(job_id)
    if job is None:
        return _not_claimed(job_id)
    try:
        published = db.session.get(PublishedNotice, job.published_id) if job.published_id else None
        if published is None:
            raise LookupError(f"published notice {job.published_id} is gone")
        records.beat(job, "render", 0, 1)
        base_url = str(job.params.get("base_url") or "")
        if current_app.config.get("PUBLIC_BASE_URL") or has_request_context() or not base_url:
            data = proofs.proof_pdf(published)
        else:
            # The verification URL printed on the proof is the one the asking request would have
            # printed: a proof made here is the same file as one made in the request.
            with current_app.test_request_context(base_url=base_url):
                data = proofs.proof_pdf(published)
        result = {"path": proofs.proof_path(published), "sha256": hashlib.sha256(data).hexdigest()}
    except Exception as err:
        current_app.logger.exception("proof job %s failed", job_id)
        records.fail(job_id, _error(err))
        return "failed"
    records.finish(job, result)
    return "done"


def preview_digest(kind: str, fields: dict[str, Any], preset: str, level: str) -> str:
    blob = json.dumps([kind, fields, preset, level], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def run_preview(job_id: int) -> Outcome:
    """Typeset a notice (as it stood when asked) and keep its preview PDF and PNG."""
    from notices_app.services import storage, typesetting

    job = records.claim(job_id)
    if job is None:
        return _not_claimed(job_id)
    try:
        p = job.params
        kind, fields = str(p["kind"]), dict(p["fields"])
        preset, level = str(p["preset"]), str(p["level"])
        stem = f"previews/notice-{job.notice_id}-{preview_digest(kind, fields, preset, level)}"
        records.beat(job, "typeset", 0, 2)
        pdf = typesetting.preview(kind, fields, "pdf", preset, level)
        pdf_sha = storage.store(f"{stem}.pdf", pdf)
        records.beat(job, "raster", 1, 2)
        storage.store(f"{stem}.png", typesetting.preview(kind, fields, "png", preset, level))
        result = {"pdf": f"{stem}.pdf", "png": f"{stem}.png", "sha256": pdf_sha}
    except Exception as err:
        current_app.logger.exception("preview job %s failed", job_id)
        records.fail(job_id, _error(err))
        return "failed"
    records.finish(job, result)
    return "done"


RUNNERS = {"edition_build": run_build, "proof": run_proof, "preview": run_preview}


def run(job_id: int) -> Outcome:
    """Run a job of any kind (the in-process runner's entry)."""
    job = db.session.get(Job, job_id)
    if job is None:
        return "finished"
    return RUNNERS[job.kind](job_id)
