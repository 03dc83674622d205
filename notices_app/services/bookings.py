"""Display-ad bookings made by advertisers: what is free in an edition, holds that claim the
slot's grid cells in the database, confirmation and expiry through the payment hooks, and
cancellation with the rate card's refund.

One slot, one booking: a booking claims every inventory cell its slot covers (`SlotClaim`,
unique per edition, page and cell), and overlapping slots share cells. The claim is an INSERT
that the database refuses for a cell already claimed, so two concurrent holds cannot both win
whatever they read before; there is no check-then-insert. On SQLite the claim transaction
takes the write lock first (`_begin_claim`, notices_app.db_locks): the writer lock is taken
before anything is read, so concurrent holds queue on the busy timeout instead of failing
with "database is locked" when a read lock cannot be upgraded.

A hold's claims carry its expiry; a later hold deletes expired claims on the cells it wants in
its own transaction before inserting. Payment confirms (claims made permanent); an expired or
cancelled payment, or `expire_holds`, frees them.

Classified modules are booked the same way: the rate card says the publication's module size
(`RateCard.module`, e.g. 2 栏 × 5 cm), the inventory stacks modules of that size in the lower
half of inside pages, and a module is priced per column·cm on that size (`quote_slot`). A
module shares cells with the fractions over it, so neither can be sold over the other.

The 中缝 is booked the same way, one entry per segment of the strip (one cell each): the
advertiser types a short classified text, priced per 字 (`rules.counting`) on the rate card's
per-字 rate and minimum, and set in the strip's small type (`print.gutter`); a text longer than
its segment holds is a field error.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ads.inventory import (
    SLOT_TYPES,
    GridSpec,
    Slot,
    find_slot,
    max_module_cm,
    page_class,
    page_slots,
    slot_size_pt,
)
from ads.ratecard import ModuleSize, Quote, RateCard, booking_refund_fen, quote_slot
from notices_app.db_locks import write_lock
from notices_app.extensions import db
from notices_app.models import (
    AdBooking,
    AdContent,
    Edition,
    Payment,
    Publication,
    SlotClaim,
    User,
    utcnow,
)
from notices_app.rules.calendar import PublishingCalendar, format_date_zh
from notices_app.rules.counting import count_zi
from notices_app.rules.messages import Message, RuleError, msg
from notices_app.rules.states import BookingEvent
from notices_app.services import payments, storage
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.services.notices import current_publication, publication_calendar
from notices_app.services.status import booking_update, set_booking_status
from notices_app.services.typesetting import ad_text, geometry_for

DEFAULT_HOLD_MINUTES = 30
ONLINE_TYPES = tuple(SLOT_TYPES)  # every type is booked online (modules in the card's module size)
GUTTER_MAX_CHARS = 200  # longer than any segment holds; the typesetter gives the real limit
GUTTER_CONTENT_KEY = "gutter_text"  # AdContent.content of a 中缝 entry
GUTTER_KIND = "gutter"  # AdBooking.artwork_kind of a 中缝 entry
ACTIVE_STATES = ("held", "confirmed")


def hold_minutes() -> int:
    return int(current_app.config.get("BOOKING_HOLD_MINUTES", DEFAULT_HOLD_MINUTES))


def grid_for(pub: Publication) -> GridSpec:
    return GridSpec.from_geometry(geometry_for(pub))


def rate_card(pub: Publication) -> RateCard:
    return RateCard.from_dict(pub.rate_card)


def module_size(card: RateCard, grid: GridSpec) -> ModuleSize | None:
    """The card's module size when modules are sold and that size fits this grid's lower half."""
    size = card.module
    if size is None or size.cols > grid.columns or size.cm > max_module_cm(grid):
        return None
    return size


def slots_on(
    pub: Publication,
    page: int,
    page_count: int,
    *,
    grid: GridSpec | None = None,
    card: RateCard | None = None,
) -> list[Slot]:
    """Every sellable place on the page, classified modules in the publication's module size."""
    grid = grid or grid_for(pub)
    size = module_size(card or rate_card(pub), grid)
    if size is None:
        return page_slots(grid, page, page_count)
    return page_slots(grid, page, page_count, module_cols=size.cols, module_cm=size.cm)


def _active(now: datetime) -> Any:
    return or_(SlotClaim.expires_at.is_(None), SlotClaim.expires_at > now)


# --- availability --------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotState:
    """One slot of one page with whether it can still be booked."""

    slot: Slot
    taken: bool
    width_pt: float
    height_pt: float
    price_fen: int | None  # one insertion, no surcharges; None when the card does not sell it


