"""Classified modules booked online: the publication's module size (set by an admin, checked
against the page grid), module slots on inside pages priced per column·cm, claims shared with
the page fractions over the same cells (409, never double-sold), and the booked module printed
in its box by the edition build."""

from __future__ import annotations

import copy
import io
from datetime import date, timedelta
from typing import Any

import pdfplumber
import pytest
from apphelpers import login
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from ads.inventory import find_slot, page_slots, slot_size_pt
from ads.ratecard import DEMO_RATE_CARD, RateCard
from notices_app.extensions import db
from notices_app.layout.geometry import MM
from notices_app.models import AdBooking, Edition, Payment, Publication, SlotClaim, User, utcnow
from notices_app.services import bookings, payments, publications, storage
from notices_app.services.errors import Conflict, FieldErrors
from notices_app.services.notices import publication_calendar
from notices_app.services.typesetting import geometry_for
from tests.print.pdfread import spec_char_spacing

AD = bookings.TemplateAd(title="家政服务", headline="金牌家政", phones=("电话：2173002",))
SMALL = bookings.TemplateAd(title="周末游", headline="周末特惠")


@pytest.fixture
def advertiser(users: Any) -> User:
    return users("advertiser", org="淄博好帮手家政服务有限公司")


@pytest.fixture
def day(pub: Publication) -> date:
    cal = publication_calendar(pub)
    d = cal.publishing_dates(cal.first_open_date(utcnow()), 6)[5]
    db.session.add(Edition(publication_id=pub.id, date=d, page_count=4))
    db.session.commit()
    return d


def _edition() -> Edition:
    ed = db.session.scalar(select(Edition))
    assert ed is not None
    return ed


def _modules(page: int = 2) -> list[bookings.SlotState]:
    state = bookings.availability(_edition())
    return [s for s in state.pages[page - 1].slots if s.slot.type_key == "module"]


def _paid(order: bookings.Order, users: Any) -> AdBooking:
    assert order.payment is not None
    payments.mark_paid_offline(order.payment, users("editor"))
    db.session.expire_all()
    booking = db.session.get(AdBooking, order.bookings[0].id)
    assert booking is not None and booking.status == "confirmed"
    return booking


def _set_card(pub: Publication, **changes: Any) -> None:
    card = copy.deepcopy(DEMO_RATE_CARD)
    for key, value in changes.items():
        if value is None:
            card.pop(key, None)
        else:
            card[key] = value
    pub.rate_card = card
    db.session.commit()


# --- the inventory and the price -----------------------------------------------------------------


