"""中缝 entries: booked online as classified text (per-字 price, proof, hold and pay, one entry
per segment of the strip), printed by the edition build in the margin beside the spine, and the
navigation that takes advertisers and editors to their pages."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pdfplumber
import pytest
from apphelpers import login
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ads.inventory import GUTTER_CELL_BASE, ROWS_PER_PAGE
from notices_app.extensions import db
from notices_app.layout.geometry import MM
from notices_app.models import AdBooking, AdContent, Edition, Payment, Publication, SlotClaim, User, utcnow
from notices_app.rules.counting import count_zi
from notices_app.services import bookings, payments, storage
from notices_app.services.errors import Conflict, FieldErrors
from notices_app.services.notices import publication_calendar
from notices_app.services.typesetting import geometry_for
from print.gutter import gutter_column
from tests.print.pdfread import spec_char_spacing

ENTRY = "遗失淄博青年旅行社营业执照副本一份，注册号370302200012345，声明作废。"
SHORT = "遗失公章一枚，声明作废。"


def _day(pub: Publication, skip: int = 5) -> date:
    cal = publication_calendar(pub)
    return cal.publishing_dates(cal.first_open_date(utcnow()), skip + 1)[skip]


@pytest.fixture
def advertiser(users: Any) -> User:
    return users("advertiser", org="淄博青年旅行社")


@pytest.fixture
def day(pub: Publication) -> date:
    d = _day(pub)
    db.session.add(Edition(publication_id=pub.id, date=d, page_count=4))
    db.session.commit()
    return d


def _hold(user: User, day: date, index: int = 0, text: str = ENTRY) -> bookings.Order:
    return bookings.hold(user, [day], "gutter", 2, index, gutter_text=text)


def _paid(order: bookings.Order, users: Any) -> AdBooking:
    assert order.payment is not None
    payments.mark_paid_offline(order.payment, users("editor"))
    db.session.expire_all()
    booking = db.session.get(AdBooking, order.bookings[0].id)
    assert booking is not None and booking.status == "confirmed"
    return booking


# --- booking ---------------------------------------------------------------------------------------


def test_book_a_gutter_entry_through_the_form(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    url = f"/ads/book/{day.isoformat()}/2/gutter/0"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "中缝" in html and 'class="page spread"' in html and "7 行，每行 6 字" in html

    preview = client.post(url, data={"gutter_text": ENTRY, "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert count_zi(ENTRY) == 35  # the 15-digit number counts 8
    assert "35字" in html and "63.00" in html  # 45 元 for 25 字 + 10 × 1.80 元
    assert "data:image/png;base64," in html
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 0

    resp = client.post(url, data={"gutter_text": ENTRY, "action": "hold"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    booking = db.session.scalar(select(AdBooking))
    assert booking is not None and booking.status == "held"
    assert (booking.position, booking.slot_key, booking.page, booking.artwork_kind) == (
        "gutter",
        "gutter",
        2,
        "gutter",
    )
    assert booking.price_fen == 6_300
    content = db.session.get(AdContent, booking.ad_content_id)
    assert content is not None and content.content == {"gutter_text": ENTRY}
    claims = list(db.session.scalars(select(SlotClaim).where(SlotClaim.booking_id == booking.id)))
    assert [(c.page, c.cell) for c in claims] == [(2, GUTTER_CELL_BASE)]
    payment = db.session.scalar(select(Payment).where(Payment.order_ref == booking.order_ref))
    assert payment is not None and payment.amount_fen == 6_300

    order = client.get(f"/ads/orders/{booking.order_ref}").get_data(as_text=True)
    assert ENTRY in order and "第2、3版" in order
    proof = client.get(f"/ads/bookings/{booking.id}/proof.png")
    assert proof.status_code == 200 and proof.data.startswith(b"\x89PNG")
    # The spread's diagram now shows that segment taken and no link to book it.
    diagram = client.get(f"/ads/editions/{day.isoformat()}").get_data(as_text=True)
    assert f"/ads/book/{day.isoformat()}/2/gutter/0" not in diagram
    assert f"/ads/book/{day.isoformat()}/2/gutter/1" in diagram
    assert 'class="fold"' in diagram
    en = client.get(f"/ads/book/{day.isoformat()}/2/gutter/1?lang=en").get_data(as_text=True)
    assert "Each segment prints 7 lines of 6 字 (6.5 pt): about 42 字 at most." in en


def test_short_entries_pay_the_minimum_and_long_ones_are_refused(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    url = f"/ads/book/{day.isoformat()}/2/gutter/3"
    html = client.post(url, data={"gutter_text": SHORT, "action": "preview"}).get_data(as_text=True)
    assert "45.00" in html  # 12 字: the card's minimum buys 25
    too_long = "本公司" * 20  # 60 字: more than 7 lines of 6
    resp = client.post(url, data={"gutter_text": too_long, "action": "hold"})
    assert resp.status_code == 422
    assert "中缝每格只容7行" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 0
    with pytest.raises(FieldErrors) as err:
        _hold(advertiser, day, 3, too_long)
    assert "gutter_text" in err.value.errors
    with pytest.raises(FieldErrors):
        _hold(advertiser, day, 3, "  ")
    # The 中缝 is booked as text only; another slot refuses text.
    with pytest.raises(FieldErrors):
        bookings.hold(advertiser, [day], "band", 2, 0, gutter_text=SHORT)


def test_a_full_strip_refuses_another_entry_with_409(
    client: FlaskClient, users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    rival = users("advertiser", org="别家商贸有限公司")
    for index in range(ROWS_PER_PAGE):
        _hold(rival, day, index, SHORT)
    state = bookings.availability(db.session.scalar(select(Edition)))
    gutter = [s for s in state.pages[1].slots if s.slot.position == "gutter"]
    assert len(gutter) == ROWS_PER_PAGE and all(s.taken for s in gutter)
    with pytest.raises(Conflict):
        _hold(advertiser, day, 5)
    login(client, advertiser)
    resp = client.post(
        f"/ads/book/{day.isoformat()}/2/gutter/5", data={"gutter_text": ENTRY, "action": "hold"}
    )
    assert resp.status_code == 409
    assert "版位已被预订" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == ROWS_PER_PAGE


def test_only_inside_spreads_sell_the_strip(client: FlaskClient, advertiser: User, day: date) -> None:
    login(client, advertiser)
    # Page 2 of 4 owns the 中缝 of 2 | 3; page 3 is the right-hand page, page 4 the back page.
    assert client.get(f"/ads/book/{day.isoformat()}/3/gutter/0").status_code == 404
    assert client.get(f"/ads/book/{day.isoformat()}/4/gutter/0").status_code == 404
    assert client.get(f"/ads/book/{day.isoformat()}/2/gutter/16").status_code == 404


# --- printing -------------------------------------------------------------------------------------


def _page_pdf(build: Any, number: int) -> bytes:
    page = next(p for p in build.pages if p["number"] == number)
    return storage.read(page["pdf"])


def _chars(pdf: bytes) -> tuple[list[dict[str, Any]], tuple[float, float]]:
    """The page's glyphs, with character spacing read as the PDF specification says."""
    with spec_char_spacing(), pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        return list(page.chars), (float(page.width), float(page.height))


