"""The advertiser's side of display ads: the availability calendar, page diagrams of an edition,
the booking form (artwork or template, proof and price, hold and pay), orders and cancelling.

Staff see every online booking and may cancel one; only advertisers book (a booking belongs
to the advertiser's organisation).
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from ads.inventory import GUTTER_CELL_BASE, PAGE_CLASS_NAMES, SLOT_TYPES, Slot, find_slot
from ads.ratecard import Quote
from notices_app.extensions import db
from notices_app.forms.base import form_errors
from notices_app.forms.bookings import TEMPLATE_FIELDS, BookingForm
from notices_app.forms.gutter import GutterForm
from notices_app.models import AdBooking, AdContent, Edition, Publication, utcnow
from notices_app.rules.calendar import WEEKDAYS_EN, WEEKDAYS_ZH, PublishingCalendar
from notices_app.rules.messages import Message
from notices_app.services import bookings as booking_service
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.services.notices import current_publication, publication_calendar
from notices_app.services.typesetting import geometry_for
from notices_app.web.access import allow
from notices_app.web.i18n import t
from print.artwork import MAX_BYTES, ArtworkReport, check_artwork, pixels_needed, place_artwork, proof_pdf

bp = Blueprint("bookings", __name__, url_prefix="/ads")
ADVERTISERS = ("advertiser",)
VIEWERS = ("advertiser", "editor", "admin")
# Artwork may be 20 MB, over the app's 8 MB request limit: the booking form gets room for it.
BOOK_REQUEST_LIMIT = MAX_BYTES + 2 * 1024 * 1024
BOOKING_STATES = {
    "held": ("预留中（待付款）", "Held (awaiting payment)"),
    "confirmed": ("已确认", "Confirmed"),
    "expired": ("预留已过期", "Hold expired"),
    "cancelled": ("已取消", "Cancelled"),
}
PAYMENT_STATES = {
    "pending": ("待付款", "Awaiting payment"),
    "paid": ("已付款", "Paid"),
    "expired": ("已过期", "Expired"),
    "cancelled": ("已取消", "Cancelled"),
}
CALENDAR_DAYS = 28
PROOF_WIDTH_PX = 640
GUTTER_PROOF_DPI = 432  # a 中缝 entry is about 1.4 cm wide: drawn large enough to read its 6.5 pt type


def _raise_upload_limit() -> None:
    if request.endpoint == "bookings.book":
        request.max_content_length = BOOK_REQUEST_LIMIT


@bp.record_once
def _install_upload_limit(state: Any) -> None:
    # First in line: CSRFProtect's own before_request reads the form, which applies the limit.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


def _label(table: dict[str, tuple[str, str]], key: str) -> str:
    zh, en = table.get(key, (key, key))
    return t(zh, en)


def pay_url(reference: str) -> str:
    """The payment page of engineer B's billing blueprint."""
    try:
        return url_for("billing.pay", reference=reference)
    except BuildError:
        return f"/billing/pay/{reference}"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    tz = PublishingCalendar.from_dict(_publication().calendar).tz
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "booking_state": lambda s: _label(BOOKING_STATES, s),
        "payment_state": lambda s: _label(PAYMENT_STATES, s),
        "page_class_name": lambda c: _label(PAGE_CLASS_NAMES, c),
        "slot_type_name": lambda k: t(SLOT_TYPES[k].name_zh, SLOT_TYPES[k].name_en) if k in SLOT_TYPES else k,
        "weekday": lambda d: t(WEEKDAYS_ZH[d.weekday()], WEEKDAYS_EN[d.weekday()]),
        "pay_url": pay_url,
        "when": _when,
        "cm": lambda pt: f"{pt / 72 * 2.54:.1f}",
        "say": lambda m: m.render(g.lang) if isinstance(m, Message) else str(m),
        "now": utcnow,
    }


def _publication() -> Publication:
    try:
        return current_publication()
    except NotFound:
        abort(404)


