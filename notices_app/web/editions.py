"""The editors' desk for editions: the list of editions, the page planner (builds, page plan,
pins, display ads, the built files) and the news stories of an edition date.

A rebuild is a background job (notices_app/jobs): the POST records the build and returns; the
planner polls `progress.json` and reloads when the build has finished.

Files are served only from the records of the edition's own builds (or a story's photo path):
no path ever comes from the URL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from notices_app import jobs
from notices_app.extensions import db
from notices_app.forms.base import form_errors
from notices_app.forms.editions import (
    AdPlacementForm,
    ImportForm,
    PinForm,
    PlanForm,
    StoryForm,
    rows_in,
)
from notices_app.layout.plan_data import ROLE_LABELS
from notices_app.models import AdContent, Edition, EditionBuild, Publication, Story, utcnow
from notices_app.rules.calendar import PublishingCalendar
from notices_app.rules.messages import RuleError
from notices_app.services import editions as edition_service
from notices_app.services import storage
from notices_app.services import stories as story_service
from notices_app.services.errors import Conflict, NotFound
from notices_app.services.notices import current_publication
from notices_app.services.typesetting import geometry_for
from notices_app.web.access import allow
from notices_app.web.i18n import t

bp = Blueprint("editions", __name__, url_prefix="/desk")
STAFF = ("editor", "admin")
# The app refuses bodies over MAX_CONTENT_LENGTH before a view runs; a story photo may be 10 MB
# (refused with a field error above that), so its requests get a little more room.
PHOTO_REQUEST_LIMIT = story_service.MAX_PHOTO_BYTES + 2 * 1024 * 1024
PHOTO_ENDPOINTS = ("editions.new_story", "editions.edit_story")
EDITION_STATES = {
    "open": ("征稿中", "Open"),
    "closed": ("已截稿", "Closed"),
    "built": ("已组版", "Built"),
    "published": ("已出版", "Published"),
}
BUILD_STATES = {
    "running": ("组版中", "Running"),
    "succeeded": ("成功", "Succeeded"),
    "failed": ("未通过", "Failed"),
}
KIND_NAMES = {"story": ("稿件", "Story"), "notice": ("公告", "Notice"), "ad": ("广告", "Ad")}
AD_POSITIONS = {"full": ("整版", "Full page"), "ear": ("报眼", "Ear"), "bottom": ("底栏", "Bottom")}
PIN_POSITIONS = {"any": ("不限", "Anywhere"), "top": ("上部", "Top"), "bottom": ("下部", "Bottom")}
BOOKING_STATES = {
    "held": ("待付款", "Held"),
    "confirmed": ("已排入", "Booked"),
    "expired": ("已过期", "Expired"),
    "cancelled": ("已撤下", "Removed"),
}


def _raise_upload_limit() -> None:
    if request.endpoint in PHOTO_ENDPOINTS:
        request.max_content_length = PHOTO_REQUEST_LIMIT


@bp.record_once
def _install_upload_limit(state: Any) -> None:
    # First in line: CSRFProtect's own before_request reads the form, which applies the limit.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


def label(table: dict[str, tuple[str, str]], key: str) -> str:
    zh, en = table.get(key, (key, key))
    return t(zh, en)


def when(moment: datetime | None, pub: Publication | None = None) -> str:
    """A stored UTC time in the publication's time zone."""
    if moment is None:
        return "—"
    pub = pub or current_publication()
    tz = PublishingCalendar.from_dict(pub.calendar).tz
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "edition_state": lambda s: label(EDITION_STATES, s),
        "build_state": lambda s: label(BUILD_STATES, s),
        "kind_name": lambda k: label(KIND_NAMES, k),
        "role_name": lambda r: label(ROLE_LABELS, r),
        "ad_position": lambda p: label(AD_POSITIONS, p),
        "pin_position": lambda p: label(PIN_POSITIONS, p),
        "booking_state": lambda s: label(BOOKING_STATES, s),
        "may_cancel": story_service.desk_may_cancel,
        "when": when,
        "stage_label": lambda s: label(jobs.STAGES, s or "queued"),
    }


def _form_meta() -> dict[str, Any]:
    from print.fonts import default_fonts

    return {"lang": g.lang, "csrf": False, "fonts": default_fonts()}


