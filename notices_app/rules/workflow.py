"""The notice state machine: one transition table, as data.

    draft ─submit─▶ submitted ───────────────┐
      │   └submit (payment due)▶ awaiting_payment ─mark_paid─▶ paid
      │                                       ▼                  ▼
      │               approve / reject / request_changes (from submitted or paid)
      │               approved ─schedule─▶ scheduled ─publish─▶ published
      │               changes_requested ─submit─▶ …
      └ withdraw (before the first run's cut-off) from any state before published ─▶ withdrawn

Ownership (a filer acts only on their own organisation's notices) is checked by the service
layer; this table only knows roles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from notices_app.rules.messages import RuleError, msg


class Label(NamedTuple):
    zh: str
    en: str

    def render(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh


STATE_LABELS: Mapping[str, Label] = {
    "draft": Label("草稿", "Draft"),
    "submitted": Label("已提交", "Submitted"),
    "awaiting_payment": Label("待付款", "Awaiting payment"),
    "paid": Label("已付款", "Paid"),
    "approved": Label("已审核通过", "Approved"),
    "rejected": Label("已拒绝", "Rejected"),
    "changes_requested": Label("待修改", "Changes requested"),
    "scheduled": Label("已排期", "Scheduled"),
    "published": Label("已刊登", "Published"),
    "withdrawn": Label("已撤回", "Withdrawn"),
}
STATES: tuple[str, ...] = tuple(STATE_LABELS)

ACTION_LABELS: Mapping[str, Label] = {
    "submit": Label("提交", "Submit"),
    "mark_paid": Label("确认付款", "Mark as paid"),
    "approve": Label("审核通过", "Approve"),
    "reject": Label("拒绝", "Reject"),
    "request_changes": Label("退回修改", "Request changes"),
    "schedule": Label("排期", "Schedule"),
    "publish": Label("刊登", "Publish"),
    "withdraw": Label("撤回", "Withdraw"),
}
ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)

ROLE_LABELS: Mapping[str, Label] = {
    "filer": Label("登报人", "Filer"),
    # Advertisers book display ads; they hold an account but take no part in the notice workflow.
    "advertiser": Label("广告客户", "Advertiser"),
    "editor": Label("编辑", "Editor"),
    "admin": Label("管理员", "Administrator"),
    "system": Label("系统", "System"),
}
ROLES: tuple[str, ...] = tuple(ROLE_LABELS)

# The service refuses these actions without a non-blank reason (shown to the filer).
REASON_REQUIRED: frozenset[str] = frozenset({"reject", "request_changes"})

INITIAL_STATE = "draft"
TERMINAL_STATES: frozenset[str] = frozenset({"published", "rejected", "withdrawn"})


@dataclass(frozen=True)
class Context:
    """Facts about the notice the caller supplies; the table's conditions read only these."""

    payment_due: bool = False  # payment must be made before the desk reviews the notice
    before_cutoff: bool = True  # now is before the cut-off of the first run date


@dataclass(frozen=True)
class Transition:
    from_state: str
    action: str
    to_state: str
    roles: frozenset[str]
    condition: str | None = None


CONDITIONS: Mapping[str, Callable[[Context], bool]] = {
    "payment_due": lambda c: c.payment_due,
    "no_payment_due": lambda c: not c.payment_due,
    "before_cutoff": lambda c: c.before_cutoff,
}

_FILER_DESK = frozenset({"filer", "editor", "admin"})
_DESK = frozenset({"editor", "admin"})
_DESK_SYSTEM = frozenset({"editor", "admin", "system"})
# The payment gateway confirms online payments; an editor confirms cash paid at the counter.
_PAYMENT = frozenset({"system", "editor"})
# Withdrawal is the filer's right; the desk can withdraw on a filer's phoned-in request.
_WITHDRAW = frozenset({"filer", "editor"})
_WITHDRAWABLE = (
    "draft",
    "submitted",
    "awaiting_payment",
    "paid",
    "approved",
    "changes_requested",
    "scheduled",
)