def _parse_day(value: str | None) -> date | None:
    """A date the calendar can work with (2000-2099), else None: the caller uses its default."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and date(2000, 1, 1) <= day <= date(2099, 12, 31) else None


def _today(pub: Publication) -> date:
    return utcnow().astimezone(publication_calendar(pub).tz).date()


def _edition(day_text: str, create: bool = False) -> Edition:
    day = _parse_day(day_text)
    if day is None:
        abort(404)
    pub = _publication()
    ed = booking_service.edition_for(pub, day, utcnow(), create=create)
    if ed is None:
        abort(404)
    return ed


def _form_meta() -> dict[str, Any]:
    from print.fonts import default_fonts

    return {"lang": g.lang, "csrf": False, "fonts": default_fonts()}


# --- my bookings -----------------------------------------------------------------------------


@bp.route("/")
@allow(*VIEWERS)
def index() -> Any:
    booking_service.expire_holds()
    rows = list(
        db.session.execute(
            booking_service.visible_bookings(g.user)
            .add_columns(Edition.date)
            .join(Edition, Edition.id == AdBooking.edition_id)
            .order_by(AdBooking.id.desc())
            .limit(300)
        ).tuples()
    )
    orders: dict[str, list[tuple[AdBooking, date]]] = {}
    for booking, day in rows:
        orders.setdefault(booking.order_ref or "", []).append((booking, day))
    payments = {ref: booking_service.order_payment(ref) for ref in orders}
    return render_template("bookings/index.html", orders=orders, payments=payments)


# --- availability ------------------------------------------------------------------------------


@bp.route("/availability")
@allow(*VIEWERS)
def availability() -> Any:
    pub = _publication()
    start = _parse_day(request.args.get("from")) or _today(pub)
    end = _parse_day(request.args.get("to")) or start + timedelta(days=CALENDAR_DAYS - 1)
    if end < start:
        start, end = end, start
    end = min(end, start + timedelta(days=91))
    days = booking_service.calendar(start, end)
    return render_template(
        "bookings/availability.html",
        days=days,
        start=start,
        end=end,
        earlier=start - timedelta(days=CALENDAR_DAYS),
        later=end + timedelta(days=1),
    )


def _diagram(state: booking_service.EditionState, grid: Any) -> dict[str, Any]:
    """Sizes for the page SVGs: the type area in pt, and each taken cell's rectangle."""
    width = grid.span_pt(grid.columns)
    height = grid.lines * grid.leading_pt
    taken: dict[int, list[tuple[float, float, float, float]]] = {}
    for page in state.pages:
        boxes = []
        for cell in page.taken_cells:
            if cell >= GUTTER_CELL_BASE:
                continue
            row, col = divmod(cell, grid.columns)
            x = col * (grid.column_width_pt + grid.gutter_pt)
            y = grid.row_top(row) * grid.leading_pt
            boxes.append((x, y, grid.column_width_pt, grid.row_lines * grid.leading_pt))
        taken[page.page] = boxes
    return {"width": width, "height": height, "taken": taken}


def _spread_diagram(pub: Publication, state: booking_service.EditionState, page: int) -> dict[str, Any]:
    """Sizes for the SVG of a spread p | p+1 with the 中缝 between the two type areas: each
    page's taken cells, the fold, and where the strip's column of entries prints."""
    from print.gutter import gutter_column

    geometry = geometry_for(pub)
    grid = booking_service.grid_for(pub)
    base = _diagram(state, grid)
    margin = geometry.margin_left
    type_w = base["width"]
    column = gutter_column(geometry, page)
    column_x = column.x - margin  # from the left page's type area
    return {
        "width": 2 * type_w + 2 * margin,
        "height": base["height"],
        "type_w": type_w,
        "right_x": type_w + 2 * margin,
        "fold_x": type_w + margin,
        "left": page,
        "right": page + 1,
        "left_taken": base["taken"].get(page, []),
        "right_taken": base["taken"].get(page + 1, []),
        "rect": lambda slot: (
            column_x,
            slot.line * grid.leading_pt,
            column.measure,
            slot.lines * grid.leading_pt,
        ),
    }


def slot_rect(grid: Any, slot: Slot) -> tuple[float, float, float, float]:
    return (
        slot.col * (grid.column_width_pt + grid.gutter_pt),
        slot.line * grid.leading_pt,
        grid.span_pt(slot.cols),
        slot.lines * grid.leading_pt,
    )


