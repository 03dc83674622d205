"""What the story placement and the page fill hand each other: a story ready to place (`Job`),
a place for one of its parts (`Spot`), a part waiting for a page (`Item`) and the module a page
fill chose for it (`Leaf`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from notices_app.layout.body_flow import BodyBreaks, ColumnRun
from notices_app.layout.page_types import StoryMetrics

Cut = Literal["whole", "jump", "tail"]
LEAST_DEPTH = 2  # grid lines: a free run shallower than this holds no part of a story


@dataclass(frozen=True)
class Job:
    """A story with its column-break table and the widest span it was measured for."""

    story: StoryMetrics
    breaks: BodyBreaks
    max_span: int

    def headline(self, span: int) -> int:
        return self.story.headline_lines[span - 1]

    def figure(self, span: int) -> int:
        return self.story.figure_lines[span - 1] if self.story.figure_lines else 0


@dataclass(frozen=True)
class Spot:
    """Where a story part could go: `span` columns from `col`, top line `top`, and the body
    capacity of each column (a full module's balanced height, or a leftover area's free run)."""

    col: int
    span: int
    top: int
    caps: tuple[int, ...]
    full: bool


@dataclass(frozen=True)
class Item:
    """A story part waiting for a page: a story's start, or the rest of its body from line
    `start`, jumped from page index `source`."""

    job: Job
    start: int = 0
    source: int | None = None

    @property
    def head(self) -> bool:
        return self.source is None


@dataclass(frozen=True)
class Leaf:
    """One module a page fill chose: the item over `span` columns from `col`, from line `top`
    down `depths[j]` lines in its j-th column (headline included; equal unless the module sits
    on a stepped foot). A cut part continues on page index `target` ("jump") or ends there
    with the rest reported ("tail"), from body line `end`."""

    item: Item
    col: int
    span: int
    top: int
    depths: tuple[int, ...]
    cut: Cut
    runs: tuple[ColumnRun, ...] = ()  # empty: the whole body, balanced over the span
    end: int = 0
    target: int | None = None