TRANSITIONS: tuple[Transition, ...] = (
    *(
        Transition(src, "submit", dst, _FILER_DESK, cond)
        for src in ("draft", "changes_requested")
        for dst, cond in (("submitted", "no_payment_due"), ("awaiting_payment", "payment_due"))
    ),
    Transition("awaiting_payment", "mark_paid", "paid", _PAYMENT),
    *(
        Transition(src, action, dst, _DESK)
        for src in ("submitted", "paid")
        for action, dst in (
            ("approve", "approved"),
            ("reject", "rejected"),
            ("request_changes", "changes_requested"),
        )
    ),
    Transition("approved", "schedule", "scheduled", _DESK_SYSTEM),
    Transition("scheduled", "publish", "published", _DESK_SYSTEM),
    *(Transition(src, "withdraw", "withdrawn", _WITHDRAW, "before_cutoff") for src in _WITHDRAWABLE),
)


class TransitionRefused(RuleError):
    """An action that does not apply: wrong state, role or condition (the app answers 409)."""

    def __init__(self, message_code: str, state: str, action: str, role: str, zh: str, en: str) -> None:
        super().__init__(
            msg(
                message_code,
                zh,
                en,
                state=STATE_LABELS[state].zh if state in STATE_LABELS else state,
                state_en=STATE_LABELS[state].en.lower() if state in STATE_LABELS else state,
                action=ACTION_LABELS[action].zh if action in ACTION_LABELS else action,
                action_en=ACTION_LABELS[action].en.lower() if action in ACTION_LABELS else action,
                role=ROLE_LABELS[role].zh if role in ROLE_LABELS else role,
                role_en=ROLE_LABELS[role].en.lower() if role in ROLE_LABELS else role,
            )
        )
        self.state = state
        self.action = action
        self.role = role


_CONDITION_REFUSALS: Mapping[str, tuple[str, str]] = {
    "before_cutoff": (
        "已过首个刊登日期的截稿时间，稿件不能再{action}",
        "The cut-off of the first run date has passed: the notice can no longer be withdrawn",
    ),
}


def _check_known(state: str, role: str) -> None:
    # Unknown states and roles come from our own database, not from users: a bug, not a refusal.
    if state not in STATE_LABELS:
        raise ValueError(f"unknown notice state {state!r}")
    if role not in ROLE_LABELS:
        raise ValueError(f"unknown role {role!r}")


def apply(state: str, action: str, role: str, ctx: Context) -> str:
    """The state after `role` performs `action` on a notice in `state`, or TransitionRefused."""
    _check_known(state, role)
    if action not in ACTION_LABELS:
        raise TransitionRefused(
            "workflow.unknown_action", state, action, role, "未知操作：{action}", "Unknown action: {action}"
        )
    rows = [t for t in TRANSITIONS if t.from_state == state and t.action == action]
    if not rows:
        raise TransitionRefused(
            "workflow.wrong_state",
            state,
            action,
            role,
            "稿件当前状态为“{state}”，不能{action}",
            "Cannot {action_en} a notice that is {state_en}",
        )
    rows = [t for t in rows if role in t.roles]
    if not rows:
        raise TransitionRefused(
            "workflow.role_forbidden",
            state,
            action,
            role,
            "{role}无权对状态为“{state}”的稿件执行“{action}”",
            "A {role_en} may not {action_en} a notice that is {state_en}",
        )
    for t in rows:
        if t.condition is None or CONDITIONS[t.condition](ctx):
            return t.to_state
    failed = rows[0].condition or ""
    zh, en = _CONDITION_REFUSALS.get(
        failed,
        ("稿件当前状态为“{state}”，暂不能{action}", "Cannot {action_en} this notice now ({state_en})"),
    )
    code = "workflow.past_cutoff" if failed == "before_cutoff" else "workflow.condition_failed"
    raise TransitionRefused(code, state, action, role, zh, en)


def allowed_actions(state: str, role: str, ctx: Context) -> list[str]:
    """Actions `role` can perform now, in ACTIONS order."""
    out: list[str] = []
    for action in ACTIONS:
        try:
            apply(state, action, role, ctx)
        except TransitionRefused:
            continue
        out.append(action)
    return out


def allowed_actions_for(state: str, role: str) -> list[str]:
    """Actions `role` may perform from `state` under some context (for showing buttons).

    The conditions are checked again when the action is applied, e.g. a withdraw button shown
    before the cut-off is refused with a message after it.
    """
    _check_known(state, role)
    return [
        a
        for a in ACTIONS
        if any(t.from_state == state and t.action == a and role in t.roles for t in TRANSITIONS)
    ]