@bp.route("/editions/<day>")
@allow(*VIEWERS)
def edition(day: str) -> Any:
    ed = _edition(day)
    pub = _publication()
    state = booking_service.availability(ed)
    grid = booking_service.grid_for(pub)

    def book_url(slot: Slot) -> str:
        return url_for(
            "bookings.book",
            day=ed.date.isoformat(),
            page=slot.page,
            slot_type=slot.type_key,
            index=slot.index,
        )

    return render_template(
        "bookings/edition.html",
        state=state,
        edition=ed,
        diagram=_diagram(state, grid),
        spreads={
            p.page: _spread_diagram(pub, state, p.page)
            for p in state.pages
            if any(s.slot.position == "gutter" for s in p.slots)
        },
        rect=lambda slot: slot_rect(grid, slot),
        book_url=book_url if state.open and g.user.role in ADVERTISERS else None,
    )


# --- the booking form -----------------------------------------------------------------------------


def _later_dates(pub: Publication, first: date, now: datetime) -> list[tuple[date, bool]]:
    """Publishing days after `first` one may add to the order (frequency discount), and whether open."""
    cal = publication_calendar(pub)
    out = []
    for day in cal.publishing_dates(first + timedelta(days=1), cal.max_run_dates - 1):
        out.append((day, now < cal.cutoff_for(day)))
    return out


def _chosen_dates(first: date, valid: list[date]) -> tuple[list[date], list[str]]:
    chosen = [first]
    bad = []
    for raw in request.form.getlist("dates"):
        day = _parse_day(raw)
        if day is None or day not in valid:
            bad.append(raw)
        elif day not in chosen:
            chosen.append(day)
    return sorted(chosen), bad


def _proof_png(placed: Any, dpi: int = 144) -> str:
    from print.raster import pdf_to_png

    png = pdf_to_png(proof_pdf(placed), dpi=dpi, max_width_px=PROOF_WIDTH_PX)
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _set_errors(
    form: BookingForm, errors: dict[str, list[Message | str]], extra: dict[str, list[str]]
) -> None:
    for key, messages in errors.items():
        texts = [m.render(g.lang) if isinstance(m, Message) else str(m) for m in messages]
        field = form._fields.get(key) if key in ("artwork", *TEMPLATE_FIELDS) else None
        if key == "template":
            field = form.headline
        if field is not None:
            for text in texts:
                form.add_error(field, text)
        else:
            extra.setdefault(key, []).extend(texts)


@bp.route("/book/<day>/<int:page>/<slot_type>/<int:index>", methods=["GET", "POST"])
@allow(*ADVERTISERS)
def book(day: str, page: int, slot_type: str, index: int) -> Any:
    pub = _publication()
    ed = _edition(day)
    now = utcnow()
    if slot_type not in booking_service.ONLINE_TYPES or not 1 <= page <= ed.page_count:
        abort(404)
    grid = booking_service.grid_for(pub)
    slot = find_slot(booking_service.slots_on(pub, page, ed.page_count, grid=grid), slot_type, index)
    if slot is None:
        abort(404)
    state = booking_service.availability(ed, now)
    slot_state = next(
        (s for s in state.pages[page - 1].slots if (s.slot.type_key, s.slot.index) == (slot_type, index)),
        None,
    )
    if slot_state is None:  # not sold on this page by the rate card
        abort(404)
    later = _later_dates(pub, ed.date, now)
    if slot.position == "gutter":
        return _book_gutter(pub, ed, slot, slot_state, state, later, grid, now)
    extra: dict[str, list[str]] = {}
    proof: str | None = None
    quotes: list[Quote] = []
    report: ArtworkReport | None = None
    chosen = [ed.date]
    status = 200
    if request.method == "POST":
        form = BookingForm(meta=_form_meta())
        chosen, bad = _chosen_dates(ed.date, [d for d, ok in later if ok])
        if bad:
            extra["dates"] = [t("日期无效或已截稿：", "Invalid or closed date: ") + ", ".join(bad)]
        valid = form.validate() and not bad
        template = None
        if valid and form.uses_template:
            template = booking_service.TemplateAd(**form.template_fields())
            try:
                proof = _proof_png(booking_service.check_template(pub, template, slot))
            except FieldErrors as err:
                _set_errors(form, err.errors, extra)
                valid = False
        elif valid and form.artwork_bytes is not None:
            report = check_artwork(form.artwork_bytes, slot_state.width_pt, slot_state.height_pt)
            if report.ok and report.data is not None:
                proof = _proof_png(
                    place_artwork(report.data, slot_state.width_pt, slot_state.height_pt, report.kind)
                )
            else:
                _set_errors(form, {"artwork": list(report.errors)}, extra)
                valid = False
        if valid:
            try:
                runs = booking_service.plan_runs(pub, chosen, page, slot_type, index, now)
                quotes, _ = booking_service.price_runs(
                    pub, runs, bool(form.colour.data), bool(form.fixed_position.data), now
                )
            except FieldErrors as err:
                _set_errors(form, err.errors, extra)
                valid = False
        if valid and request.form.get("action") == "hold":
            try:
                order = booking_service.hold(
                    g.user,
                    chosen,
                    slot_type,
                    page,
                    index,
                    artwork=report,
                    template=template,
                    colour=bool(form.colour.data),
                    fixed_position=bool(form.fixed_position.data),
                    now=now,
                )
            except FieldErrors as err:
                _set_errors(form, err.errors, extra)
            except Conflict as err:
                extra.setdefault("_", []).append(err.message.render(g.lang))
                status = 409
            else:
                flash(
                    t(
                        f"版位已为您预留 {booking_service.hold_minutes()} 分钟，请在此时间内付款。",
                        f"The slot is held for you for {booking_service.hold_minutes()} minutes: pay within that time.",
                    )
                )
                return redirect(url_for("bookings.order", order_ref=order.order_ref))
        if form_errors(form) or extra:
            status = 409 if status == 409 else 422
    else:
        form = BookingForm(meta=_form_meta(), formdata=None)
    need = pixels_needed(slot_state.width_pt, slot_state.height_pt, 300)
    return render_template(
        "bookings/book.html",
        form=form,
        edition=ed,
        slot=slot,
        slot_state=slot_state,
        page_class=state.pages[page - 1].page_class,
        later=later,
        chosen=chosen,
        extra=extra,
        proof=proof,
        quotes=quotes,
        report=report,
        need=need,
        open=state.open,
        rect=slot_rect(grid, slot),
        diagram={"width": grid.span_pt(grid.columns), "height": grid.lines * grid.leading_pt},
    ), status


