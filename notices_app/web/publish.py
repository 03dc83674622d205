"""The desk side of publishing: the 出版 / Publish action for an edition, the list of published
notices, and the unmask view (the full notice, shown only with a reason, every time logged)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from notices_app import jobs
from notices_app.extensions import db
from notices_app.models import Edition, EditionBuild, PublishedNotice, User
from notices_app.services import editions as edition_service
from notices_app.services import publishing
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.services.notices import current_publication
from notices_app.web import page_cache
from notices_app.web.access import allow
from notices_app.web.i18n import t

bp = Blueprint("publish", __name__, url_prefix="/desk")
STAFF = ("editor", "admin")
LIST_LIMIT = 300


def _edition(day_text: str) -> Edition:
    try:
        day = date.fromisoformat(day_text)
        return edition_service.get_edition(day, current_publication())
    except (ValueError, NotFound):
        abort(404)


def _render_publish(ed: Edition) -> Any:
    build = (
        db.session.get(EditionBuild, ed.published_build_id)
        if ed.published_build_id
        else edition_service.current_build(ed)
    )
    rows = list(
        db.session.scalars(
            select(PublishedNotice)
            .where(PublishedNotice.edition_id == ed.id, PublishedNotice.run_date == ed.date)
            .order_by(PublishedNotice.page, PublishedNotice.id)
        )
    )
    blocks = [
        {"page": p["number"], **b}
        for p in (build.pages if build else None) or []
        for b in p.get("blocks") or []
        if b.get("kind") == "notice"
    ]
    return render_template(
        "desk/published/publish.html",
        edition=ed,
        build=build,
        problems=[m.render(g.lang) for m in publishing.publish_problems(ed)],
        blocks=blocks,
        rows=rows,
    )


@bp.route("/editions/<day>/publish", methods=["GET"])
@allow(*STAFF)
def publish_page(day: str) -> Any:
    return _render_publish(_edition(day))


@bp.route("/editions/<day>/publish", methods=["POST"])
@allow(*STAFF)
def publish(day: str) -> Any:
    ed = _edition(day)
    try:
        publishing.publish_edition(ed.date, g.user)
        page_cache.clear()  # this process shows the new edition at once; others within a minute
        _queue_proofs(ed)
    except Conflict as err:
        flash(err.message.render(g.lang), "error")
    except Exception as err:
        # Publishing is re-runnable: the editor sees what stopped it and presses again.
        current_app.logger.exception("publishing %s failed", ed.date)
        flash(t("出版中断：", "Publishing stopped: ") + f"{type(err).__name__}: {err}", "error")
    else:
        flash(
            t(f"{ed.date.isoformat()} 已出版，网络版已上线", f"{ed.date.isoformat()} is published on the web")
        )
    return redirect(url_for("publish.publish_page", day=ed.date.isoformat()))


def _queue_proofs(ed: Edition) -> None:
    """Make the edition's proofs of publication in the background, so filers download them at
    once. A proof is also made on first download, so a queue that is down loses nothing."""
    rows = db.session.scalars(select(PublishedNotice).where(PublishedNotice.edition_id == ed.id)).all()
    try:
        for row in rows:
            jobs.enqueue_proof(row, g.user)
    except Exception:
        current_app.logger.exception("queueing the proofs of %s failed; they are made on download", ed.date)


@bp.route("/published/")
@allow(*STAFF)
def published() -> Any:
    rows = list(
        db.session.scalars(
            select(PublishedNotice)
            .order_by(PublishedNotice.run_date.desc(), PublishedNotice.page, PublishedNotice.id)
            .limit(LIST_LIMIT)
        )
    )
    pub = current_publication() if rows else None
    return render_template(
        "desk/published/index.html",
        rows=rows,
        public={r.id: publishing.is_public(r, pub) for r in rows},
    )


def _row(published_id: int) -> PublishedNotice:
    row = db.session.get(PublishedNotice, published_id)
    if row is None:
        abort(404)
    return row


@bp.route("/published/<int:published_id>/unmask", methods=["GET"])
@allow(*STAFF)
def unmask_form(published_id: int) -> Any:
    row = _row(published_id)
    return _render_unmask(row)


def _render_unmask(
    row: PublishedNotice, *, text: str | None = None, errors: list[str] | None = None, status: int = 200
) -> Any:
    events = publishing.unmask_events(row.id)
    who = {
        u.id: u.email
        for u in db.session.scalars(select(User).where(User.id.in_({e.user_id for e in events})))
    }
    return (
        render_template(
            "desk/published/unmask.html",
            row=row,
            text=text,
            errors=errors or [],
            events=events,
            who=who,
            public=publishing.is_public(row),
        ),
        status,
    )


@bp.route("/published/<int:published_id>/unmask", methods=["POST"])
@allow(*STAFF)
def unmask(published_id: int) -> Any:
    row = _row(published_id)
    try:
        _, _, text = publishing.unmask(row.id, g.user, request.form.get("reason"))
    except NotFound:
        abort(404)
    except FieldErrors as err:
        messages = [m for ms in err.render(g.lang).values() for m in ms]
        return _render_unmask(row, errors=messages, status=400)
    resp = current_app.make_response(_render_unmask(row, text=text))
    # The unmasked text must not outlive the request in any cache.
    resp.headers["Cache-Control"] = "no-store"
    return resp