@dataclass(frozen=True)
class PageState:
    page: int
    page_class: str
    slots: tuple[SlotState, ...]
    taken_cells: frozenset[int]

    @property
    def free(self) -> int:
        return sum(1 for s in self.slots if not s.taken)

    def by_type(self) -> list[tuple[str, list[SlotState]]]:
        """Slots grouped by type, in the inventory's order."""
        out: dict[str, list[SlotState]] = {}
        for s in self.slots:
            out.setdefault(s.slot.type_key, []).append(s)
        return list(out.items())


@dataclass(frozen=True)
class EditionState:
    edition: Edition
    pages: tuple[PageState, ...]
    open: bool  # bookable: before the cut-off and not closed by the desk
    cutoff: datetime

    @property
    def free(self) -> int:
        return sum(p.free for p in self.pages)

    @property
    def total(self) -> int:
        return sum(len(p.slots) for p in self.pages)


def taken_cells(edition: Edition, now: datetime) -> dict[int, set[int]]:
    """Cells claimed by an active hold or a booking, per page."""
    out: dict[int, set[int]] = {}
    rows = db.session.execute(
        select(SlotClaim.page, SlotClaim.cell).where(SlotClaim.edition_id == edition.id, _active(now))
    )
    for page, cell in rows:
        out.setdefault(page, set()).add(cell)
    return out


def _base_price(card: RateCard, type_key: str, klass: str, now: datetime) -> int | None:
    # A 中缝 entry's price depends on its 字: one 字 shows the card's minimum, the "from" price.
    zi = 1 if SLOT_TYPES[type_key].anchor == "gutter" else None
    try:
        return quote_slot(card, type_key, klass, runs=1, zi=zi, now=now).total_fen
    except RuleError:
        return None


def is_open(edition: Edition, cal: PublishingCalendar, now: datetime) -> bool:
    return edition.status == "open" and now < cal.cutoff_for(edition.date)


def availability(edition: Edition, now: datetime | None = None, *, expire: bool = True) -> EditionState:
    """Every page of the edition with its online slots and whether each is taken."""
    now = now or utcnow()
    if expire:
        expire_holds(now)
    pub = db.session.get(Publication, edition.publication_id)
    assert pub is not None
    grid, card, cal = grid_for(pub), rate_card(pub), publication_calendar(pub)
    taken = taken_cells(edition, now)
    pages: list[PageState] = []
    for number in range(1, edition.page_count + 1):
        klass = page_class(number, edition.page_count)
        cells = frozenset(taken.get(number, ()))
        states = []
        prices: dict[str, int | None] = {}
        for slot in slots_on(pub, number, edition.page_count, grid=grid, card=card):
            if slot.type_key not in ONLINE_TYPES:
                continue
            if slot.type_key not in prices:
                prices[slot.type_key] = _base_price(card, slot.type_key, klass, now)
            if prices[slot.type_key] is None:
                continue  # the card does not sell it on this page
            w, h = slot_size_pt(grid, slot)
            states.append(SlotState(slot, not slot.cells.isdisjoint(cells), w, h, prices[slot.type_key]))
        pages.append(PageState(number, klass, tuple(states), cells))
    return EditionState(edition, tuple(pages), is_open(edition, cal, now), cal.cutoff_for(edition.date))


@dataclass(frozen=True)
class CalendarDay:
    day: date
    edition: Edition | None
    open: bool
    free: int
    total: int


def calendar(start: date, end: date, now: datetime | None = None) -> list[CalendarDay]:
    """Publishing days from `start` to `end` with the free and total slots of each edition."""
    now = now or utcnow()
    pub = current_publication()
    cal = publication_calendar(pub)
    if end < start:
        start, end = end, start
    end = min(end, start + timedelta(days=92))
    expire_holds(now)
    out: list[CalendarDay] = []
    for day in cal.publishing_dates_between(start, end):
        ed = edition_for(pub, day, now)
        if ed is None:
            out.append(CalendarDay(day, None, False, 0, 0))
            continue
        state = availability(ed, now, expire=False)
        out.append(CalendarDay(day, ed, state.open, state.free, state.total))
    return out


def edition_for(pub: Publication, day: date, now: datetime, *, create: bool = False) -> Edition | None:
    """The edition of `day`. An advertiser may book a publishing day the desk has not set up
    yet: with `create`, such an edition (default page count) is created, and without it a
    transient one stands in for showing what is free. None when no edition can appear that day.
    """
    ed = db.session.scalar(select(Edition).where(Edition.publication_id == pub.id, Edition.date == day))
    if ed is not None:
        return ed
    cal = publication_calendar(pub)
    if not cal.is_publishing_day(day) or now >= cal.cutoff_for(day):
        return None
    default_pages = Edition.__table__.c.page_count.default.arg
    if not create:
        return Edition(publication_id=pub.id, date=day, status="open", page_count=default_pages, plan={})
    db.session.add(Edition(publication_id=pub.id, date=day, status="open", page_count=default_pages))
    try:
        db.session.commit()
    except IntegrityError:  # created by a concurrent booking meanwhile
        db.session.rollback()
    return db.session.scalar(select(Edition).where(Edition.publication_id == pub.id, Edition.date == day))


