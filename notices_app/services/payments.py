"""Payments: open one, send the customer to Checkout, fulfil it (webhook, success page, reconcile),
refund it, and the notice workflow's side of money.

Units of work. `open_payment` only flushes: it runs inside the caller's transaction (a notice
transition, a booking). Every other public function is one unit of work: it commits, and then
sends what that commit decided to Stripe (refunds, closing a session). A refund is therefore
recorded as `refund_pending` *before* the processor is asked, with an idempotency key derived
from our ids; if the process dies in between, `reconcile` sends the same request again and
Stripe answers it once.

Network calls never run while a row lock is held: the service reads, asks Stripe, then locks
the row again and applies what Stripe said through the transition tables of
`notices_app.payments.states`, so a late or repeated answer changes nothing.

Hooks. `on_paid(purpose)` and `on_expired(purpose)` register functions called with the payment
inside the transaction that changes its state; the notice hooks are registered below, bookings
register theirs in their own service.
"""

from __future__ import annotations

import calendar as _calendar
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ads.money import format_fen
from ads.ratecard import withdrawal_refund_fen
from notices_app.extensions import db
from notices_app.models import (
    Notice,
    NoticeEvent,
    Organisation,
    Payment,
    PaymentLog,
    Publication,
    Refund,
    StripeEvent,
    User,
    utcnow,
)
from notices_app.payments import states
from notices_app.payments.gateway import (
    CURRENCY,
    CheckoutRequest,
    CheckoutSession,
    GatewayError,
    PaymentGateway,
    RefundResult,
    WebhookInvalid,
    checkout_expiry,
    refund_from_dict,
    session_from_dict,
)
from notices_app.payments.offline import OfflineGateway
from notices_app.rules import workflow
from notices_app.rules.messages import msg
from notices_app.services.crashpoints import crash_point
from notices_app.services.errors import Conflict, FieldErrors, NotFound

logger = logging.getLogger(__name__)

PURPOSES = ("notice", "booking")
SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
# Stripe keeps an idempotency key for 24 hours; a checkout attempt older than this is not resent.
IDEMPOTENCY_WINDOW = timedelta(hours=23)
# A cancelled or expired session can still complete in the moment before Stripe closes it;
# reconcile looks at those this long afterwards.
LATE_PAYMENT_WINDOW = timedelta(days=2)

Hook = Callable[[Payment], None]
_PAID_HOOKS: dict[str, list[Hook]] = {}
_EXPIRED_HOOKS: dict[str, list[Hook]] = {}
_AFTER_COMMIT = "payments.after_commit"
_ACTOR = "payments.actor"
_IN_HOOK = "payments.in_hook"


# --- hooks -----------------------------------------------------------------------------------


def on_paid(purpose: str) -> Callable[[Hook], Hook]:
    """Register `fn(payment)`, called in the same transaction when a `purpose` payment becomes paid."""
    return _register(_PAID_HOOKS, purpose)


def on_expired(purpose: str) -> Callable[[Hook], Hook]:
    """Register `fn(payment)`, called in the same transaction when a `purpose` payment expires."""
    return _register(_EXPIRED_HOOKS, purpose)


def _register(table: dict[str, list[Hook]], purpose: str) -> Callable[[Hook], Hook]:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown payment purpose {purpose!r}")

    def register(fn: Hook) -> Hook:
        hooks = table.setdefault(purpose, [])
        # Re-importing a module (tests, reloader) must not run its hook twice.
        hooks[:] = [h for h in hooks if (h.__module__, h.__qualname__) != (fn.__module__, fn.__qualname__)]
        hooks.append(fn)
        return fn

    return register


# --- gateways and the after-commit queue -------------------------------------------------------


def stripe_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def gateway(method: str = "stripe") -> PaymentGateway:
    """The gateway for a payment method, configured from the app config."""
    if method != "stripe" or not stripe_enabled():
        return OfflineGateway()
    cfg = current_app.config
    return _stripe_gateway(
        cfg["STRIPE_SECRET_KEY"],
        cfg.get("STRIPE_WEBHOOK_SECRET", ""),
        cfg.get("STRIPE_API_BASE", ""),
        int(cfg.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
    )


@lru_cache(maxsize=8)
def _stripe_gateway(key: str, webhook_secret: str, api_base: str, retries: int) -> PaymentGateway:
    # Imported on first use: without keys (the offline demo) `stripe` is never loaded.
    from notices_app.payments.stripe_gateway import StripeGateway

    return StripeGateway(key, webhook_secret, api_base, retries)


def _after_commit(kind: str, ident: int) -> None:
    db.session.info.setdefault(_AFTER_COMMIT, []).append((kind, ident))


@event.listens_for(Session, "after_rollback")
def _forget_queued_work(session: Session) -> None:
    # Work queued by a transaction that did not commit must not be sent.
    session.info.pop(_AFTER_COMMIT, None)


def flush_outbox() -> None:
    """Send to Stripe what the last commit queued: refunds to create, sessions to close.

    Each item re-reads its row and does nothing if another request got there first; anything
    left undone (a crash, Stripe down) is found again by `reconcile`.
    """
    while todo := db.session.info.pop(_AFTER_COMMIT, None):
        for kind, ident in dict.fromkeys(todo):
            try:
                if kind == "refund":
                    _send_refund(ident)
                elif kind == "expire":
                    _close_session(ident, "system")
            except Exception:
                db.session.rollback()
                logger.exception("payments: %s %s failed; reconcile will retry", kind, ident)


# --- small helpers ---------------------------------------------------------------------------


def _log(
    payment: Payment,
    source: str,
    to_status: str,
    *,
    from_status: str | None = None,
    event_id: str | None = None,
    actor: User | None = None,
    **detail: Any,
) -> None:
    if actor is not None:
        detail["actor"] = actor.email
    db.session.add(
        PaymentLog(
            payment_id=payment.id,
            source=source,
            event_id=event_id,
            from_status=from_status,
            to_status=to_status,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )


def _log_refusal(payment: Payment, source: str, event_id: str | None, why: str, **detail: Any) -> None:
    """Log an event or answer that was refused for `payment`, which stays as it is."""
    _log(
        payment, source, payment.status, from_status=payment.status, event_id=event_id, refused=why, **detail
    )


def lock_payment(payment_id: int) -> Payment:
    """The payment under the write lock, in the lock order (its notice first); see `_locked`."""
    return _locked(payment_id)


def _locked(payment_id: int) -> Payment:
    """The payment, locked and read afresh; a notice's payment only after its notice.

    The lock order of notices_app/db_locks: a notice transition locks the notice and then its
    payments, so the webhook, the success page and the desk must too, or two of them deadlock
    on PostgreSQL (each holding the row the other waits for). `notice_id` never changes, so
    reading it before the locks decides nothing.
    """
    notice_id = db.session.scalar(select(Payment.notice_id).where(Payment.id == payment_id))
    if notice_id is not None:
        db.session.scalar(select(Notice.id).where(Notice.id == notice_id).with_for_update())
    payment = db.session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise NotFound(payment_id)
    return payment


def _locked_refund(refund_id: int) -> Refund | None:
    # The payment's row first, then the refund's: every path takes the two locks in that order,
    # so a webhook and an editor working on the same payment cannot deadlock.
    payment_id = db.session.scalar(select(Refund.payment_id).where(Refund.id == refund_id))
    if payment_id is None:
        return None
    _locked(payment_id)
    return db.session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())


def refunds_of(payment: Payment) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)))