def test_a_paid_entry_prints_in_the_gutter_beside_the_spine(
    users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    from notices_app.services.editions import build_edition

    booking = _paid(_hold(advertiser, day, 2), users)
    _paid(_hold(advertiser, day, 9, SHORT), users)
    build = build_edition(day)
    assert build.status == "succeeded", (build.overflow, build.preflight, build.error)
    assert build.preflight == []  # every page, the 中缝 included, passed preflight

    geometry = geometry_for(pub)
    chars, (width, height) = _chars(_page_pdf(build, 2))
    bleed = geometry.bleed_mm * MM
    trim_x1 = bleed + geometry.trim_w
    type_x1 = bleed + geometry.margin_left + geometry.type_w
    mine = [c for c in chars if c["x0"] >= type_x1 - 0.01]
    text = "".join(c["text"] for c in sorted(mine, key=lambda c: (round(c["top"], 1), c["x0"])))
    assert "广告" in text  # the strip's mark
    assert ENTRY.replace("，", "") in text.replace("，", "").replace(" ", "")
    assert SHORT in text
    assert width == pytest.approx(geometry.trim_w + 2 * bleed)
    column = gutter_column(geometry, 2)
    col_x0 = bleed + column.x
    col_x1 = col_x0 + column.measure
    assert col_x0 - type_x1 >= 3 * MM - 0.01 and trim_x1 - col_x1 >= 3 * MM - 0.01
    for c in mine:
        assert col_x0 - 0.01 <= c["x0"] < col_x1  # every glyph starts inside the column
        # A compressed mark (。，) ends half an em early: its empty half may pass the measure.
        assert c["x1"] <= col_x1 + c["size"] / 2 + 0.01 < trim_x1 - 1.5 * MM
        assert c["size"] >= 6.0
        assert bleed <= c["top"] and c["bottom"] <= height - bleed
    # The segment booked (index 2 from the foot) lies lower on the page than index 9's.
    top_of = {t: min(c["top"] for c in mine if c["text"] == t) for t in ("淄", "公")}  # first lines
    assert top_of["淄"] > top_of["公"]
    type_top = bleed + (geometry.trim_h - geometry.type_h) / 2
    expected = type_top + booking.line * geometry.leading_pt
    assert expected <= top_of["淄"] <= expected + geometry.leading_pt
    # Nothing of it on the right-hand page or elsewhere on page 2.
    chars3, _ = _chars(_page_pdf(build, 3))
    assert "注册号" not in "".join(c["text"] for c in chars3)
    assert "注册号" not in "".join(c["text"] for c in chars if c["x0"] < type_x1)


def test_a_gutter_entry_whose_spread_is_gone_is_listed_not_lost(
    users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    from notices_app.services.editions import build_edition

    booking = _paid(_hold(advertiser, day, 0), users)
    ed = db.session.get(Edition, booking.edition_id)
    assert ed is not None
    ed.page_count = 2  # the desk cut the edition: page 2 is now the back page
    db.session.commit()
    build = build_edition(day)
    assert build.status == "failed"
    assert [o["id"] for o in build.overflow] == [str(booking.id)]


# --- navigation ---------------------------------------------------------------------------------------


def test_navigation_by_role_and_each_role_s_home(client: FlaskClient, users: Any, advertiser: User) -> None:
    login(client, advertiser)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/ads/")
    page = client.get("/ads/")
    assert page.status_code == 200
    nav = page.get_data(as_text=True).split("<nav>")[1].split("</nav>")[0]
    assert 'href="/ads/"' in nav and "广告预订" in nav and "/desk/payments/" not in nav
    assert "/notices/" not in nav  # advertisers file no notices
    client.post("/logout")

    editor = users("editor")
    login(client, editor)
    assert client.get("/").headers["Location"].endswith("/desk/")
    nav = client.get("/desk/payments/").get_data(as_text=True).split("<nav>")[1].split("</nav>")[0]
    assert 'href="/desk/payments/"' in nav and "收款" in nav and 'href="/desk/"' in nav
    client.post("/logout")

    filer = users("filer")
    login(client, filer)
    assert "/ads" not in client.get("/").headers["Location"]
    en = client.get("/ads/?lang=en")
    assert en.status_code == 403