# --- holds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateAd:
    """The tourism-ad template's fields (print/ads): lists are one printed line each."""

    title: str
    headline: str
    sublines: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def content(self, cols: int) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "sublines": list(self.sublines),
            "features": list(self.features),
            "body": list(self.body),
            "phones": list(self.phones),
            "columns": cols,
        }


@dataclass
class Order:
    """Bookings made together (one slot, several editions) and the payment for them."""

    order_ref: str
    bookings: list[AdBooking]
    payment: Payment | None
    quotes: list[Quote] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        return sum(b.price_fen for b in self.bookings)


@dataclass(frozen=True)
class PricedRun:
    edition: Edition
    slot: Slot
    page_class: str


def _field_error(key: str, message: Message) -> FieldErrors:
    return FieldErrors({key: [message]})


def plan_runs(
    pub: Publication, dates: Sequence[date], page: int, type_key: str, index: int, now: datetime
) -> list[PricedRun]:
    """The edition and slot of each date, checked: bookable date, slot on that page. FieldErrors."""
    if type_key not in ONLINE_TYPES:
        raise _field_error(
            "slot",
            msg(
                "booking.not_online",
                "此类版位不在网上预订，请联系广告部",
                "This kind of slot is not booked online: contact the ads desk",
            ),
        )
    cal = publication_calendar(pub)
    days = sorted(set(dates))
    if not days:
        raise _field_error("dates", msg("booking.no_dates", "请至少选择一期", "Choose at least one edition"))
    if len(days) > cal.max_run_dates:
        raise _field_error(
            "dates",
            msg(
                "booking.too_many_dates",
                "一次最多预订{max}期",
                "At most {max} editions in one order",
                max=cal.max_run_dates,
            ),
        )
    grid, card = grid_for(pub), rate_card(pub)
    runs: list[PricedRun] = []
    problems: list[Message | str] = []
    first_box: tuple[int, int, int, int] | None = None
    for day in days:
        ed = edition_for(pub, day, now, create=True)
        if ed is None or not is_open(ed, cal, now):
            problems.append(
                msg(
                    "booking.edition_closed",
                    "{date}的版面不能预订（未开放或已过截稿时间）",
                    "The edition of {iso} cannot be booked (not open, or past its cut-off)",
                    date=format_date_zh(day),
                    iso=day.isoformat(),
                )
            )
            continue
        slot = None
        if 1 <= page <= ed.page_count:
            slot = find_slot(slots_on(pub, page, ed.page_count, grid=grid, card=card), type_key, index)
        box = (slot.col, slot.cols, slot.line, slot.lines) if slot else None
        if slot is None or (first_box is not None and box != first_box):
            problems.append(
                msg(
                    "booking.no_such_slot",
                    "{date}第{page}版没有这个版位",
                    "The edition of {iso} has no such slot on page {page}",
                    date=format_date_zh(day),
                    iso=day.isoformat(),
                    page=page,
                )
            )
            continue
        first_box = first_box or box
        runs.append(PricedRun(ed, slot, page_class(page, ed.page_count)))
    if problems:
        raise FieldErrors({"dates": problems})
    return runs


def price_runs(
    pub: Publication,
    runs: Sequence[PricedRun],
    colour: bool,
    fixed_position: bool,
    now: datetime,
    zi: int | None = None,
) -> tuple[list[Quote], list[int]]:
    """Quotes (one per page class among the runs, the frequency discount over its runs) and each
    run's share in 分; the shares add up to the quotes' totals exactly. `zi`: a 中缝 entry's 字."""
    card = rate_card(pub)
    groups: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(run.page_class, []).append(i)
    quotes: list[Quote] = []
    shares = [0] * len(runs)
    type_key = runs[0].slot.type_key
    for klass, members in groups.items():
        try:
            q = quote_slot(
                card,
                type_key,
                klass,
                colour=colour,
                fixed_position=fixed_position,
                runs=len(members),
                zi=zi,
                now=now,
            )
        except RuleError as err:
            raise _field_error("slot", err.message) from err
        quotes.append(q)
        each, rest = divmod(q.total_fen, len(members))
        for n, i in enumerate(members):
            shares[i] = each + (1 if n < rest else 0)
    return quotes, shares