def history_of(payment: Payment) -> list[PaymentLog]:
    return list(
        db.session.scalars(
            select(PaymentLog).where(PaymentLog.payment_id == payment.id).order_by(PaymentLog.id)
        )
    )


def _recount(payment: Payment) -> None:
    payment.refunded_fen = sum(
        r.amount_fen for r in refunds_of(payment) if states.counts_as_refunded(r.status)
    )


def find_payment(reference: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.reference == reference))


def _payment_for(
    reference: str | None, *, session_id: str | None = None, intent: str | None = None
) -> Payment | None:
    for column, value in (
        (Payment.reference, reference),
        (Payment.stripe_session_id, session_id),
        (Payment.stripe_payment_intent, intent),
    ):
        if value:
            found = db.session.scalar(select(Payment.id).where(column == value))
            if found is not None:
                return _locked(found)
    return None


def _new_reference(purpose: str, notice_id: int | None, order_ref: str | None) -> str:
    """Our id for a payment: from the notice or order, numbered per attempt.

    Deterministic on purpose: two requests opening a payment for the same notice at once compute
    the same reference, and the unique index refuses the second instead of charging twice.
    """
    if notice_id is not None:
        base = f"N{notice_id}"
        count = db.session.scalar(select(func.count()).where(Payment.notice_id == notice_id))
    elif order_ref:
        base = f"B{order_ref}"
        count = db.session.scalar(select(func.count()).where(Payment.order_ref == order_ref))
    else:
        return f"P{secrets.token_hex(8)}"
    reference = f"{base}-{(count or 0) + 1}"
    if len(reference) > 40:
        reference = f"{base[0]}{hashlib.sha256(base.encode()).hexdigest()[:20]}-{(count or 0) + 1}"
    return reference


def _local_tz() -> tzinfo:
    """The publication's time zone (Beijing by default), read once per session (request)."""
    cached: tzinfo | None = db.session.info.get("payments.tz")
    if cached is None:
        pub = db.session.scalar(select(Publication).order_by(Publication.id))
        name = (pub.calendar or {}).get("timezone") if pub else None
        try:
            cached = ZoneInfo(name or "Asia/Shanghai")
        except (ValueError, KeyError):
            cached = ZoneInfo("Asia/Shanghai")
        db.session.info["payments.tz"] = cached
    return cached


# --- state changes (no commit) -----------------------------------------------------------------


def _to_paid(
    payment: Payment, source: str, *, event_id: str | None = None, actor: User | None = None, **detail: Any
) -> bool:
    new = states.payment_next(payment.status, "paid")
    if new is None:
        return False
    old, payment.status = payment.status, new
    payment.paid_at = payment.paid_at or utcnow()
    if old != "pending":
        detail["late"] = True  # money arrived after we gave up on it: recorded, never ignored
    _log(payment, source, new, from_status=old, event_id=event_id, actor=actor, **detail)
    if payment.purpose == "booking" and _order_paid_elsewhere(payment):
        # The order was already paid by another payment (two tabs, card after counter): give
        # this one back instead of confirming the order twice.
        _create_refund(
            payment, payment.amount_fen, "重复付款,全额退还 / duplicate payment, refunded in full", "system"
        )
        return True
    _run_hooks(_PAID_HOOKS, payment)
    return True


def _run_hooks(table: dict[str, list[Hook]], payment: Payment) -> None:
    # While a hook runs, refund() and cancel_payment() join this transaction instead of
    # committing in the middle of it (the caller commits, then sends what was queued).
    depth = db.session.info.get(_IN_HOOK, 0)
    db.session.info[_IN_HOOK] = depth + 1
    try:
        for hook in list(table.get(payment.purpose, ())):
            hook(payment)
    finally:
        db.session.info[_IN_HOOK] = depth


def _in_hook() -> bool:
    return bool(db.session.info.get(_IN_HOOK))


def _order_paid_elsewhere(payment: Payment) -> bool:
    if not payment.order_ref:
        return False
    others = db.session.scalars(
        select(Payment).where(
            Payment.order_ref == payment.order_ref, Payment.id != payment.id, Payment.status == "paid"
        )
    )
    return sum(p.amount_fen - p.refunded_fen for p in others) >= payment.amount_fen


def _to_expired(payment: Payment, source: str, *, event_id: str | None = None, **detail: Any) -> bool:
    new = states.payment_next(payment.status, "expired")
    if new is None:
        return False
    old, payment.status = payment.status, new
    _log(payment, source, new, from_status=old, event_id=event_id, **detail)
    _run_hooks(_EXPIRED_HOOKS, payment)
    return True


def _to_cancelled(payment: Payment, source: str, reason: str, actor: User | None = None) -> bool:
    new = states.payment_next(payment.status, "cancelled")
    if new is None:
        return False
    old, payment.status = payment.status, new
    _log(payment, source, new, from_status=old, actor=actor, reason=reason)
    if payment.method == "stripe" and payment.stripe_session_id:
        _after_commit("expire", payment.id)  # so the customer cannot pay it any more
    return True


def _refund_to(
    refund: Refund,
    payment: Payment,
    event_name: str,
    source: str,
    *,
    event_id: str | None = None,
    **detail: Any,
) -> str:
    new = states.refund_next(refund.status, event_name)
    if new is None:
        return f"ignored: refund {refund.id} is {refund.status}"
    old, refund.status = refund.status, new
    if new == "refund_pending":
        refund.settled_at = None
    else:
        refund.settled_at = utcnow()
    if new == "refund_failed":
        refund.failure_reason = str(detail.get("failure_reason") or refund.failure_reason or "failed")[:2000]
    _recount(payment)
    _log(
        payment,
        source,
        payment.status,
        from_status=payment.status,
        event_id=event_id,
        refund=refund.id,
        refund_from=old,
        refund_to=new,
        **detail,
    )
    return new


def _create_refund(
    payment: Payment, amount_fen: int, reason: str, source: str, actor: User | None = None
) -> Refund:
    if payment.status != "paid":
        raise Conflict(
            msg("payment.not_paid", "该笔款项未付款,不能退款", "Only a paid payment can be refunded")
        )
    remaining = payment.amount_fen - payment.refunded_fen
    if not 0 < amount_fen <= remaining:
        raise FieldErrors(
            {
                "amount": [
                    msg(
                        "refund.amount",
                        "退款金额应大于0且不超过可退金额 {remaining}",
                        "The refund must be more than 0 and at most {remaining_en}",
                        remaining=format_fen(remaining, "zh"),
                        remaining_en=format_fen(remaining, "en"),
                    )
                ]
            }
        )
    seq = (db.session.scalar(select(func.count()).where(Refund.payment_id == payment.id)) or 0) + 1
    refund = Refund(
        payment_id=payment.id,
        amount_fen=amount_fen,
        reason=reason[:300],
        status="refund_pending",
        idempotency_key=f"refund-{payment.reference}-{seq}",
    )
    db.session.add(refund)
    db.session.flush()
    _log(
        payment,
        source,
        payment.status,
        from_status=payment.status,
        actor=actor,
        refund=refund.id,
        refund_to="refund_pending",
        amount_fen=amount_fen,
        reason=reason,
    )
    if payment.method == "invoice":
        # On account, a refund is a credit on the next statement: done when recorded.
        _refund_to(refund, payment, "succeeded", source, credit_note=True)
    else:
        _recount(payment)
    if payment.method == "stripe":
        _after_commit("refund", refund.id)
    return refund


