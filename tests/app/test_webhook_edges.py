"""Webhook edges: a signature dated in the future is refused like a stale one; a refund event for
a payment that was never paid, or in another currency than the payment's, changes nothing and is
logged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from paymenthelpers import awaiting_notice, checkout, deliver, log_count, state, stripe_configured
from stripefake import FakeStripe

from notices_app.extensions import db
from notices_app.models import Payment, PaymentLog, Refund, StripeEvent
from notices_app.services import payments


@pytest.fixture
def stripe(app: Flask) -> Iterator[FakeStripe]:
    with stripe_configured(app) as fake:
        yield fake


def _last_log(payment_id: int) -> PaymentLog:
    row = db.session.query(PaymentLog).filter_by(payment_id=payment_id).order_by(PaymentLog.id.desc()).first()
    assert row is not None
    return row


def _external_refund(payment: Payment, **changes: Any) -> dict[str, Any]:
    """A refund Stripe reports that we did not send (made in the Dashboard), naming our payment."""
    return {
        "id": f"re_dashboard_{payment.id}",
        "object": "refund",
        "amount": 500,
        "currency": payment.currency,
        "payment_intent": payment.stripe_payment_intent,
        "metadata": {"payment": payment.reference},
        "status": "succeeded",
        **changes,
    }


# --- the signature's timestamp ----------------------------------------------------------------


@pytest.mark.parametrize("ahead", [301, 3600, 10 * 365 * 86400])
def test_a_signature_dated_in_the_future_is_refused(
    stripe, client: FlaskClient, users, pub, seed_fields, ahead: int
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    resp = deliver(client, event, t=int(time.time()) + ahead)
    assert resp.status_code == 400 and "future" in resp.get_data(as_text=True)  # says why
    assert state(payment.id) == ("pending", 0, [], "awaiting_payment")
    assert db.session.query(StripeEvent).count() == 0


def test_a_clock_a_little_ahead_is_within_the_tolerance(stripe, client, users, pub, seed_fields) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    event = stripe.pay(checkout(payment))
    resp = deliver(client, event, t=int(time.time()) + 60)
    assert (resp.status_code, resp.get_data(as_text=True)) == (200, "paid")


# --- a refund for a payment that was never paid ---------------------------------------------


@pytest.mark.parametrize("status", ["succeeded", "pending"])
def test_a_refund_event_for_a_pending_payment_changes_nothing_and_is_logged(
    stripe, client, users, pub, seed_fields, status: str
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    checkout(payment)
    payment = db.session.get(Payment, payment.id)
    resp = deliver(client, stripe.event("refund.updated", _external_refund(payment, status=status)))
    assert resp.status_code == 200
    assert resp.get_data(as_text=True).startswith("ignored"), resp.get_data(as_text=True)
    assert state(payment.id) == ("pending", 0, [], "awaiting_payment")
    assert db.session.query(Refund).count() == 0
    row = _last_log(payment.id)
    assert row.source == "webhook" and row.to_status == row.from_status == "pending"
    assert row.detail["ignored"] == "payment is not paid"
    assert row.detail["stripe_refund"] == f"re_dashboard_{payment.id}"
    # The event is recorded as answered, so a replay is a duplicate, not a second look.
    (event,) = db.session.query(StripeEvent).all()
    assert event.outcome.startswith("ignored")


def test_a_refund_event_for_an_expired_payment_changes_nothing(
    stripe, client, users, pub, seed_fields
) -> None:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    sid = checkout(payment)
    assert deliver(client, stripe.expire(sid)).status_code == 200
    payment = db.session.get(Payment, payment.id)
    assert payment.status == "expired"
    resp = deliver(client, stripe.event("refund.updated", _external_refund(payment)))
    assert resp.get_data(as_text=True).startswith("ignored")
    assert state(payment.id)[:3] == ("expired", 0, [])


# --- a refund in another currency -------------------------------------------------------------


def _paid(stripe: FakeStripe, client: FlaskClient, users, pub, seed_fields) -> Payment:
    _filer, _notice, payment = awaiting_notice(users, pub, seed_fields)
    assert deliver(client, stripe.pay(checkout(payment))).get_data(as_text=True) == "paid"
    paid = db.session.get(Payment, payment.id)
    assert paid is not None
    return paid


@pytest.mark.parametrize("kind", ["refund.updated", "refund.created", "charge.refund.updated"])
def test_a_dashboard_refund_in_another_currency_is_refused_and_logged(
    stripe, client, users, pub, seed_fields, kind: str
) -> None:
    payment = _paid(stripe, client, users, pub, seed_fields)
    logs_before = log_count(payment.id)
    resp = deliver(client, stripe.event(kind, _external_refund(payment, currency="usd")))
    assert resp.status_code == 200
    assert resp.get_data(as_text=True).startswith("refused"), resp.get_data(as_text=True)
    assert state(payment.id) == ("paid", 0, [], "paid")
    assert db.session.query(Refund).count() == 0
    assert log_count(payment.id) == logs_before + 1
    row = _last_log(payment.id)
    assert row.detail["refused"] == "currency mismatch"
    assert (row.detail["currency"], row.detail["expected"]) == ("usd", payment.currency)


def test_our_own_refund_reported_in_another_currency_is_refused(
    stripe, client, users, pub, seed_fields
) -> None:
    stripe.refund_status = "pending"  # Stripe confirms later, by webhook
    payment = _paid(stripe, client, users, pub, seed_fields)
    sent = payments.refund(payment, 1000, "少登一天")
    assert state(payment.id)[2] == [(1000, "refund_pending")]
    report = dict(stripe.refunds[sent.stripe_refund_id], status="succeeded", currency="usd")
    resp = deliver(client, stripe.event("refund.updated", report))
    assert resp.get_data(as_text=True).startswith("refused")
    assert state(payment.id)[2] == [(1000, "refund_pending")]  # still waiting for a true report
    assert _last_log(payment.id).detail["refused"] == "currency mismatch"
    # The genuine report still settles it.
    resp = deliver(client, stripe.refund_event(sent.stripe_refund_id, "succeeded"))
    assert state(payment.id)[2] == [(1000, "refunded")]


def test_a_refund_in_the_payments_currency_is_still_recorded(stripe, client, users, pub, seed_fields) -> None:
    # The guard's other side: an ordinary Dashboard refund goes through as before.
    payment = _paid(stripe, client, users, pub, seed_fields)
    resp = deliver(client, stripe.event("refund.updated", _external_refund(payment, currency="CNY")))
    assert resp.get_data(as_text=True) == "refunded"
    assert state(payment.id) == ("paid", 500, [(500, "refunded")], "paid")


def test_a_charge_refunded_in_another_currency_records_no_refund(
    stripe, client, users, pub, seed_fields
) -> None:
    payment = _paid(stripe, client, users, pub, seed_fields)
    event = stripe.refund_from_dashboard(payment.stripe_session_id or "", 500)
    event["data"]["object"]["currency"] = "usd"
    resp = deliver(client, event)
    assert resp.get_data(as_text=True) == "refused: currency mismatch"
    assert state(payment.id) == ("paid", 0, [], "paid")
    row = _last_log(payment.id)
    assert row.detail["refused"] == "currency mismatch"
    assert (row.detail["currency"], row.detail["expected"]) == ("usd", payment.currency)
