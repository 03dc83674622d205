"""Advertisers' bookings through the web client and the service: availability, holds that claim
cells, payment and expiry hooks, cancellation with refunds, and bad artwork changing nothing."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from notices_app.extensions import db
from notices_app.models import (
    AdBooking,
    AdContent,
    Edition,
    Organisation,
    Payment,
    Publication,
    Refund,
    SlotClaim,
    User,
    utcnow,
)
from notices_app.services import bookings, payments, storage
from notices_app.services.errors import Conflict, FieldErrors
from notices_app.services.notices import publication_calendar

AD = bookings.TemplateAd(
    title="九龙峡两日游",
    headline="邢台九龙峡纯玩两日游",
    sublines=("中国·邢台 人间仙境",),
    phones=("报名咨询电话：0533—2173002",),
)
SMALL_AD = bookings.TemplateAd(title="周末游", headline="周末特惠")


def _days(pub: Publication, n: int, skip: int = 5) -> list[date]:
    """`n` publishing days, starting a week out so no cut-off is near."""
    cal = publication_calendar(pub)
    return cal.publishing_dates(cal.first_open_date(utcnow()), skip + n)[skip:]


def _edition(pub: Publication, day: date, pages: int = 4) -> Edition:
    ed = Edition(publication_id=pub.id, date=day, page_count=pages)
    db.session.add(ed)
    db.session.commit()
    return ed


def _png(size: tuple[int, int], colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).rectangle((10, 10, size[0] // 2, size[1] // 2), fill=colour)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _artwork_for(slot_type: str, pub: Publication, ppi: int = 220) -> bytes:
    """A PNG of the slot's proportions at `ppi` on page 2 of a 4-page edition."""
    from ads.inventory import find_slot, page_slots, slot_size_pt

    grid = bookings.grid_for(pub)
    slot = find_slot(page_slots(grid, 2, 4), slot_type, 0)
    assert slot is not None
    w, h = slot_size_pt(grid, slot)
    return _png((round(w / 72 * ppi), round(h / 72 * ppi)))


def _stored_artwork() -> list[str]:
    folder = storage.root() / "ads" / "artwork"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _claims(booking: AdBooking) -> list[SlotClaim]:
    db.session.expire_all()
    return list(db.session.scalars(select(SlotClaim).where(SlotClaim.booking_id == booking.id)))


def _fresh(booking: AdBooking) -> AdBooking:
    db.session.expire_all()
    found = db.session.get(AdBooking, booking.id)
    assert found is not None
    return found


@pytest.fixture
def advertiser(users: Any) -> User:
    return users("advertiser", org="淄博青年旅行社")


@pytest.fixture
def day(pub: Publication) -> date:
    d = _days(pub, 1)[0]
    _edition(pub, d)
    return d


# --- availability ------------------------------------------------------------------------------


