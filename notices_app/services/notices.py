"""Notice operations: create, edit, move through the workflow, and scope every query to its owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select

from notices_app.extensions import db
from notices_app.models import Notice, NoticeEvent, NoticeRun, Publication, User, utcnow
from notices_app.rules import workflow
from notices_app.rules.messages import RuleError, msg
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.services.publication_context import current_publication, publication_calendar
from notices_app.services.typesetting import quote_notice, quote_to_charge


def visible_notices(actor: User) -> Select[tuple[Notice]]:
    """The notices `actor` may see: staff see all, everyone else only their organisation's."""
    query = select(Notice)
    if not actor.is_staff:
        query = query.where(Notice.org_id == (actor.org_id if actor.org_id is not None else -1))
    return query


def get_notice(notice_id: int, actor: User, *, for_update: bool = False) -> Notice:
    """Load a notice the actor may see, or raise NotFound (never 403: existence is not disclosed)."""
    query = visible_notices(actor).where(Notice.id == notice_id)
    if for_update:
        # The write lock before the read (notices_app/db_locks): two editors, or an editor and
        # the webhook, cannot both act on the same state.
        query = query.with_for_update()
    notice = db.session.scalar(query)
    if notice is None:
        raise NotFound(notice_id)
    return notice


def _check_run_dates(pub: Publication, run_dates: list[date], now: datetime, *, required: bool) -> None:
    cal = publication_calendar(pub)
    try:
        cal.check_run_dates(run_dates, now, for_submission=required)
    except RuleError as err:
        raise FieldErrors({"run_dates": [err.message]}) from err


def _set_runs(notice: Notice, run_dates: list[date]) -> None:
    wanted = sorted(set(run_dates))
    notice.runs = [r for r in notice.runs if r.run_date in wanted]
    have = {r.run_date for r in notice.runs}
    notice.runs.extend(NoticeRun(run_date=d) for d in wanted if d not in have)


@dataclass(frozen=True)
class NoticeInput:
    kind: str
    fields: dict[str, Any]
    run_dates: list[date]
    warnings_confirmed: bool = False


def create_notice(actor: User, data: NoticeInput, *, now: datetime | None = None) -> Notice:
    """Save a validated draft for the actor's organisation, quoted from its typeset form."""
    now = now or utcnow()
    if actor.org_id is None:
        raise FieldErrors(
            {"_": [msg("notice.org", "账户未关联单位,不能提交公告", "This account has no organisation")]}
        )
    pub = current_publication()
    _check_run_dates(pub, data.run_dates, now, required=False)
    notice = Notice(
        publication_id=pub.id,
        org_id=actor.org_id,
        created_by_id=actor.id,
        kind=data.kind,
        status="draft",
        fields=data.fields,
        warnings_confirmed=data.warnings_confirmed,
    )
    _set_runs(notice, data.run_dates)
    db.session.add(notice)
    db.session.flush()
    _requote(notice, pub, now)
    _log(notice, actor, "create", "draft", "draft", None)
    db.session.commit()
    return notice


def update_notice(notice: Notice, actor: User, data: NoticeInput, *, now: datetime | None = None) -> Notice:
    """Replace a draft's fields and run dates (only drafts and notices sent back for changes)."""
    now = now or utcnow()
    # Under the write lock: an edit and a submit from two tabs cannot cross (notices_app/db_locks).
    notice = get_notice(notice.id, actor, for_update=True)
    if notice.status not in ("draft", "changes_requested"):
        raise Conflict(
            msg(
                "notice.locked",
                "公告已提交,当前状态({state})不能修改",
                "The notice can no longer be edited in state {state}",
                state=notice.status,
            )
        )
    pub = db.session.get(Publication, notice.publication_id)
    assert pub is not None
    _check_run_dates(pub, data.run_dates, now, required=False)
    notice.fields = data.fields
    notice.warnings_confirmed = data.warnings_confirmed
    _set_runs(notice, data.run_dates)
    _requote(notice, pub, now)
    db.session.commit()
    return notice


def _requote(notice: Notice, pub: Publication, now: datetime) -> None:
    q = quote_notice(notice.kind, notice.fields, len(notice.runs) or 1, pub, now)
    notice.quote = q.to_dict()
    notice.price_fen = q.total_fen