# --- opening and checking out ------------------------------------------------------------------


def open_payment(
    *,
    purpose: str,
    amount_fen: int,
    org_id: int | None,
    user_id: int | None,
    description: str,
    notice_id: int | None = None,
    order_ref: str | None = None,
    expires_at: datetime | None = None,
) -> Payment:
    """Record what a customer owes (flushes; the caller commits).

    Method: "invoice" for an invoiced organisation (accepted on account at once, so it is paid
    and the on_paid hooks run now), "stripe" when STRIPE_SECRET_KEY is set, else "offline".
    `expires_at` is the end of a hold: the Checkout Session closes then (Stripe allows 30 min to
    24 h) and `reconcile` expires the payment.
    """
    org = db.session.get(Organisation, org_id) if org_id is not None else None
    method = "invoice" if org is not None and org.invoiced else "stripe" if stripe_enabled() else "offline"
    payment = _new_payment(
        method,
        purpose=purpose,
        amount_fen=amount_fen,
        org_id=org_id,
        user_id=user_id,
        description=description,
        notice_id=notice_id,
        order_ref=order_ref,
        expires_at=expires_at,
    )
    if method == "invoice":
        _to_paid(payment, "system", on_account=True)
    db.session.flush()
    return payment


def _new_payment(
    method: str,
    *,
    purpose: str,
    amount_fen: int,
    org_id: int | None,
    user_id: int | None,
    description: str,
    notice_id: int | None,
    order_ref: str | None,
    expires_at: datetime | None,
) -> Payment:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown payment purpose {purpose!r}")
    if amount_fen <= 0:
        raise ValueError("a payment needs a positive amount")
    payment = Payment(
        reference=_new_reference(purpose, notice_id, order_ref),
        purpose=purpose,
        notice_id=notice_id,
        order_ref=order_ref,
        org_id=org_id,
        user_id=user_id,
        method=method,
        amount_fen=amount_fen,
        currency=CURRENCY,
        status="pending",
        refunded_fen=0,
        description=description[:300],
        expires_at=expires_at,
    )
    db.session.add(payment)
    db.session.flush()
    _log(payment, "system", "pending", method=method, amount_fen=amount_fen)
    return payment


def _with_session_placeholder(url: str) -> str:
    if SESSION_PLACEHOLDER in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}session_id={SESSION_PLACEHOLDER}"


def _checkout_request(payment: Payment, success_url: str, cancel_url: str, now: datetime) -> CheckoutRequest:
    """The request to send, fixed in the log before it is sent.

    The idempotency key only makes a retry safe if the parameters are identical, and the expiry
    depends on the clock; so an attempt's parameters are logged (and committed) first and a retry
    resends exactly those while Stripe would still accept them.
    """
    history = history_of(payment)
    attempts = [row for row in history if row.detail.get("checkout_attempt")]
    # Stripe stores a refusal under its key too: a refused attempt is never resent.
    refused = {row.detail.get("checkout_refused") for row in history}
    if attempts and attempts[-1].detail["idempotency_key"] not in refused:
        last = attempts[-1].detail
        expires = datetime.fromisoformat(last["expires_at"])
        if attempts[-1].at >= now - IDEMPOTENCY_WINDOW and expires >= now + timedelta(minutes=30, seconds=30):
            return CheckoutRequest(
                reference=payment.reference,
                purpose=payment.purpose,
                amount_fen=payment.amount_fen,
                currency=payment.currency,
                description=payment.description,
                success_url=last["success_url"],
                cancel_url=last["cancel_url"],
                expires_at=expires,
                idempotency_key=last["idempotency_key"],
            )
    n = len(attempts) + 1
    request = CheckoutRequest(
        reference=payment.reference,
        purpose=payment.purpose,
        amount_fen=payment.amount_fen,
        currency=payment.currency,
        description=payment.description,
        success_url=_with_session_placeholder(success_url),
        cancel_url=cancel_url,
        expires_at=checkout_expiry(payment.expires_at, now),
        idempotency_key=f"checkout-{payment.reference}" + (f"-{n}" if n > 1 else ""),
    )
    _log(
        payment,
        "system",
        payment.status,
        from_status=payment.status,
        checkout_attempt=n,
        idempotency_key=request.idempotency_key,
        expires_at=request.expires_at.isoformat(),
        success_url=request.success_url,
        cancel_url=request.cancel_url,
    )
    db.session.commit()
    return request


def checkout_url(payment: Payment, success_url: str, cancel_url: str) -> str | None:
    """The Stripe Checkout URL to send the customer to, creating the session on first use.

    None for offline and invoice payments and for a payment that is no longer pending (including
    one this call found paid or expired at Stripe). `success_url` gets
    `session_id={CHECKOUT_SESSION_ID}` unless it already has the placeholder.
    """
    if payment.method != "stripe" or payment.status != "pending":
        return None
    gw = gateway("stripe")
    if payment.stripe_session_id:
        session = gw.retrieve_checkout(payment.stripe_session_id)
        if session.status == "open" and session.url:
            return session.url
        _settle_from_session(payment.id, session, "system")
        return None
    request = _checkout_request(payment, success_url, cancel_url, utcnow())
    try:
        session = gw.create_checkout(request)
    except GatewayError as err:
        if not err.retryable:
            locked = _locked(payment.id)
            _log(
                locked,
                "system",
                locked.status,
                from_status=locked.status,
                checkout_refused=request.idempotency_key,
                error=str(err)[:300],
            )
            db.session.commit()
        raise
    locked = _locked(payment.id)
    if locked.stripe_session_id is None:
        locked.stripe_session_id = session.id
        locked.checkout_url = session.url
        locked.stripe_payment_intent = locked.stripe_payment_intent or session.payment_intent
        _log(
            locked,
            "system",
            locked.status,
            from_status=locked.status,
            session=session.id,
            session_expires_at=session.expires_at.isoformat() if session.expires_at else None,
        )
    db.session.commit()
    if session.status != "open":
        _settle_from_session(payment.id, session, "system")
        return None
    return session.url


# --- fulfilment --------------------------------------------------------------------------------


def _fulfil_session(
    payment: Payment, session: CheckoutSession, source: str, event_id: str | None = None
) -> str:
    """The one fulfilment step: apply what a Checkout Session says to a locked payment.

    The webhook, the success page (through `fulfil`) and `reconcile` all come here, so a session
    paid once is recorded once whichever of them sees it first. Returns the outcome (for logs).
    """
    claimed = session.client_reference_id or session.metadata.get("payment")
    if claimed != payment.reference:
        _log_refusal(
            payment,
            source,
            event_id,
            "reference mismatch",
            session=session.id,
            claimed=claimed,
        )
        return "refused: reference mismatch"
    if session.is_paid:
        if session.amount_total != payment.amount_fen or (session.currency or "") != payment.currency:
            # Never mark paid on an amount we did not ask for: a tampered or mixed-up session.
            _log_refusal(
                payment,
                source,
                event_id,
                "amount or currency mismatch",
                session=session.id,
                expected=f"{payment.amount_fen} {payment.currency}",
                got=f"{session.amount_total} {session.currency}",
            )
            logger.warning("payment %s: session %s amount/currency mismatch", payment.reference, session.id)
            return "refused: amount or currency mismatch"
        if payment.stripe_session_id is None:
            payment.stripe_session_id = session.id
        if session.payment_intent and not payment.stripe_payment_intent:
            payment.stripe_payment_intent = session.payment_intent
        if _to_paid(payment, source, event_id=event_id, session=session.id):
            return "paid"
        return f"no change: already {payment.status}"
    if session.is_expired:
        if payment.stripe_session_id not in (None, session.id):
            return "ignored: an older session expired"
        if _to_expired(payment, source, event_id=event_id, session=session.id):
            return "expired"
        return f"no change: already {payment.status}"
    return f"no change: session {session.status}/{session.payment_status}"


