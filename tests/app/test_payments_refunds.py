"""Refunds: rejecting a paid notice refunds it in full, withdrawing before the cut-off refunds 70 %,
through Stripe with idempotency keys from our ids; failures are visible and can be retried."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient
from paymenthelpers import awaiting_notice, checkout, deliver, state, stripe_configured
from stripefake import FakeStripe

from ads.ratecard import withdrawal_refund_fen
from notices_app.extensions import db
from notices_app.models import Notice, Payment, Refund
from notices_app.services import notices as svc
from notices_app.services import payments


@pytest.fixture
def stripe(app: Flask) -> Iterator[FakeStripe]:
    with stripe_configured(app) as fake:
        yield fake


def _paid_by_card(stripe: FakeStripe, client: FlaskClient, users, pub, seed_fields, **kw):
    filer, notice, payment = awaiting_notice(users, pub, seed_fields, **kw)
    sid = checkout(payment)
    assert deliver(client, stripe.pay(sid)).get_data(as_text=True) == "paid"
    return filer, notice, db.session.get(Payment, payment.id), sid


def _desk(app: Flask, users) -> FlaskClient:
    desk = app.test_client()
    login(desk, users("editor"))
    return desk


def test_rejecting_a_paid_notice_refunds_it_in_full(stripe, app, client, users, pub, seed_fields) -> None:
    stripe.refund_status = "pending"  # Stripe confirms later, by webhook
    filer, notice, payment, sid = _paid_by_card(stripe, client, users, pub, seed_fields)
    desk = _desk(app, users)
    desk.post(f"/desk/notices/{notice.id}/reject", data={"reason": "营业执照名称与注册信息不一致"})
    assert state(payment.id) == (
        "paid",
        payment.amount_fen,
        [(payment.amount_fen, "refund_pending")],
        "rejected",
    )
    (call,) = stripe.calls("POST", "/v1/refunds")
    assert call.idempotency_key == f"refund-{payment.reference}-1"
    assert call.params["payment_intent"] == stripe.sessions[sid]["payment_intent"]
    assert int(call.params["amount"]) == payment.amount_fen
    assert call.params["metadata"]["payment"] == payment.reference

    login(client, filer)
    assert "退款处理中" in client.get(f"/billing/payments/{payment.reference}").get_data(as_text=True)
    refund = db.session.query(Refund).filter_by(payment_id=payment.id).one()
    assert deliver(client, stripe.refund_event(refund.stripe_refund_id, "succeeded")).status_code == 200
    assert state(payment.id) == ("paid", payment.amount_fen, [(payment.amount_fen, "refunded")], "rejected")
    assert "已退款" in client.get(f"/billing/payments/{payment.reference}").get_data(as_text=True)
    # A late, older report of the refund changes nothing (Stripe's order: pending → succeeded).
    stripe.refunds[refund.stripe_refund_id]["status"] = "pending"
    deliver(client, stripe.event("refund.updated", stripe.refunds[refund.stripe_refund_id]))
    assert state(payment.id)[2] == [(payment.amount_fen, "refunded")]


@pytest.mark.parametrize("mode", ["error", "failed"])
def test_a_failed_refund_is_visible_and_a_retry_refunds_once(
    stripe, app, client, users, pub, seed_fields, mode
) -> None:
    filer, notice, payment, _sid = _paid_by_card(stripe, client, users, pub, seed_fields)
    stripe.fail_refunds = mode  # refused outright, or accepted and then failed
    svc.transition(notice.id, "reject", users("editor"), reason="重复登报")
    assert state(payment.id) == ("paid", 0, [(payment.amount_fen, "refund_failed")], "rejected")
    refund = db.session.query(Refund).filter_by(payment_id=payment.id).one()
    assert refund.failure_reason

    desk = _desk(app, users)
    listing = desk.get("/desk/payments/?status=refund_failed").get_data(as_text=True)
    assert payment.reference in listing
    page = desk.get(f"/desk/payments/{payment.reference}").get_data(as_text=True)
    assert "退款失败" in page and f"/refunds/{refund.id}/retry" in page
    login(client, filer)
    assert "退款失败" in client.get(f"/billing/payments/{payment.reference}").get_data(as_text=True)

    stripe.fail_refunds = None
    desk.post(f"/desk/payments/{payment.reference}/refunds/{refund.id}/retry")
    assert state(payment.id) == ("paid", payment.amount_fen, [(payment.amount_fen, "refunded")], "rejected")
    desk.post(f"/desk/payments/{payment.reference}/refunds/{refund.id}/retry")  # double click: refused
    keys = [c.idempotency_key for c in stripe.calls("POST", "/v1/refunds")]
    # Stripe would answer the first key with its failure forever, so the retry has its own key.
    assert keys == [f"refund-{payment.reference}-1", f"refund-{payment.reference}-1-retry1"]
    charge = stripe.charges[db.session.get(Payment, payment.id).stripe_payment_intent]
    assert charge["amount_refunded"] == payment.amount_fen  # refunded once, not twice
    if mode == "failed":
        # The first attempt's failure reported late does not touch the retried refund.
        first = next(r for r in stripe.refunds.values() if r["status"] == "failed")
        assert deliver(client, stripe.event("refund.updated", first)).status_code == 200
        assert state(payment.id)[2] == [(payment.amount_fen, "refunded")]


def test_an_unknown_outcome_stays_pending_and_reconcile_resends_the_same_key(
    stripe, client, users, pub, seed_fields
) -> None:
    _filer, notice, payment, _sid = _paid_by_card(stripe, client, users, pub, seed_fields)
    stripe.fail_refunds = "server"
    svc.transition(notice.id, "reject", users("editor"), reason="重复登报")
    assert state(payment.id)[2] == [(payment.amount_fen, "refund_pending")]
    stripe.fail_refunds = None
    lines = payments.reconcile()
    assert any("refunded" in line for line in lines), lines
    first, second = stripe.calls("POST", "/v1/refunds")
    assert first.idempotency_key == second.idempotency_key == f"refund-{payment.reference}-1"
    assert state(payment.id)[2] == [(payment.amount_fen, "refunded")]


def test_withdrawal_before_the_cutoff_refunds_70_percent(stripe, client, users, pub, seed_fields) -> None:
    filer, notice, payment, _sid = _paid_by_card(stripe, client, users, pub, seed_fields)
    login(client, filer)
    assert client.post(f"/notices/{notice.id}/withdraw").status_code == 302
    expected = withdrawal_refund_fen(payment.amount_fen, True)
    assert expected == payment.amount_fen - round(payment.amount_fen * 0.3)
    assert state(payment.id) == ("paid", expected, [(expected, "refunded")], "withdrawn")
    (call,) = stripe.calls("POST", "/v1/refunds")
    assert int(call.params["amount"]) == expected


def test_withdrawing_before_paying_cancels_the_payment_and_closes_checkout(
    stripe, client, users, pub, seed_fields
) -> None:
    filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    svc.transition(notice.id, "withdraw", filer)
    assert state(payment.id) == ("cancelled", 0, [], "withdrawn")
    assert stripe.sessions[sid]["status"] == "expired"
    assert stripe.calls("POST", "/v1/refunds") == []


def test_a_card_payment_racing_a_counter_payment_is_refunded(stripe, users, pub, seed_fields) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    stripe.pay(sid)  # paid in the browser; the webhook has not arrived yet
    counter = payments.mark_paid_offline(db.session.get(Payment, payment.id), users("editor"), "现金")
    # Closing the session found it paid: the card payment is recorded, and given back.
    assert state(counter.id)[:2] == ("paid", 0)
    assert state(payment.id) == ("paid", payment.amount_fen, [(payment.amount_fen, "refunded")], "paid")
    assert db.session.get(Notice, notice.id).status == "paid"


def test_desk_partial_refund_and_its_limits(stripe, app, client, users, pub, seed_fields) -> None:
    _filer, _notice, payment, _sid = _paid_by_card(stripe, client, users, pub, seed_fields)
    desk = _desk(app, users)
    url = f"/desk/payments/{payment.reference}/refund"
    desk.post(url, data={"amount": "10.00", "reason": "少登一天"})
    assert state(payment.id)[:3] == ("paid", 1000, [(1000, "refunded")])
    too_much = f"{(payment.amount_fen - 1000 + 1) / 100:.2f}"
    page = desk.post(url, data={"amount": too_much, "reason": "多退"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "退款金额应大于0" in page
    page = desk.post(url, data={"amount": "1", "reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "请填写退款原因" in page
    page = desk.post(url, data={"amount": "1.234", "reason": "x"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "金额格式无效" in page
    assert state(payment.id)[2] == [(1000, "refunded")]
    assert len(stripe.calls("POST", "/v1/refunds")) == 1


def test_counter_refunds_wait_for_an_editor(app, client, users, pub, seed_fields) -> None:
    filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    editor = users("editor")
    svc.transition(notice.id, "mark_paid", editor, reason="柜台现金")
    svc.transition(notice.id, "reject", editor, reason="材料不全")
    assert state(payment.id) == (
        "paid",
        payment.amount_fen,
        [(payment.amount_fen, "refund_pending")],
        "rejected",
    )
    login(client, filer)
    assert "请到柜台领取" in client.get(f"/billing/payments/{payment.reference}").get_data(as_text=True)
    refund = db.session.query(Refund).filter_by(payment_id=payment.id).one()
    desk = _desk(app, users)
    desk.post(f"/desk/payments/{payment.reference}/refunds/{refund.id}/settle")
    assert state(payment.id)[2] == [(payment.amount_fen, "refunded")]


def test_invoiced_customers_are_charged_on_account_and_credited(users, pub, seed_fields) -> None:
    from notices_app.models import Organisation

    filer = users("filer", org="淄博广告代理有限公司")
    db.session.get(Organisation, filer.org_id).invoiced = True
    db.session.commit()
    notice = svc.create_notice(filer, svc.NoticeInput("lost_license", seed_fields["lost_license"], [], True))
    from apphelpers import first_run_date

    svc.update_notice(
        notice,
        filer,
        svc.NoticeInput("lost_license", seed_fields["lost_license"], [first_run_date(pub)], True),
    )
    svc.transition(notice.id, "submit", filer)
    payment = payments.payment_for_notice(notice.id)
    assert payment.method == "invoice"
    assert state(payment.id) == ("paid", 0, [], "submitted")
    svc.transition(notice.id, "reject", users("editor"), reason="材料不全")
    assert state(payment.id) == ("paid", payment.amount_fen, [(payment.amount_fen, "refunded")], "rejected")


@pytest.fixture
def booking_hook() -> Iterator[list]:
    """A temporary extra on_paid("booking") hook; the list holds what it should do."""
    plan: list = []

    def hook(payment: Payment) -> None:
        for step in plan:
            if step == "refund":
                payments.refund(payment, 1000, "hook refund")
            elif step == "fail":
                raise RuntimeError("hook failed")

    hooks = payments._PAID_HOOKS.setdefault("booking", [])
    hooks.append(hook)
    try:
        yield plan
    finally:
        hooks.remove(hook)


def _booking_payment(users) -> Payment:
    advertiser = users("advertiser", org="某广告代理公司")
    payment = payments.open_payment(
        purpose="booking",
        amount_fen=50_000,
        org_id=advertiser.org_id,
        user_id=advertiser.id,
        description="广告预订 / ad booking",
        order_ref="ORD-HOOK",
    )
    db.session.commit()
    return payment


def test_a_hook_that_refunds_joins_the_hooks_transaction(stripe, client, users, booking_hook) -> None:
    from notices_app.models import StripeEvent

    payment = _booking_payment(users)
    event = stripe.pay(checkout(payment))
    booking_hook[:] = ["refund", "fail"]
    assert deliver(client, event).status_code == 500  # Stripe will deliver it again
    # Nothing of the failed attempt was kept: not the payment, not the refund, not the event.
    assert state(payment.id) == ("pending", 0, [], None)
    assert db.session.query(StripeEvent).count() == 0
    assert stripe.calls("POST", "/v1/refunds") == []

    booking_hook[:] = ["refund"]
    assert deliver(client, event).get_data(as_text=True) == "paid"
    assert state(payment.id) == ("paid", 1000, [(1000, "refunded")], None)
    (call,) = stripe.calls("POST", "/v1/refunds")  # sent once, after the commit
    assert call.idempotency_key == "refund-BORD-HOOK-1-1"