def _publication() -> Publication:
    try:
        return current_publication()
    except NotFound:
        abort(404)


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _edition(day_text: str) -> Edition:
    day = _parse_day(day_text)
    if day is None:
        abort(404)
    try:
        return edition_service.get_edition(day, _publication())
    except NotFound:
        abort(404)


def _flash_rule(err: RuleError | Conflict) -> None:
    flash(err.message.render(g.lang), "error")


def _to_planner(ed: Edition, anchor: str = "") -> Any:
    return redirect(url_for("editions.planner", day=ed.date.isoformat()) + (f"#{anchor}" if anchor else ""))


# --- the list of editions --------------------------------------------------------------------


@bp.route("/editions/")
@allow(*STAFF)
def index() -> Any:
    pub = _publication()
    today = utcnow().astimezone(PublishingCalendar.from_dict(pub.calendar).tz).date()
    rows = []
    for ed in edition_service.editions_between(today - timedelta(days=31), today + timedelta(days=21)):
        rows.append(
            {
                "edition": ed,
                "latest": edition_service.latest_build(ed),
                "current": edition_service.current_build(ed),
                "stories": len(story_service.stories_on(pub, ed.date)),
            }
        )
    return render_template("desk/editions/index.html", rows=rows, today=today, pub=pub)


# --- the planner -----------------------------------------------------------------------------


def _build_numbered(ed: Edition, number: int) -> EditionBuild:
    build = db.session.scalar(
        select(EditionBuild).where(EditionBuild.edition_id == ed.id, EditionBuild.number == number)
    )
    if build is None:
        abort(404)
    return build


def _plan_form(ed: Edition) -> PlanForm:
    plan, _ = edition_service.plan_of(ed)
    data: dict[str, Any] = {"page_count": len(plan.pages)}
    for p in plan.pages:
        data[f"role_{p.number}"] = p.role
        data[f"label_{p.number}"] = p.label
    return PlanForm.with_rows(len(plan.pages), meta=_form_meta(), data=data, formdata=None)


def _ad_form(ed: Edition, pub: Publication, formdata: Any = None) -> AdPlacementForm:
    geometry = geometry_for(pub)
    kwargs: dict[str, Any] = {
        "meta": _form_meta(),
        "ads": [(str(a.id), a.title) for a in story_service.ads_on_file()],
        "page_count": ed.page_count,
        "columns": geometry.columns,
        "lines_per_column": geometry.lines_per_column,
        "leading_pt": geometry.leading_pt,
    }
    if formdata is None:
        return AdPlacementForm(formdata=None, data={"page": str(ed.page_count)}, **kwargs)
    return AdPlacementForm(formdata=formdata, **kwargs)


def _render_planner(
    ed: Edition, plan_form: PlanForm | None = None, ad_form: AdPlacementForm | None = None
) -> Any:
    pub = _publication()
    builds = list(
        db.session.scalars(
            select(EditionBuild).where(EditionBuild.edition_id == ed.id).order_by(EditionBuild.number.desc())
        )
    )
    current = edition_service.current_build(ed)
    asked = request.args.get("build", type=int)
    shown = next((b for b in builds if b.number == asked), None) if asked else (builds[0] if builds else None)
    # A build killed before rendering has no pages: show the pages of the current one instead.
    pages_of = shown if shown is not None and shown.pages else current
    content = edition_service.edition_content(ed)
    preflight: dict[int, list[dict[str, Any]]] = {}
    for problem in (shown.preflight if shown else None) or []:
        preflight.setdefault(int(problem.get("page", 0)), []).append(problem)
    pin_rows = story_service.pin_rows(ed, content.stories, content.notices)
    meta = _form_meta()
    pin_forms = {
        (row.kind, row.id): PinForm(
            formdata=None,
            data={"page": str(row.page or ""), "position": row.position},
            meta=meta,
            page_count=ed.page_count,
        )
        for row in pin_rows
    }
    return render_template(
        "desk/editions/planner.html",
        edition=ed,
        pub=pub,
        builds=builds,
        shown=shown,
        current=current,
        pages_of=pages_of,
        preflight=preflight,
        pin_rows=pin_rows,
        pin_forms=pin_forms,
        bookings=story_service.bookings_of(ed),
        plan_form=plan_form or _plan_form(ed),
        ad_form=ad_form or _ad_form(ed, pub),
        lang=g.lang,
    )