def _settle_from_session(
    payment_id: int, session: CheckoutSession, source: str, event_id: str | None = None
) -> str:
    crash_point("payment.session_read")
    payment = _locked(payment_id)
    outcome = _fulfil_session(payment, session, source, event_id)
    crash_point("payment.before_commit")
    db.session.commit()
    crash_point("payment.after_commit")
    flush_outbox()
    return outcome


def fulfil(payment_reference_or_session: str | CheckoutSession, source: str) -> Payment:
    """Bring a payment up to date with Stripe: paid once, however often and from wherever asked.

    Accepts our reference, a Checkout Session id (`cs_…`) or a CheckoutSession already verified
    (a webhook's). Stripe is asked for the session's state unless it is given; the change goes
    through `_fulfil_session`, the webhook's own step, so a payment already paid is returned
    unchanged. Offline and invoice payments are returned as they are.
    """
    session: CheckoutSession | None = None
    if isinstance(payment_reference_or_session, CheckoutSession):
        session = payment_reference_or_session
        payment = _payment_for(
            session.client_reference_id or session.metadata.get("payment"), session_id=session.id
        )
    else:
        key = payment_reference_or_session
        payment = find_payment(key) or db.session.scalar(
            select(Payment).where(Payment.stripe_session_id == key)
        )
    if payment is None:
        db.session.rollback()
        raise NotFound(payment_reference_or_session)
    if payment.method != "stripe":
        return payment
    if session is None:
        if not payment.stripe_session_id:
            return payment
        payment_id, session_id = payment.id, payment.stripe_session_id
        db.session.commit()  # no transaction stays open across the network call
        session = gateway("stripe").retrieve_checkout(session_id)
    else:
        payment_id = payment.id
    _settle_from_session(payment_id, session, source)
    return db.session.get(Payment, payment_id) or payment


# --- webhooks ----------------------------------------------------------------------------------

SESSION_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})


def handle_webhook(raw_body: bytes, sig_header: str) -> tuple[int, str]:
    """Verify and process one Stripe webhook: (HTTP status, short text).

    400 when the signature, its timestamp (more than 300 s from now, either way) or the body does
    not verify, saying which; 200 for an event processed, already processed, or of a type we
    ignore; 500 when processing failed and nothing was kept (Stripe sends it again).
    """
    try:
        event_data = gateway("stripe").verify_webhook(raw_body, sig_header)
    except WebhookInvalid as err:
        logger.info("webhook refused: %s", err)
        return 400, f"refused: {err}"[:300]
    return process_event(event_data, "webhook")


def process_event(event_data: dict[str, Any], source: str) -> tuple[int, str]:
    """Process a verified (or fetched) Stripe event once: its id is stored in the transaction
    that applies it, so a replay finds the id and changes nothing."""
    event_id, event_type = str(event_data["id"]), str(event_data["type"])
    try:
        if db.session.get(StripeEvent, event_id) is not None:
            db.session.rollback()
            return 200, "duplicate"
        record = StripeEvent(id=event_id, type=event_type[:100])
        db.session.add(record)
        db.session.flush()
    except IntegrityError:
        # The same event delivered twice at once: the other delivery owns it.
        db.session.rollback()
        return 200, "duplicate"
    except DBAPIError:
        # The database is busy (SQLite's lock timeout): nothing was kept, Stripe delivers again.
        db.session.rollback()
        logger.warning("stripe event %s: database busy, answered 503", event_id)
        return 503, "busy"
    try:
        outcome = _dispatch(event_type, event_data.get("data", {}).get("object") or {}, source, event_id)
        record.outcome = outcome[:100]
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception("stripe event %s (%s) failed", event_id, event_type)
        return 500, "error"
    flush_outbox()
    return 200, outcome


def _dispatch(event_type: str, obj: dict[str, Any], source: str, event_id: str) -> str:
    if event_type in SESSION_EVENTS:
        session = session_from_dict(obj)
        payment = _payment_for(
            session.client_reference_id or session.metadata.get("payment"), session_id=session.id
        )
        if payment is None:
            return "ignored: unknown payment"
        return _fulfil_session(payment, session, source, event_id)
    if event_type in REFUND_EVENTS:
        return _apply_refund(refund_from_dict(obj), source, event_id)
    if event_type == "charge.refunded":
        return _apply_charge(obj, source, event_id)
    return "ignored"


def _apply_charge(charge: dict[str, Any], source: str, event_id: str) -> str:
    """A charge with refunds: proof of payment, then every refund on it, ours or the Dashboard's."""
    metadata = charge.get("metadata") or {}
    intent = charge.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    payment = _payment_for(metadata.get("payment"), intent=intent)
    if payment is None:
        return "ignored: unknown payment"
    outcomes = []
    if str(charge.get("currency", "")).lower() != payment.currency:
        # Neither proof of payment nor refunds: a charge in another currency is not this payment's.
        _log_refusal(
            payment,
            source,
            event_id,
            "currency mismatch",
            charge=charge.get("id"),
            currency=str(charge.get("currency", ""))[:10],
            expected=payment.currency,
        )
        return "refused: currency mismatch"
    if charge.get("paid") and charge.get("status") == "succeeded" and payment.status != "paid":
        # charge.refunded can arrive before checkout.session.completed: the charge proves payment.
        if int(charge.get("amount") or 0) != payment.amount_fen:
            _log_refusal(
                payment,
                source,
                event_id,
                "amount or currency mismatch",
                charge=charge.get("id"),
            )
            return "refused: amount or currency mismatch"
        payment.stripe_payment_intent = payment.stripe_payment_intent or intent
        if _to_paid(payment, source, event_id=event_id, charge=charge.get("id")):
            outcomes.append("paid")
    for data in (charge.get("refunds") or {}).get("data") or ():
        outcomes.append(_apply_refund(refund_from_dict(data), source, event_id, payment=payment))
    # Refunds the charge counts but did not list (older API versions omit the list).
    known = sum(r.amount_fen for r in refunds_of(payment) if states.counts_as_refunded(r.status))
    extra = int(charge.get("amount_refunded") or 0) - known
    if extra > 0 and payment.status == "paid":
        refund = Refund(
            payment_id=payment.id,
            amount_fen=min(extra, payment.amount_fen - payment.refunded_fen),
            reason="在 Stripe 后台退款 / refunded in the Stripe Dashboard",
            status="refund_pending",
            idempotency_key=f"external-{charge.get('id')}-{charge.get('amount_refunded')}",
        )
        if refund.amount_fen > 0:
            db.session.add(refund)
            db.session.flush()
            outcomes.append(
                _refund_to(refund, payment, "succeeded", source, event_id=event_id, external=True)
            )
    return "; ".join(outcomes) or "no change"


