"""The pages one `lay_out` call fills (grids, blocks, stories, overflow, skylines, jumps) and the
refusals every placement step shares."""

from __future__ import annotations

from typing import Literal

from notices_app.layout.layout_rules import LayoutRules
from notices_app.layout.page_grid import PageGrid
from notices_app.layout.page_types import (
    EditionLayout,
    EditionPlan,
    Overflow,
    PageLayout,
    Placement,
    StoryPlacement,
)
from notices_app.rules.messages import Message, msg


class EditionState:
    """The pages being filled. Mutable working state of one `lay_out` call, never returned."""

    def __init__(self, plan: EditionPlan, columns: int, lines: int, rules: LayoutRules) -> None:
        self.plan = plan
        self.columns = columns
        self.lines = lines
        self.rules = rules
        self.pad = rules.gap_lines
        self.target = rules.target_column_lines or max(1, lines // 3)
        count = len(plan.pages)
        self.grids = [PageGrid(columns, lines) for _ in range(count)]
        self.blocks: list[list[Placement]] = [[] for _ in range(count)]
        self.placed: list[list[StoryPlacement]] = [[] for _ in range(count)]
        self.overflow: list[Overflow] = []
        # Notice skylines: the next free line from the top (classifieds pages pack downwards) and
        # from the foot (mixed pages pack upwards, so news keeps the top of the page).
        self.sky_down = [[0] * columns for _ in range(count)]
        self.sky_up = [[lines] * columns for _ in range(count)]
        self.story_pages = [i for i, p in enumerate(plan.pages) if p.role in ("news", "mixed")]
        self.lead_done = False
        self.jumps = [0] * count

    def result(self) -> EditionLayout:
        pages = tuple(
            PageLayout(p.number, p.role, p.label, tuple(self.placed[i]), tuple(self.blocks[i]))
            for i, p in enumerate(self.plan.pages)
        )
        return EditionLayout(self.columns, self.lines, pages, tuple(self.overflow))

    def _refuse(self, kind: Literal["story", "notice", "ad"], item_id: str, reason: Message) -> None:
        self.overflow.append(Overflow(kind, item_id, reason))

    def _size_problem(self, what: str, cols: int, lines: int) -> Message | None:
        if cols < 1 or lines < 1:
            return msg(
                f"layout.{what}_bad_size",
                "尺寸{cols}栏×{lines}行无效",
                "the size {cols} columns × {lines} lines is not valid",
                cols=cols,
                lines=lines,
            )
        if cols > self.columns or lines > self.lines:
            return msg(
                f"layout.{what}_too_large",
                "{cols}栏×{lines}行大于版心{columns}栏×{grid_lines}行",
                "{cols} columns × {lines} lines is larger than the type area ({columns} columns × {grid_lines} lines)",
                cols=cols,
                lines=lines,
                columns=self.columns,
                grid_lines=self.lines,
            )
        return None

    def _page_missing(self, code: str, page: int) -> Message | None:
        if 1 <= page <= len(self.plan.pages):
            return None
        return msg(
            code,
            "第{page}版不在本期版面计划中(共{pages}个版)",
            "page {page} is not in the edition plan ({pages} pages)",
            page=page,
            pages=len(self.plan.pages),
        )

    def _pin_no_room(self, page: int) -> Message:
        return msg(
            "layout.pin_no_room",
            "指定的第{page}版已没有足够位置",
            "no room left on the pinned page {page}",
            page=page,
        )