def _begin_claim() -> None:
    """Start the claim transaction holding the write lock (`db_locks.write_lock`: BEGIN
    IMMEDIATE on SQLite), so every read of the claim transaction is part of it. The session
    must not be in a DBAPI transaction already, hence the commit (which ends the caller's
    read-only work)."""
    db.session.commit()
    write_lock(db.session)


def _recheck_editions(pub: Publication, runs: Sequence[PricedRun], now: datetime) -> None:
    """Each run's edition under the write lock (edition first, the lock order of db_locks), still
    open and with the page the slot was found on: the desk may have closed it or changed its
    pages since the slot was priced, outside this transaction."""
    cal = publication_calendar(pub)
    for run in runs:
        edition = db.session.scalar(select(Edition).where(Edition.id == run.edition.id).with_for_update())
        if (
            edition is None
            or not is_open(edition, cal, now)
            or run.slot.page > edition.page_count
            or page_class(run.slot.page, edition.page_count) != run.page_class
        ):
            raise Conflict(
                msg(
                    "booking.edition_changed",
                    "{date}的版面刚刚调整或已截稿，请重新选择版位",
                    "The edition of {iso} has just changed or closed: choose the slot again",
                    date=format_date_zh(run.edition.date),
                    iso=run.edition.date.isoformat(),
                )
            )


def _free_expired(edition_id: int, page: int, cells: Iterable[int], now: datetime) -> None:
    """Expire the holds whose lapsed claims lie on `cells`, releasing all their claims."""
    stale = list(
        db.session.scalars(
            select(SlotClaim.booking_id)
            .where(
                SlotClaim.edition_id == edition_id,
                SlotClaim.page == page,
                SlotClaim.cell.in_(list(cells)),
                SlotClaim.expires_at.is_not(None),
                SlotClaim.expires_at <= now,
            )
            .distinct()
        )
    )
    if stale:
        _expire_bookings(stale)


def _expire_bookings(booking_ids: Sequence[int]) -> list[int]:
    """Held bookings among `booking_ids` → expired, their claims deleted; returns those expired.

    The status change is a conditional UPDATE: a booking confirmed meanwhile keeps its claims.
    """
    expired = list(
        db.session.scalars(
            booking_update(BookingEvent.EXPIRE).where(AdBooking.id.in_(booking_ids)).returning(AdBooking.id),
        )
    )
    if expired:
        db.session.execute(delete(SlotClaim).where(SlotClaim.booking_id.in_(expired)))
    return expired


def new_order_ref(now: datetime) -> str:
    return f"AD{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def _slot_taken(run: PricedRun) -> Conflict:
    return Conflict(
        msg(
            "booking.slot_taken",
            "版位已被预订：{date}{label}。请选择其他版位或日期。",
            "Slot taken: {iso} {label_en}. Choose another slot or date.",
            date=format_date_zh(run.edition.date),
            iso=run.edition.date.isoformat(),
            label=run.slot.label_zh,
            label_en=run.slot.label_en,
        )
    )


def check_template(pub: Publication, template: TemplateAd, slot: Slot) -> Any:
    """The template ad typeset at the slot's size; FieldErrors if it cannot be."""
    from notices_app.layout.types import Level
    from print.ads import typeset_ad
    from print.fonts import default_fonts

    geometry = geometry_for(pub)
    try:
        return typeset_ad(
            ad_text(template.content(slot.cols), slot.cols),
            geometry,
            default_fonts(),
            height_pt=slot.lines * geometry.leading_pt,
            level=Level(pub.clreq_level),
        )
    except ValueError as err:
        raise _field_error(
            "template",
            msg(
                "booking.template_fit",
                "广告内容排不进所订版位：{error}",
                "The ad does not fit the slot: {error}",
                error=str(err),
            ),
        ) from err


# --- the 中缝 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GutterCapacity:
    """What one segment of the strip holds: lines of `chars` 字 of the strip's small type."""

    lines: int
    chars: int
    size_pt: float

    @property
    def max_zi(self) -> int:
        """字 that fit when every line is full (punctuation rules may leave a line short)."""
        return self.lines * self.chars


def gutter_capacity(pub: Publication, slot: Slot) -> GutterCapacity:
    from print.gutter import DEFAULT_STYLE, entry_lines, gutter_column

    geometry = geometry_for(pub)
    column = gutter_column(geometry, slot.page, DEFAULT_STYLE)
    return GutterCapacity(
        entry_lines(slot.lines * geometry.leading_pt, DEFAULT_STYLE), column.chars, DEFAULT_STYLE.size
    )


