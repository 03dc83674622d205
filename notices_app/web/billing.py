"""Billing: the Stripe webhook, the customer's pay / success / cancel pages, payment status,
receipts and statements, and the editors' payments desk.

Views are thin: they check who may see the payment, call one function of
services.payments and redirect or render. The webhook reads the raw body (the signature is over
those bytes) and is the one public, CSRF-exempt endpoint here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from ads.money import parse_yuan
from notices_app.extensions import csrf
from notices_app.models import Notice, Payment
from notices_app.payments import offline, states
from notices_app.payments.gateway import GatewayError
from notices_app.rules.messages import RuleError
from notices_app.rules.text import clean_text
from notices_app.services import payments as payment_service
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.web.access import ANY_USER, PUBLIC, allow
from notices_app.web.i18n import t

bp = Blueprint("billing", __name__)
STAFF = ("editor", "admin")
DESK_FILTERS = (*states.PAYMENT_LABELS, *states.REFUND_LABELS)


@bp.app_template_global()
def notice_payment(notice: Notice) -> Payment | None:
    """The payment a notice's page links to (its open one, else its latest)."""
    return payment_service.payment_for_notice(notice.id)


@bp.app_template_global()
def payment_label(status: str) -> str:
    label = states.PAYMENT_LABELS.get(status) or states.REFUND_LABELS.get(status)
    return label.render(g.lang) if label else status


@bp.app_template_global()
def method_label(method: str) -> str:
    label = states.METHOD_LABELS.get(method)
    return label.render(g.lang) if label else method


@bp.app_template_global()
def local_time(moment: datetime | None) -> str:
    """A stored UTC time in the publication's time zone (Beijing time)."""
    return payment_service.local_time(moment)


def _visible(reference: str) -> Payment:
    try:
        return payment_service.visible_payment(reference, g.user)
    except NotFound:
        abort(404)


def _flash_error(err: Exception) -> None:
    if isinstance(err, Conflict):
        flash(err.message.render(g.lang), "error")
    elif isinstance(err, FieldErrors):
        for messages in err.render(g.lang).values():
            for m in messages:
                flash(m, "error")
    elif isinstance(err, RuleError):
        flash(err.message.render(g.lang), "error")
    else:
        flash(
            t(
                "支付服务暂时无法连接,请稍后再试",
                "The payment service could not be reached; try again shortly",
            ),
            "error",
        )


# --- Stripe ------------------------------------------------------------------------------------


@bp.route("/billing/stripe/webhook", methods=["POST"])
@allow(PUBLIC)
@csrf.exempt  # type: ignore[misc]
def stripe_webhook() -> Response:
    status, text = payment_service.handle_webhook(
        request.get_data(), request.headers.get("Stripe-Signature", "")
    )
    return Response(text, status=status, mimetype="text/plain")


# --- the customer ------------------------------------------------------------------------------


@bp.route("/billing/pay/<reference>", methods=["GET", "POST"])
@allow(ANY_USER)
def pay(reference: str) -> Any:
    """GET: what is owed and how to pay it. POST: off to Stripe Checkout (or a fresh payment when
    this one expired while the notice still awaits payment)."""
    payment = _visible(reference)
    if request.method == "POST":
        if payment.status in ("expired", "cancelled"):
            fresh = payment_service.renew_notice_payment(payment, g.user)
            if fresh.reference != payment.reference:
                payment = fresh
        if payment.method == "stripe" and payment.status == "pending":
            success = url_for("billing.success", _external=True) + "?session_id={CHECKOUT_SESSION_ID}"
            cancel = url_for("billing.cancel", reference=payment.reference, _external=True)
            try:
                url = payment_service.checkout_url(payment, success, cancel)
            except GatewayError as err:
                _flash_error(err)
                return redirect(url_for("billing.pay", reference=payment.reference))
            if url:
                return redirect(url, code=303)
            return redirect(url_for("billing.payment", reference=payment.reference))
        return redirect(url_for("billing.pay", reference=payment.reference))
    return render_template(
        "billing/pay.html",
        payment=payment,
        offline=offline,
        renewable=payment_service.can_renew(payment),
    )


@bp.route("/billing/success")
@allow(ANY_USER)
def success() -> Any:
    """Stripe sends the customer back here: confirm through the same fulfilment as the webhook."""
    session_id = request.args.get("session_id", "")
    payment = payment_service.payment_by_session(session_id)
    if payment is None:
        abort(404)
    payment = _visible(payment.reference)
    try:
        payment = payment_service.fulfil(session_id, "success_page")
    except GatewayError as err:
        _flash_error(err)
    return render_template("billing/success.html", payment=payment)


