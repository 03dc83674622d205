"""An edition's page plan as stored data (JSON) and as the layout engine's values.

Stored shape: {"pages": [{"number", "role", "label"}], "pins": [{"kind", "id", "page",
"position"}], "notice_groups": [...]}. An empty plan means the default for the page count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from notices_app.layout.page_types import EditionPlan, PagePlan, PageRole, Pin, PinPosition
from notices_app.rules.messages import RuleError, msg

ROLES: tuple[PageRole, ...] = ("news", "mixed", "classifieds")
PIN_POSITIONS: tuple[PinPosition, ...] = ("any", "top", "bottom")
ROLE_LABELS = {
    "news": ("新闻", "News"),
    "mixed": ("综合", "Mixed"),
    "classifieds": ("分类广告", "Classifieds"),
}
DEFAULT_LABELS = {"news": "要闻", "mixed": "综合", "classifieds": "分类广告"}
MAX_PAGES = 64
DEFAULT_GROUPS = EditionPlan(()).notice_groups

PinKey = tuple[str, str]  # ("story" | "notice", id)


def default_plan(page_count: int) -> EditionPlan:
    """News on every page but the last, which carries the classifieds; one page is mixed."""
    if page_count <= 1:
        return EditionPlan((PagePlan(1, "mixed", DEFAULT_LABELS["mixed"]),))
    pages = [PagePlan(n, "news", DEFAULT_LABELS["news"] if n == 1 else "新闻") for n in range(1, page_count)]
    pages.append(PagePlan(page_count, "classifieds", DEFAULT_LABELS["classifieds"]))
    return EditionPlan(tuple(pages))


def plan_from_data(data: Mapping[str, Any], page_count: int) -> tuple[EditionPlan, dict[PinKey, Pin]]:
    """The plan and pins stored on an edition (checked; RuleError on anything malformed)."""
    raw_pages = data.get("pages") or []
    if not raw_pages:
        plan = default_plan(page_count)
    else:
        pages: list[PagePlan] = []
        for i, p in enumerate(raw_pages, start=1):
            role = p.get("role")
            if role not in ROLES:
                raise RuleError(
                    msg("plan.role", "第{n}版的版面类型无效", "page {n} has an invalid role", n=i)
                )
            label = str(p.get("label") or DEFAULT_LABELS[role])[:20]
            pages.append(PagePlan(i, cast(PageRole, role), label))
        groups = tuple(str(g) for g in data.get("notice_groups") or DEFAULT_GROUPS)
        plan = EditionPlan(tuple(pages), groups)
    pins: dict[PinKey, Pin] = {}
    for pin in data.get("pins") or []:
        kind, ident, page = pin.get("kind"), str(pin.get("id")), pin.get("page")
        position = pin.get("position") or "any"
        if kind not in ("story", "notice") or position not in PIN_POSITIONS:
            raise RuleError(msg("plan.pin", "固定位置设置无效", "invalid pin"))
        if not isinstance(page, int) or not 1 <= page <= len(plan.pages):
            raise RuleError(
                msg(
                    "plan.pin_page",
                    "固定的版次{page}不在本期版面内",
                    "pinned page {page} is not in this edition",
                    page=page,
                )
            )
        pins[(kind, ident)] = Pin(page, cast(PinPosition, position))
    return plan, pins


def plan_to_data(plan: EditionPlan, pins: Mapping[PinKey, Pin]) -> dict[str, Any]:
    return {
        "pages": [{"number": p.number, "role": p.role, "label": p.label} for p in plan.pages],
        "notice_groups": list(plan.notice_groups),
        "pins": [
            {"kind": k, "id": i, "page": pin.page, "position": pin.position}
            for (k, i), pin in sorted(pins.items())
        ],
    }


def set_pages(plan: EditionPlan, roles: list[tuple[str, str]]) -> EditionPlan:
    """A plan with new pages (role, label) in order; RuleError names the page that is wrong."""
    if not 1 <= len(roles) <= MAX_PAGES:
        raise RuleError(
            msg("plan.count", "版数须在1到{max}之间", "an edition has 1 to {max} pages", max=MAX_PAGES)
        )
    pages: list[PagePlan] = []
    for i, (role, label) in enumerate(roles, start=1):
        if role not in ROLES:
            raise RuleError(msg("plan.role", "第{n}版的版面类型无效", "page {n} has an invalid role", n=i))
        pages.append(PagePlan(i, cast(PageRole, role), (label.strip() or DEFAULT_LABELS[role])[:20]))
    return EditionPlan(tuple(pages), plan.notice_groups)