def _refund_refusal(result: RefundResult, payment: Payment, source: str, event_id: str | None) -> str | None:
    """Why a refund Stripe reports cannot be part of `payment` (logged), or None when it can.

    A refund gives back money taken: a payment that is not paid has none to give back (were it
    paid at Stripe after all, charge.refunded proves the payment and brings its refunds), and a
    refund in another currency is not of this payment's charge.
    """
    if payment.status != "paid":
        _log(
            payment,
            source,
            payment.status,
            from_status=payment.status,
            event_id=event_id,
            ignored="payment is not paid",
            stripe_refund=result.id,
        )
        return f"ignored: payment {payment.reference} is {payment.status}"
    if result.currency.lower() != payment.currency.lower():
        _log_refusal(
            payment,
            source,
            event_id,
            "currency mismatch",
            currency=result.currency,
            expected=payment.currency,
            stripe_refund=result.id,
        )
        return "refused: currency mismatch"
    return None


def _apply_refund(
    result: RefundResult, source: str, event_id: str | None, payment: Payment | None = None
) -> str:
    known_id = db.session.scalar(select(Refund.id).where(Refund.stripe_refund_id == result.id))
    refund = _locked_refund(known_id) if known_id is not None else None
    if refund is None and result.metadata.get("refund", "").isdigit():
        candidate = _locked_refund(int(result.metadata["refund"]))
        if candidate is not None and candidate.idempotency_key == result.metadata.get("key"):
            refund = candidate
        elif candidate is not None:
            return f"ignored: refund {candidate.id} was sent again since"
    if refund is not None:
        payment = (
            payment if payment is not None and payment.id == refund.payment_id else _locked(refund.payment_id)
        )
        if (refused := _refund_refusal(result, payment, source, event_id)) is not None:
            return refused
        if refund.stripe_refund_id is None:
            refund.stripe_refund_id = result.id
    else:
        payment = payment or _payment_for(result.metadata.get("payment"), intent=result.payment_intent)
        if payment is None:
            return "ignored: unknown payment"
        if (refused := _refund_refusal(result, payment, source, event_id)) is not None:
            return refused
        if states.STRIPE_REFUND_EVENTS.get(result.status) != "succeeded" and result.status not in (
            "pending",
        ):
            return f"ignored: unknown refund {result.status}"
        if result.amount > payment.amount_fen - payment.refunded_fen:
            _log_refusal(
                payment,
                source,
                event_id,
                "refund exceeds what is left",
                stripe_refund=result.id,
            )
            return "refused: refund exceeds what is left"
        # Made in the Stripe Dashboard: recorded so editors and the customer see it.
        refund = Refund(
            payment_id=payment.id,
            amount_fen=result.amount,
            reason="在 Stripe 后台退款 / refunded in the Stripe Dashboard",
            status="refund_pending",
            idempotency_key=f"external-{result.id}",
            stripe_refund_id=result.id,
        )
        db.session.add(refund)
        db.session.flush()
        _recount(payment)
    event_name = states.STRIPE_REFUND_EVENTS.get(result.status)
    if event_name is None:
        return f"no change: refund {refund.id} {result.status} at Stripe"
    return _refund_to(
        refund,
        payment,
        event_name,
        source,
        event_id=event_id,
        stripe_refund=result.id,
        failure_reason=result.failure_reason,
    )


# --- refunds -----------------------------------------------------------------------------------


def refund(payment: Payment, amount_fen: int, reason: str, actor: User | None = None) -> Refund:
    """Refund `amount_fen` of a paid payment: recorded as refund_pending, then sent.

    Stripe payments go to Stripe with idempotency key `refund-<reference>-<n>` and end refunded
    or refund_failed; offline refunds wait for an editor to hand the money back; invoice refunds
    are credits, refunded at once. Raises Conflict (not paid) or FieldErrors (amount).
    Called from an on_paid / on_expired hook, it only records the refund in the hook's
    transaction; it is sent once that transaction commits.
    """
    source = "editor" if actor is not None and actor.is_staff else "system"
    locked = _locked(payment.id)
    if _in_hook():
        return _create_refund(locked, amount_fen, reason, source, actor)
    try:
        created = _create_refund(locked, amount_fen, reason, source, actor)
    except (Conflict, FieldErrors):
        db.session.rollback()
        raise
    refund_id = created.id
    db.session.commit()
    flush_outbox()
    found = db.session.get(Refund, refund_id)
    assert found is not None
    return found


def _send_refund(refund_id: int) -> None:
    found = db.session.get(Refund, refund_id)
    if found is None or found.status != "refund_pending":
        return
    payment = db.session.get(Payment, found.payment_id)
    if payment is None or payment.method != "stripe":
        return
    key, amount, stripe_id = found.idempotency_key, found.amount_fen, found.stripe_refund_id
    intent, session_id, reference = (
        payment.stripe_payment_intent,
        payment.stripe_session_id,
        payment.reference,
    )
    db.session.commit()
    gw = gateway("stripe")
    try:
        if stripe_id:
            result = gw.retrieve_refund(stripe_id)
        else:
            if not intent and session_id:
                intent = gw.retrieve_checkout(session_id).payment_intent
            if not intent:
                raise GatewayError(
                    "the payment has no Stripe payment intent", retryable=False, code="no_intent"
                )
            result = gw.create_refund(
                payment_intent=intent,
                amount_fen=amount,
                idempotency_key=key,
                metadata={"payment": reference, "refund": str(refund_id), "key": key},
            )
    except GatewayError as err:
        refund_row = _locked_refund(refund_id)
        if refund_row is None or refund_row.idempotency_key != key:
            db.session.rollback()
            return
        locked = _locked(refund_row.payment_id)
        if err.retryable:
            # Unknown outcome: stays pending; the same key is sent again later and Stripe
            # answers it once.
            _log(
                locked,
                "system",
                locked.status,
                from_status=locked.status,
                refund=refund_id,
                retry_later=str(err)[:300],
            )
        else:
            _refund_to(refund_row, locked, "failed", "system", failure_reason=str(err)[:500], code=err.code)
        db.session.commit()
        return
    refund_row = _locked_refund(refund_id)
    if refund_row is None or refund_row.idempotency_key != key:
        db.session.rollback()
        return
    locked = _locked(refund_row.payment_id)
    if intent and not locked.stripe_payment_intent:
        locked.stripe_payment_intent = intent
    if refund_row.stripe_refund_id is None:
        refund_row.stripe_refund_id = result.id
    event_name = states.STRIPE_REFUND_EVENTS.get(result.status)
    if event_name is None:
        _log(
            locked,
            "system",
            locked.status,
            from_status=locked.status,
            refund=refund_id,
            stripe_refund=result.id,
            stripe_status=result.status,
        )
    else:
        _refund_to(
            refund_row,
            locked,
            event_name,
            "system",
            stripe_refund=result.id,
            failure_reason=result.failure_reason,
        )
    db.session.commit()


