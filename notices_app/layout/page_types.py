"""Values of the page layout engine: what goes onto an edition's pages, and where it went.

Everything here is measured on the publication's grid: columns (0-based index from the left of
the type area) and grid lines (0-based from the top of the type area, one line = the body
leading). The engine never sees text or fonts; the typesetter measures each block in grid units
first (`StoryMetrics`, `NoticeMetrics`, `AdRequest`) and the renderer draws what the engine
placed (`EditionLayout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from notices_app.rules.messages import Message

PageRole = Literal["news", "classifieds", "mixed"]
# "full": the whole type area; "ear": 报眼, top right of the page; "bottom": stacked up from the
# foot of the page, right-aligned when narrower than the page (bands, fractions, boxes).
AdPosition = Literal["full", "ear", "bottom"]
PinPosition = Literal["top", "bottom", "any"]


@dataclass(frozen=True)
class Box:
    """A rectangle on one page's grid: `cols` columns from `col`, `lines` grid lines from `line`."""

    col: int
    cols: int
    line: int
    lines: int

    @property
    def end_col(self) -> int:
        return self.col + self.cols

    @property
    def end_line(self) -> int:
        return self.line + self.lines

    def overlaps(self, other: Box) -> bool:
        return (
            self.col < other.end_col
            and other.col < self.end_col
            and self.line < other.end_line
            and other.line < self.end_line
        )

    def inside(self, columns: int, lines: int) -> bool:
        return self.col >= 0 and self.line >= 0 and self.end_col <= columns and self.end_line <= lines


@dataclass(frozen=True)
class Pin:
    """An editor's manual placement: this block on that page, at its top or bottom."""

    page: int  # 1-based
    position: PinPosition = "any"


@dataclass(frozen=True)
class PagePlan:
    number: int  # 1-based
    role: PageRole
    label: str = ""  # 版名, e.g. 要闻, 分类广告


@dataclass(frozen=True)
class EditionPlan:
    """The editor's plan of an edition: its pages and the order notice groups appear in."""

    pages: tuple[PagePlan, ...]
    notice_groups: tuple[str, ...] = ("general", "termination", "lost_license")


@dataclass(frozen=True)
class BodyChunk:
    """A run of a story body at one column's width: a paragraph, or a section head (which must
    stay with the lines that follow it)."""

    kind: Literal["para", "head"]
    lines: int


@dataclass(frozen=True)
class StoryMetrics:
    """A story measured by the typesetter.

    `headline_lines[k - 1]` is the height of the headline block (headline, deck, dateline) when
    it spans k columns; `figure_lines[k - 1]` likewise for the photo with its caption (empty when
    the story has no photo). The body is set one column wide; its lines are numbered 0, 1, … across
    all chunks, section heads included.
    """

    id: str
    headline_lines: tuple[int, ...]
    body: tuple[BodyChunk, ...]
    figure_lines: tuple[int, ...] = ()
    pin: Pin | None = None

    @property
    def body_lines(self) -> int:
        return sum(c.lines for c in self.body)


@dataclass(frozen=True)
class NoticeMetrics:
    id: str
    group: str  # the notice kind; groups are placed in EditionPlan.notice_groups order
    cols: int
    lines: int
    pin: Pin | None = None


@dataclass(frozen=True)
class AdRequest:
    """A booked display ad: its page, its position and its size on the grid."""

    id: str
    page: int
    position: AdPosition
    cols: int
    lines: int
    # A sold inventory slot has a fixed place on the page (the diagram the advertiser saw): the
    # ad goes exactly there, and `position` only names it.
    at: Box | None = None


@dataclass(frozen=True)
class BodySegment:
    """Part of a story body in one column.

    The box holds `count` body lines starting at body line `first`, plus one jump line at its
    top when `jump_from` is set ("(上接第N版)") and one at its foot when `jump_to` is set
    ("(下转第N版)"): box.lines == count + (jump_from is not None) + (jump_to is not None).
    """

    box: Box
    first: int
    count: int
    jump_from: int | None = None
    jump_to: int | None = None


@dataclass(frozen=True)
class StoryPlacement:
    """A story (or its continuation) on one page."""

    story_id: str
    page: int
    headline: Box | None  # None on a continuation page
    figure: Box | None
    segments: tuple[BodySegment, ...]


@dataclass(frozen=True)
class Placement:
    """A notice or a display ad placed on a page."""

    kind: Literal["notice", "ad"]
    id: str
    page: int
    box: Box


@dataclass(frozen=True)
class Overflow:
    """Something that could not be placed, and why (shown to the editor; the build fails)."""

    kind: Literal["story", "notice", "ad"]
    id: str
    reason: Message


@dataclass(frozen=True)
class PageLayout:
    number: int
    role: PageRole
    label: str
    stories: tuple[StoryPlacement, ...]
    blocks: tuple[Placement, ...]

    def boxes(self) -> list[tuple[str, Box]]:
        """Every occupied box on the page, labelled, for overlap checks and the planner view."""
        out: list[tuple[str, Box]] = [(f"{b.kind}:{b.id}", b.box) for b in self.blocks]
        for s in self.stories:
            if s.headline is not None:
                out.append((f"story:{s.story_id}:headline", s.headline))
            if s.figure is not None:
                out.append((f"story:{s.story_id}:figure", s.figure))
            out += [(f"story:{s.story_id}:body", seg.box) for seg in s.segments]
        return out


@dataclass(frozen=True)
class EditionLayout:
    columns: int
    lines: int  # grid lines per page (the type area's height)
    pages: tuple[PageLayout, ...]
    overflow: tuple[Overflow, ...]

    def page(self, number: int) -> PageLayout:
        return self.pages[number - 1]
