"""Building an edition: gather what runs on the date, typeset it, lay out the pages, render them
for print, preflight them and keep the files.

A build never changes the last good one: its files go to a folder of their own, and
`Edition.current_build_id` moves to it in one commit only when nothing overflowed and preflight
passed. A build that is killed half-way leaves a `running` row that the next build marks as
interrupted; re-running completes the edition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from notices_app.extensions import db
from notices_app.layout.geometry import PageGeometry
from notices_app.layout.page_types import (
    AdRequest,
    Box,
    EditionLayout,
    EditionPlan,
    NoticeMetrics,
    Overflow,
    Pin,
    StoryMetrics,
)
from notices_app.layout.plan_data import PinKey, plan_from_data, plan_to_data, set_pages
from notices_app.layout.types import Level, StoryText
from notices_app.models import (
    AdBooking,
    AdContent,
    Edition,
    EditionBuild,
    Job,
    Notice,
    NoticeRun,
    Publication,
    Story,
    User,
    utcnow,
)
from notices_app.rules.messages import Message, RuleError, msg
from notices_app.rules.states import BuildEvent, EditionEvent
from notices_app.services import storage
from notices_app.services.bookings import typeset_gutter_booking
from notices_app.services.crashpoints import crash_point
from notices_app.services.errors import Conflict, NotFound
from notices_app.services.notices import current_publication
from notices_app.services.status import set_build_status, set_edition_status
from notices_app.services.typesetting import ad_text, geometry_for, typeset

# Notices in these states with a run on the date go into the edition.
PRINTABLE_STATES = ("approved", "scheduled", "published")
SCREEN_WIDTH, THUMB_WIDTH = 1200, 240
STALE_AFTER = timedelta(minutes=10)

ProgressFn = Callable[[int, int, str], None]


def get_edition(day: date, pub: Publication | None = None, *, for_update: bool = False) -> Edition:
    """The edition of `day`, or NotFound; `for_update`: under the write lock (notices_app/db_locks),
    for a build or publish that decides on the edition's state."""
    pub = pub or current_publication()
    query = select(Edition).where(Edition.publication_id == pub.id, Edition.date == day)
    ed = db.session.scalar(query.with_for_update() if for_update else query)
    if ed is None:
        raise NotFound(f"no edition on {day.isoformat()}")
    return ed


def plan_of(edition: Edition) -> tuple[EditionPlan, dict[PinKey, Pin]]:
    return plan_from_data(edition.plan or {}, edition.page_count)


FROZEN = msg("edition.published", "本期已出版，版面已冻结", "the edition is published and frozen")


def ensure_unpublished(edition: Edition) -> None:
    """Conflict when the edition is published: its pages are frozen (a correction is a new notice).

    Takes the edition's write lock first, so a plan change and a publish cannot cross: the
    change that follows sees the edition as the publish left it (`edition` is re-read in place).
    """
    if lock_edition(edition).status == "published":
        raise Conflict(FROZEN)


def save_pages(edition: Edition, pages: list[tuple[str, str]]) -> None:
    """Replace the page plan (role and label of each page); pins to pages that no longer exist go."""
    ensure_unpublished(edition)
    plan, pins = plan_of(edition)
    new = set_pages(plan, pages)
    kept = {k: p for k, p in pins.items() if p.page <= len(new.pages)}
    edition.plan = plan_to_data(new, kept)
    edition.page_count = len(new.pages)
    db.session.commit()


def save_pin(edition: Edition, kind: str, ident: int, page: int | None, position: str = "any") -> None:
    """Pin a story or notice to a page (page None removes the pin)."""
    ensure_unpublished(edition)
    plan, pins = plan_of(edition)
    data = plan_to_data(plan, pins)
    data["pins"] = [p for p in data["pins"] if (p["kind"], str(p["id"])) != (kind, str(ident))]
    if page is not None:
        data["pins"].append({"kind": kind, "id": str(ident), "page": page, "position": position})
    plan_from_data(data, edition.page_count)  # raises RuleError if the pin is wrong
    edition.plan = data
    db.session.commit()