@bp.route("/billing/cancel")
@allow(ANY_USER)
def cancel() -> Any:
    payment = _visible(request.args.get("reference", ""))
    return render_template("billing/cancel.html", payment=payment)


@bp.route("/billing/payments/<reference>")
@allow(ANY_USER)
def payment(reference: str) -> Any:
    p = _visible(reference)
    return render_template(
        "billing/payment.html",
        payment=p,
        refunds=payment_service.refunds_of(p),
        notice=payment_service.notice_of(p),
    )


@bp.route("/billing/payments/<reference>/receipt.pdf")
@allow(ANY_USER)
def receipt(reference: str) -> Response:
    p = _visible(reference)
    try:
        pdf = payment_service.receipt_pdf(p)
    except Conflict:
        abort(404)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{p.reference}.pdf"'},
    )


@bp.route("/billing/statements/<month>.pdf")
@allow(ANY_USER)
def statement(month: str) -> Response:
    """An invoiced organisation's statement; staff pick the organisation with ?org=<id>."""
    try:
        year, mon = payment_service.parse_month(month)
        org = payment_service.statement_organisation(g.user, request.args.get("org", type=int))
        pdf = payment_service.statement_pdf(org, year, mon)
    except NotFound:
        abort(404)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="statement-{org.id}-{month}.pdf"'},
    )


# --- the editors' desk -------------------------------------------------------------------------


@bp.route("/desk/payments/")
@allow(*STAFF)
def desk_list() -> Any:
    filters = payment_service.DeskFilter(
        status=request.args.get("status", "") if request.args.get("status") in DESK_FILTERS else "",
        method=request.args.get("method", "") if request.args.get("method") in states.METHOD_LABELS else "",
        query=request.args.get("q", "")[:60],
    )
    rows = payment_service.desk_payments(filters)
    orgs = payment_service.organisations(p.org_id for p in rows)
    return render_template(
        "billing/desk_list.html",
        payments=rows,
        orgs=orgs,
        filters=filters,
        statuses=DESK_FILTERS,
        methods=states.METHOD_LABELS,
    )


@bp.route("/desk/payments/<reference>")
@allow(*STAFF)
def desk_payment(reference: str) -> Any:
    p = _visible(reference)
    return render_template(
        "billing/desk_payment.html",
        payment=p,
        org=payment_service.organisations([p.org_id]).get(p.org_id or 0),
        refunds=payment_service.refunds_of(p),
        history=payment_service.history_of(p),
        refundable=p.amount_fen - p.refunded_fen,
    )


@bp.route("/desk/payments/<reference>/mark_paid", methods=["POST"])
@allow(*STAFF)
def desk_mark_paid(reference: str) -> Any:
    p = _visible(reference)
    try:
        paid = payment_service.mark_paid_offline(p, g.user, request.form.get("note", "")[:200])
    except Conflict as err:
        _flash_error(err)
        return redirect(url_for("billing.desk_payment", reference=reference))
    flash(t("已确认收款", "Marked as paid"))
    return redirect(url_for("billing.desk_payment", reference=paid.reference))


@bp.route("/desk/payments/<reference>/refund", methods=["POST"])
@allow(*STAFF)
def desk_refund(reference: str) -> Any:
    p = _visible(reference)
    # Control characters never reach the refund record or the payment log (fuzz finding).
    reason = clean_text(request.form.get("reason", ""))[:300]
    try:
        if not reason:
            raise FieldErrors({"reason": [t("请填写退款原因", "Please give a reason for the refund")]})
        amount = parse_yuan(request.form.get("amount", ""))
        created = payment_service.refund(p, amount, reason, g.user)
    except (Conflict, FieldErrors, RuleError) as err:
        _flash_error(err)
    else:
        flash(
            t("退款已提交:", "Refund recorded: ")
            + payment_label(created.status)
            + (f"({created.failure_reason})" if created.failure_reason else "")
        )
    return redirect(url_for("billing.desk_payment", reference=reference))


@bp.route("/desk/payments/<reference>/refunds/<int:refund_id>/<any(retry, settle):action>", methods=["POST"])
@allow(*STAFF)
def desk_refund_action(reference: str, refund_id: int, action: str) -> Any:
    p = _visible(reference)
    try:
        row = payment_service.refund_of(p, refund_id)
    except NotFound:
        abort(404)
    try:
        if action == "retry":
            row = payment_service.retry_refund(row, g.user)
        else:
            row = payment_service.settle_refund(row, g.user)
    except Conflict as err:
        _flash_error(err)
    else:
        flash(t("退款状态:", "Refund: ") + payment_label(row.status))
    return redirect(url_for("billing.desk_payment", reference=reference))