def clean_gutter_text(text: str | None) -> str:
    """The entry as it prints: one paragraph, cleaned; FieldErrors when empty or too long."""
    from notices_app.rules.text import clean_text, to_fullwidth_punct

    value = to_fullwidth_punct(clean_text(text or "", multiline=False))
    if not value:
        raise _field_error(
            "gutter_text",
            msg("booking.gutter_empty", "请填写中缝广告内容", "Type the text of the 中缝 entry"),
        )
    if len(value) > GUTTER_MAX_CHARS:
        raise _field_error(
            "gutter_text",
            msg(
                "booking.gutter_long",
                "中缝广告最多{max}个字符",
                "A 中缝 entry has at most {max} characters",
                max=GUTTER_MAX_CHARS,
            ),
        )
    return value


def _set_gutter(pub: Publication, text: str, page: int, line: int, lines: int) -> Any:
    from notices_app.layout.types import Level
    from print.fonts import default_fonts
    from print.gutter import typeset_gutter_entry

    geometry = geometry_for(pub)
    return typeset_gutter_entry(
        text,
        geometry,
        default_fonts(),
        page=page,
        line=line,
        height_pt=lines * geometry.leading_pt,
        level=Level(pub.clreq_level),
    )


def check_gutter(pub: Publication, text: str, slot: Slot) -> Any:
    """The 中缝 entry typeset in its segment (a TypesetGutterEntry); FieldErrors if it cannot be."""
    from print.gutter import GutterEntryTooLong
    from print.textflow import MissingGlyphs

    try:
        return _set_gutter(pub, text, slot.page, slot.line, slot.lines)
    except GutterEntryTooLong as err:
        raise _field_error(
            "gutter_text",
            msg(
                "booking.gutter_too_long",
                "内容排成{needed}行，中缝每格只容{lines}行（每行{chars}字）：请删减到约{max}字以内",
                "The text sets in {needed} lines; a 中缝 segment holds {lines} lines of {chars} 字:"
                " shorten it to about {max} 字",
                needed=err.needed,
                lines=err.available,
                chars=err.chars_per_line,
                max=err.available * err.chars_per_line,
            ),
        ) from err
    except MissingGlyphs as err:
        raise _field_error(
            "gutter_text",
            msg(
                "booking.gutter_glyphs",
                "印刷字体缺少这些字：{chars}",
                "The print font has no glyph for: {chars}",
                chars=" ".join(err.chars),
            ),
        ) from err
    except ValueError as err:
        raise _field_error(
            "gutter_text",
            msg(
                "booking.gutter_unset",
                "中缝广告无法排版：{error}",
                "The 中缝 entry cannot be set: {error}",
                error=str(err),
            ),
        ) from err


def typeset_gutter_booking(
    booking: AdBooking, ad: AdContent | None, geometry: Any, fonts: Any, level: Any
) -> Any:
    """A booked 中缝 entry ready for the edition's renderer (it knows its page and segment).

    ValueError when it has no text or its page is no longer the left-hand page of an inside
    spread (the desk changed the page count): the build then lists it as not placed.
    """
    from print.gutter import typeset_gutter_entry

    text = str((ad.content if ad else {}).get(GUTTER_CONTENT_KEY, ""))
    if not text or booking.line is None:
        raise ValueError("the 中缝 booking has no text or no segment")
    edition = db.session.get(Edition, booking.edition_id)
    if edition is None:
        raise ValueError("the 中缝 booking has no edition")
    if booking.page > edition.page_count or not SLOT_TYPES["gutter"].allowed_on(
        booking.page, edition.page_count
    ):
        raise ValueError(
            f"page {booking.page} of {edition.page_count} is not the left-hand page of an inside spread"
        )
    return typeset_gutter_entry(
        text,
        geometry,
        fonts,
        page=booking.page,
        line=booking.line,
        height_pt=booking.lines * geometry.leading_pt,
        level=level,
    )