def retry_refund(refund_row: Refund, actor: User) -> Refund:
    """Send a failed refund again, under a new idempotency key (`…-retry<n>`).

    Stripe remembers the answer to a key, failure included, so the same key would only repeat
    the failure; a double-clicked retry finds the refund pending again and is refused.
    """
    locked_refund = _locked_refund(refund_row.id)
    if locked_refund is None:
        raise NotFound(refund_row.id)
    payment = _locked(locked_refund.payment_id)
    if locked_refund.status != "refund_failed":
        db.session.rollback()
        raise Conflict(
            msg("refund.not_failed", "只有失败的退款可以重试", "Only a failed refund can be retried")
        )
    if locked_refund.amount_fen > payment.amount_fen - payment.refunded_fen:
        db.session.rollback()
        raise Conflict(
            msg("refund.too_much", "退款金额超过可退金额", "The refund exceeds what is left to refund")
        )
    base, _, tries = locked_refund.idempotency_key.partition("-retry")
    locked_refund.idempotency_key = f"{base}-retry{int(tries or 0) + 1}"
    locked_refund.stripe_refund_id = None
    locked_refund.failure_reason = None
    _refund_to(
        locked_refund, payment, "retry", "editor", actor=actor, idempotency_key=locked_refund.idempotency_key
    )
    if payment.method == "stripe":
        _after_commit("refund", locked_refund.id)
    db.session.commit()
    flush_outbox()
    found = db.session.get(Refund, refund_row.id)
    assert found is not None
    return found


def settle_refund(refund_row: Refund, actor: User) -> Refund:
    """An editor records an offline refund as handed back at the counter."""
    locked_refund = _locked_refund(refund_row.id)
    if locked_refund is None:
        raise NotFound(refund_row.id)
    payment = _locked(locked_refund.payment_id)
    if payment.method == "stripe" or locked_refund.status != "refund_pending":
        db.session.rollback()
        raise Conflict(
            msg(
                "refund.not_offline",
                "只有待处理的柜台退款可以确认",
                "Only a pending counter refund can be confirmed",
            )
        )
    _refund_to(locked_refund, payment, "succeeded", "editor", actor=actor, counter=True)
    db.session.commit()
    return locked_refund


# --- editors and customers ---------------------------------------------------------------------


def mark_paid_offline(payment: Payment, actor: User, note: str = "") -> Payment:
    """An editor confirms money received at the counter (pending or expired payments); returns
    the paid payment (a new offline one when the customer had already opened Stripe Checkout)."""
    locked = _locked(payment.id)
    if locked.status not in ("pending", "expired"):
        db.session.rollback()
        raise Conflict(
            msg(
                "payment.not_open",
                "该笔款项状态为{state},不能确认收款",
                "Cannot mark a {state_en} payment as paid",
                state=states.PAYMENT_LABELS[locked.status].zh,
                state_en=locked.status,
            )
        )
    paid = _mark_at_counter(locked, actor, note)
    db.session.commit()
    flush_outbox()
    return paid


def _mark_at_counter(payment: Payment, actor: User | None, note: str) -> Payment:
    """Record counter money against `payment`; returns the payment that is now paid.

    A card payment whose Checkout Session exists is cancelled (the session is closed after the
    commit) and the cash goes on a new offline payment: if the card payment still completes,
    it is then a second payment and is refunded, rather than two sums on one record.
    """
    if payment.method == "stripe" and payment.stripe_session_id:
        _to_cancelled(payment, "editor", "改为柜台付款 / paid at the counter instead", actor)
        payment = _new_payment(
            "offline",
            purpose=payment.purpose,
            amount_fen=payment.amount_fen,
            org_id=payment.org_id,
            user_id=payment.user_id,
            description=payment.description,
            notice_id=payment.notice_id,
            order_ref=payment.order_ref,
            expires_at=None,
        )
    elif payment.method == "stripe":
        payment.method = "offline"  # never checked out: nothing at Stripe to close
    db.session.info[_ACTOR] = actor
    try:
        _to_paid(payment, "editor", actor=actor, note=note or None, counter=True)
    finally:
        db.session.info.pop(_ACTOR, None)
    return payment


def cancel_payment(payment: Payment, reason: str) -> Payment:
    """Cancel a pending payment (nothing else changes) and close its Checkout Session (within a
    hook: in the hook's transaction, closed after it commits)."""
    locked = _locked(payment.id)
    _to_cancelled(locked, "system", reason)
    if _in_hook():
        return locked
    db.session.commit()
    flush_outbox()
    return locked


def _close_session(payment_id: int, source: str) -> str:
    payment = db.session.get(Payment, payment_id)
    if payment is None or not payment.stripe_session_id:
        return "no session"
    session_id = payment.stripe_session_id
    db.session.commit()
    gw = gateway("stripe")
    try:
        session = gw.expire_checkout(session_id)
    except GatewayError as err:
        if err.retryable:
            raise
        # Not open any more: it completed or expired on its own; find out which.
        session = gw.retrieve_checkout(session_id)
    return _settle_from_session(payment_id, session, source)


def visible_payment(reference: str, actor: User) -> Payment:
    """A payment the actor may see (staff: all; others: their organisation's), else NotFound."""
    payment = find_payment(reference)
    if payment is None or not (
        actor.is_staff or (actor.org_id is not None and payment.org_id == actor.org_id)
    ):
        raise NotFound(reference)
    return payment


def payment_for_notice(notice_id: int) -> Payment | None:
    """The notice's payment to show: the open one, else the latest."""
    rows = list(
        db.session.scalars(select(Payment).where(Payment.notice_id == notice_id).order_by(Payment.id.desc()))
    )
    return next((p for p in rows if p.status == "pending"), rows[0] if rows else None)


def payment_by_session(session_id: str) -> Payment | None:
    if not session_id.startswith("cs_"):
        return None
    return db.session.scalar(select(Payment).where(Payment.stripe_session_id == session_id))


def refund_of(payment: Payment, refund_id: int) -> Refund:
    """One refund of the payment, or NotFound."""
    found = db.session.get(Refund, refund_id)
    if found is None or found.payment_id != payment.id:
        raise NotFound(refund_id)
    return found


def organisations(ids: Iterable[int | None]) -> dict[int, Organisation]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))}


def notice_of(payment: Payment) -> Notice | None:
    return db.session.get(Notice, payment.notice_id) if payment.notice_id is not None else None


def statement_organisation(actor: User, org_id: int | None) -> Organisation:
    """The invoiced organisation whose statement the actor asks for (staff: any; others: their
    own), or NotFound."""
    wanted = org_id if actor.is_staff else actor.org_id
    org = db.session.get(Organisation, wanted) if wanted is not None else None
    if org is None or not org.invoiced:
        raise NotFound(wanted)
    return org


def can_renew(payment: Payment) -> bool:
    """True when a new payment can replace this closed one (its notice still awaits payment)."""
    if payment.status not in ("expired", "cancelled") or payment.purpose != "notice":
        return False
    notice = notice_of(payment)
    return notice is not None and notice.status == "awaiting_payment"


def renew_notice_payment(payment: Payment, actor: User) -> Payment:
    """A fresh payment for a notice still awaiting payment whose payment expired or was cancelled."""
    if (
        payment.purpose != "notice"
        or payment.notice_id is None
        or payment.status not in ("expired", "cancelled")
    ):
        return payment
    notice = db.session.scalar(select(Notice).where(Notice.id == payment.notice_id).with_for_update())
    if notice is None or notice.status != "awaiting_payment":
        return payment
    current = payment_for_notice(notice.id)
    if current is not None and current.status == "pending":
        return current
    fresh = _open_notice_payment(notice, actor)
    db.session.commit()
    return fresh or payment


