"""The notice workflow as a full truth table over (state, action, role, context).

The expected behaviour below is written out by hand from the issue, independently of the
table in the module, so a wrong row in either shows up as a failure.
"""

from itertools import product

import pytest

from notices_app.rules import workflow
from notices_app.rules.messages import RuleError
from notices_app.rules.workflow import Context, TransitionRefused

STATES = [
    "draft",
    "submitted",
    "awaiting_payment",
    "paid",
    "approved",
    "rejected",
    "changes_requested",
    "scheduled",
    "published",
    "withdrawn",
]
ACTIONS = ["submit", "mark_paid", "approve", "reject", "request_changes", "schedule", "publish", "withdraw"]
ROLES = ["filer", "advertiser", "editor", "admin", "system"]
CONTEXTS = [Context(payment_due=p, before_cutoff=b) for p, b in product((False, True), repeat=2)]

DESK = {"editor", "admin"}
# (state, action) → (roles allowed, outcome); "SUBMIT" and "WITHDRAW" depend on the context.
SPEC: dict[tuple[str, str], tuple[set[str], str]] = {
    ("draft", "submit"): ({"filer", "editor", "admin"}, "SUBMIT"),
    ("changes_requested", "submit"): ({"filer", "editor", "admin"}, "SUBMIT"),
    ("awaiting_payment", "mark_paid"): ({"system", "editor"}, "paid"),
    ("submitted", "approve"): (DESK, "approved"),
    ("submitted", "reject"): (DESK, "rejected"),
    ("submitted", "request_changes"): (DESK, "changes_requested"),
    ("paid", "approve"): (DESK, "approved"),
    ("paid", "reject"): (DESK, "rejected"),
    ("paid", "request_changes"): (DESK, "changes_requested"),
    ("approved", "schedule"): ({"editor", "admin", "system"}, "scheduled"),
    ("scheduled", "publish"): ({"editor", "admin", "system"}, "published"),
    **{
        (s, "withdraw"): ({"filer", "editor"}, "WITHDRAW")
        for s in (
            "draft",
            "submitted",
            "awaiting_payment",
            "paid",
            "approved",
            "changes_requested",
            "scheduled",
        )
    },
}


def expected(state: str, action: str, role: str, ctx: Context) -> str:
    """The new state, or the refusal code prefixed with '!'."""
    if (state, action) not in SPEC:
        return "!workflow.wrong_state"
    roles, outcome = SPEC[(state, action)]
    if role not in roles:
        return "!workflow.role_forbidden"
    if outcome == "SUBMIT":
        return "awaiting_payment" if ctx.payment_due else "submitted"
    if outcome == "WITHDRAW":
        return "withdrawn" if ctx.before_cutoff else "!workflow.past_cutoff"
    return outcome


@pytest.mark.parametrize(
    ("state", "action", "role", "ctx"),
    list(product(STATES, ACTIONS, ROLES, CONTEXTS)),
)
def test_truth_table(state: str, action: str, role: str, ctx: Context) -> None:
    want = expected(state, action, role, ctx)
    if want.startswith("!"):
        with pytest.raises(TransitionRefused) as err:
            workflow.apply(state, action, role, ctx)
        assert err.value.message.code == want[1:]
        assert isinstance(err.value, RuleError)
    else:
        assert workflow.apply(state, action, role, ctx) == want
    ok = not want.startswith("!")
    assert (action in workflow.allowed_actions(state, role, ctx)) is ok


@pytest.mark.parametrize(("state", "role"), list(product(STATES, ROLES)))
def test_allowed_actions_for_ignores_conditions(state: str, role: str) -> None:
    want = [a for a in ACTIONS if (state, a) in SPEC and role in SPEC[(state, a)][0]]
    assert workflow.allowed_actions_for(state, role) == want


def test_module_lists_match_the_spec() -> None:
    assert list(workflow.STATES) == STATES
    assert list(workflow.ACTIONS) == ACTIONS
    assert list(workflow.ROLES) == ROLES
    assert set(workflow.STATE_LABELS) == set(STATES)
    assert all(label.zh and label.en for label in workflow.STATE_LABELS.values())
    assert all(label.zh and label.en for label in workflow.ACTION_LABELS.values())
    assert {"reject", "request_changes"} == workflow.REASON_REQUIRED
    assert workflow.INITIAL_STATE == "draft"


def test_terminal_states_have_no_way_out() -> None:
    for state in workflow.TERMINAL_STATES:
        for role in ROLES:
            assert workflow.allowed_actions_for(state, role) == []


def test_every_state_is_reachable_from_draft() -> None:
    seen = {"draft"}
    frontier = ["draft"]
    while frontier:
        s = frontier.pop()
        for t in workflow.TRANSITIONS:
            if t.from_state == s and t.to_state not in seen:
                seen.add(t.to_state)
                frontier.append(t.to_state)
    assert seen == set(STATES)


def test_refusal_messages_name_action_and_state() -> None:
    with pytest.raises(TransitionRefused) as err:
        workflow.apply("published", "withdraw", "filer", Context())
    assert err.value.message.render("zh") == "稿件当前状态为“已刊登”，不能撤回"
    assert err.value.message.render("en") == "Cannot withdraw a notice that is published"
    assert (err.value.state, err.value.action, err.value.role) == ("published", "withdraw", "filer")

    with pytest.raises(TransitionRefused) as err:
        workflow.apply("submitted", "approve", "filer", Context())
    assert "登报人无权" in err.value.message.render("zh")
    assert "审核通过" in err.value.message.render("zh")

    with pytest.raises(TransitionRefused) as err:
        workflow.apply("scheduled", "withdraw", "filer", Context(before_cutoff=False))
    assert "截稿时间" in err.value.message.render("zh")


def test_unknown_inputs() -> None:
    with pytest.raises(TransitionRefused) as err:
        workflow.apply("draft", "explode", "filer", Context())
    assert err.value.message.code == "workflow.unknown_action"
    with pytest.raises(ValueError, match="state"):
        workflow.apply("lost", "submit", "filer", Context())
    with pytest.raises(ValueError, match="role"):
        workflow.apply("draft", "submit", "guest", Context())
