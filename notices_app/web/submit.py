"""The filer's side: dashboard, notice forms with live preview and price, submit, withdraw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for

from notices_app.extensions import db, limiter
from notices_app.forms import NOTICE_FORMS
from notices_app.models import Notice
from notices_app.rules import workflow
from notices_app.services import notices as notice_service
from notices_app.services import typesetting
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.web.access import allow
from notices_app.web.i18n import t
from notices_app.web.notice_input import build_form, parse_run_dates, validated_input
from notices_app.web.security import limit_from_config

bp = Blueprint("submit", __name__, url_prefix="/notices")
FILERS = ("filer", "editor", "admin")
# Creating, editing, submitting and withdrawing notices draw on one budget per user.
submission_limit = limiter.shared_limit(limit_from_config("RATELIMIT_SUBMIT"), "submission", methods=["POST"])


def _notice_or_404(notice_id: int) -> Notice:
    try:
        return notice_service.get_notice(notice_id, g.user)
    except NotFound:
        abort(404)


def _run_date_choices() -> list[tuple[str, str, str]]:
    pub = notice_service.current_publication()
    return typesetting.run_date_choices(pub)


@bp.route("/")
@allow(*FILERS)
def dashboard() -> Any:
    rows = db.session.scalars(notice_service.visible_notices(g.user).order_by(Notice.id.desc()).limit(200))
    return render_template("submit/dashboard.html", notices=list(rows), kinds=NOTICE_FORMS)


def _form_page(kind: str, notice: Notice | None) -> Any:
    if kind not in NOTICE_FORMS:
        abort(404)
    if request.method == "POST":
        form = build_form(kind, request.form)
        try:
            run_dates = parse_run_dates(request.form.getlist("run_dates"))
            data = validated_input(kind, form, run_dates)
            if notice is None:
                notice = notice_service.create_notice(g.user, data)
            else:
                notice = notice_service.update_notice(notice, g.user, data)
        except FieldErrors as err:
            for key, messages in err.render(g.lang).items():
                if key == "run_dates" or key not in form._fields:
                    form.extra_errors = {**getattr(form, "extra_errors", {}), key: messages}
            chosen = request.form.getlist("run_dates")
        except Conflict as err:
            flash(err.message.render(g.lang), "error")
            return redirect(url_for("submit.show", notice_id=notice.id if notice else 0))
        else:
            flash(t("已保存草稿,请检查样稿后提交", "Draft saved: check the proof, then submit"))
            return redirect(url_for("submit.show", notice_id=notice.id))
    else:
        form = build_form(kind, None, notice.fields if notice else None)
        chosen = [d.isoformat() for d in notice.run_dates] if notice else []
    return render_template(
        "submit/form.html", form=form, kind=kind, notice=notice, run_dates=_run_date_choices(), chosen=chosen
    )


@bp.route("/new/<kind>", methods=["GET", "POST"])
@allow(*FILERS)
@submission_limit
def new(kind: str) -> Any:
    return _form_page(kind, None)


@bp.route("/<int:notice_id>/edit", methods=["GET", "POST"])
@allow(*FILERS)
@submission_limit
def edit(notice_id: int) -> Any:
    notice = _notice_or_404(notice_id)
    return _form_page(notice.kind, notice)


@bp.route("/<int:notice_id>")
@allow(*FILERS)
def show(notice_id: int) -> Any:
    notice = _notice_or_404(notice_id)
    ctx = typesetting.notice_facts(notice)
    actions = [
        a for a in ("submit", "withdraw") if a in workflow.allowed_actions_for(notice.status, g.user.role)
    ]
    return render_template("submit/show.html", notice=notice, facts=ctx, actions=actions)


@bp.route("/<int:notice_id>/<any(submit, withdraw):action>", methods=["POST"])
@allow(*FILERS)
@submission_limit
def act(notice_id: int, action: str) -> Any:
    _notice_or_404(notice_id)
    try:
        notice_service.transition(notice_id, action, g.user)
    except Conflict as err:
        flash(err.message.render(g.lang), "error")
    except FieldErrors as err:
        for key, messages in err.render(g.lang).items():
            for m in messages:
                flash(f"{typesetting.field_label(key, g.lang)}:{m}", "error")
    else:
        flash(t("操作成功", "Done"))
    return redirect(url_for("submit.show", notice_id=notice_id))


@bp.route("/<int:notice_id>/preview.<any(pdf, png):fmt>")
@allow(*FILERS)
def preview(notice_id: int, fmt: str) -> Response:
    notice = _notice_or_404(notice_id)
    data = typesetting.preview(notice.kind, notice.fields, fmt)
    return Response(data, mimetype="application/pdf" if fmt == "pdf" else "image/png")


@bp.route("/live/<kind>", methods=["POST"])
@allow(*FILERS)
@limiter.limit(limit_from_config("RATELIMIT_LIVE_PREVIEW"))
def live(kind: str) -> Any:
    """Debounced from the form while the filer types: the typeset preview and the binding price."""
    if kind not in NOTICE_FORMS:
        abort(404)
    form = build_form(kind, request.form)
    form.validate()
    result = typesetting.live_preview(kind, form, len(request.form.getlist("run_dates")) or 1)
    return jsonify(result)