@bp.route("/editions/<day>")
@allow(*STAFF)
def planner(day: str) -> Any:
    return _render_planner(_edition(day))


def _flash_outcome(build: EditionBuild) -> None:
    if build.status == "succeeded":
        flash(t(f"组版完成（第{build.number}次），版面已更新", f"Build {build.number} succeeded"))
    elif build.error:
        flash(t("组版出错：", "The build failed: ") + build.error, "error")
    else:
        flash(
            t(
                f"第{build.number}次组版未通过：{len(build.overflow)}项未能排入，"
                f"{len(build.preflight)}项印前检查问题；当前版面保持不变",
                f"Build {build.number} failed: {len(build.overflow)} item(s) not placed, "
                f"{len(build.preflight)} preflight problem(s); the current pages are kept",
            ),
            "error",
        )


@bp.route("/editions/<day>/rebuild", methods=["POST"])
@allow(*STAFF)
def rebuild(day: str) -> Any:
    """Start a build in the background and show the planner, which follows its progress."""
    ed = _edition(day)
    clicked = utcnow()
    try:
        build, job = jobs.enqueue_build(ed, g.user)
    except Conflict as err:
        _flash_rule(err)
        return _to_planner(ed, "build")
    # Run in the request (JOBS_MODE inline), or already finished by a quick worker: say how it went.
    db.session.refresh(build)
    if build.status == "running" and job.created_at < clicked:
        # Handed the build already under way (one build per edition at a time).
        flash(
            t(
                f"第{build.number}次组版正在进行，无需重复组版；进度见下方",
                f"Build {build.number} is already under way; its progress shows below",
            )
        )
    elif build.status == "running":
        flash(
            t(
                f"第{build.number}次组版已开始，进度见下方；完成后页面自动更新",
                f"Build {build.number} has started; its progress shows below and the page updates when it ends",
            )
        )
    else:
        _flash_outcome(build)
    return _to_planner(ed, "build")


@bp.route("/editions/<day>/builds/<int:number>/progress.json")
@allow(*STAFF)
def build_progress(day: str, number: int) -> Response:
    """The build's progress for the planner's progress bar (polled; never cached)."""
    ed = _edition(day)
    build = _build_numbered(ed, number)
    db.session.refresh(build)  # what the worker committed since this session last read the row
    data = jobs.build_progress(build, jobs.job_of_build(build))
    data["label"] = t(data["stage_zh"], data["stage_en"])
    data["planner_url"] = url_for("editions.planner", day=ed.date.isoformat(), build=number) + "#build"
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/editions/<day>/pages", methods=["POST"])
@allow(*STAFF)
def save_pages(day: str) -> Any:
    ed = _edition(day)
    form = PlanForm.with_rows(rows_in(request.form), meta=_form_meta())
    if not form.validate():
        flash(
            t("版面计划未保存：请更正标红的内容", "The page plan was not saved: see the fields in red"),
            "error",
        )
        return _render_planner(ed, plan_form=form)
    try:
        story_service.ensure_open(_publication(), ed.date)
        edition_service.save_pages(ed, form.pages())
    except (RuleError, Conflict) as err:
        _flash_rule(err)
    else:
        flash(t("版面计划已保存", "Page plan saved"))
    return _to_planner(ed, "plan")


@bp.route("/editions/<day>/pins/<any(story, notice):item>/<int:ident>", methods=["POST"])
@allow(*STAFF)
def save_pin(day: str, item: str, ident: int) -> Any:
    ed = _edition(day)
    content = edition_service.edition_content(ed)
    kind = item
    known = {s.id for s in content.stories} if kind == "story" else {n.id for n in content.notices}
    if ident not in known:
        abort(404)
    form = PinForm(meta=_form_meta(), page_count=ed.page_count)
    if request.form.get("remove"):
        page, position = None, "any"
    elif form.validate():
        page, position = form.page_number, str(form.position.data or "any")
    else:
        for messages in form_errors(form).values():
            for m in messages:
                flash(m, "error")
        return _to_planner(ed, "pins")
    try:
        story_service.ensure_open(_publication(), ed.date)
        edition_service.save_pin(ed, kind, ident, page, position)
    except (RuleError, Conflict) as err:
        _flash_rule(err)
    else:
        flash(t("固定位置已保存", "Pin saved") if page else t("已改为自动排版", "Placed automatically now"))
    return _to_planner(ed, "pins")