@dataclass
class EditionContent:
    """What runs in an edition, read from the database."""

    stories: list[Story]
    notices: list[Notice]
    bookings: list[tuple[AdBooking, AdContent | None]]


def edition_content(edition: Edition) -> EditionContent:
    stories = list(
        db.session.scalars(
            select(Story)
            .where(Story.publication_id == edition.publication_id, Story.edition_date == edition.date)
            .order_by(Story.sort_order, Story.id)
        )
    )
    notices = list(
        db.session.scalars(
            select(Notice)
            .join(NoticeRun, NoticeRun.notice_id == Notice.id)
            .where(NoticeRun.run_date == edition.date, Notice.status.in_(PRINTABLE_STATES))
            .order_by(Notice.id)
        )
    )
    bookings = list(
        db.session.execute(
            select(AdBooking, AdContent)
            .outerjoin(AdContent, AdContent.id == AdBooking.ad_content_id)
            .where(AdBooking.edition_id == edition.id, AdBooking.status == "confirmed")
            .order_by(AdBooking.id)
        ).tuples()
    )
    return EditionContent(stories, notices, bookings)


def story_text(story: Story) -> StoryText:
    return StoryText(
        headline=story.headline,
        deck=tuple(line for line in (story.deck or "").split("\n") if line.strip()),
        byline=story.byline or "",
        blocks=tuple((b.get("type", "para"), b.get("text", "")) for b in story.blocks or [] if b.get("text")),
        caption=story.caption or "" if story.photo_path else "",
    )


@dataclass
class Typeset:
    """Everything of an edition typeset, with the layout engine's measurements of it."""

    stories: dict[str, Any] = field(default_factory=dict)
    notices: dict[str, Any] = field(default_factory=dict)
    ads: dict[str, Any] = field(default_factory=dict)
    story_metrics: list[StoryMetrics] = field(default_factory=list)
    notice_metrics: list[NoticeMetrics] = field(default_factory=list)
    ad_requests: list[AdRequest] = field(default_factory=list)
    titles: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[Overflow] = field(default_factory=list)  # could not even be typeset


def _cannot_set(kind: str, ident: str, err: Exception) -> Overflow:
    return Overflow(
        kind,  # type: ignore[arg-type]
        ident,
        msg("layout.typeset_failed", "无法排版:{error}", "cannot be typeset: {error}", error=str(err)),
    )


def typeset_content(
    content: EditionContent, pins: dict[PinKey, Pin], geometry: PageGeometry, pub: Publication
) -> Typeset:
    from print.fonts import default_fonts
    from print.stories import typeset_story

    fonts = default_fonts()
    level = Level(pub.clreq_level)
    out = Typeset()
    for story in content.stories:
        sid = str(story.id)
        out.titles[("story", sid)] = story.headline
        photo = storage.read(story.photo_path) if story.photo_path else None
        try:
            ts = typeset_story(story_text(story), geometry, fonts, level, photo=photo)
        except ValueError as err:
            out.problems.append(_cannot_set("story", sid, err))
            continue
        out.stories[sid] = ts
        out.story_metrics.append(ts.metrics(sid, pins.get(("story", sid))))
    for notice in content.notices:
        nid = str(notice.id)
        text, ts = typeset(notice.kind, notice.fields, pub.geometry_preset, pub.clreq_level)
        out.titles[("notice", nid)] = f"{text.heading} · {notice_title(notice)}"
        out.notices[nid] = ts
        out.notice_metrics.append(
            NoticeMetrics(nid, notice.kind, text.columns, ts.total_lines, pins.get(("notice", nid)))
        )
    for booking, ad in content.bookings:
        bid = str(booking.id)
        out.titles[("ad", bid)] = ad.title if ad else f"广告 #{booking.id}"
        try:
            out.ads[bid] = typeset_booking(booking, ad, geometry, fonts, level)
        except ValueError as err:
            out.problems.append(_cannot_set("ad", bid, err))
            continue
        if booking.position == "gutter":  # 中缝: beside the spine, outside the grid the engine lays out
            continue
        at = Box(booking.col, booking.cols, booking.line, booking.lines) if booking.col is not None else None
        if at is not None and booking.line is None:
            at = None
        out.ad_requests.append(
            AdRequest(bid, booking.page, booking.position, booking.cols, booking.lines, at)  # type: ignore[arg-type]
        )
    return out


