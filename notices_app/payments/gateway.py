"""What the payment service needs from a card processor: a Protocol and the plain values it trades.

Two implementations: `stripe_gateway.StripeGateway` (the only module that imports `stripe`) and
`offline.OfflineGateway` (pay at the counter, no network). The service never sees a Stripe object:
sessions, refunds and events arrive as the frozen values below or as plain dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

# Stripe accepts a Checkout Session expiry 30 minutes to 24 hours after creation. The margins
# cover the time between computing the value here and Stripe receiving the request.
CHECKOUT_MIN_LIFETIME = timedelta(minutes=31)
CHECKOUT_MAX_LIFETIME = timedelta(hours=23, minutes=50)

CURRENCY = "cny"


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted checkout page and what became of it (Stripe's Checkout Session, reduced)."""

    id: str
    url: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None  # 分
    currency: str | None
    client_reference_id: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)
    payment_intent: str | None = None
    expires_at: datetime | None = None

    @property
    def is_paid(self) -> bool:
        """The customer's money was taken (card payments are paid when the session completes)."""
        return self.status == "complete" and self.payment_status in ("paid", "no_payment_required")

    @property
    def is_expired(self) -> bool:
        return self.status == "expired"


@dataclass(frozen=True)
class RefundResult:
    """A refund as the processor sees it."""

    id: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    amount: int  # 分
    currency: str
    payment_intent: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    failure_reason: str | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a Checkout Session is created from. Equal requests must produce equal API
    parameters: the idempotency key only protects a retry whose parameters are unchanged."""

    reference: str
    purpose: str
    amount_fen: int
    currency: str
    description: str
    success_url: str
    cancel_url: str
    expires_at: datetime
    idempotency_key: str


class GatewayError(Exception):
    """The processor refused or could not be reached.

    `retryable` is True when the outcome is unknown or temporary (network, rate limit, 5xx): the
    same request with the same idempotency key may be sent again. False means the processor gave
    a definite answer (declined, invalid) that repeating will not change.
    """

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class WebhookInvalid(Exception):
    """A webhook whose signature, timestamp or body does not verify (the endpoint answers 400)."""


class PaymentGateway(Protocol):
    """A card processor as the payment service uses it."""

    method: str

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Create (or, for a repeated idempotency key, return again) a hosted checkout session."""
        ...

    def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        """The session's current state."""
        ...

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        """Close an open session so it can no longer be paid."""
        ...

    def create_refund(
        self, *, payment_intent: str, amount_fen: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RefundResult:
        """Refund part or all of a payment."""
        ...

    def retrieve_refund(self, refund_id: str) -> RefundResult:
        """The refund's current state."""
        ...

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        """An event as a plain dict (to process one the webhook missed)."""
        ...

    def verify_webhook(self, raw_body: bytes, sig_header: str) -> dict[str, Any]:
        """The event of a webhook request as a plain dict, or WebhookInvalid."""
        ...


def checkout_expiry(wanted: datetime | None, now: datetime) -> datetime:
    """The session expiry to ask for: `wanted` (a hold's end) clamped into what Stripe accepts.

    A hold shorter than Stripe's minimum gets a session that outlives it by a few minutes; the
    service expires such sessions at Stripe when the hold ends, and a payment that still gets
    through is recorded as paid (money taken is never ignored).
    """
    lo, hi = now + CHECKOUT_MIN_LIFETIME, now + CHECKOUT_MAX_LIFETIME
    target = hi if wanted is None else wanted
    return min(max(target, lo), hi).replace(microsecond=0)


def _timestamp(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), UTC)


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _id_of(value: Any) -> str | None:
    # Expandable fields arrive as an id or, when expanded, as the object itself.
    if isinstance(value, Mapping):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None


def session_from_dict(data: Mapping[str, Any]) -> CheckoutSession:
    """A CheckoutSession from Stripe's JSON for a `checkout.session` object."""
    amount = data.get("amount_total")
    return CheckoutSession(
        id=str(data["id"]),
        url=data.get("url"),
        status=str(data.get("status") or "open"),
        payment_status=str(data.get("payment_status") or "unpaid"),
        amount_total=int(amount) if amount is not None else None,
        currency=(str(data["currency"]).lower() if data.get("currency") else None),
        client_reference_id=data.get("client_reference_id"),
        metadata=_strings(data.get("metadata")),
        payment_intent=_id_of(data.get("payment_intent")),
        expires_at=_timestamp(data.get("expires_at")),
    )


def refund_from_dict(data: Mapping[str, Any]) -> RefundResult:
    """A RefundResult from Stripe's JSON for a `refund` object."""
    return RefundResult(
        id=str(data["id"]),
        status=str(data.get("status") or "pending"),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or CURRENCY).lower(),
        payment_intent=_id_of(data.get("payment_intent")),
        metadata=_strings(data.get("metadata")),
        failure_reason=data.get("failure_reason"),
    )