@bp.route("/editions/<day>/ads", methods=["POST"])
@allow(*STAFF)
def place_ad(day: str) -> Any:
    ed = _edition(day)
    pub = _publication()
    form = _ad_form(ed, pub, request.form)
    if not form.validate():
        flash(t("广告未排入：请更正标红的内容", "The ad was not placed: see the fields in red"), "error")
        return _render_planner(ed, ad_form=form)
    ad = db.session.get(AdContent, int(str(form.ad.data)))
    if ad is None:
        abort(404)
    try:
        story_service.ensure_open(pub, ed.date)
        edition_service.book_ad(
            ed, ad, int(str(form.page.data)), str(form.position.data), int(form.cols.data or 1), form.lines
        )
    except (RuleError, Conflict) as err:
        _flash_rule(err)
    else:
        flash(t(f"广告已排入第{form.page.data}版（{form.lines}行）", f"Ad placed on page {form.page.data}"))
    return _to_planner(ed, "ads")


@bp.route("/editions/<day>/ads/<int:booking_id>/cancel", methods=["POST"])
@allow(*STAFF)
def cancel_ad(day: str, booking_id: int) -> Any:
    ed = _edition(day)
    try:
        story_service.ensure_open(_publication(), ed.date)
        story_service.cancel_booking(ed, booking_id)
    except NotFound:
        abort(404)
    except Conflict as err:
        _flash_rule(err)
    else:
        flash(t("广告已撤下", "Ad removed"))
    return _to_planner(ed, "ads")


# --- built files -----------------------------------------------------------------------------


def _send_stored(relative: str | None, mimetype: str, download_name: str) -> Response:
    if not relative:
        abort(404)
    try:
        path = storage.path_of(relative)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=mimetype, download_name=download_name, conditional=True)


def _page_file(day: str, number: int, page: int, key: str, mimetype: str, suffix: str) -> Response:
    ed = _edition(day)
    build = _build_numbered(ed, number)
    entry = next((p for p in build.pages or [] if p.get("number") == page), None)
    if entry is None:
        abort(404)
    name = f"{ed.date.isoformat()}-b{number:03d}-p{page:02d}{suffix}"
    return _send_stored(entry.get(key), mimetype, name)


@bp.route("/editions/<day>/builds/<int:number>/page-<int:page>.pdf")
@allow(*STAFF)
def page_pdf(day: str, number: int, page: int) -> Response:
    return _page_file(day, number, page, "pdf", "application/pdf", ".pdf")


@bp.route("/editions/<day>/builds/<int:number>/page-<int:page>.png")
@allow(*STAFF)
def page_png(day: str, number: int, page: int) -> Response:
    return _page_file(day, number, page, "png", "image/png", ".png")


@bp.route("/editions/<day>/builds/<int:number>/page-<int:page>-thumb.png")
@allow(*STAFF)
def page_thumb(day: str, number: int, page: int) -> Response:
    return _page_file(day, number, page, "thumb", "image/png", "-thumb.png")


@bp.route("/editions/<day>/builds/<int:number>/edition.pdf")
@allow(*STAFF)
def edition_pdf(day: str, number: int) -> Response:
    ed = _edition(day)
    build = _build_numbered(ed, number)
    return _send_stored(build.edition_pdf, "application/pdf", f"{ed.date.isoformat()}-b{number:03d}.pdf")


# --- stories ---------------------------------------------------------------------------------


def _default_day(pub: Publication) -> date:
    return PublishingCalendar.from_dict(pub.calendar).first_open_date(utcnow())


def _story(story_id: int) -> Story:
    try:
        return story_service.get_story(_publication(), story_id)
    except NotFound:
        abort(404)