def typeset_booking(
    booking: AdBooking, ad: AdContent | None, geometry: PageGeometry, fonts: Any, level: Level
) -> Any:
    """A booked ad ready to draw in its slot: the template ad set to the slot's size, or the
    advertiser's artwork scaled into it (ValueError if neither is usable)."""
    if booking.position == "gutter":
        return typeset_gutter_booking(booking, ad, geometry, fonts, level)
    height = booking.lines * geometry.leading_pt
    if booking.artwork_path:
        from print.artwork import place_artwork

        return place_artwork(
            storage.read(booking.artwork_path),
            geometry.span_width(booking.cols),
            height,
            booking.artwork_kind,
        )
    if ad is None:
        raise ValueError("the booking has neither artwork nor template content")
    from print.ads import typeset_ad

    return typeset_ad(ad_text(ad.content, booking.cols), geometry, fonts, height_pt=height, level=level)


def notice_title(notice: Notice) -> str:
    f = notice.fields or {}
    return str(f.get("org_name") or f.get("employer_name") or f.get("signer") or f.get("title") or "")


def lay_out_edition(plan: EditionPlan, geometry: PageGeometry, ts: Typeset) -> EditionLayout:
    from notices_app.layout.page_layout import lay_out

    return lay_out(
        plan,
        geometry.columns,
        geometry.lines_per_column,
        ts.story_metrics,
        ts.notice_metrics,
        ts.ad_requests,
    )


def _message_data(m: Message) -> dict[str, str]:
    return {"code": m.code, "zh": m.render("zh"), "en": m.render("en")}


def _box_data(kind: str, ident: str, title: str, box: Any, geometry: PageGeometry) -> dict[str, Any]:
    """A placed block for the planner: grid box and its rectangle in % of the trimmed page."""
    top_margin = geometry.trim_h - geometry.margin_bottom - geometry.type_h
    x0 = geometry.column_x(box.col)
    x1 = geometry.column_x(box.end_col - 1) + geometry.column_width
    y0 = top_margin + box.line * geometry.leading_pt
    y1 = top_margin + box.end_line * geometry.leading_pt
    return {
        "kind": kind,
        "id": ident,
        "title": title,
        "col": box.col,
        "cols": box.cols,
        "line": box.line,
        "lines": box.lines,
        "rect": [
            round(100 * x0 / geometry.trim_w, 3),
            round(100 * y0 / geometry.trim_h, 3),
            round(100 * (x1 - x0) / geometry.trim_w, 3),
            round(100 * (y1 - y0) / geometry.trim_h, 3),
        ],
    }


def page_blocks(
    layout: EditionLayout, number: int, ts: Typeset, geometry: PageGeometry
) -> list[dict[str, Any]]:
    page = layout.page(number)
    out: list[dict[str, Any]] = []
    for s in page.stories:
        title = ts.titles.get(("story", s.story_id), "")
        boxes = [b for b in (s.headline, s.figure) if b is not None] + [seg.box for seg in s.segments]
        if not boxes:
            continue
        col = min(b.col for b in boxes)
        line = min(b.line for b in boxes)
        end_col = max(b.end_col for b in boxes)
        end_line = max(b.end_line for b in boxes)
        hull = Box(col, end_col - col, line, end_line - line)
        out.append(_box_data("story", s.story_id, title, hull, geometry))
    for b in page.blocks:
        out.append(_box_data(b.kind, b.id, ts.titles.get((b.kind, b.id), ""), b.box, geometry))
    return out


def _next_number(edition: Edition) -> int:
    top = db.session.scalar(
        select(func.max(EditionBuild.number)).where(EditionBuild.edition_id == edition.id)
    )
    return (top or 0) + 1


