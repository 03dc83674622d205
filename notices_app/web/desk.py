"""The editors' desk: the queue, a notice with its history and audit log, and the decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from notices_app.models import KINDS
from notices_app.rules import workflow
from notices_app.services import notices as notice_service
from notices_app.services import typesetting
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.web.access import allow
from notices_app.web.i18n import t

bp = Blueprint("desk", __name__, url_prefix="/desk")
STAFF = ("editor", "admin")
DESK_ACTIONS = ("approve", "reject", "request_changes", "mark_paid", "schedule")


@bp.route("/")
@allow(*STAFF)
def queue() -> Any:
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    run = request.args.get("run_date") or None
    try:
        run_date = date.fromisoformat(run) if run else None
    except ValueError:
        run_date = None
        flash(t("刊登日期格式应为 YYYY-MM-DD", "Run date must be YYYY-MM-DD"), "error")
    rows = notice_service.desk_queue(status, kind if kind in KINDS else None, run_date)
    return render_template(
        "desk/queue.html",
        notices=rows,
        kinds=KINDS,
        states=workflow.STATE_LABELS,
        filters={"status": status or "", "kind": kind or "", "run_date": run or ""},
    )


@bp.route("/notices/<int:notice_id>")
@allow(*STAFF)
def notice(notice_id: int) -> Any:
    try:
        n = notice_service.get_notice(notice_id, g.user)
    except NotFound:
        abort(404)
    actions = [a for a in DESK_ACTIONS if a in workflow.allowed_actions_for(n.status, g.user.role)]
    return render_template(
        "desk/notice.html",
        notice=n,
        facts=typesetting.notice_facts(n),
        history=notice_service.org_history(n),
        actions=actions,
    )


@bp.route(
    "/notices/<int:notice_id>/<any(approve, reject, request_changes, mark_paid, schedule):action>",
    methods=["POST"],
)
@allow(*STAFF)
def act(notice_id: int, action: str) -> Any:
    try:
        notice_service.transition(notice_id, action, g.user, reason=request.form.get("reason"))
    except NotFound:
        abort(404)
    except Conflict as err:
        flash(err.message.render(g.lang), "error")
    except FieldErrors as err:
        for messages in err.render(g.lang).values():
            for m in messages:
                flash(m, "error")
    else:
        flash(t("已处理", "Done"))
    return redirect(url_for("desk.notice", notice_id=notice_id))