def hold(
    user: User,
    edition_dates: Sequence[date],
    slot_type_key: str,
    page: int,
    slot_index: int,
    *,
    artwork: Any = None,
    template: TemplateAd | None = None,
    gutter_text: str | None = None,
    colour: bool = False,
    fixed_position: bool = False,
    now: datetime | None = None,
) -> Order:
    """Hold one slot in each of `edition_dates` for `user`'s organisation and open one payment.

    `artwork` is the uploaded file's bytes (checked here) or a passing `ArtworkReport` made for
    this slot's size; otherwise `template` gives the tourism-ad template's text. A 中缝 segment
    takes `gutter_text` instead (priced per 字, no colour or position surcharge). Raises
    FieldErrors for bad input (nothing is stored) and Conflict when any of the slots is taken
    (nothing is held). All editions are held in one transaction: all or none.
    """
    from print.artwork import ArtworkReport

    now = now or utcnow()
    if user.org_id is None:
        raise _field_error(
            "_", msg("booking.no_org", "预订广告需要单位账户", "Booking ads needs an organisation account")
        )
    pub = current_publication()
    runs = plan_runs(pub, edition_dates, page, slot_type_key, slot_index, now)
    slot = runs[0].slot
    grid = grid_for(pub)
    width_pt, height_pt = slot_size_pt(grid, slot)
    report: ArtworkReport | None = None
    zi: int | None = None
    if slot.position == "gutter":
        gutter_text = clean_gutter_text(gutter_text)
        check_gutter(pub, gutter_text, slot)
        zi = count_zi(gutter_text)
        template, colour, fixed_position = None, False, False
    elif gutter_text:
        raise _field_error(
            "gutter_text",
            msg("booking.text_only_gutter", "只有中缝按文字预订", "Only the 中缝 is booked as text"),
        )
    else:
        report = _content_report(pub, slot, artwork, template, width_pt, height_pt)
    quotes, shares = price_runs(pub, runs, colour, fixed_position, now, zi)
    total = sum(shares)
    order_ref = new_order_ref(now)
    expires = now + timedelta(minutes=hold_minutes())

    artwork_path = None
    if report is not None:
        assert report.data is not None and report.kind is not None
        # Written before the claim transaction (no file I/O under SQLite's writer lock) and
        # removed again if the slot turns out to be taken.
        artwork_path = f"ads/artwork/{order_ref}.{'pdf' if report.kind == 'pdf' else 'jpg'}"
        storage.store(artwork_path, report.data)

    expire_holds(now)
    try:
        order = _claim(
            user,
            pub,
            runs,
            shares,
            quotes,
            order_ref,
            expires,
            now,
            report,
            artwork_path,
            template,
            gutter_text if slot.position == "gutter" else None,
            colour,
            fixed_position,
            total,
        )
    except BaseException:
        if artwork_path:
            storage.path_of(artwork_path).unlink(missing_ok=True)
        raise
    return order


def _content_report(
    pub: Publication, slot: Slot, artwork: Any, template: TemplateAd | None, width_pt: float, height_pt: float
) -> Any:
    """The checked artwork (an ArtworkReport), or None after checking the template; FieldErrors."""
    from print.artwork import check_artwork

    report = None
    if isinstance(artwork, bytes | bytearray):
        report = check_artwork(bytes(artwork), width_pt, height_pt)
    elif artwork is not None:
        report = artwork
    if report is not None:
        if not report.ok or report.data is None:
            raise FieldErrors({"artwork": list(report.errors) or ["?"]})
    elif template is not None:
        check_template(pub, template, slot)
    else:
        raise _field_error(
            "artwork",
            msg(
                "booking.no_content",
                "请上传广告作品，或填写广告模板",
                "Upload the artwork or fill in the ad template",
            ),
        )
    return report


def _claim(
    user: User,
    pub: Publication,
    runs: Sequence[PricedRun],
    shares: Sequence[int],
    quotes: Sequence[Quote],
    order_ref: str,
    expires: datetime,
    now: datetime,
    report: Any,
    artwork_path: str | None,
    template: TemplateAd | None,
    gutter_text: str | None,
    colour: bool,
    fixed_position: bool,
    total: int,
) -> Order:
    quote_of = {q.kind.rsplit(":", 1)[-1]: q for q in quotes}
    _begin_claim()
    try:
        _recheck_editions(pub, runs, now)
        content_id = None
        ad = None
        if template is not None:
            ad = AdContent(
                org_id=user.org_id, title=template.title, content=template.content(runs[0].slot.cols)
            )
        elif gutter_text is not None:
            ad = AdContent(
                org_id=user.org_id, title=gutter_text[:40], content={GUTTER_CONTENT_KEY: gutter_text}
            )
        if ad is not None:
            db.session.add(ad)
            db.session.flush()
            content_id = ad.id
        bookings: list[AdBooking] = []
        for run, share in zip(runs, shares, strict=True):
            slot = run.slot
            _free_expired(run.edition.id, slot.page, slot.cells, now)
            booking = AdBooking(
                edition_id=run.edition.id,
                ad_content_id=content_id,
                org_id=user.org_id,
                user_id=user.id,
                order_ref=order_ref,
                slot_key=slot.type_key,
                slot_index=slot.index,
                page=slot.page,
                position=slot.position,
                col=slot.col,
                line=slot.line,
                cols=slot.cols,
                lines=slot.lines,
                colour=colour,
                fixed_position=fixed_position,
                price_fen=share,
                quote={**quote_of[run.page_class].to_dict(), "share_fen": share},
                artwork_path=artwork_path,
                artwork_kind=_content_kind(report, gutter_text),
                artwork_info=report.info() if report is not None else {},
                status="held",
                hold_expires_at=expires,
            )
            db.session.add(booking)
            db.session.flush()
            db.session.add_all(
                SlotClaim(
                    edition_id=run.edition.id,
                    page=slot.page,
                    cell=cell,
                    booking_id=booking.id,
                    expires_at=expires,
                )
                for cell in sorted(slot.cells)
            )
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                raise _slot_taken(run) from None
            bookings.append(booking)
        payment = None
        if total > 0:
            payment = payments.open_payment(
                purpose="booking",
                amount_fen=total,
                org_id=user.org_id,
                user_id=user.id,
                description=_description(runs),
                order_ref=order_ref,
                expires_at=expires,
            )
        else:
            _confirm(bookings)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return Order(order_ref, bookings, payment, list(quotes))


