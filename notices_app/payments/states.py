"""Payment and refund states: transition tables as data, and labels.

Events from Stripe arrive late, twice or out of order, so every transition is chosen to make the
final state independent of the order:

- money taken wins: `paid` is reachable from `expired` and `cancelled` (a session paid just as it
  timed out), and nothing leaves `paid`;
- `expired` and `cancelled` only leave `pending`, so they can never undo a payment;
- a refund follows Stripe's own order, pending → succeeded → failed (a card refund can fail after
  succeeding), so an older state arriving later changes nothing; a failed refund is only sent
  again by an explicit retry.

An event that does not apply returns None: the caller logs it and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Label(NamedTuple):
    zh: str
    en: str

    def render(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh


PAYMENT_LABELS: Mapping[str, Label] = {
    "pending": Label("待付款", "Pending"),
    "paid": Label("已付款", "Paid"),
    "expired": Label("已过期", "Expired"),
    "cancelled": Label("已取消", "Cancelled"),
}
REFUND_LABELS: Mapping[str, Label] = {
    "refund_pending": Label("退款处理中", "Refund pending"),
    "refunded": Label("已退款", "Refunded"),
    "refund_failed": Label("退款失败", "Refund failed"),
}
METHOD_LABELS: Mapping[str, Label] = {
    "stripe": Label("在线支付(Stripe)", "Card (Stripe Checkout)"),
    "offline": Label("到柜台付款", "Pay at the counter (offline)"),
    "invoice": Label("月结", "Monthly invoice"),
}

# (from, event) → to
PAYMENT_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("pending", "paid"): "paid",
    ("expired", "paid"): "paid",
    ("cancelled", "paid"): "paid",
    ("pending", "expired"): "expired",
    ("pending", "cancelled"): "cancelled",
}

REFUND_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("refund_pending", "succeeded"): "refunded",
    ("refund_pending", "failed"): "refund_failed",
    ("refunded", "failed"): "refund_failed",
    ("refund_failed", "retry"): "refund_pending",
}

# Stripe's refund statuses as our events; `pending` and `requires_action` change nothing.
STRIPE_REFUND_EVENTS: Mapping[str, str] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}


def payment_next(state: str, event: str) -> str | None:
    """The payment's state after `event` (paid | expired | cancelled), or None if it does not apply."""
    return PAYMENT_TRANSITIONS.get((state, event))


def refund_next(state: str, event: str) -> str | None:
    """The refund's state after `event` (succeeded | failed | retry), or None if it does not apply."""
    return REFUND_TRANSITIONS.get((state, event))


def counts_as_refunded(state: str) -> bool:
    """Refunds that take money back from the payment: sent or done, not failed."""
    return state in ("refund_pending", "refunded")