def _mark_interrupted(edition: Edition) -> None:
    """Builds left `running` by a process that died are recorded as interrupted."""
    limit = utcnow() - STALE_AFTER
    for b in db.session.scalars(
        select(EditionBuild).where(
            EditionBuild.edition_id == edition.id,
            EditionBuild.status == "running",
            EditionBuild.started_at < limit,
        )
    ):
        set_build_status(b, BuildEvent.INTERRUPT)
        b.error = "interrupted / 中断"
        b.finished_at = utcnow()


def lock_edition(edition: Edition) -> Edition:
    """The edition under the write lock, read afresh (the first lock of the order in db_locks)."""
    locked = db.session.scalar(select(Edition).where(Edition.id == edition.id).with_for_update())
    if locked is None:
        raise NotFound(edition.id)
    return locked


def start_build(edition: Edition, actor: User | None) -> EditionBuild:
    """A new `running` build row of the edition (flushed; the caller commits).

    Numbered under the edition's write lock (notices_app/db_locks), so two builds started at once
    get consecutive numbers instead of racing for the same one.
    """
    locked = lock_edition(edition)
    if locked.status == "published":
        raise Conflict(
            msg(
                "edition.published",
                "本期已出版，版面已冻结；更正请另发新公告",
                "the edition is published and frozen",
            )
        )
    _mark_interrupted(locked)
    number = _next_number(locked)
    build = EditionBuild(
        edition_id=locked.id,
        number=number,
        status="running",
        started_by_id=actor.id if actor else None,
        folder=f"editions/{locked.date.isoformat()}/build-{number:03d}",
    )
    db.session.add(build)
    db.session.flush()
    return build


def live_build(edition: Edition, lease: timedelta) -> EditionBuild | None:
    """The edition's build that a background job is still working on: queued, or running with a
    lease renewed within `lease`. A build left running by a process that died is not live."""
    fresh = utcnow() - lease
    return db.session.scalar(
        select(EditionBuild)
        .join(Job, Job.build_id == EditionBuild.id)
        .where(
            EditionBuild.edition_id == edition.id,
            EditionBuild.status == "running",
            # A job queued longer than a lease was lost (its worker restarted, its message
            # dropped): nobody will run it, so it must not hold the edition's builds back.
            or_(
                and_(Job.status == "queued", Job.created_at >= fresh),
                and_(Job.status == "running", Job.heartbeat_at >= fresh),
            ),
        )
        .order_by(EditionBuild.number.desc())
        .limit(1)
    )