def test_availability_calendar_and_page_diagrams(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    resp = client.get(f"/ads/availability?from={day.isoformat()}&to={(day + timedelta(days=6)).isoformat()}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert day.isoformat() in html and f"/ads/editions/{day.isoformat()}" in html
    state = bookings.availability(db.session.get(Edition, db.session.scalar(select(Edition.id))))
    assert f">{state.free}<" in html  # every online slot free yet

    resp = client.get(f"/ads/editions/{day.isoformat()}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html.count("<svg") >= 4 * 3  # a small diagram per page and slot type
    assert "报眼" in html and "1/4版" in html  # the front page's ear, an inside page's quarter
    assert f"/ads/book/{day.isoformat()}/2/quarter/0" in html
    assert f"/ads/book/{day.isoformat()}/1/quarter/" not in html  # no page fractions on the front
    assert "16,500.00" in html or "16500" in html  # the quarter's inside price from the card
    en = client.get(f"/ads/editions/{day.isoformat()}?lang=en").get_data(as_text=True)
    assert "quarter page" in en and "Page 2" in en


def test_a_publishing_day_without_an_edition_yet_can_be_browsed_and_booked(
    pub: Publication, advertiser: User
) -> None:
    d = _days(pub, 1, skip=8)[0]
    cal = bookings.calendar(d, d)
    assert len(cal) == 1 and cal[0].open and cal[0].free == cal[0].total > 0
    assert db.session.scalar(select(func.count()).select_from(Edition)) == 0  # browsing made nothing
    order = bookings.hold(advertiser, [d], "band", 2, 0, template=AD)
    assert order.bookings[0].status == "held"
    assert db.session.scalar(select(Edition.date)) == d


# --- holding through the web -------------------------------------------------------------------------


def test_hold_with_template_through_the_form(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    url = f"/ads/book/{day.isoformat()}/2/quarter/0"
    assert client.get(url).status_code == 200
    form = {
        "source": "template",
        "title": AD.title,
        "headline": AD.headline,
        "sublines": "\n".join(AD.sublines),
        "phones": "\n".join(AD.phones),
    }
    preview = client.post(url, data={**form, "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "data:image/png;base64," in html  # the proof
    assert "16,500.00" in html or "16500" in html
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 0  # preview holds nothing

    resp = client.post(url, data={**form, "action": "hold"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    booking = db.session.scalar(select(AdBooking))
    assert booking is not None and booking.status == "held"
    assert resp.headers["Location"].endswith(f"/ads/orders/{booking.order_ref}")
    assert booking.artwork_kind == "template" and booking.ad_content_id is not None
    assert db.session.get(AdContent, booking.ad_content_id).content["headline"] == AD.headline
    assert (booking.col, booking.line, booking.cols, booking.lines) == (0, 79, 6, 23)
    claims = _claims(booking)
    assert len(claims) == 24 and all(c.expires_at == booking.hold_expires_at for c in claims)
    assert booking.hold_expires_at is not None
    minutes = (booking.hold_expires_at - booking.created_at).total_seconds() / 60
    assert 29.9 < minutes < 30.1
    payment = db.session.scalar(select(Payment).where(Payment.order_ref == booking.order_ref))
    assert payment is not None and payment.purpose == "booking" and payment.method == "offline"
    assert payment.amount_fen == booking.price_fen == 1_650_000
    assert payment.expires_at == booking.hold_expires_at

    page = client.get(f"/ads/orders/{booking.order_ref}").get_data(as_text=True)
    assert f"/billing/pay/{payment.reference}" in page
    assert 'class="countdown"' in page and "预留中" in page
    proof = client.get(f"/ads/bookings/{booking.id}/proof.png")
    assert proof.status_code == 200 and proof.data.startswith(b"\x89PNG")
    mine = client.get("/ads/").get_data(as_text=True)
    assert booking.order_ref in mine and f"/billing/pay/{payment.reference}" in mine

    # The slot is now taken on the diagrams, and so is everything overlapping it.
    diagram = client.get(f"/ads/editions/{day.isoformat()}").get_data(as_text=True)
    assert f"/ads/book/{day.isoformat()}/2/quarter/0" not in diagram
    assert f"/ads/book/{day.isoformat()}/2/half/0" not in diagram
    assert f"/ads/book/{day.isoformat()}/2/quarter/1" in diagram


def test_hold_with_artwork_named_like_something_else(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    stored_before = _stored_artwork()
    png = _artwork_for("eighth", pub)
    resp = client.post(
        f"/ads/book/{day.isoformat()}/2/eighth/0",
        data={
            "source": "artwork",
            "artwork": (io.BytesIO(png), "poster.jpg", "image/jpeg"),
            "action": "hold",
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    booking = db.session.scalar(select(AdBooking))
    assert booking is not None and booking.artwork_kind == "jpeg"
    assert booking.artwork_info["source"] == "png"
    assert booking.artwork_info["colour"] == "rgb→cmyk"
    assert any(n["code"] == "artwork.converted_rgb" for n in booking.artwork_info["notes"])
    with Image.open(io.BytesIO(storage.read(booking.artwork_path or ""))) as stored:
        assert stored.format == "JPEG" and stored.mode == "CMYK"
    assert _stored_artwork() == sorted([*stored_before, f"{booking.order_ref}.jpg"])


def test_bad_artwork_changes_nothing(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    stored_before = _stored_artwork()
    url = f"/ads/book/{day.isoformat()}/2/eighth/0"
    cases = [
        (b"this is plain text, not a picture\n" * 10, "ad.png", "类型"),
        (_artwork_for("eighth", pub, ppi=90), "low.png", "ppi"),
    ]
    for data, name, words in cases:
        resp = client.post(
            url,
            data={"source": "artwork", "artwork": (io.BytesIO(data), name, "image/png"), "action": "hold"},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 422
        assert words in resp.get_data(as_text=True)
    missing = client.post(url, data={"source": "artwork", "action": "hold"})
    assert missing.status_code == 422 and "请选择要上传的广告作品" in missing.get_data(as_text=True)
    en = client.post(
        url + "?lang=en",
        data={
            "source": "artwork",
            "artwork": (io.BytesIO(b"nope" * 100), "ad.png", "image/png"),
            "action": "hold",
        },
        content_type="multipart/form-data",
    )
    assert en.status_code == 422 and "Unknown file type" in en.get_data(as_text=True)
    for model in (AdBooking, SlotClaim, Payment, AdContent):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert _stored_artwork() == stored_before


def test_artwork_for_a_slot_taken_meanwhile_is_not_kept(
    users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    bookings.hold(users("advertiser", org="别家旅行社"), [day], "half", 2, 0, template=AD)
    stored_before = _stored_artwork()
    with pytest.raises(Conflict):
        bookings.hold(advertiser, [day], "eighth", 2, 0, artwork=_artwork_for("eighth", pub))
    assert _stored_artwork() == stored_before
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 1


def test_template_that_does_not_fit_the_slot_is_a_field_error(
    client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    resp = client.post(
        f"/ads/book/{day.isoformat()}/2/sixteenth/0",
        data={
            "source": "template",
            "headline": "周末特惠",
            "body": "\n".join(["景区樱花园餐厅推出团圆餐、田园烧烤等特色餐。"] * 8),
            "action": "hold",
        },
    )
    assert resp.status_code == 422
    assert "排不进" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 0


def test_the_form_refuses_a_taken_slot_with_409(
    client: FlaskClient, users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    bookings.hold(users("advertiser", org="别家旅行社"), [day], "half", 2, 0, template=AD)
    login(client, advertiser)
    resp = client.post(
        f"/ads/book/{day.isoformat()}/2/quarter/1",
        data={"source": "template", "headline": AD.headline, "action": "hold"},
    )
    assert resp.status_code == 409
    assert "版位已被预订" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 1


def test_slots_off_the_page_or_not_sold_there_are_not_found(
    client: FlaskClient, advertiser: User, day: date
) -> None:
    login(client, advertiser)
    # The 中缝 (tests/app/test_gutter_bookings.py) and classified modules in the card's module
    # size, 12 of 2 栏 × 5 cm on a broadsheet page (tests/app/test_module_bookings.py), are booked.
    assert client.get(f"/ads/book/{day.isoformat()}/2/gutter/0").status_code == 200
    assert client.get(f"/ads/book/{day.isoformat()}/2/module/0").status_code == 200
    assert client.get(f"/ads/book/{day.isoformat()}/2/module/11").status_code == 200
    assert client.get(f"/ads/book/{day.isoformat()}/2/module/12").status_code == 404
    assert client.get(f"/ads/book/{day.isoformat()}/1/module/0").status_code == 404  # inside pages only
    assert client.get(f"/ads/book/{day.isoformat()}/4/module/0").status_code == 404  # not the back page
    assert client.get(f"/ads/book/{day.isoformat()}/1/quarter/0").status_code == 404  # not on page 1
    assert client.get(f"/ads/book/{day.isoformat()}/9/quarter/0").status_code == 404
    assert client.get(f"/ads/book/{day.isoformat()}/2/quarter/7").status_code == 404


def test_other_organisations_cannot_see_an_order(
    client: FlaskClient, users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    order = bookings.hold(advertiser, [day], "band", 2, 0, template=AD)
    login(client, users("advertiser", org="别家旅行社"))
    assert client.get(f"/ads/orders/{order.order_ref}").status_code == 404
    assert client.get(f"/ads/bookings/{order.bookings[0].id}/proof.png").status_code == 404
    assert client.post(f"/ads/bookings/{order.bookings[0].id}/cancel").status_code == 404
    editor = users("editor")
    staff = client.application.test_client()
    login(staff, editor)
    assert staff.get(f"/ads/orders/{order.order_ref}").status_code == 200
    assert order.order_ref in staff.get("/ads/").get_data(as_text=True)


# --- overlaps, several editions, prices ---------------------------------------------------------


def test_overlapping_slots_cannot_both_be_held(users: Any, pub: Publication, day: date) -> None:
    a, b = users("advertiser", org="甲旅行社"), users("advertiser", org="乙旅行社")
    bookings.hold(a, [day], "half", 2, 0, template=AD)
    with pytest.raises(Conflict) as err:
        bookings.hold(b, [day], "quarter", 2, 0, template=AD)  # the lower quarter lies inside the half
    assert err.value.message.code == "booking.slot_taken"
    assert "Slot taken" in err.value.message.render("en")
    with pytest.raises(Conflict):
        bookings.hold(b, [day], "full", 2, 0, template=AD)
    with pytest.raises(Conflict):
        bookings.hold(b, [day], "band", 2, 0, template=AD)
    # The other way round on page 3: the quarter first, then the half that contains it.
    bookings.hold(b, [day], "quarter", 3, 1, template=AD)
    with pytest.raises(Conflict):
        bookings.hold(a, [day], "half", 3, 0, template=AD)
    # Slots that do not overlap are fine.
    bookings.hold(a, [day], "quarter", 3, 0, template=AD)
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 3
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 3


def test_several_editions_in_one_order_get_the_frequency_discount(pub: Publication, advertiser: User) -> None:
    days = _days(pub, 3)
    for d in days:
        _edition(pub, d)
    order = bookings.hold(advertiser, days, "eighth", 2, 0, template=AD, colour=True)
    assert len(order.bookings) == 3 and len({b.order_ref for b in order.bookings}) == 1
    (q,) = order.quotes
    codes = [i.code for i in q.items]
    assert codes == ["base", "surcharge:colour", "discount"]
    # 8,500 元 × 3 = 25,500; colour +50 % = 12,750; 10 % off 38,250 = 3,825 → 34,425 元
    assert q.total_fen == 3_442_500 == order.total_fen
    assert sorted(b.price_fen for b in order.bookings) == [1_147_500] * 3
    payment = order.payment
    assert payment is not None and payment.amount_fen == q.total_fen
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_one_taken_edition_refuses_the_whole_order(users: Any, pub: Publication, advertiser: User) -> None:
    days = _days(pub, 3)
    for d in days:
        _edition(pub, d)
    bookings.hold(users("advertiser", org="别家旅行社"), [days[1]], "eighth", 2, 0, template=AD)
    with pytest.raises(Conflict) as err:
        bookings.hold(advertiser, days, "eighth", 2, 0, template=AD)
    assert days[1].isoformat() in err.value.message.render("en")
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_bad_dates_are_field_errors(pub: Publication, advertiser: User, day: date) -> None:
    with pytest.raises(FieldErrors) as err:
        bookings.hold(advertiser, [], "band", 2, 0, template=AD)
    assert "dates" in err.value.errors
    sunday = next(day + timedelta(days=i) for i in range(7) if (day + timedelta(days=i)).isoweekday() == 7)
    with pytest.raises(FieldErrors) as err:
        bookings.hold(advertiser, [day, sunday], "band", 2, 0, template=AD)
    assert sunday.isoformat() in err.value.render("en")["dates"][0]
    assert db.session.scalar(select(func.count()).select_from(AdBooking)) == 0


# --- expiry ----------------------------------------------------------------------------------------


def test_an_expired_hold_frees_the_slot(users: Any, pub: Publication, advertiser: User, day: date) -> None:
    first = bookings.hold(advertiser, [day], "quarter", 2, 0, template=AD).bookings[0]
    later = utcnow() + timedelta(minutes=31)
    ed = db.session.get(Edition, first.edition_id)
    assert (
        bookings.availability(ed).pages[1].free < bookings.availability(ed, later, expire=False).pages[1].free
    )
    # Someone else takes the lapsed slot: the expired claims are cleared in the same transaction.
    other = users("advertiser", org="别家旅行社")
    second = bookings.hold(other, [day], "half", 2, 0, template=AD, now=later).bookings[0]
    assert _fresh(first).status == "expired" and not _claims(first)
    assert _fresh(second).status == "held" and len(_claims(second)) == 48


def test_expire_holds_and_the_expired_payment_hook(pub: Publication, advertiser: User, day: date) -> None:
    a = bookings.hold(advertiser, [day], "band", 2, 0, template=AD)
    b = bookings.hold(advertiser, [day], "band", 3, 0, template=AD)
    assert bookings.expire_holds(utcnow() + timedelta(minutes=10)) == 0
    assert bookings.expire_holds(utcnow() + timedelta(minutes=31)) == 2
    assert _fresh(a.bookings[0]).status == "expired" and not _claims(a.bookings[0])
    # The payment's own expiry (reconcile, a Checkout Session that expired) runs the hook.
    c = bookings.hold(advertiser, [day], "band", 2, 0, template=AD)
    assert c.payment is not None
    payments.reconcile(utcnow() + timedelta(minutes=31))
    db.session.expire_all()
    assert db.session.get(Payment, c.payment.id).status == "expired"
    assert _fresh(c.bookings[0]).status == "expired" and not _claims(c.bookings[0])
    assert b.bookings[0].id != c.bookings[0].id


# --- payment ---------------------------------------------------------------------------------------


def test_paid_at_the_counter_confirms_and_makes_the_claims_permanent(
    client: FlaskClient, users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    order = bookings.hold(advertiser, [day], "quarter", 2, 0, template=AD)
    assert order.payment is not None
    payments.mark_paid_offline(order.payment, users("editor"))
    booking = _fresh(order.bookings[0])
    assert booking.status == "confirmed" and booking.hold_expires_at is None
    assert all(c.expires_at is None for c in _claims(booking))
    # A paid booking never lapses.
    assert bookings.expire_holds(utcnow() + timedelta(days=2)) == 0
    with pytest.raises(Conflict):
        bookings.hold(
            users("advertiser", org="别家旅行社"),
            [day],
            "quarter",
            2,
            0,
            template=AD,
            now=utcnow() + timedelta(hours=2),
        )
    login(client, advertiser)
    assert "已确认" in client.get("/ads/").get_data(as_text=True)


def test_paid_after_the_hold_expired(users: Any, pub: Publication, advertiser: User, day: date) -> None:
    editor = users("editor")
    # Still free: the late payment claims the slot again.
    late = bookings.hold(advertiser, [day], "band", 2, 0, template=AD)
    bookings.expire_holds(utcnow() + timedelta(minutes=31))
    assert late.payment is not None
    payments.mark_paid_offline(db.session.get(Payment, late.payment.id), editor)
    assert _fresh(late.bookings[0]).status == "confirmed" and len(_claims(late.bookings[0])) == 18
    # Taken meanwhile: the booking stays expired and the money goes back in full.
    lost = bookings.hold(advertiser, [day], "band", 3, 0, template=AD)
    bookings.hold(
        users("advertiser", org="别家旅行社"),
        [day],
        "half",
        3,
        0,
        template=AD,
        now=utcnow() + timedelta(minutes=31),
    )
    assert lost.payment is not None
    payments.mark_paid_offline(db.session.get(Payment, lost.payment.id), editor)
    assert _fresh(lost.bookings[0]).status == "expired"
    refund = db.session.scalar(select(Refund).where(Refund.payment_id == lost.payment.id))
    assert refund is not None and refund.amount_fen == lost.payment.amount_fen


def test_an_invoiced_agency_is_confirmed_at_once(users: Any, pub: Publication) -> None:
    agency = users("advertiser", org="淄博广告代理公司")
    org = db.session.get(Organisation, agency.org_id)
    org.invoiced = True
    db.session.commit()
    order = bookings.hold(agency, _days(pub, 1, skip=6), "ear", 1, 0, template=AD)
    assert order.payment is not None and order.payment.method == "invoice" and order.payment.status == "paid"
    assert _fresh(order.bookings[0]).status == "confirmed"
    assert all(c.expires_at is None for c in _claims(order.bookings[0]))


def test_stripe_checkout_for_a_hold_and_the_webhook_confirms(
    app: Flask, client: FlaskClient, pub: Publication, advertiser: User, day: date
) -> None:
    from paymenthelpers import checkout, deliver, stripe_configured

    with stripe_configured(app) as fake:
        order = bookings.hold(advertiser, [day], "eighth", 2, 0, template=AD)
        assert order.payment is not None and order.payment.method == "stripe"
        sid = checkout(order.payment)
        (create,) = fake.calls("POST", "/v1/checkout/sessions")
        hold_end = order.bookings[0].hold_expires_at
        # Tied to the hold; Stripe's 30-minute minimum (counted from the session's creation) may
        # keep it open a minute or two longer: a payment then confirms if the slot is still free.
        assert hold_end is not None
        assert 0 <= int(create.params["expires_at"]) - hold_end.timestamp() <= 150
        assert create.params["client_reference_id"] == order.payment.reference
        event = fake.pay(sid)
        for _ in range(3):  # replayed: one outcome
            assert deliver(client, event).status_code == 200
        booking = _fresh(order.bookings[0])
        assert booking.status == "confirmed" and all(c.expires_at is None for c in _claims(booking))

        # Cancelled before the cut-off: refunded less the 30 % fee, through Stripe.
        bookings.cancel(booking, advertiser)
        refund = db.session.scalar(select(Refund).where(Refund.payment_id == order.payment.id))
        assert refund is not None and refund.amount_fen == order.payment.amount_fen * 70 // 100
        assert refund.status == "refunded"
        assert fake.calls("POST", "/v1/refunds")[0].params["amount"] == str(refund.amount_fen)


# --- cancelling --------------------------------------------------------------------------------------


def test_cancel_a_hold_frees_the_slot_and_cancels_the_payment(
    client: FlaskClient, pub: Publication, advertiser: User
) -> None:
    days = _days(pub, 2)
    for d in days:
        _edition(pub, d)
    order = bookings.hold(advertiser, days, "band", 2, 0, template=AD)
    login(client, advertiser)
    resp = client.post(f"/ads/bookings/{order.bookings[0].id}/cancel")
    assert resp.status_code == 302
    for b in order.bookings:  # the whole unpaid order goes
        assert _fresh(b).status == "cancelled" and not _claims(b)
    assert order.payment is not None
    db.session.expire_all()
    assert db.session.get(Payment, order.payment.id).status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    bookings.hold(advertiser, days[:1], "band", 2, 0, template=AD)  # free again


def test_cancel_a_paid_booking_refunds_its_share_less_30_percent(
    client: FlaskClient, users: Any, pub: Publication, advertiser: User
) -> None:
    days = _days(pub, 3)
    for d in days:
        _edition(pub, d)
    order = bookings.hold(advertiser, days, "half_band", 2, 1, template=AD)
    assert order.payment is not None
    payments.mark_paid_offline(order.payment, users("editor"))
    target = order.bookings[1]
    login(client, advertiser)
    page = client.get(f"/ads/orders/{order.order_ref}").get_data(as_text=True)
    assert "取消并退款" in page
    assert client.post(f"/ads/bookings/{target.id}/cancel").status_code == 302
    assert _fresh(target).status == "cancelled" and not _claims(target)
    assert {_fresh(b).status for b in (order.bookings[0], order.bookings[2])} == {"confirmed"}
    refund = db.session.scalar(select(Refund).where(Refund.payment_id == order.payment.id))
    assert refund is not None
    assert refund.amount_fen == target.price_fen - round(target.price_fen * 0.3)
    assert refund.status == "refund_pending"  # offline: the counter hands it back


def test_no_cancelling_after_the_cut_off(users: Any, pub: Publication, advertiser: User, day: date) -> None:
    order = bookings.hold(advertiser, [day], "band", 2, 0, template=AD)
    assert order.payment is not None
    payments.mark_paid_offline(order.payment, users("editor"))
    booking = _fresh(order.bookings[0])
    cutoff = publication_calendar(pub).cutoff_for(day)
    with pytest.raises(Conflict) as err:
        bookings.cancel(booking, advertiser, now=cutoff + timedelta(minutes=1))
    assert err.value.message.code == "booking.past_cutoff"
    assert "cut-off" in err.value.message.render("en")
    assert _fresh(booking).status == "confirmed" and len(_claims(booking)) == 18
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_cancel_twice_is_a_conflict(pub: Publication, advertiser: User, day: date) -> None:
    order = bookings.hold(advertiser, [day], "band", 2, 0, template=AD)
    bookings.cancel(order.bookings[0], advertiser)
    with pytest.raises(Conflict):
        bookings.cancel(_fresh(order.bookings[0]), advertiser)


# --- printing -------------------------------------------------------------------------------------


def test_a_confirmed_artwork_booking_prints_in_its_slot(
    users: Any, pub: Publication, advertiser: User, day: date
) -> None:
    from notices_app.layout.types import Level
    from notices_app.services.editions import edition_content, typeset_booking
    from notices_app.services.typesetting import geometry_for
    from print.fonts import default_fonts
    from print.preflight import preflight

    order = bookings.hold(advertiser, [day], "eighth", 2, 0, artwork=_artwork_for("eighth", pub))
    assert order.payment is not None
    payments.mark_paid_offline(order.payment, users("editor"))
    ed = db.session.get(Edition, order.bookings[0].edition_id)
    ((booking, content),) = edition_content(ed).bookings
    assert content is None and booking.artwork_path
    geometry = geometry_for(pub)
    placed = typeset_booking(booking, content, geometry, default_fonts(), Level(pub.clreq_level))
    assert abs(placed.width_pt - geometry.span_width(6)) < 0.01
    assert abs(placed.height_pt - 11 * geometry.leading_pt) < 0.01
    from print.artwork import proof_pdf

    assert preflight(proof_pdf(placed)).ok


def test_template_name_and_order_reference_shapes(pub: Publication, advertiser: User, day: date) -> None:
    order = bookings.hold(advertiser, [day], "band", 2, 0, template=SMALL_AD)
    assert re.fullmatch(r"AD\d{8}-[0-9A-F]{8}", order.order_ref)
    assert order.payment is not None and order.payment.description.startswith("广告版位")


@pytest.mark.parametrize("change", ["closed", "fewer pages"])
def test_a_hold_decides_on_the_edition_as_it_is_under_the_lock(
    monkeypatch: pytest.MonkeyPatch, pub: Publication, advertiser: User, day: date, change: str
) -> None:
    """The desk closes the edition, or takes pages out, between the pricing and the claim: the
    claim transaction sees it and books nothing (a booking on a page that no longer exists)."""
    real_begin = bookings._begin_claim

    def desk_changes_it_first() -> None:
        edition = db.session.scalar(select(Edition).where(Edition.date == day))
        assert edition is not None
        values = {"status": "closed"} if change == "closed" else {"page_count": 2}
        with db.engine.begin() as conn:  # another connection: the desk, a moment earlier
            conn.execute(
                Edition.__table__.update().where(Edition.__table__.c.id == edition.id).values(**values)
            )
        real_begin()

    monkeypatch.setattr(bookings, "_begin_claim", desk_changes_it_first)
    with pytest.raises(Conflict) as refused:
        bookings.hold(advertiser, [day], "eighth", 4, 0, template=AD)
    assert refused.value.message.code == "booking.edition_changed"
    db.session.rollback()
    for model in (AdBooking, SlotClaim, Payment, AdContent):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
