"""Proof of publication: the public verification page, and the certificate PDF for the filer
(browser and API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, make_response, render_template, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge

from notices_app.extensions import csrf
from notices_app.models import PublishedNotice
from notices_app.services import proofs, storage
from notices_app.services.errors import NotFound
from notices_app.web.access import PUBLIC, allow
from notices_app.web.i18n import t

bp = Blueprint("proofs", __name__)
FILERS = ("filer", "editor", "admin")
UPLOAD_LIMIT = 50 * 1024 * 1024  # a broadsheet page with photos; the app's default limit is 8 MB
FROZEN = 365 * 24 * 3600  # frozen files never change: cache them for a year


@bp.app_template_global("proof_runs")
def proof_runs(notice_id: int) -> list[date]:
    """Run dates of a notice that have a proof (for the filer's notice page)."""
    return [p.run_date for p in proofs.published_runs(notice_id)]


def _record_or_404(token: str) -> proofs.ProofRecord:
    try:
        return proofs.verify(token)
    except NotFound:
        abort(404)


def _private(resp: Response) -> Response:
    # The token is the only way here; keep the record out of search engines.
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


@bp.route("/verify/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@csrf.exempt  # anonymous and read-only: an upload is hashed and forgotten, nothing changes
def verify(token: str) -> Any:
    record = _record_or_404(token)
    check: proofs.UploadCheck | None = None
    error = None
    status = 200
    if request.method == "POST":
        # Set before anything reads the body: the limit applies while the form is parsed.
        request.max_content_length = UPLOAD_LIMIT
        try:
            upload = request.files.get("page_pdf")
        except RequestEntityTooLarge:
            upload, status = None, 413
            error = t("文件超过 50 MB 上限", "The file is larger than the 50 MB limit")
        if error is None and (upload is None or not upload.filename):
            status = 400
            error = t("请选择要核验的版面 PDF 文件", "Choose the page PDF file to check")
        elif upload is not None:
            check = proofs.check_upload(token, upload.stream)
    resp = make_response(render_template("proofs/verify.html", r=record, check=check, error=error), status)
    resp.headers["Cache-Control"] = "no-store" if request.method == "POST" else "private, max-age=300"
    return _private(resp)


@bp.route("/verify/<token>/page.pdf")
@allow(PUBLIC)
def page_pdf(token: str) -> Any:
    try:
        rel = proofs.page_file(token)
    except NotFound:
        abort(404)
    resp = send_file(storage.path_of(rel), mimetype="application/pdf", max_age=FROZEN, conditional=True)
    resp.headers["Cache-Control"] = f"public, max-age={FROZEN}, immutable"
    return _private(resp)


@bp.route("/verify/<token>/notice.png")
@allow(PUBLIC)
def notice_image(token: str) -> Any:
    try:
        rel = proofs.image_file(token)
    except NotFound:
        abort(404)
    resp = send_file(storage.path_of(rel), mimetype="image/png", max_age=FROZEN, conditional=True)
    resp.headers["Cache-Control"] = f"public, max-age={FROZEN}, immutable"
    return _private(resp)


def _proof_response(notice_id: int) -> Response:
    run_date = None
    if request.args.get("date"):
        try:
            run_date = date.fromisoformat(request.args["date"])
        except ValueError:
            abort(404)  # no run on a date that is not one
    try:
        published: PublishedNotice = proofs.filer_proof(notice_id, g.user, run_date)
    except NotFound:
        abort(404)
    data = proofs.proof_pdf(published)
    name = f"proof-{notice_id}-{published.run_date.isoformat()}.pdf"
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.route("/notices/<int:notice_id>/proof.pdf")
@allow(*FILERS)
def filer_proof(notice_id: int) -> Response:
    return _proof_response(notice_id)


@bp.route("/api/v1/notices/<int:notice_id>/proof.pdf")
@allow(*FILERS)
def api_proof(notice_id: int) -> Response:
    """Bearer-token access is decided by the path (web/access.py), so this route lives here."""
    return _proof_response(notice_id)