def _content_kind(report: Any, gutter_text: str | None) -> str:
    if report is not None:
        return str(report.kind)
    return GUTTER_KIND if gutter_text is not None else "template"


def _description(runs: Sequence[PricedRun]) -> str:
    slot = runs[0].slot
    days = "、".join(r.edition.date.isoformat() for r in runs)
    return f"广告版位 {slot.label_zh} · {days}"[:300]


# --- payment hooks, expiry ---------------------------------------------------------------


def order_bookings(order_ref: str, *, lock: bool = False) -> list[AdBooking]:
    query = select(AdBooking).where(AdBooking.order_ref == order_ref).order_by(AdBooking.id)
    if lock:
        query = query.with_for_update()
    return list(db.session.scalars(query))


def _confirm(bookings: Iterable[AdBooking]) -> None:
    for b in bookings:
        if not set_booking_status(b, BookingEvent.CONFIRM):
            continue
        b.hold_expires_at = None
        db.session.execute(update(SlotClaim).where(SlotClaim.booking_id == b.id).values(expires_at=None))


def _reclaim(booking: AdBooking) -> bool:
    """Claim an expired booking's cells again (paid after its hold ran out); False if taken."""
    edition = db.session.get(Edition, booking.edition_id)
    pub = db.session.get(Publication, edition.publication_id) if edition else None
    if edition is None or pub is None:
        return False
    slot = find_slot(
        slots_on(pub, booking.page, edition.page_count), booking.slot_key or "", booking.slot_index
    )
    if slot is None or (slot.col, slot.cols, slot.line, slot.lines) != (
        booking.col,
        booking.cols,
        booking.line,
        booking.lines,
    ):  # the page count or the module size changed meanwhile: not the place that was paid for
        return False
    try:
        with db.session.begin_nested():
            _free_expired(edition.id, slot.page, slot.cells, utcnow())
            db.session.add_all(
                SlotClaim(
                    edition_id=edition.id, page=slot.page, cell=c, booking_id=booking.id, expires_at=None
                )
                for c in sorted(slot.cells)
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


@payments.on_paid("booking")
def _on_paid(payment: Payment) -> None:
    """The order is paid: its held bookings are confirmed and their claims made permanent.

    A booking whose hold ran out before the money came is confirmed if its slot is still free;
    if someone else took it meanwhile, its share is refunded in full.
    """
    if not payment.order_ref:
        return
    lost = 0
    for b in order_bookings(payment.order_ref, lock=True):
        if b.status == "held":
            _confirm([b])
        elif b.status == "expired":
            if _reclaim(b):
                _confirm([b])
            else:
                lost += b.price_fen
                b.artwork_info = {**(b.artwork_info or {}), "lost_after_expiry": True}
    if lost:
        payments.refund(
            payment,
            min(lost, payment.amount_fen - payment.refunded_fen),
            "版位在预留到期后已售出 / slot sold after the hold expired",
        )


@payments.on_expired("booking")
def _on_expired(payment: Payment) -> None:
    """The payment lapsed or was cancelled: the order's held bookings expire, slots freed."""
    if not payment.order_ref:
        return
    held = [b.id for b in order_bookings(payment.order_ref, lock=True) if b.status == "held"]
    if held:
        _expire_bookings(held)


def expire_holds(now: datetime | None = None) -> int:
    """Free every hold past its expiry (claims deleted, bookings expired); returns how many."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(AdBooking.id).where(AdBooking.status == "held", AdBooking.hold_expires_at <= now)
        )
    )
    if not due:
        return 0
    expired = _expire_bookings(due)
    db.session.commit()
    return len(expired)


# --- reading and cancelling --------------------------------------------------------------------


def visible_bookings(actor: User) -> Any:
    """Bookings `actor` may see: staff all online bookings, advertisers their organisation's."""
    query = select(AdBooking).where(AdBooking.order_ref.is_not(None))
    if not actor.is_staff:
        query = query.where(AdBooking.org_id == (actor.org_id if actor.org_id is not None else -1))
    return query


def get_booking(booking_id: int, actor: User) -> AdBooking:
    booking = db.session.scalar(visible_bookings(actor).where(AdBooking.id == booking_id))
    if booking is None:
        raise NotFound(booking_id)
    return booking


def get_order(order_ref: str, actor: User) -> list[AdBooking]:
    bookings = list(
        db.session.scalars(
            visible_bookings(actor).where(AdBooking.order_ref == order_ref).order_by(AdBooking.id)
        )
    )
    if not bookings:
        raise NotFound(order_ref)
    return bookings


def order_payment(order_ref: str) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.order_ref == order_ref, Payment.purpose == "booking")
        .order_by(Payment.id.desc())
    )


