"""JSON API v1 (bearer tokens). Same form classes and services as the browser."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request

from notices_app.extensions import csrf
from notices_app.models import Notice
from notices_app.rules.json_body import JsonBodyError, parse_json
from notices_app.services import notices as notice_service
from notices_app.services import typesetting
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.web.access import ANY_USER, PUBLIC, allow
from notices_app.web.notice_input import json_input
from notices_app.web.openapi import (
    EDITIONS_FIRST,
    EDITIONS_LAST,
    EDITIONS_MAX_DAYS,
    ISO_DAY,
    openapi_document,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer-token API: no cookies are read, so there is nothing to forge
FILERS = ("filer", "editor", "admin")


@bp.errorhandler(FieldErrors)
def _field_errors(err: FieldErrors) -> Any:
    return jsonify(errors=err.render(g.lang)), 422


@bp.errorhandler(Conflict)
def _conflict(err: Conflict) -> Any:
    return jsonify(errors={"_": [err.message.render(g.lang)]}), 409


@bp.errorhandler(NotFound)
def _not_found(err: NotFound) -> Any:
    return jsonify(errors={"_": ["未找到" if g.lang == "zh" else "Not found"]}), 404


def json_body() -> Any:
    """The request's JSON body (None when it is not sent as JSON), read with bounded nesting.

    Every API body goes through here rather than ``request.get_json``: Flask's parser lets a
    deeply nested body raise RecursionError (a 500) and turns invalid JSON into None silently.
    """
    if not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None  # no body at all: the endpoint says what it needed
    try:
        return parse_json(raw)
    except JsonBodyError as err:
        raise FieldErrors({"_": [err.message]}) from err


def notice_json(n: Notice) -> dict[str, Any]:
    facts = typesetting.notice_facts(n)
    return {
        "id": n.id,
        "kind": n.kind,
        "status": n.status,
        "fields": n.fields,
        "run_dates": [d.isoformat() for d in n.run_dates],
        "price_fen": n.price_fen,
        "quote": n.quote,
        "deemed_served_on": facts["deemed_served_on"],
        "editor_reason": n.editor_reason,
        "warnings": facts["warnings"],
        "preview_pdf": f"/api/v1/notices/{n.id}/preview.pdf",
        "preview_png": f"/api/v1/notices/{n.id}/preview.png",
        "history": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "by": e.actor_role,
                "reason": e.reason,
            }
            for e in n.events
        ],
    }


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi() -> Any:
    return jsonify(openapi_document())


@bp.route("/editions")
@allow(ANY_USER)
def editions() -> Any:
    bad_date = "日期格式应为 YYYY-MM-DD" if g.lang == "zh" else "Dates are YYYY-MM-DD"
    out_of_range = "日期须在2000年至2099年之间" if g.lang == "zh" else "Dates must lie in 2000-2099"

    def day(name: str, default: date) -> date:
        # Given, it must be YYYY-MM-DD (an empty one too, as the API document says; Python's
        # fromisoformat alone would also take 20131021 and week dates); missing, the default.
        raw = request.args.get(name)
        if raw is None:
            return default
        try:
            if not re.fullmatch(ISO_DAY, raw):
                raise ValueError(raw)
            value = date.fromisoformat(raw)
        except ValueError as err:
            raise FieldErrors({name: [bad_date]}) from err
        if not EDITIONS_FIRST <= value <= EDITIONS_LAST:
            # The calendar looks back from a date for its cut-off: year 1 has nothing before it.
            raise FieldErrors({name: [out_of_range]})
        return value

    start = day("from", date.today())
    end = day("to", min(start + timedelta(days=14), EDITIONS_LAST))
    if end < start or (end - start).days > EDITIONS_MAX_DAYS:
        raise FieldErrors(
            {"to": ["日期范围无效(最长一年)" if g.lang == "zh" else "Invalid range (one year at most)"]}
        )
    return jsonify(editions=typesetting.edition_listing(notice_service.current_publication(), start, end))


@bp.route("/notices", methods=["POST"])
@allow(*FILERS)
def create() -> Any:
    data = json_input(json_body())
    notice = notice_service.create_notice(g.user, data)
    return jsonify(notice_json(notice)), 201


@bp.route("/notices/<int:notice_id>")
@allow(*FILERS)
def show(notice_id: int) -> Any:
    return jsonify(notice_json(notice_service.get_notice(notice_id, g.user)))


@bp.route("/notices/<int:notice_id>/<any(submit, withdraw):action>", methods=["POST"])
@allow(*FILERS)
def act(notice_id: int, action: str) -> Any:
    notice_service.get_notice(notice_id, g.user)
    return jsonify(notice_json(notice_service.transition(notice_id, action, g.user)))


@bp.route("/notices/<int:notice_id>/<any(approve, reject, request_changes):action>", methods=["POST"])
@allow("editor", "admin")
def decide(notice_id: int, action: str) -> Any:
    body = json_body() or {}
    reason = body.get("reason") if isinstance(body, dict) else None
    if reason is not None and not isinstance(reason, str):
        raise FieldErrors({"reason": ["原因应为文本" if g.lang == "zh" else "reason must be text"]})
    return jsonify(notice_json(notice_service.transition(notice_id, action, g.user, reason=reason)))


@bp.route("/notices/<int:notice_id>/preview.<any(pdf, png):fmt>")
@allow(*FILERS)
def preview(notice_id: int, fmt: str) -> Response:
    n = notice_service.get_notice(notice_id, g.user)
    data = typesetting.preview(n.kind, n.fields, fmt)
    return Response(data, mimetype="application/pdf" if fmt == "pdf" else "image/png")


@bp.route("/me")
@allow(ANY_USER)
def me() -> Any:
    if g.user is None:
        abort(401)
    return jsonify(email=g.user.email, role=g.user.role, org=g.user.org.name if g.user.org else None)