def _log(
    notice: Notice, actor: User | None, action: str, from_state: str, to_state: str, reason: str | None
) -> None:
    db.session.add(
        NoticeEvent(
            notice_id=notice.id,
            actor_id=actor.id if actor else None,
            actor_role=actor.role if actor else "system",
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
        )
    )


def transition(
    notice_id: int, action: str, actor: User | None, *, reason: str | None = None, now: datetime | None = None
) -> Notice:
    """Apply one workflow action through the transition table and log it in the same transaction.

    `actor=None` is the system (the payment gateway, the scheduler). Refusals raise Conflict and
    change nothing. Commits; `apply_transition` is the same step inside a larger unit of work.
    """
    try:
        notice = apply_transition(notice_id, action, actor, reason=reason, now=now)
    except (Conflict, FieldErrors, NotFound):
        db.session.rollback()  # nothing half-done, and the write lock is let go at once
        raise
    db.session.commit()
    from notices_app.services import payments  # late: payments reads notices in its hooks

    payments.flush_outbox()  # refunds the transition decided go to Stripe after the commit
    return notice


def apply_transition(
    notice_id: int, action: str, actor: User | None, *, reason: str | None = None, now: datetime | None = None
) -> Notice:
    """`transition` without the commit: the caller commits (and then calls
    `payments.flush_outbox`), or rolls back on Conflict/FieldErrors.

    The notice is read under the write lock (notices_app/db_locks) before anything is decided,
    so of two actions at the same moment the second sees the first one's outcome.
    """
    now = now or utcnow()
    notice = (
        db.session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
        if actor is None
        else get_notice(notice_id, actor, for_update=True)
    )
    if notice is None:
        raise NotFound(notice_id)
    role = actor.role if actor else "system"
    pub = db.session.get(Publication, notice.publication_id)
    assert pub is not None
    cal = publication_calendar(pub)
    first_run = min(notice.run_dates) if notice.runs else None
    before_cutoff = first_run is None or now < cal.cutoff_for(first_run)
    if action in workflow.REASON_REQUIRED and not (reason and reason.strip()):
        raise FieldErrors({"reason": [msg("reason.required", "请填写原因", "Please give a reason")]})
    if action == "submit":
        _check_submittable(notice, pub, now)
        # The quote shown with the proof is the price charged while it is valid.
        charged = quote_to_charge(notice, pub, now)
        notice.quote, notice.price_fen = charged.to_dict(), charged.total_fen
    ctx = workflow.Context(payment_due=_payment_due(notice), before_cutoff=before_cutoff)
    try:
        new_state = workflow.apply(notice.status, action, role, ctx)
    except workflow.TransitionRefused as err:
        raise Conflict(err.message) from err
    old_state = notice.status
    notice.status = new_state
    if action in workflow.REASON_REQUIRED:
        notice.editor_reason = reason
    _log(notice, actor, action, old_state, new_state, reason)
    from notices_app.services import payments  # late: payments reads notices in its hooks

    payments.notice_transitioned(notice, action, old_state, actor, before_cutoff=before_cutoff)
    db.session.flush()
    return notice


def _payment_due(notice: Notice) -> bool:
    from flask import current_app

    if notice.org.invoiced or not current_app.config["PAY_BEFORE_REVIEW"]:
        return False
    return bool(notice.price_fen)


def _check_submittable(notice: Notice, pub: Publication, now: datetime) -> None:
    from notices_app.forms import submission_problems

    errors = submission_problems(notice.kind, notice.fields, notice.warnings_confirmed)
    if errors:
        raise FieldErrors(errors)
    _check_run_dates(pub, notice.run_dates, now, required=True)


def desk_queue(status: str | None, kind: str | None, run_date: date | None) -> list[Notice]:
    query = select(Notice).order_by(Notice.updated_at.desc())
    if status:
        query = query.where(Notice.status == status)
    else:
        query = query.where(Notice.status.in_(("submitted", "paid", "awaiting_payment", "changes_requested")))
    if kind:
        query = query.where(Notice.kind == kind)
    if run_date:
        query = query.where(Notice.runs.any(NoticeRun.run_date == run_date))
    return list(db.session.scalars(query.limit(500)))


def org_history(notice: Notice) -> list[Notice]:
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.org_id == notice.org_id, Notice.id != notice.id)
            .order_by(Notice.id.desc())
        )
    )
