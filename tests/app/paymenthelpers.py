"""Helpers for the payment tests: Stripe pointed at the local fake, a notice awaiting payment,
and signed webhook deliveries (a unique module name: test folders share one import path)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apphelpers import first_run_date
from flask import Flask
from flask.testing import FlaskClient
from stripefake import FakeStripe, running, sign
from werkzeug.test import TestResponse

from notices_app.extensions import db
from notices_app.models import Notice, Payment, PaymentLog, Publication, User
from notices_app.services import notices as svc
from notices_app.services import payments

WHSEC = "whsec_test_secret"
SUCCESS = "http://localhost/billing/success"
CANCEL = "http://localhost/billing/cancel"
_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "STRIPE_MAX_NETWORK_RETRIES")


@contextmanager
def stripe_configured(app: Flask) -> Iterator[FakeStripe]:
    """The app talking to a fresh local fake Stripe for the duration."""
    with running() as fake:
        saved = {k: app.config.get(k) for k in _KEYS}
        app.config.update(
            STRIPE_SECRET_KEY="sk_test_fake",
            STRIPE_WEBHOOK_SECRET=WHSEC,
            STRIPE_API_BASE=fake.url,
            STRIPE_MAX_NETWORK_RETRIES=0,
        )
        try:
            yield fake
        finally:
            app.config.update(saved)


def awaiting_notice(
    users: Any,
    pub: Publication,
    seed_fields: dict[str, Any],
    kind: str = "lost_license",
    org: str = "淄博淄川峨庄乡村旅游专业合作社",
) -> tuple[User, Notice, Payment]:
    """A submitted notice awaiting payment, and the payment the submission opened."""
    filer = users("filer", org=org)
    notice = svc.create_notice(filer, svc.NoticeInput(kind, seed_fields[kind], [first_run_date(pub)], True))
    svc.transition(notice.id, "submit", filer)
    payment = payments.payment_for_notice(notice.id)
    assert payment is not None and payment.status == "pending"
    return filer, db.session.get(Notice, notice.id), payment


def checkout(payment: Payment) -> str:
    """Start Stripe Checkout for the payment; returns the session id."""
    url = payments.checkout_url(payment, SUCCESS, CANCEL)
    assert url and url.startswith("https://checkout.stripe.test/")
    fresh = db.session.get(Payment, payment.id)
    assert fresh is not None and fresh.stripe_session_id
    return fresh.stripe_session_id


def deliver(
    client: FlaskClient, event: dict[str, Any], *, t: int | None = None, body: bytes | None = None
) -> TestResponse:
    """POST the event to the webhook as Stripe would: raw JSON, signed with the endpoint secret."""
    payload = json.dumps(event).encode()
    header = sign(payload, WHSEC, t)
    return client.post(
        "/billing/stripe/webhook",
        data=payload if body is None else body,
        headers={"Stripe-Signature": header},
        content_type="application/json",
    )


def state(payment_id: int) -> tuple[str, int, list[tuple[int, str]], str | None]:
    """(status, refunded_fen, [(refund amount, status)], notice status) read fresh."""
    from notices_app.models import Refund

    db.session.expire_all()
    p = db.session.get(Payment, payment_id)
    assert p is not None
    refunds = [
        (r.amount_fen, r.status)
        for r in db.session.query(Refund).filter_by(payment_id=p.id).order_by(Refund.id)
    ]
    notice = db.session.get(Notice, p.notice_id) if p.notice_id else None
    return p.status, p.refunded_fen, refunds, notice.status if notice else None


def log_count(payment_id: int) -> int:
    return db.session.query(PaymentLog).filter_by(payment_id=payment_id).count()