@dataclass(frozen=True)
class DeskFilter:
    status: str = ""  # a payment state, or refund_pending / refund_failed / refunded
    method: str = ""
    query: str = ""  # reference or organisation name


def desk_payments(filters: DeskFilter, limit: int = 300) -> list[Payment]:
    """Payments for the editors' list, newest first."""
    q = select(Payment).order_by(Payment.id.desc())
    if filters.status in states.PAYMENT_LABELS:
        q = q.where(Payment.status == filters.status)
    elif filters.status in states.REFUND_LABELS:
        q = q.where(Payment.id.in_(select(Refund.payment_id).where(Refund.status == filters.status)))
    if filters.method in states.METHOD_LABELS:
        q = q.where(Payment.method == filters.method)
    if filters.query:
        like = f"%{filters.query.strip()}%"
        q = q.where(
            Payment.reference.ilike(like)
            | Payment.org_id.in_(select(Organisation.id).where(Organisation.name.ilike(like)))
        )
    return list(db.session.scalars(q.limit(limit)))


# --- reconciliation ----------------------------------------------------------------------------


def reconcile(now: datetime | None = None) -> list[str]:
    """Settle what was left open: one line per payment or refund looked at.

    Pending card payments take Stripe's word (paid, expired; an open session past our expiry is
    closed at Stripe first, so a payment made in that moment still counts); other pending
    payments past their expiry expire; cancelled sessions of the last two days are checked for a
    payment that slipped through; refunds still pending are sent again with their own key.
    """
    now = now or utcnow()
    lines: list[str] = []
    stripe_on = stripe_enabled()
    pending = list(
        db.session.scalars(select(Payment.id).where(Payment.status == "pending").order_by(Payment.id))
    )
    for payment_id in pending:
        lines.append(_guarded(payment_id, lambda pid: _reconcile_payment(pid, now, stripe_on)))
    if stripe_on:
        late = db.session.scalars(
            select(Payment.id)
            .where(
                Payment.status.in_(("cancelled", "expired")),
                Payment.method.in_(("stripe", "offline")),
                Payment.stripe_session_id.is_not(None),
                Payment.created_at >= now - LATE_PAYMENT_WINDOW,
            )
            .order_by(Payment.id)
        )
        for payment_id in list(late):
            line = _guarded(payment_id, _reconcile_closed)
            if line:
                lines.append(line)
        refunds = db.session.scalars(
            select(Refund.id)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Refund.status == "refund_pending", Payment.method == "stripe")
            .order_by(Refund.id)
        )
        for refund_id in list(refunds):
            lines.append(_guarded(refund_id, _reconcile_refund))
    counter = db.session.scalar(
        select(func.count())
        .select_from(Refund)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.status == "refund_pending", Payment.method == "offline")
    )
    if counter:
        lines.append(f"{counter} counter refund(s) waiting for an editor / {counter} 笔柜台退款待确认")
    db.session.commit()
    return lines


def _guarded(ident: int, fn: Callable[[int], str]) -> str:
    try:
        return fn(ident)
    except Exception as err:  # one bad payment must not stop the others
        db.session.rollback()
        logger.exception("reconcile %s failed", ident)
        return f"#{ident}: error: {err}"


def _reconcile_payment(payment_id: int, now: datetime, stripe_on: bool) -> str:
    payment = _locked(payment_id)
    reference, before = payment.reference, payment.status
    if payment.method != "stripe" or not payment.stripe_session_id or not stripe_on:
        if payment.expires_at is not None and payment.expires_at <= now:
            _to_expired(payment, "reconcile", reason="past its expiry")
            db.session.commit()
            return f"{reference}: {before} → {payment.status} (past its expiry)"
        db.session.commit()
        return f"{reference}: {before} (nothing to check)"
    session_id, expires_at = payment.stripe_session_id, payment.expires_at
    db.session.commit()
    gw = gateway("stripe")
    session = gw.retrieve_checkout(session_id)
    if session.status == "open" and expires_at is not None and expires_at <= now:
        try:
            session = gw.expire_checkout(session_id)
        except GatewayError as err:
            if err.retryable:
                raise
            session = gw.retrieve_checkout(session_id)
    outcome = _settle_from_session(payment_id, session, "reconcile")
    after = db.session.get(Payment, payment_id)
    return f"{reference}: {before} → {after.status if after else '?'} ({outcome})"


def _reconcile_closed(payment_id: int) -> str:
    payment = db.session.get(Payment, payment_id)
    assert payment is not None and payment.stripe_session_id
    reference, before, session_id = payment.reference, payment.status, payment.stripe_session_id
    db.session.commit()
    session = gateway("stripe").retrieve_checkout(session_id)
    if session.status == "open":
        outcome = _close_session(payment_id, "reconcile")
        return f"{reference}: {before}, session closed at Stripe ({outcome})"
    if not session.is_paid:
        return ""  # closed and unpaid, as recorded: nothing to report
    outcome = _settle_from_session(payment_id, session, "reconcile")
    return f"{reference}: {before} → paid late ({outcome})"


def _reconcile_refund(refund_id: int) -> str:
    _send_refund(refund_id)
    found = db.session.get(Refund, refund_id)
    payment = db.session.get(Payment, found.payment_id) if found else None
    return f"{payment.reference if payment else '?'} refund #{refund_id}: {found.status if found else '?'}"


# --- the notice workflow's side ----------------------------------------------------------------


def _notice_payments(notice_id: int) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment).where(Payment.notice_id == notice_id).order_by(Payment.id).with_for_update()
        )
    )


def _paid_towards(payments: Iterable[Payment], exclude: Payment | None = None) -> int:
    return sum(p.amount_fen - p.refunded_fen for p in payments if p.status == "paid" and p is not exclude)


def _notice_description(notice: Notice) -> str:
    return f"公告 #{notice.id} 刊登费 / Notice #{notice.id} fee"


def _open_notice_payment(notice: Notice, actor: User | None) -> Payment | None:
    due = (notice.price_fen or 0) - _paid_towards(_notice_payments(notice.id))
    if due <= 0:
        return None
    return open_payment(
        purpose="notice",
        amount_fen=due,
        org_id=notice.org_id,
        user_id=actor.id if actor is not None else notice.created_by_id,
        description=_notice_description(notice),
        notice_id=notice.id,
    )


def _system_mark_paid(notice: Notice, reason: str, actor: User | None = None) -> None:
    """awaiting_payment → paid through the workflow table, logged in this transaction (no commit,
    unlike services.notices.transition, because the payment's own change commits with it)."""
    role = actor.role if actor is not None else "system"
    try:
        new = workflow.apply(notice.status, "mark_paid", role, workflow.Context(payment_due=True))
    except workflow.TransitionRefused:
        logger.warning("notice %s: mark_paid refused in state %s", notice.id, notice.status)
        return
    old, notice.status = notice.status, new
    db.session.add(
        NoticeEvent(
            notice_id=notice.id,
            actor_id=actor.id if actor is not None else None,
            actor_role=role,
            action="mark_paid",
            from_state=old,
            to_state=new,
            reason=reason,
        )
    )


