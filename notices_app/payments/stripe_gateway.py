"""Stripe Checkout and Refunds: the only module that imports `stripe`.

A `StripeClient` per gateway carries the key and API base from the app config, so nothing is set
on the `stripe` module globally and tests point `STRIPE_API_BASE` at a local fake.
"""

from __future__ import annotations

import json
import time
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
from notices_app.rules.json_body import parse_json

# Seconds a signed webhook stays valid; older ones are refused as possible replays, and so are
# ones signed that far in the future (a clock that far off is no clock to trust).
WEBHOOK_TOLERANCE = 300


def _plain(obj: Any) -> dict[str, Any]:
    """The JSON Stripe answered with, as plain dicts (StripeObject's own converters are deprecated)."""
    response = getattr(obj, "last_response", None)
    if response is not None and isinstance(response.data, dict):
        return dict(response.data)
    return dict(json.loads(str(obj)))


def _signed_at(sig_header: str) -> int:
    """The header's timestamp, read as Stripe's verify_header reads it (the first ``t=``)."""
    try:
        return int(next(item.split("=", 2)[1] for item in sig_header.split(",") if item.startswith("t=")))
    except (StopIteration, ValueError) as err:
        raise WebhookInvalid("no timestamp in the signature header") from err


def _event(data: Any) -> dict[str, Any]:
    """``data`` if it has an event's shape (the fields the service reads), else WebhookInvalid."""
    if not isinstance(data, dict):
        raise WebhookInvalid("not an event: the body is not a JSON object")
    for key in ("id", "type"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise WebhookInvalid(f"not an event: {key} must be a non-empty string")
    body = data.get("data")
    if not isinstance(body, dict) or not isinstance(body.get("object"), dict):
        raise WebhookInvalid("not an event: data.object must be an object")
    return data


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
        """Verify Stripe's signature (HMAC-SHA256 of "t.body") on the raw bytes and its time
        (within WEBHOOK_TOLERANCE of now, either way), then parse the bytes into an event."""
        if not self.webhook_secret:
            raise WebhookInvalid("no webhook secret configured")
        try:
            # verify_header rather than construct_event: the latter also parses the body with an
            # unbounded json.loads and builds a StripeObject, which raises on a signed `[1,2]`.
            stripe.WebhookSignature.verify_header(  # type: ignore[no-untyped-call]
                raw_body.decode("utf-8"), sig_header, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as err:
            raise WebhookInvalid(str(err)) from err
        # Stripe's check looks only into the past; a timestamp ahead of now would stay valid
        # until it came due and then for the tolerance after.
        signed_at = _signed_at(sig_header)
        if signed_at > time.time() + WEBHOOK_TOLERANCE:
            raise WebhookInvalid(f"timestamp {signed_at} is in the future")
        try:
            data = parse_json(raw_body)
        except ValueError as err:
            raise WebhookInvalid(str(err)) from err
        return _event(data)

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