def _story_input(form: StoryForm) -> story_service.StoryInput:
    return story_service.StoryInput(
        headline=form.headline.data or "",
        deck=form.deck.data or "",
        byline=form.byline.data or "",
        body=form.body.data or "",
        sort_order=int(form.sort_order.data or 0),
        caption=form.caption.data or "",
    )


def _story_data(story: Story) -> dict[str, Any]:
    return {
        "headline": story.headline,
        "deck": story.deck or "",
        "byline": story.byline or "",
        "body": story_service.body_from_blocks(story.blocks),
        "sort_order": story.sort_order,
        "caption": story.caption or "",
    }


@bp.route("/stories/")
@allow(*STAFF)
def stories() -> Any:
    pub = _publication()
    asked = request.args.get("date")
    day = _parse_day(asked)
    if asked and day is None:
        flash(t("日期格式应为 YYYY-MM-DD", "The date must be YYYY-MM-DD"), "error")
    day = day or _default_day(pub)
    edition = db.session.scalar(select(Edition).where(Edition.publication_id == pub.id, Edition.date == day))
    return render_template(
        "desk/stories/index.html", day=day, stories=story_service.stories_on(pub, day), edition=edition
    )


def _story_page(story: Story | None, day: date) -> Any:
    pub = _publication()
    if request.method == "POST":
        form = StoryForm(meta=_form_meta())
        if form.validate():
            data = _story_input(form)
            try:
                photo = story_service.store_photo(form.photo_bytes) if form.photo_bytes else None
            except RuleError as err:
                form.add_error(form.photo, err.message)
            else:
                try:
                    if story is None:
                        story = story_service.create_story(pub, day, data, photo)
                    else:
                        story_service.update_story(story, data, photo, bool(form.remove_photo.data))
                except Conflict as err:
                    _flash_rule(err)
                else:
                    flash(t("稿件已保存", "Story saved"))
                return redirect(url_for("editions.stories", date=day.isoformat()))
    else:
        form = StoryForm(
            meta=_form_meta(), formdata=None, data=_story_data(story) if story else {"sort_order": 0}
        )
    return render_template("desk/stories/form.html", form=form, story=story, day=day)


@bp.route("/stories/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_story() -> Any:
    pub = _publication()
    day = _parse_day(request.args.get("date")) or _default_day(pub)
    return _story_page(None, day)


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit_story(story_id: int) -> Any:
    story = _story(story_id)
    return _story_page(story, story.edition_date or _default_day(_publication()))


@bp.route("/stories/<int:story_id>/delete", methods=["POST"])
@allow(*STAFF)
def delete_story(story_id: int) -> Any:
    story = _story(story_id)
    day = story.edition_date or _default_day(_publication())
    try:
        story_service.delete_story(story)
    except Conflict as err:
        _flash_rule(err)
    else:
        flash(t("稿件已删除", "Story deleted"))
    return redirect(url_for("editions.stories", date=day.isoformat()))


@bp.route("/stories/<int:story_id>/photo.jpg")
@allow(*STAFF)
def story_photo(story_id: int) -> Response:
    story = _story(story_id)
    return _send_stored(story.photo_path, "image/jpeg", f"story-{story.id}.jpg")


@bp.route("/stories/import", methods=["GET", "POST"])
@allow(*STAFF)
def import_stories() -> Any:
    pub = _publication()
    if request.method == "POST":
        form = ImportForm(meta=_form_meta())
        if form.validate() and form.edition_date.data is not None:
            day = form.edition_date.data
            fonts = _form_meta()["fonts"]
            try:
                made = story_service.import_stories(
                    pub,
                    day,
                    form.source,
                    missing=lambda text, role: fonts.missing_chars(
                        text, role if fonts.has_role(role) else "body"
                    ),
                )
            except RuleError as err:
                form.add_error(form.text, err.message)
            except Conflict as err:
                _flash_rule(err)
                return redirect(url_for("editions.stories", date=day.isoformat()))
            else:
                flash(t(f"已导入{len(made)}篇稿件", f"Imported {len(made)} stories"))
                return redirect(url_for("editions.stories", date=day.isoformat()))
    else:
        day = _parse_day(request.args.get("date")) or _default_day(pub)
        form = ImportForm(meta=_form_meta(), formdata=None, data={"edition_date": day})
    return render_template("desk/stories/import.html", form=form)
