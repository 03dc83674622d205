"""Pay at the counter: the demo's payment method when no Stripe keys are configured.

No network. The customer pays cash or by bank transfer at the classifieds desk and an editor
marks the payment paid; refunds are handed back at the counter and an editor records them.
Everything this method shows is labelled as offline so nobody mistakes it for a card payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from notices_app.payments.gateway import (
    CheckoutRequest,
    CheckoutSession,
    GatewayError,
    RefundResult,
    WebhookInvalid,
)


class Text(NamedTuple):
    zh: str
    en: str

    def render(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh


LABEL = Text("到柜台付款", "Pay at the counter (offline)")
INSTRUCTIONS = Text(
    "请携带付款编号到淄博晚报社分类广告部柜台付款(现金或银行转账)。编辑确认收款后,订单即生效。",
    "Bring the payment reference to the Zibo Evening News classifieds counter and pay in cash or by "
    "bank transfer. The order goes ahead once an editor has marked the payment as received.",
)
COUNTER = Text(
    "淄博晚报社 分类广告部 · 电话 0533—2173002 · 工作日 8:30—17:00",
    "Zibo Evening News classifieds desk · 0533—2173002 · weekdays 8:30–17:00",
)


class OfflineGateway:
    """The counter as a gateway: there is no hosted page, and refunds wait for an editor."""

    method = "offline"

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        raise GatewayError("offline payments have no checkout page", retryable=False, code="offline")

    def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        raise GatewayError("offline payments have no checkout page", retryable=False, code="offline")

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        raise GatewayError("offline payments have no checkout page", retryable=False, code="offline")

    def create_refund(
        self, *, payment_intent: str, amount_fen: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RefundResult:
        # The cash goes back across the counter later; until an editor records it, it is pending.
        return RefundResult(
            id=f"offline-{idempotency_key}", status="pending", amount=amount_fen, currency="cny"
        )

    def retrieve_refund(self, refund_id: str) -> RefundResult:
        raise GatewayError("offline refunds are recorded by an editor", retryable=False, code="offline")

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        raise GatewayError("offline payments have no events", retryable=False, code="offline")

    def verify_webhook(self, raw_body: bytes, sig_header: str) -> dict[str, Any]:
        raise WebhookInvalid("no payment processor is configured (offline mode)")