def build_edition(
    day: date,
    actor: User | None = None,
    progress: ProgressFn | None = None,
    *,
    build: EditionBuild | None = None,
) -> EditionBuild:
    """Lay out, render, preflight and store the edition of `day`; returns the finished build.

    The build succeeds only when everything was placed and every page passed preflight; the
    edition then points at it (status `built`). Otherwise the build is `failed` with the
    overflow and preflight problems listed, and the edition keeps its previous build.
    `build`: a `running` row that `start_build` made earlier (a queued background job; run again
    after a worker died) to fill instead of a new one; its folder is rewritten with equal bytes.
    """
    from print.edition_pdf import EditionInfo, PageContent, combine_pages, render_page
    from print.fonts import default_fonts
    from print.pdfx import make_pdfx
    from print.preflight import preflight
    from print.raster import page_images

    pub = current_publication()
    edition = get_edition(day, pub)
    if build is None:
        build = start_build(edition, actor)
        db.session.commit()
    geometry = geometry_for(pub)

    def step(stage: str, done: int, total: int) -> None:
        build.stage, build.progress, build.progress_total = stage, done, total
        db.session.commit()
        if progress:
            progress(done, total, stage)

    try:
        plan, pins = plan_of(edition)
        total = len(plan.pages) + 3
        step("typeset", 0, total)
        ts = typeset_content(edition_content(edition), pins, geometry, pub)
        step("layout", 1, total)
        layout = lay_out_edition(plan, geometry, ts)
        crash_point("edition.after_layout")
        step("render", 2, total)
        fonts = default_fonts()
        info = EditionInfo(newspaper=pub.name, date=edition.date)
        content = PageContent(stories=ts.stories, notices=ts.notices, ads=ts.ads)
        pages_data: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        page_pdfs: list[bytes] = []
        for page in layout.pages:
            raw = render_page(page, content, geometry, fonts, info, len(layout.pages))
            pdf = make_pdfx(raw, title=f"{pub.name} {edition.date.isoformat()} 第{page.number}版")
            report = preflight(pdf)
            problems += [
                {"page": page.number, "code": p.code, **_message_data(p.message), "details": p.details}
                for p in report.problems
            ]
            screen, thumb = page_images(pdf, (SCREEN_WIDTH, THUMB_WIDTH))
            stem = f"{build.folder}/page-{page.number:02d}"
            sha = storage.store(f"{stem}.pdf", pdf)
            storage.store(f"{stem}.png", screen)
            storage.store(f"{stem}-thumb.png", thumb)
            page_pdfs.append(pdf)
            pages_data.append(
                {
                    "number": page.number,
                    "role": page.role,
                    "label": page.label,
                    "pdf": f"{stem}.pdf",
                    "sha256": sha,
                    "png": f"{stem}.png",
                    "thumb": f"{stem}-thumb.png",
                    "blocks": page_blocks(layout, page.number, ts, geometry),
                }
            )
            step("render", 2 + page.number, total)
            crash_point("edition.page_stored")
        whole = make_pdfx(combine_pages(page_pdfs), title=f"{pub.name} {edition.date.isoformat()}")
        edition_path = f"{build.folder}/edition-{edition.date.isoformat()}.pdf"
        edition_sha256 = storage.store(edition_path, whole)
        # The lock order of db_locks: the edition before this build's row (start_build takes the
        # edition and then marks old builds interrupted), and the edition as it is now.
        edition = lock_edition(edition)
        build.edition_sha256 = edition_sha256
        build.edition_pdf = edition_path
        overflow = list(ts.problems) + list(layout.overflow)
        build.overflow = [
            {
                "kind": o.kind,
                "id": o.id,
                "title": ts.titles.get((o.kind, o.id), ""),
                **_message_data(o.reason),
            }
            for o in overflow
        ]
        build.preflight = problems
        build.pages = pages_data
        set_build_status(build, BuildEvent.SUCCEED if not overflow and not problems else BuildEvent.FAIL)
        build.finished_at = utcnow()
        build.progress = total
        build.stage = "done"
        # A published edition keeps its build: the switch is refused (and logged) with the status.
        if build.status == "succeeded" and set_edition_status(edition, EditionEvent.BUILD):
            edition.current_build_id = build.id
        crash_point("edition.before_switch")
        db.session.commit()
    except Exception as err:
        db.session.rollback()
        build = db.session.get(EditionBuild, build.id) or build
        set_build_status(build, BuildEvent.FAIL)
        build.error = f"{type(err).__name__}: {err}"
        build.finished_at = utcnow()
        db.session.commit()
        raise
    return build


def latest_build(edition: Edition) -> EditionBuild | None:
    return db.session.scalar(
        select(EditionBuild).where(EditionBuild.edition_id == edition.id).order_by(EditionBuild.number.desc())
    )


def current_build(edition: Edition) -> EditionBuild | None:
    return db.session.get(EditionBuild, edition.current_build_id) if edition.current_build_id else None


def book_ad(edition: Edition, ad: AdContent, page: int, position: str, cols: int, lines: int) -> AdBooking:
    """Place a display ad in an edition (the desk's manual placement; paid bookings come from ads)."""
    ensure_unpublished(edition)
    if position not in ("full", "ear", "bottom"):
        raise RuleError(msg("ad.position", "广告位置无效", "invalid ad position"))
    if not 1 <= page <= edition.page_count:
        raise RuleError(msg("ad.page", "版次不在本期版面内", "the page is not in this edition"))
    booking = AdBooking(
        edition_id=edition.id, ad_content_id=ad.id, page=page, position=position, cols=cols, lines=lines
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def editions_between(start: date, end: date) -> Sequence[Edition]:
    pub = current_publication()
    return list(
        db.session.scalars(
            select(Edition)
            .where(Edition.publication_id == pub.id, Edition.date >= start, Edition.date <= end)
            .order_by(Edition.date)
        )
    )