def cutoff_of(booking: AdBooking) -> datetime:
    edition = db.session.get(Edition, booking.edition_id)
    assert edition is not None
    pub = db.session.get(Publication, edition.publication_id)
    assert pub is not None
    return publication_calendar(pub).cutoff_for(edition.date)


def cancel(booking: AdBooking, actor: User, now: datetime | None = None) -> list[AdBooking]:
    """Cancel before the edition's cut-off; returns the bookings cancelled.

    A hold (unpaid) is cancelled with the rest of its order and the pending payment is
    cancelled. A paid booking is cancelled alone and refunded its share less the rate card's
    cancellation fee (`booking_refund_fen`). After the cut-off: Conflict, nothing changes.
    """
    now = now or utcnow()
    if not actor.is_staff and booking.org_id != actor.org_id:
        raise NotFound(booking.id)
    # The lock order of notices_app/db_locks: the order's payment (as its webhook takes it),
    # then the booking, re-read under the lock before deciding.
    if booking.order_ref and (paid_by := order_payment(booking.order_ref)) is not None:
        payments.lock_payment(paid_by.id)
    locked = db.session.scalar(select(AdBooking).where(AdBooking.id == booking.id).with_for_update())
    if locked is None:
        raise NotFound(booking.id)
    booking = locked
    if booking.status not in ACTIVE_STATES:
        raise Conflict(
            msg(
                "booking.not_active",
                "该预订已失效或已取消",
                "This booking has already expired or been cancelled",
            )
        )
    cutoff = cutoff_of(booking)
    if now >= cutoff:
        raise Conflict(
            msg(
                "booking.past_cutoff",
                "已过本期截稿时间（{cutoff}），不能再取消；如有问题请联系广告部",
                "The cut-off of this edition ({cutoff_en}) has passed: the booking can no longer be "
                "cancelled; contact the ads desk",
                cutoff=f"{cutoff.month}月{cutoff.day}日 {cutoff:%H:%M}",
                cutoff_en=f"{cutoff:%Y-%m-%d %H:%M}",
            )
        )
    payment = order_payment(booking.order_ref) if booking.order_ref else None
    if booking.status == "held":
        targets = [b for b in order_bookings(booking.order_ref or "", lock=True) if b.status == "held"] or [
            booking
        ]
    else:
        targets = [booking]
    for b in targets:
        if not set_booking_status(b, BookingEvent.CANCEL):
            continue
        b.cancelled_at = now
        b.hold_expires_at = None
        db.session.execute(delete(SlotClaim).where(SlotClaim.booking_id == b.id))
    if booking in targets and payment is not None:
        if payment.status == "pending" and all(
            b.status in ("cancelled", "expired") for b in order_bookings(payment.order_ref or "")
        ):
            payments.cancel_payment(payment, "预订已取消 / booking cancelled")
        elif payment.status == "paid" and booking.price_fen > 0:
            amount = min(
                booking_refund_fen(booking.price_fen, before_deadline=True),
                payment.amount_fen - payment.refunded_fen,
            )
            if amount > 0:
                payments.refund(
                    payment,
                    amount,
                    f"取消广告预订 #{booking.id}（扣除30%） / booking #{booking.id} cancelled (30% fee)",
                    actor=actor,
                )
    db.session.commit()
    return targets


def refund_preview(booking: AdBooking) -> int:
    """What cancelling the booking now would refund (0 for a hold: nothing was paid)."""
    if booking.status != "confirmed":
        return 0
    return booking_refund_fen(booking.price_fen, before_deadline=True)