def _book_gutter(
    pub: Publication,
    ed: Edition,
    slot: Slot,
    slot_state: booking_service.SlotState,
    state: booking_service.EditionState,
    later: list[tuple[date, bool]],
    grid: Any,
    now: datetime,
) -> Any:
    """A 中缝 entry: its text, the proof as it prints in the strip, the per-字 price; hold and pay."""
    from notices_app.rules.counting import count_zi

    capacity = booking_service.gutter_capacity(pub, slot)
    extra: dict[str, list[str]] = {}
    proof: str | None = None
    quotes: list[Quote] = []
    chosen = [ed.date]
    zi: int | None = None
    status = 200
    if request.method == "POST":
        form = GutterForm(meta=_form_meta())
        chosen, bad = _chosen_dates(ed.date, [d for d, ok in later if ok])
        if bad:
            extra["dates"] = [t("日期无效或已截稿：", "Invalid or closed date: ") + ", ".join(bad)]
        valid = form.validate() and not bad
        text = ""
        if valid:
            try:
                text = booking_service.clean_gutter_text(form.gutter_text.data)
                zi = count_zi(text)
                proof = _proof_png(booking_service.check_gutter(pub, text, slot), dpi=GUTTER_PROOF_DPI)
                runs = booking_service.plan_runs(pub, chosen, slot.page, slot.type_key, slot.index, now)
                quotes, _ = booking_service.price_runs(pub, runs, False, False, now, zi)
            except FieldErrors as err:
                _set_gutter_errors(form, err.errors, extra)
                valid = False
        if valid and request.form.get("action") == "hold":
            try:
                order = booking_service.hold(
                    g.user, chosen, slot.type_key, slot.page, slot.index, gutter_text=text, now=now
                )
            except FieldErrors as err:
                _set_gutter_errors(form, err.errors, extra)
            except Conflict as err:
                extra.setdefault("_", []).append(err.message.render(g.lang))
                status = 409
            else:
                flash(
                    t(
                        f"中缝版位已为您预留 {booking_service.hold_minutes()} 分钟，请在此时间内付款。",
                        f"The 中缝 entry is held for you for {booking_service.hold_minutes()} minutes: pay within that time.",
                    )
                )
                return redirect(url_for("bookings.order", order_ref=order.order_ref))
        if form_errors(form) or extra:
            status = 409 if status == 409 else 422
    else:
        form = GutterForm(meta=_form_meta(), formdata=None)
    return render_template(
        "bookings/book_gutter.html",
        form=form,
        edition=ed,
        slot=slot,
        slot_state=slot_state,
        page_class=state.pages[slot.page - 1].page_class,
        later=later,
        chosen=chosen,
        extra=extra,
        proof=proof,
        quotes=quotes,
        zi=zi,
        capacity=capacity,
        open=state.open,
        spread=_spread_diagram(pub, state, slot.page),
    ), status


