"""The Stripe webhook: signature on the raw body, each event applied once, any order one outcome,
amounts checked against our record, unknown events answered 2xx."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from paymenthelpers import awaiting_notice, checkout, deliver, log_count, state, stripe_configured
from stripefake import FakeStripe, sign

from notices_app.extensions import db
from notices_app.models import NoticeEvent, Payment, PaymentLog, StripeEvent


@pytest.fixture
def stripe(app: Flask) -> Iterator[FakeStripe]:
    with stripe_configured(app) as fake:
        yield fake


def test_a_signed_completed_event_pays_and_moves_the_notice(stripe, client, users, pub, seed_fields) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    resp = deliver(client, stripe.pay(sid))
    assert (resp.status_code, resp.get_data(as_text=True)) == (200, "paid")
    assert state(payment.id) == ("paid", 0, [], "paid")
    p = db.session.get(Payment, payment.id)
    assert p.stripe_payment_intent and p.stripe_payment_intent.startswith("pi_")
    (row,) = db.session.query(StripeEvent).all()
    assert row.type == "checkout.session.completed" and row.outcome == "paid"


def test_an_event_replayed_50_times_changes_state_once(stripe, client, users, pub, seed_fields) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    logs_before = log_count(payment.id)
    answers = {deliver(client, event).get_data(as_text=True) for _ in range(50)}
    assert answers == {"paid", "duplicate"}
    assert log_count(payment.id) == logs_before + 1
    assert db.session.query(StripeEvent).count() == 1
    assert db.session.query(NoticeEvent).filter_by(notice_id=notice.id, action="mark_paid").count() == 1
    assert state(payment.id) == ("paid", 0, [], "paid")


def test_concurrent_deliveries_of_one_event_apply_it_once(
    stripe, app: Flask, users, pub, seed_fields
) -> None:
    _filer, notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    logs_before = log_count(payment.id)
    codes: list[int] = []
    errors: list[str] = []
    start = threading.Barrier(8)

    def worker() -> None:
        c = app.test_client()
        start.wait()
        for _ in range(3):
            try:
                codes.append(deliver(c, event).status_code)
            except Exception as err:  # reported below, not lost in the thread
                errors.append(repr(err))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # A delivery that lost a lock race may get a 5xx (Stripe retries it); none may apply twice.
    assert not errors
    assert 200 in codes and all(c in (200, 500, 503) for c in codes)
    db.session.expire_all()
    assert log_count(payment.id) == logs_before + 1
    assert db.session.query(NoticeEvent).filter_by(notice_id=notice.id, action="mark_paid").count() == 1


ORDERS = list(itertools.permutations(("completed", "expired", "refunded")))


def test_every_order_of_completed_expired_refunded_ends_the_same(
    stripe, client, users, pub, seed_fields
) -> None:
    finals = {}
    for n, order in enumerate(ORDERS):
        _filer, _notice, payment = awaiting_notice(users, pub, seed_fields, org=f"订单测试公司{n}")
        sid = checkout(payment)
        events = {"completed": stripe.pay(sid)}
        events["expired"] = stripe.expire(sid)  # a stale report of the session timing out
        events["refunded"] = stripe.refund_from_dashboard(sid)  # refunded in full at Stripe
        for name in order:
            assert deliver(client, events[name]).status_code == 200, (order, name)
        final = state(payment.id)
        finals[order] = final
        amount = payment.amount_fen
        assert final == ("paid", amount, [(amount, "refunded")], "paid"), order
        # And once more in reverse: nothing changes.
        for name in reversed(order):
            deliver(client, events[name])
        assert state(payment.id) == final
    assert len({repr(v) for v in finals.values()}) == 1


def test_tampered_stale_or_unsigned_deliveries_get_400_and_change_nothing(
    stripe, client: FlaskClient, users, pub, seed_fields
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    logs_before = log_count(payment.id)
    payload = json.dumps(event).encode()
    tampered = payload.replace(b'"status": "complete"', b'"status": "complete" ')
    assert tampered != payload
    stale = int(time.time()) - 301
    cases = [
        deliver(client, event, body=tampered),  # signature over other bytes
        deliver(client, event, t=stale),  # more than 300 s old
        client.post("/billing/stripe/webhook", data=payload, content_type="application/json"),
        client.post(
            "/billing/stripe/webhook",
            data=payload,
            headers={"Stripe-Signature": sign(payload, "whsec_someone_else")},
            content_type="application/json",
        ),
        client.post(
            "/billing/stripe/webhook",
            data=b"not json",
            headers={"Stripe-Signature": sign(b"not json", "whsec_test_secret")},
        ),
    ]
    assert [r.status_code for r in cases] == [400] * len(cases)
    assert state(payment.id) == ("pending", 0, [], "awaiting_payment")
    assert log_count(payment.id) == logs_before
    assert db.session.query(StripeEvent).count() == 0
    # The genuine delivery still works afterwards.
    assert deliver(client, event).get_data(as_text=True) == "paid"


@pytest.mark.parametrize("field", ["amount_total", "currency"])
def test_amount_or_currency_mismatch_is_refused_and_logged(
    stripe, client, users, pub, seed_fields, field
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    stripe.sessions[sid][field] = payment.amount_fen - 1 if field == "amount_total" else "usd"
    resp = deliver(client, stripe.pay(sid))
    assert resp.status_code == 200 and resp.get_data(as_text=True).startswith("refused")
    assert state(payment.id) == ("pending", 0, [], "awaiting_payment")
    refusal = (
        db.session.query(PaymentLog).filter_by(payment_id=payment.id).order_by(PaymentLog.id.desc()).first()
    )
    assert refusal.detail["refused"] == "amount or currency mismatch" and refusal.source == "webhook"
    assert refusal.to_status == "pending"


def test_unknown_event_types_and_payments_are_answered_2xx_and_ignored(
    stripe, client, users, pub, seed_fields
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    logs_before = log_count(payment.id)
    other = stripe.event("customer.created", {"id": "cus_1", "object": "customer"})
    resp = deliver(client, other)
    assert (resp.status_code, resp.get_data(as_text=True)) == (200, "ignored")
    stranger = stripe.event(
        "checkout.session.completed",
        {
            "id": "cs_elsewhere",
            "object": "checkout.session",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 100,
            "currency": "cny",
            "client_reference_id": "SOMEONE-ELSES",
            "metadata": {},
        },
    )
    resp = deliver(client, stranger)
    assert (resp.status_code, resp.get_data(as_text=True)) == (200, "ignored: unknown payment")
    assert log_count(payment.id) == logs_before
    assert {e.outcome for e in db.session.query(StripeEvent)} == {"ignored", "ignored: unknown payment"}


def test_the_webhook_is_csrf_exempt_and_public(stripe, app: Flask, client, users, pub, seed_fields) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert deliver(client, event).status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_without_stripe_keys_the_webhook_refuses_everything(client, users, pub) -> None:
    payload = json.dumps(
        {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}
    ).encode()
    resp = client.post(
        "/billing/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, "whsec_test_secret")},
    )
    assert resp.status_code == 400
    assert db.session.query(StripeEvent).count() == 0
