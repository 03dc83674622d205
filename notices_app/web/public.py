"""Public pages (no login): the published editions as page images with clickable notices,
listings by edition and kind, a permalink per notice, Atom feeds, and the frozen files.

Everything here shows web copies only: masked text, redacted images; print-only notices and
copies withdrawn after the retention period never appear. Files are found through the
database records, never from a path in the URL.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import or_, select

from notices_app.extensions import db
from notices_app.models import KINDS, Edition, Notice, Publication, PublishedNotice
from notices_app.services import publishing, storage
from notices_app.services.errors import NotFound
from notices_app.services.notices import current_publication
from notices_app.services.typesetting import geometry_for
from notices_app.web.access import PUBLIC, allow
from notices_app.web.i18n import kind_label
from notices_app.web.page_cache import cached_page
from notices_app.web.security import absolute_url

bp = Blueprint("public", __name__)
PER_PAGE = 30
FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"
FROZEN_CACHE = "public, max-age=31536000, immutable"  # frozen page PDFs never change
IMAGE_CACHE = "public, max-age=3600"  # web images change once: when a copy is withdrawn
PAGE_CACHE = "public, max-age=60"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"has_endpoint": lambda name: name in current_app.view_functions}


# Where each role starts: editors at the desk, advertisers at their bookings, filers at their notices.
HOME_OF_ROLE = {"editor": "desk.queue", "admin": "desk.queue", "advertiser": "bookings.index"}


def _home_of(role: str) -> str:
    return HOME_OF_ROLE.get(role, "submit.dashboard")


@bp.route("/")
@allow(PUBLIC)
@cached_page
def home() -> Any:
    if g.user is not None:
        return redirect(url_for(_home_of(g.user.role)))
    pub = _publication_or_none()
    latest = publishing.published_editions(limit=1) if pub else []
    edition = latest[0] if latest else None
    return _cached(
        render_template(
            "public/home.html",
            edition=edition,
            pages=publishing.published_pages(edition) if edition else [],
            size=_page_size(pub) if pub else (0, 0),
            kinds=KINDS,
        )
    )


@bp.route("/healthz")
@allow(PUBLIC)
def healthz() -> Any:
    return {"ok": True}


# --- editions ---------------------------------------------------------------------------------


@bp.route("/editions/")
@allow(PUBLIC)
@cached_page
def editions() -> Any:
    page = _page_arg()
    rows = publishing.published_editions(limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    if _publication_or_none() is None:
        rows = []
    return _cached(
        render_template(
            "public/editions.html",
            editions=rows[:PER_PAGE],
            page=page,
            more=len(rows) > PER_PAGE,
            size=_page_size(),
        )
    )


@bp.route("/editions/<day>")
@allow(PUBLIC)
@cached_page
def edition(day: str) -> Any:
    ed = _edition(day)
    return _cached(
        render_template(
            "public/edition.html",
            edition=ed,
            pages=publishing.published_pages(ed),
            rows=publishing.public_rows(edition=ed, limit=10_000),
            size=_page_size(),
        )
    )


@bp.route("/editions/<day>/<int:number>")
@allow(PUBLIC)
@cached_page
def edition_page(day: str, number: int) -> Any:
    ed = _edition(day)
    pages = publishing.published_pages(ed)
    page = next((p for p in pages if p["number"] == number), None)
    if page is None:
        abort(404)
    return _cached(
        render_template(
            "public/page.html",
            edition=ed,
            page=page,
            pages=pages,
            size=_page_size(),
            pdf_public=publishing.page_pdf_public(ed, number),
        )
    )


# --- notices ----------------------------------------------------------------------------------


@bp.route("/notices/kind/<kind>")
@allow(PUBLIC)
@cached_page
def by_kind(kind: str) -> Any:
    if kind not in KINDS or _publication_or_none() is None:
        abort(404)
    page = _page_arg()
    rows = publishing.public_rows(kind=kind, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    return _cached(
        render_template(
            "public/kind.html",
            kind=kind,
            kinds=KINDS,
            rows=rows[:PER_PAGE],
            page=page,
            more=len(rows) > PER_PAGE,
        )
    )


def _row(published_id: int) -> PublishedNotice:
    row = db.session.get(PublishedNotice, published_id)
    # A print-only notice was never on the web: it does not exist here.
    if row is None or row.withdrawn_reason == publishing.PRINT_ONLY:
        abort(404)
    return row


@bp.route("/n/<int:published_id>")
@allow(PUBLIC)
@cached_page
def permalink(published_id: int) -> Any:
    row = _row(published_id)
    pub = current_publication()
    if publishing.withdrawn_for_retention(row, pub):
        return render_template("public/withdrawn.html", row=row), 410
    notice = db.session.get(Notice, row.notice_id)
    corrects, corrected_by = _corrections(row, notice, pub)
    return _cached(
        render_template(
            "public/notice.html",
            row=row,
            lines=row.web_text.split("\n"),
            sign_lines=publishing.signature_lines(row, notice),
            image_size=_png_size(row.image_path),
            verify_url=_verify_url(row.proof_token),
            corrects=corrects,
            corrected_by=corrected_by,
        )
    )


@bp.route("/n/<int:published_id>.png")
@allow(PUBLIC)
def notice_image(published_id: int) -> Any:
    row = _row(published_id)
    if not publishing.is_public(row):
        abort(410)
    return _send(row.image_path, "image/png", f"notice-{row.id}.png", IMAGE_CACHE)


def _corrections(
    row: PublishedNotice, notice: Notice | None, pub: Publication
) -> tuple[list[PublishedNotice], list[PublishedNotice]]:
    """Public copies of the notice this one corrects, and of later notices correcting it."""
    corrected_id = notice.corrects_id if notice is not None else None
    wanted = Notice.corrects_id == row.notice_id
    if corrected_id is not None:
        wanted = or_(wanted, Notice.id == corrected_id)
    found = db.session.execute(
        select(PublishedNotice, Notice.id)
        .join(Notice, Notice.id == PublishedNotice.notice_id)
        .where(wanted, publishing.public_condition(pub))
        .order_by(PublishedNotice.run_date)
    ).all()
    corrects = [r for r, nid in found if nid == corrected_id]
    corrected_by = [r for r, nid in found if nid != corrected_id]
    return corrects, corrected_by


# --- feeds ------------------------------------------------------------------------------------


def _atom_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.route("/feeds/<kind>.atom")
@allow(PUBLIC)
def feed(kind: str) -> Any:
    if kind not in KINDS:
        abort(404)
    pub = _publication_or_none()
    if pub is None:
        abort(404)
    rows = publishing.public_rows(kind=kind, limit=FEED_ENTRIES)
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    # Every link is on the configured site address: a feed reader keeps what it was sent, and
    # a Host header is whatever the client (or a cache poisoner) chose to send.
    self_url = absolute_url("public.feed", kind=kind)
    sub(root, "id", self_url)
    sub(root, "title", f"{pub.name} · {kind_label(kind)}")
    sub(root, "updated", _atom_time(max((r.published_at for r in rows), default=pub.created_at)))
    sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(
        root,
        "link",
        rel="alternate",
        type="text/html",
        href=absolute_url("public.by_kind", kind=kind),
    )
    author = sub(root, "author")
    sub(author, "name", pub.name)
    for row in rows:
        entry = sub(root, "entry")
        link = absolute_url("public.permalink", published_id=row.id)
        sub(entry, "id", link)
        sub(entry, "title", f"{row.title} · {row.org_name}" if row.org_name else row.title)
        sub(entry, "updated", _atom_time(row.published_at))
        sub(entry, "published", _atom_time(row.published_at))
        sub(entry, "link", rel="alternate", type="text/html", href=link)
        sub(entry, "category", term=row.kind, label=kind_label(row.kind))
        sub(entry, "summary", f"{row.run_date.isoformat()} 第{row.page}版 · {row.org_name}")
        sub(entry, "content", row.web_text, type="text")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    resp = Response(body, mimetype="application/atom+xml")
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


# --- frozen files and web images --------------------------------------------------------------


@bp.route("/published/<day>/page-<int:number>.pdf")
@allow(PUBLIC)
def page_pdf(day: str, number: int) -> Any:
    ed = _edition(day)
    _page_of(ed, number)
    if not publishing.page_pdf_public(ed, number):
        return render_template("public/pdf_withheld.html", edition=ed, number=number), 404
    name = f"{ed.date.isoformat()}-page-{number:02d}.pdf"
    return _send(publishing.frozen_page_path(ed.date, number), "application/pdf", name, FROZEN_CACHE)


@bp.route("/published/<day>/page-<int:number>.png")
@allow(PUBLIC)
def page_png(day: str, number: int) -> Any:
    ed = _edition(day)
    _page_of(ed, number)
    path = publishing.web_page_image_path(ed.date, number)
    return _send(path, "image/png", f"{ed.date.isoformat()}-page-{number:02d}.png", IMAGE_CACHE)


@bp.route("/published/<day>/page-<int:number>-thumb.png")
@allow(PUBLIC)
def page_thumb(day: str, number: int) -> Any:
    ed = _edition(day)
    _page_of(ed, number)
    path = publishing.web_page_image_path(ed.date, number, thumb=True)
    return _send(path, "image/png", f"{ed.date.isoformat()}-page-{number:02d}-thumb.png", IMAGE_CACHE)


# --- helpers ----------------------------------------------------------------------------------


def _publication_or_none() -> Publication | None:
    try:
        return current_publication()
    except NotFound:
        return None


def _edition(day_text: str) -> Edition:
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        abort(404)
    if _publication_or_none() is None:
        abort(404)
    try:
        return publishing.published_edition(day)
    except NotFound:
        abort(404)


def _page_of(ed: Edition, number: int) -> None:
    if not any(p["number"] == number for p in publishing.published_pages(ed)):
        abort(404)


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return max(1, min(page, 10_000))


def _page_size(pub: Publication | None = None) -> tuple[int, int]:
    """Width and height of the screen page images (for the img tags: no layout shift)."""
    pub = pub or _publication_or_none()
    if pub is None:
        return (publishing.SCREEN_WIDTH, publishing.SCREEN_WIDTH * 3 // 2)
    geometry = geometry_for(pub)
    return publishing.SCREEN_WIDTH, round(publishing.SCREEN_WIDTH * geometry.trim_h / geometry.trim_w)


def _png_size(relative: str | None) -> tuple[int, int] | None:
    if not relative:
        return None
    try:
        with storage.path_of(relative).open("rb") as fh:
            head = fh.read(24)
    except (OSError, ValueError):
        return None
    if len(head) < 24 or not head.startswith(b"\x89PNG"):
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _verify_url(token: str) -> str:
    # The proofs blueprint owns /verify/<token>; link by path when it is not registered.
    if "proofs.verify" in current_app.view_functions:
        return url_for("proofs.verify", token=token)
    return f"/verify/{token}"


def _send(relative: str | None, mimetype: str, name: str, cache: str) -> Any:
    if not relative:
        abort(404)
    try:
        path = storage.path_of(relative)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype=mimetype, download_name=name, conditional=True, etag=True)
    resp.headers["Cache-Control"] = cache
    return resp


def _cached(body: str) -> Response:
    resp = Response(body, mimetype="text/html")
    if g.get("user") is None:
        resp.headers["Cache-Control"] = PAGE_CACHE
        resp.headers["Vary"] = "Cookie, Accept-Language"  # the page's language
    return resp