@on_paid("notice")
def _notice_paid(payment: Payment) -> None:
    if payment.notice_id is None:
        return
    notice = db.session.scalar(select(Notice).where(Notice.id == payment.notice_id).with_for_update())
    if notice is None:
        return
    payments = _notice_payments(notice.id)
    if notice.status == "awaiting_payment":
        label = states.METHOD_LABELS[payment.method]
        _system_mark_paid(
            notice, f"{label.zh} / {label.en} · {payment.reference}", db.session.info.get(_ACTOR)
        )
        for other in payments:
            if other is not payment and other.status == "pending":
                _to_cancelled(other, "system", "the notice was paid through another payment")
        return
    covered = _paid_towards(payments, exclude=payment) >= (notice.price_fen or 0) > 0
    if notice.status in ("rejected", "withdrawn") or covered:
        # A second or late payment (two tabs, cash and card, paid after withdrawing): returned.
        _create_refund(
            payment,
            payment.amount_fen - payment.refunded_fen,
            "重复或迟到的付款,全额退还 / duplicate or late payment, refunded in full",
            "system",
        )


def notice_transitioned(
    notice: Notice, action: str, old_state: str, actor: User | None, *, before_cutoff: bool
) -> None:
    """The money side of a notice transition, in the transition's transaction (no commit).

    Entering awaiting_payment opens a payment (or, already paid before being sent back for
    changes, goes straight on to paid); an invoiced organisation's submission is charged on
    account; an editor's mark_paid settles the open payment at the counter; reject refunds in
    full; withdraw refunds what the rate card's withdrawal rule allows; both cancel what is
    still unpaid. The caller commits and then calls `flush_outbox`.
    """
    if action == "submit":
        if notice.status == "awaiting_payment":
            payments = _notice_payments(notice.id)
            if _paid_towards(payments) >= (notice.price_fen or 0) > 0:
                _system_mark_paid(notice, "已付款 / already paid")
                return
            due = (notice.price_fen or 0) - _paid_towards(payments)
            open_ones = [p for p in payments if p.status == "pending"]
            keep = next((p for p in open_ones if p.amount_fen == due), None)
            for p in open_ones:
                if p is not keep:
                    _to_cancelled(p, "system", "the notice's price changed")
            if keep is None:
                _open_notice_payment(notice, actor)
        elif notice.status == "submitted" and notice.org.invoiced:
            _open_notice_payment(notice, actor)  # on account: paid at once, on the statement
    elif action == "mark_paid" and actor is not None:
        payments = _notice_payments(notice.id)
        open_one = next((p for p in payments if p.status == "pending"), None)
        if open_one is None:
            open_one = _open_notice_payment(notice, actor)
        if open_one is not None and open_one.status == "pending":
            _mark_at_counter(open_one, actor, "")
    elif action in ("reject", "withdraw"):
        label = "稿件被拒绝 / notice rejected" if action == "reject" else "稿件撤回 / notice withdrawn"
        source = "editor" if actor is not None and actor.is_staff else "system"
        for p in _notice_payments(notice.id):
            if p.status == "pending":
                _to_cancelled(p, source, label, actor)
            elif p.status == "paid":
                remaining = p.amount_fen - p.refunded_fen
                if action == "reject":
                    amount = remaining
                else:
                    amount = min(remaining, withdrawal_refund_fen(p.amount_fen, before_cutoff))
                if amount > 0:
                    _create_refund(p, amount, label, source, actor)


# --- receipts and statements -------------------------------------------------------------------


def _publisher() -> tuple[str, str]:
    pub = db.session.scalar(select(Publication).order_by(Publication.id))
    name = pub.name if pub is not None else "淄博晚报"
    return f"{name}社" if not name.endswith("社") else name, "分类广告部 · 电话 0533—2173002"


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt of a paid payment, with its refunds, as PDF bytes."""
    from print.receipts import Receipt, ReceiptRefund, render_receipt

    if payment.status != "paid":
        raise Conflict(msg("receipt.unpaid", "未付款,没有收据", "There is no receipt before payment"))
    tz = _local_tz()
    org = db.session.get(Organisation, payment.org_id) if payment.org_id is not None else None
    publisher, contact = _publisher()
    method = states.METHOD_LABELS[payment.method]
    return render_receipt(
        Receipt(
            publisher=publisher,
            reference=payment.reference,
            organisation=org.name if org is not None else "—",
            description=payment.description,
            method=f"{method.zh} / {method.en}",
            amount_fen=payment.amount_fen,
            paid_at=_local(payment.paid_at, tz),
            refunds=tuple(
                ReceiptRefund(
                    when=_local(r.settled_at or r.created_at, tz),
                    amount_fen=r.amount_fen,
                    status=f"{states.REFUND_LABELS[r.status].zh} / {states.REFUND_LABELS[r.status].en}",
                    counts=r.status == "refunded",
                )
                for r in refunds_of(payment)
            ),
            contact=contact,
        )
    )


def local_time(moment: datetime | None) -> str:
    """ "YYYY-MM-DD HH:MM" in the publication's time zone, or "—"."""
    return _local(moment, _local_tz())


def _local(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


def month_bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The month as an aware [start, end) in UTC, months counted in the publication's time zone."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2200:
        raise NotFound(f"{year}-{month}")
    start = datetime(year, month, 1, tzinfo=tz)
    days = _calendar.monthrange(year, month)[1]
    end = start + timedelta(days=days)
    return start.astimezone(UTC), end.astimezone(UTC)


def statement_entries(org_id: int, year: int, month: int) -> list[tuple[datetime, str, str, int]]:
    """(when, reference, description, 分) for an invoiced organisation's month: charges on account
    by the day they were accepted, credits by the day they were granted."""
    start, end = month_bounds(year, month, _local_tz())
    entries: list[tuple[datetime, str, str, int]] = []
    charges = db.session.scalars(
        select(Payment).where(
            Payment.org_id == org_id,
            Payment.method == "invoice",
            Payment.status == "paid",
            Payment.paid_at >= start,
            Payment.paid_at < end,
        )
    )
    for p in charges:
        assert p.paid_at is not None
        entries.append((p.paid_at, p.reference, p.description, p.amount_fen))
    credits = db.session.execute(
        select(Refund, Payment)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.org_id == org_id,
            Payment.method == "invoice",
            Refund.status == "refunded",
            Refund.settled_at >= start,
            Refund.settled_at < end,
        )
    )
    for r, p in credits:
        assert r.settled_at is not None
        entries.append((r.settled_at, p.reference, f"退款 / credit: {r.reason}", -r.amount_fen))
    entries.sort(key=lambda e: (e[0], e[1]))
    return entries


def statement_pdf(org: Organisation, year: int, month: int) -> bytes:
    """The monthly statement of an invoiced organisation as PDF bytes."""
    from print.receipts import Statement, StatementEntry, render_statement

    tz = _local_tz()
    publisher, contact = _publisher()
    return render_statement(
        Statement(
            publisher=publisher,
            organisation=org.name,
            month=f"{year:04d}-{month:02d}",
            issued_at=_local(utcnow(), tz),
            entries=tuple(
                StatementEntry(when.astimezone(tz).strftime("%Y-%m-%d"), ref, text, fen)
                for when, ref, text, fen in statement_entries(org.id, year, month)
            ),
            contact=contact,
        )
    )


def parse_month(text: str) -> tuple[int, int]:
    """ "2025-06" → (2025, 6), or NotFound."""
    year, sep, month = text.partition("-")
    if not (sep and year.isdigit() and month.isdigit() and len(year) == 4 and len(month) == 2):
        raise NotFound(text)
    return int(year), int(month)