def test_inside_pages_offer_modules_of_the_card_size_at_the_column_cm_price(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    modules = _modules(2)
    # 2 栏 × 5 cm on the broadsheet: three side by side (6 columns), four levels in the lower
    # half (5 cm = 11 lines → 2 ad rows of 6 lines each, the top line left white).
    assert len(modules) == 12
    assert {(s.slot.cols, s.slot.lines) for s in modules} == {(2, 11)}
    assert {s.slot.line + s.slot.lines for s in modules} == {102, 90, 78, 66}
    assert all(len(s.slot.cells) == 4 and not s.taken for s in modules)
    assert {s.price_fen for s in modules} == {60_000}  # 2 × 5 × 60 元
    assert _modules(3) and not _modules(1) and not _modules(4)  # inside pages only
    assert modules[0].slot.label_zh == "第2版 分类广告模块 2栏×5厘米(自下第1层，左起第1格)"

    login(client, advertiser)
    html = client.get(f"/ads/editions/{day.isoformat()}").get_data(as_text=True)
    assert "分类广告模块在内版下半部按固定尺寸排列" in html
    assert f"/ads/book/{day.isoformat()}/2/module/0" in html
    assert f"/ads/book/{day.isoformat()}/1/module/0" not in html
    book = client.get(f"/ads/book/{day.isoformat()}/2/module/4").get_data(as_text=True)
    assert "分类广告模块 2栏×5厘米" in book and "600.00" in book


def test_module_quotes_take_colour_and_frequency_discounts(
    pub: Publication, advertiser: User, day: date
) -> None:
    cal = publication_calendar(pub)
    days = [day, *cal.publishing_dates(day, 4)[1:3]]
    order = bookings.hold(advertiser, days, "module", 2, 1, template=AD, colour=True)
    # 600 元 × 3 runs = 1,800 + 50 % colour = 2,700, −10 % for 3 runs = 2,430 元.
    assert order.total_fen == 243_000
    assert [b.price_fen for b in order.bookings] == [81_000] * 3
    assert order.quotes[0].measure.columns == 2 and order.quotes[0].measure.height_cm == 5
    assert [i.code for i in order.quotes[0].items] == ["base", "surcharge:colour", "discount"]
    assert "2栏×5厘米" in order.quotes[0].items[0].label_zh
    payment = db.session.scalar(select(Payment).where(Payment.order_ref == order.order_ref))
    assert payment is not None and payment.amount_fen == 243_000


# --- booking and double-selling ------------------------------------------------------------------


def test_book_a_module_through_the_form_and_a_second_booking_of_its_cells_gets_409(
    client: FlaskClient, users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    url = f"/ads/book/{day.isoformat()}/2/module/0"
    form = {"source": "template", "title": AD.title, "headline": AD.headline, "phones": AD.phones[0]}
    preview = client.post(url, data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert "data:image/png;base64," in preview.get_data(as_text=True)
    resp = client.post(url, data={**form, "action": "hold"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    booking = db.session.scalar(select(AdBooking))
    assert booking is not None
    assert (booking.slot_key, booking.page, booking.position, booking.col, booking.cols) == (
        "module",
        2,
        "bottom",
        0,
        2,
    )
    assert (booking.line, booking.lines, booking.price_fen, booking.status) == (91, 11, 60_000, "held")
    claims = db.session.scalars(select(SlotClaim.cell).where(SlotClaim.booking_id == booking.id))
    assert sorted(claims) == [0, 1, 6, 7]  # ad rows 0 and 1, columns 0 and 1

    # The same module again, from another advertiser: 409 and nothing stored.
    rival = users("advertiser", org="别家家政公司")
    login(client, rival)
    again = client.post(url, data={**form, "action": "hold"})
    assert again.status_code == 409
    assert "版位已被预订" in again.get_data(as_text=True)
    # A fraction over the same cells (the 1/16 page is the foot row, full width) is taken too.
    with pytest.raises(Conflict):
        bookings.hold(rival, [day], "sixteenth", 2, 0, template=SMALL)
    resp = client.post(
        f"/ads/book/{day.isoformat()}/2/sixteenth/0",
        data={"source": "template", "headline": SMALL.headline, "action": "hold"},
    )
    assert resp.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 1
    # The module beside it is still free and can be booked.
    beside = bookings.hold(rival, [day], "module", 2, 1, template=AD)
    assert beside.bookings[0].col == 2
    taken = {s.slot.index for s in _modules(2) if s.taken}
    assert taken == {0, 1}


def test_a_module_over_a_booked_fraction_cannot_be_sold(
    pub: Publication, advertiser: User, users: Any, day: date
) -> None:
    bookings.hold(users("advertiser", org="别家商贸"), [day], "eighth", 3, 0, template=AD)
    # The 1/8 page takes the two foot rows across the page: every first-level module is taken.
    modules = _modules(3)
    assert {s.slot.index for s in modules if s.taken} == {0, 1, 2}
    with pytest.raises(Conflict):
        bookings.hold(advertiser, [day], "module", 3, 2, template=AD)
    order = bookings.hold(advertiser, [day], "module", 3, 3, template=AD)  # the level above
    assert order.bookings[0].line + order.bookings[0].lines == 90


def test_modules_take_artwork_of_their_size_and_refuse_text_only(
    pub: Publication, advertiser: User, day: date
) -> None:
    grid = bookings.grid_for(pub)
    slot = find_slot(page_slots(grid, 2, 4, module_cols=2, module_cm=5), "module", 5)
    assert slot is not None
    w, h = slot_size_pt(grid, slot)
    png = _png(round(w / 72 * 300), round(h / 72 * 300))
    order = bookings.hold(advertiser, [day], "module", 2, 5, artwork=png)
    booking = order.bookings[0]
    assert booking.artwork_kind == "jpeg" and booking.artwork_path  # converted to CMYK JPEG
    assert storage.read(booking.artwork_path)[:2] == b"\xff\xd8"
    # Artwork too coarse for the module's size (about 30 ppi) is refused, and nothing is held.
    with pytest.raises(FieldErrors) as wrong:
        bookings.hold(advertiser, [day], "module", 2, 6, artwork=_png(round(w / 72 * 30), round(h / 72 * 30)))
    assert "artwork" in wrong.value.errors
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 1
    with pytest.raises(FieldErrors) as err:
        bookings.hold(advertiser, [day], "module", 2, 6, gutter_text="遗失公章一枚")
    assert "gutter_text" in err.value.errors


# --- the module size -----------------------------------------------------------------------------


def test_admin_sets_the_module_size_with_validation(
    client: FlaskClient, users: Any, pub: Publication, day: date
) -> None:
    login(client, users("admin"))
    page = client.get("/admin/rate-card").get_data(as_text=True)
    assert "分类广告模块尺寸" in page and 'name="cols"' in page and "2栏×5厘米" in page
    before = copy.deepcopy(pub.rate_card)
    for cols, cm, words in (
        ("7", "5", "模块栏数须为1至6栏"),
        ("2", "0", "模块高度须为1至22厘米的整数"),
        ("2", "23", "模块高度须为1至22厘米的整数"),
        ("2", "5.5", "请填写整数"),
        ("", "5", "请填写整数"),
    ):
        resp = client.post("/admin/module-size", data={"cols": cols, "cm": cm})
        assert resp.status_code == 422, (cols, cm)
        assert words in resp.get_data(as_text=True), (cols, cm)
        db.session.expire_all()
        assert db.session.get(Publication, pub.id).rate_card == before  # type: ignore[union-attr]
    en = client.post("/admin/module-size?lang=en", data={"cols": "9", "cm": "5"}).get_data(as_text=True)
    assert "A module spans 1 to 6 columns" in en

    resp = client.post("/admin/module-size", data={"cols": "1", "cm": "3"})
    assert resp.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Publication, pub.id)
    assert fresh is not None and fresh.rate_card["module_size"] == {"cols": 1, "cm": 3}
    card, demo = RateCard.from_dict(fresh.rate_card), RateCard.from_dict(DEMO_RATE_CARD)
    assert (card.slots, card.kinds, card.version) == (demo.slots, demo.kinds, demo.version)
    modules = _modules(2)
    # 1 × 3 cm: 6 side by side, 3 cm = 7 lines → 2 rows, 4 levels; 180 元 → the 300 元 minimum.
    assert len(modules) == 24 and {s.slot.cols for s in modules} == {1}
    assert {s.price_fen for s in modules} == {30_000}

    # The JSON card is checked against the page the same way.
    bad = {**fresh.rate_card, "module_size": {"cols": 2, "cm": 40}}
    with pytest.raises(FieldErrors):
        publications.replace_rate_card(fresh, _json(bad))
    with pytest.raises(FieldErrors):
        publications.replace_rate_card(fresh, _json({**fresh.rate_card, "module_size": {"cols": 2}}))
    db.session.expire_all()
    assert db.session.get(Publication, pub.id).rate_card["module_size"] == {"cols": 1, "cm": 3}  # type: ignore[union-attr]


def test_a_new_module_size_is_never_sold_over_a_booked_module(
    pub: Publication, advertiser: User, users: Any, day: date
) -> None:
    booking = bookings.hold(advertiser, [day], "module", 2, 0, template=AD).bookings[0]
    publications.set_module_size(pub, "1", "3")
    modules = {s.slot.index: s for s in _modules(2)}
    # The 2 × 5 module on columns 0-1 of the two foot rows: the 1 × 3 modules there are taken.
    assert {i for i, s in modules.items() if s.taken} == {0, 1}
    with pytest.raises(Conflict):
        bookings.hold(users("advertiser", org="别家"), [day], "module", 2, 1, template=AD)
    db.session.expire_all()
    kept = db.session.get(AdBooking, booking.id)
    assert kept is not None and (kept.cols, kept.lines) == (2, 11)  # sold as it was


def test_a_module_paid_after_its_hold_lapsed_and_the_size_changed_is_refunded(
    pub: Publication, advertiser: User, users: Any, day: date
) -> None:
    order = bookings.hold(advertiser, [day], "module", 2, 0, template=AD)
    bookings.expire_holds(utcnow() + timedelta(minutes=31))
    publications.set_module_size(pub, "1", "3")  # module 0 is now another box
    assert order.payment is not None
    payment = db.session.get(Payment, order.payment.id)
    assert payment is not None
    payments.mark_paid_offline(payment, users("editor"))
    db.session.expire_all()
    booking = db.session.get(AdBooking, order.bookings[0].id)
    assert booking is not None and booking.status == "expired"
    assert booking.artwork_info.get("lost_after_expiry") is True
    assert not list(db.session.scalars(select(SlotClaim).where(SlotClaim.booking_id == booking.id)))
    assert db.session.get(Payment, payment.id).refunded_fen == 60_000  # type: ignore[union-attr]


def test_a_card_without_a_size_sells_the_default_and_one_without_module_rates_none(
    pub: Publication, day: date
) -> None:
    _set_card(pub, module_size=None)
    assert {(s.slot.cols, s.price_fen) for s in _modules(2)} == {(2, 60_000)}
    slots = {k: v for k, v in DEMO_RATE_CARD["slots"].items() if k != "module"}
    _set_card(pub, module_size=None, slots=slots)
    assert _modules(2) == []


# --- printing -------------------------------------------------------------------------------------


def test_a_booked_module_prints_in_its_box(users: Any, pub: Publication, advertiser: User, day: date) -> None:
    from notices_app.services.editions import build_edition

    booking = _paid(bookings.hold(advertiser, [day], "module", 2, 4, template=AD), users)
    assert (booking.col, booking.line) == (2, 79)  # second level from the foot, middle
    build = build_edition(day)
    assert build.status == "succeeded", (build.overflow, build.preflight, build.error)

    geometry = geometry_for(pub)
    page = next(p for p in build.pages if p["number"] == 2)
    with spec_char_spacing(), pdfplumber.open(io.BytesIO(storage.read(page["pdf"]))) as doc:
        chars = list(doc.pages[0].chars)
    bleed = geometry.bleed_mm * MM
    x0 = bleed + geometry.margin_left + booking.col * (geometry.column_width + geometry.gutter_actual)
    x1 = x0 + geometry.span_width(booking.cols)
    top = bleed + (geometry.trim_h - geometry.type_h) / 2 + booking.line * geometry.leading_pt
    bottom = top + booking.lines * geometry.leading_pt
    # The page's folio and date print above the type area; look below its middle.
    lower = [c for c in chars if c["top"] > bleed + geometry.trim_h / 2]
    headline = [c for c in lower if c["text"] in AD.headline]
    assert "".join(c["text"] for c in headline) == AD.headline
    phone = [c for c in lower if c["text"] in "2173002"]
    assert "".join(c["text"] for c in phone) == "2173002"
    for c in headline + phone:
        assert x0 - 0.5 <= c["x0"] and c["x1"] <= x1 + 0.5, c
        assert top - 0.5 <= c["top"] and c["bottom"] <= bottom + 0.5, c
    # Only on its own page.
    other = next(p for p in build.pages if p["number"] == 3)
    with pdfplumber.open(io.BytesIO(storage.read(other["pdf"]))) as doc:
        assert AD.headline not in "".join(c["text"] for c in doc.pages[0].chars)


# --- helpers -------------------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste((20, 90, 160), (10, 10, width // 2, height // 2))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)
