"""Payments (Stripe Checkout, offline at the counter, monthly invoice), refunds, and the Stripe
events already processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from notices_app.models.base import Base, utcnow

PAYMENT_STATES = ("pending", "paid", "expired", "cancelled")


class Payment(Base):
    """What one customer owes for one notice or one order of ad bookings, and how it was settled.

    `reference` is our own id: it is the Checkout Session's client_reference_id, the base of
    every idempotency key, and what the receipt prints. Amounts are integer 分.
    """

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refunded"),
        CheckConstraint("status IN ('pending', 'paid', 'expired', 'cancelled')", name="status"),
        CheckConstraint("method IN ('stripe', 'offline', 'invoice')", name="method"),
        CheckConstraint("purpose IN ('notice', 'booking')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"), index=True)
    order_ref: Mapped[str | None] = mapped_column(String(40), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    method: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    refunded_fen: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(300), default="")
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]


class Refund(Base):
    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("status IN ('refund_pending', 'refunded', 'refund_failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="refund_pending")
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]


class PaymentLog(Base):
    """Append-only history of a payment and its refunds: who or what changed it, from what event."""

    __tablename__ = "payment_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(30))  # webhook | success_page | reconcile | editor | system
    event_id: Mapped[str | None] = mapped_column(String(255))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StripeEvent(Base):
    """A Stripe event id we have processed. Inserted in the same transaction as the state change
    it caused, so a replayed event finds its id and changes nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(100), default="")