def _set_gutter_errors(
    form: GutterForm, errors: dict[str, list[Message | str]], extra: dict[str, list[str]]
) -> None:
    for key, messages in errors.items():
        texts = [m.render(g.lang) if isinstance(m, Message) else str(m) for m in messages]
        if key == "gutter_text":
            for text in texts:
                form.add_error(form.gutter_text, text)
        else:
            extra.setdefault(key, []).extend(texts)


# --- orders ---------------------------------------------------------------------------------------


def _order(order_ref: str) -> list[AdBooking]:
    try:
        return booking_service.get_order(order_ref, g.user)
    except NotFound:
        abort(404)


@bp.route("/orders/<order_ref>")
@allow(*VIEWERS)
def order(order_ref: str) -> Any:
    booking_service.expire_holds()
    rows = _order(order_ref)
    editions = {
        e.id: e
        for e in db.session.scalars(select(Edition).where(Edition.id.in_([b.edition_id for b in rows])))
    }
    payment = booking_service.order_payment(order_ref)
    now = utcnow()
    cancellable = {
        b.id: b.status in booking_service.ACTIVE_STATES and now < booking_service.cutoff_of(b) for b in rows
    }
    content = db.session.get(AdContent, rows[0].ad_content_id) if rows[0].ad_content_id else None
    return render_template(
        "bookings/order.html",
        order_ref=order_ref,
        rows=rows,
        editions=editions,
        payment=payment,
        cancellable=cancellable,
        refunds={b.id: booking_service.refund_preview(b) for b in rows},
        cutoffs={b.id: booking_service.cutoff_of(b) for b in rows},
        content=content,
    )


def _booking(booking_id: int) -> AdBooking:
    try:
        return booking_service.get_booking(booking_id, g.user)
    except NotFound:
        abort(404)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@allow(*VIEWERS)
def cancel(booking_id: int) -> Any:
    booking = _booking(booking_id)
    order_ref = booking.order_ref or ""
    try:
        cancelled = booking_service.cancel(booking, g.user)
    except Conflict as err:
        flash(err.message.render(g.lang), "error")
        return redirect(url_for("bookings.order", order_ref=order_ref)), 303
    except FieldErrors as err:
        for messages in err.render(g.lang).values():
            for m in messages:
                flash(m, "error")
        return redirect(url_for("bookings.order", order_ref=order_ref)), 303
    flash(t(f"已取消 {len(cancelled)} 个预订", f"{len(cancelled)} booking(s) cancelled"))
    return redirect(url_for("bookings.order", order_ref=order_ref))


@bp.route("/bookings/<int:booking_id>/proof.png")
@allow(*VIEWERS)
def proof(booking_id: int) -> Response:
    """The stored ad drawn at its slot's size, as booked."""
    from print.raster import pdf_to_png

    booking = _booking(booking_id)
    edition_row = db.session.get(Edition, booking.edition_id)
    assert edition_row is not None
    pub = db.session.get(Publication, edition_row.publication_id)
    assert pub is not None
    content = db.session.get(AdContent, booking.ad_content_id) if booking.ad_content_id else None
    from notices_app.layout.types import Level
    from notices_app.services.editions import typeset_booking
    from notices_app.services.typesetting import geometry_for
    from print.fonts import default_fonts

    try:
        placed = typeset_booking(booking, content, geometry_for(pub), default_fonts(), Level(pub.clreq_level))
    except (ValueError, OSError):
        abort(404)
    dpi = GUTTER_PROOF_DPI if booking.position == "gutter" else 144
    png = pdf_to_png(proof_pdf(placed), dpi=dpi, max_width_px=PROOF_WIDTH_PX)
    resp = Response(png, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
