"""Progress of a background job (a proof PDF, a large notice's preview) for the page that asked
for it. Builds have their own URL on the planner (web/editions.build_progress)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify

from notices_app import jobs
from notices_app.extensions import db
from notices_app.models import Job
from notices_app.web.access import ANY_USER, allow
from notices_app.web.i18n import t

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
STAFF = ("editor", "admin")


@bp.route("/<int:job_id>/progress.json")
@allow(ANY_USER)
def progress(job_id: int) -> Response:
    """Editors see every job; anyone else only the jobs they asked for (404 for the others, as
    for another customer's notice)."""
    job = db.session.get(Job, job_id) if job_id < 2**31 else None
    if job is None or (g.user.role not in STAFF and job.requested_by_id != g.user.id):
        abort(404)
    data = jobs.job_progress(job)
    data["label"] = t(data["stage_zh"], data["stage_en"])
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "no-store"
    return resp
