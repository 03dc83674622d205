"""Stripe Checkout against the local fake: what a session is created with, idempotent creation,
the success page, reconciliation, and the offline counter when there are no keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient
from paymenthelpers import CANCEL, SUCCESS, awaiting_notice, checkout, deliver, stripe_configured
from stripefake import FakeStripe

from notices_app.extensions import db
from notices_app.models import Notice, NoticeEvent, Payment, PaymentLog, utcnow
from notices_app.payments.gateway import CHECKOUT_MAX_LIFETIME, CHECKOUT_MIN_LIFETIME, checkout_expiry
from notices_app.services import notices as svc
from notices_app.services import payments


@pytest.fixture
def stripe(app: Flask) -> Iterator[FakeStripe]:
    with stripe_configured(app) as fake:
        yield fake


def test_checkout_session_carries_our_ids_the_amount_in_fen_and_an_expiry(
    stripe, users, pub, seed_fields
) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    assert payment.method == "stripe" and payment.amount_fen == notice.price_fen > 0
    before = utcnow()
    sid = checkout(payment)
    (call,) = stripe.calls("POST", "/v1/checkout/sessions")
    p = call.params
    assert call.idempotency_key == f"checkout-{payment.reference}"
    assert p["mode"] == "payment"
    assert p["client_reference_id"] == payment.reference
    assert p["metadata"] == {"payment": payment.reference, "purpose": "notice"}
    assert p["payment_intent_data"]["metadata"] == p["metadata"]  # so charges carry our ids too
    (item,) = p["line_items"]
    assert item["price_data"]["currency"] == "cny"
    assert int(item["price_data"]["unit_amount"]) == notice.price_fen  # 分, not yuan
    assert item["quantity"] == "1"
    assert p["success_url"] == SUCCESS + "?session_id={CHECKOUT_SESSION_ID}"
    assert p["cancel_url"] == CANCEL
    # No hold on a notice: the longest session Stripe allows (minus a margin).
    expires = int(p["expires_at"]) - before.timestamp()
    assert CHECKOUT_MAX_LIFETIME.total_seconds() - 5 <= expires <= CHECKOUT_MAX_LIFETIME.total_seconds() + 5
    assert stripe.sessions[sid]["amount_total"] == notice.price_fen


def test_checkout_is_created_once_even_when_the_answer_was_lost(stripe, users, pub, seed_fields) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    # Asking again reuses the open session.
    assert payments.checkout_url(db.session.get(Payment, payment.id), SUCCESS, CANCEL).endswith(sid)
    assert len(stripe.calls("POST", "/v1/checkout/sessions")) == 1
    # The process died after Stripe created the session but before we stored it: the retry sends
    # the identical request with the same key, and Stripe answers with the same session.
    p = db.session.get(Payment, payment.id)
    p.stripe_session_id = None
    p.checkout_url = None
    db.session.commit()
    assert checkout(p) == sid
    first, second = stripe.calls("POST", "/v1/checkout/sessions")
    assert first.idempotency_key == second.idempotency_key and first.params == second.params
    assert len(stripe.sessions) == 1


@pytest.mark.parametrize(
    ("hold", "expected"),
    [
        (timedelta(minutes=10), CHECKOUT_MIN_LIFETIME),  # Stripe's minimum is 30 min
        (timedelta(hours=2), timedelta(hours=2)),
        (timedelta(days=3), CHECKOUT_MAX_LIFETIME),  # and its maximum 24 h
    ],
)
def test_session_expiry_follows_the_hold_within_stripes_window(stripe, users, pub, hold, expected) -> None:
    advertiser = users("advertiser", org="某广告代理公司")
    now = utcnow()
    payment = payments.open_payment(
        purpose="booking",
        amount_fen=123_400,
        org_id=advertiser.org_id,
        user_id=advertiser.id,
        description="广告预订 / ad booking",
        order_ref="ORD-7",
        expires_at=now + hold,
    )
    db.session.commit()
    assert payment.reference == "BORD-7-1"
    checkout(payment)
    (call,) = stripe.calls("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == "checkout-BORD-7-1"
    assert abs(int(call.params["expires_at"]) - (now + expected).timestamp()) < 5
    assert call.params["metadata"] == {"payment": "BORD-7-1", "purpose": "booking"}


def test_checkout_expiry_is_clamped() -> None:
    now = utcnow()
    assert checkout_expiry(None, now) == (now + CHECKOUT_MAX_LIFETIME).replace(microsecond=0)
    assert checkout_expiry(now, now) == (now + CHECKOUT_MIN_LIFETIME).replace(microsecond=0)
    assert checkout_expiry(now + timedelta(hours=5), now) == (now + timedelta(hours=5)).replace(microsecond=0)


def test_success_page_fulfils_through_the_same_function_as_the_webhook(
    stripe, client: FlaskClient, users, pub, seed_fields
) -> None:
    filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    login(client, filer)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f"/billing/pay/{payment.reference}" in page and "去付款" in page
    resp = client.post(f"/billing/pay/{payment.reference}")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("https://checkout.stripe.test/")
    sid = db.session.get(Payment, payment.id).stripe_session_id
    completed = stripe.pay(sid)  # the customer pays; the webhook is slower than the browser

    resp = client.get(f"/billing/success?session_id={sid}")
    assert resp.status_code == 200 and "付款成功" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "paid"
    assert db.session.get(Notice, notice.id).status == "paid"
    # The webhook arrives afterwards: the same function finds it paid and changes nothing.
    assert deliver(client, completed).status_code == 200
    assert client.get(f"/billing/success?session_id={sid}").status_code == 200
    paid_rows = db.session.query(PaymentLog).filter_by(payment_id=payment.id, to_status="paid").all()
    assert [(r.source, r.from_status) for r in paid_rows] == [("success_page", "pending")]
    marks = db.session.query(NoticeEvent).filter_by(notice_id=notice.id, action="mark_paid").all()
    assert [(e.actor_role, e.to_state) for e in marks] == [("system", "paid")]


def test_reconcile_settles_what_the_webhooks_missed(
    stripe, app: Flask, client, users, pub, seed_fields
) -> None:
    filer, paid_notice, p1 = awaiting_notice(users, pub, seed_fields)
    _, late_notice, p2 = awaiting_notice(users, pub, seed_fields, org="淄博某某商贸有限公司")
    s1, s2 = checkout(p1), checkout(p2)
    stripe.pay(s1)
    stripe.expire(s2)  # neither event is delivered

    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert f"{p1.reference}: pending → paid" in result.output
    assert f"{p2.reference}: pending → expired" in result.output
    db.session.expire_all()
    assert db.session.get(Payment, p1.id).status == "paid"
    assert db.session.get(Notice, paid_notice.id).status == "paid"
    assert db.session.get(Payment, p2.id).status == "expired"
    assert db.session.get(Notice, late_notice.id).status == "awaiting_payment"
    # Running it again finds nothing left to do.
    again = app.test_cli_runner().invoke(args=["payments", "reconcile"]).output
    assert p1.reference not in again and p2.reference not in again

    # The customer of the expired one pays again: a fresh payment and a fresh session.
    login(client, users("filer", org="淄博某某商贸有限公司"))
    resp = client.post(f"/billing/pay/{p2.reference}")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("https://checkout.stripe.test/")
    fresh = payments.payment_for_notice(late_notice.id)
    assert fresh.reference != p2.reference and fresh.status == "pending" and fresh.amount_fen == p2.amount_fen
    assert filer.org_id != fresh.org_id


def test_reconcile_closes_a_session_past_its_hold_and_a_payment_in_that_moment_counts(
    stripe, users, pub
) -> None:
    advertiser = users("advertiser", org="某广告代理公司")
    payment = payments.open_payment(
        purpose="booking",
        amount_fen=50_000,
        org_id=advertiser.org_id,
        user_id=advertiser.id,
        description="广告预订 / ad booking",
        order_ref="ORD-9",
        expires_at=utcnow() + timedelta(minutes=30),
    )
    db.session.commit()
    sid = checkout(payment)
    lines = payments.reconcile(now=utcnow() + timedelta(minutes=31))
    assert stripe.sessions[sid]["status"] == "expired"  # closed at Stripe, not only here
    assert any("pending → expired" in line for line in lines)
    assert db.session.get(Payment, payment.id).status == "expired"


def test_offline_demo_without_keys_is_labelled_and_an_editor_marks_it_paid(
    app: Flask, client: FlaskClient, users, pub, seed_fields
) -> None:
    assert not app.config["STRIPE_SECRET_KEY"]
    filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    assert payment.method == "offline"
    login(client, filer)
    html = client.get(f"/billing/pay/{payment.reference}").get_data(as_text=True)
    assert "到柜台付款" in html and payment.reference in html and 'data-method="offline"' in html
    html_en = client.get(f"/billing/pay/{payment.reference}?lang=en").get_data(as_text=True)
    assert "Pay at the counter (offline)" in html_en
    assert client.post(f"/billing/pay/{payment.reference}").status_code == 302  # nowhere to go
    assert client.get(f"/billing/payments/{payment.reference}/receipt.pdf").status_code == 404  # not yet

    editor = users("editor")
    desk = app.test_client()
    login(desk, editor)
    listing = desk.get("/desk/payments/?status=pending").get_data(as_text=True)
    assert payment.reference in listing
    resp = desk.post(f"/desk/payments/{payment.reference}/mark_paid", data={"note": "柜台现金"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "paid"
    assert db.session.get(Notice, notice.id).status == "paid"
    (mark,) = db.session.query(NoticeEvent).filter_by(notice_id=notice.id, action="mark_paid").all()
    assert (mark.actor_id, mark.actor_role) == (editor.id, "editor")
    assert client.get(f"/billing/payments/{payment.reference}/receipt.pdf").data.startswith(b"%PDF")
    assert "柜台现金" in desk.get(f"/desk/payments/{payment.reference}").get_data(as_text=True)


def test_the_desks_notice_mark_paid_settles_the_open_payment(users, pub, seed_fields) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    svc.transition(notice.id, "mark_paid", users("editor"), reason="柜台现金")
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "paid"
    assert db.session.query(Payment).filter_by(notice_id=notice.id).count() == 1


def test_counter_payment_after_checkout_started_closes_the_session(stripe, users, pub, seed_fields) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    paid = payments.mark_paid_offline(db.session.get(Payment, payment.id), users("editor"), "现金")
    assert paid.method == "offline" and paid.status == "paid" and paid.id != payment.id
    assert db.session.get(Payment, payment.id).status == "cancelled"
    assert stripe.sessions[sid]["status"] == "expired"  # the card page can no longer be paid
    assert db.session.get(Notice, notice.id).status == "paid"


def test_other_organisations_cannot_see_a_payment(client: FlaskClient, users, pub, seed_fields) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    login(client, users("filer", org="别家公司"))
    for path in (
        f"/billing/pay/{payment.reference}",
        f"/billing/payments/{payment.reference}",
        f"/billing/payments/{payment.reference}/receipt.pdf",
        f"/billing/cancel?reference={payment.reference}",
    ):
        assert client.get(path).status_code == 404, path


def test_an_event_the_webhook_missed_can_be_fetched_and_processed_once(
    stripe, app: Flask, users, pub, seed_fields
) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["payments", "event", event["id"]])
    assert first.exit_code == 0 and "paid" in first.output, first.output
    assert "duplicate" in runner.invoke(args=["payments", "event", event["id"]]).output
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status == "paid"
    assert runner.invoke(args=["payments", "event", "evt_nope"]).exit_code != 0
