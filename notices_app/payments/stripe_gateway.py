"""Stripe Checkout and Refunds: the only module that imports `stripe`.

A `StripeClient` per gateway carries the key and API base from the app config, so nothing is set
on the `stripe` module globally and tests point `STRIPE_API_BASE` at a local fake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import stripe

from notices_app.payments.gateway import (
    CheckoutRequest,
    CheckoutSession,
    GatewayError,
    RefundResult,
    WebhookInvalid,
    refund_from_dict,
    session_from_dict,
)

# Seconds a signed webhook stays valid; older ones are refused as possible replays.
WEBHOOK_TOLERANCE = 300


def _plain(obj: Any) -> dict[str, Any]:
    """The JSON Stripe answered with, as plain dicts (StripeObject's own converters are deprecated)."""
    response = getattr(obj, "last_response", None)
    if response is not None and isinstance(response.data, dict):
        return dict(response.data)
    return dict(json.loads(str(obj)))


class StripeGateway:
    """The real processor, through Stripe's API (or whatever `api_base` points at)."""

    method = "stripe"

    def __init__(
        self, secret_key: str, webhook_secret: str = "", api_base: str = "", max_network_retries: int = 2
    ) -> None:
        self.webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            # Retries reuse our idempotency key, so a lost answer can never charge or refund twice.
            max_network_retries=max_network_retries,
        )

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """A Checkout Session for one line in 分, our reference in client_reference_id and metadata."""
        ids = {"payment": request.reference, "purpose": request.purpose}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": request.reference,
            "metadata": ids,
            # The charge (and so charge.refunded events) carries our ids too.
            "payment_intent_data": {"metadata": ids, "description": request.description[:200]},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency,
                        "unit_amount": request.amount_fen,
                        "product_data": {"name": request.description[:200] or request.reference},
                    },
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
        }
        session = self._call(
            self._client.v1.checkout.sessions.create,
            params,
            {"idempotency_key": request.idempotency_key},
        )
        return session_from_dict(_plain(session))

    def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        return session_from_dict(_plain(self._call(self._client.v1.checkout.sessions.retrieve, session_id)))

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        return session_from_dict(_plain(self._call(self._client.v1.checkout.sessions.expire, session_id)))

    def create_refund(
        self, *, payment_intent: str, amount_fen: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RefundResult:
        params = {"payment_intent": payment_intent, "amount": amount_fen, "metadata": dict(metadata)}
        refund = self._call(self._client.v1.refunds.create, params, {"idempotency_key": idempotency_key})
        return refund_from_dict(_plain(refund))

    def retrieve_refund(self, refund_id: str) -> RefundResult:
        return refund_from_dict(_plain(self._call(self._client.v1.refunds.retrieve, refund_id)))

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        return _plain(self._call(self._client.v1.events.retrieve, event_id))

    def verify_webhook(self, raw_body: bytes, sig_header: str) -> dict[str, Any]:
        """Verify Stripe's signature (HMAC-SHA256 of "t.body") on the raw bytes, then parse."""
        if not self.webhook_secret:
            raise WebhookInvalid("no webhook secret configured")
        try:
            stripe.Webhook.construct_event(  # type: ignore[no-untyped-call]
                raw_body, sig_header, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE
            )
            # The verified bytes themselves, parsed into plain dicts.
            data = json.loads(raw_body)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as err:
            raise WebhookInvalid(str(err)) from err
        if not isinstance(data, dict) or not data.get("id") or not data.get("type"):
            raise WebhookInvalid("not an event")
        return data

    @staticmethod
    def _call(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as err:
            raise GatewayError(str(err.user_message or err), retryable=True, code=err.code) from err
        except stripe.StripeError as err:
            # 409 (a concurrent request with the same key) is worth repeating; other 4xx are answers.
            raise GatewayError(
                str(err.user_message or err), retryable=err.http_status == 409, code=err.code
            ) from err
