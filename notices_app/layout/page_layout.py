"""The page layout engine: booked ads, approved notices and stories on an edition's column grid.

Everything is in grid units (columns and body lines), so every block snaps to the baseline grid
by construction. The order of work is the order of precedence:

1. display ads, at the page and position they were booked and paid for;
2. the editor's pins (notices, then stories), which win over the automatic flows;
3. the notices, packed into the classifieds area by kind (公告, 遗失声明 …);
4. the stories, flowed into what is left of the news pages, continued across pages with
   "(下转第N版)/(上接第N版)" lines when they do not fit.

Nothing is dropped: whatever cannot be placed comes back in `EditionLayout.overflow` with a
bilingual reason for the editor. The engine is deterministic: ties are broken by position and
input order, never by hashing or set order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from notices_app.layout.body_flow import BodyBreaks, ColumnRun
from notices_app.layout.page_grid import PageGrid
from notices_app.layout.page_types import (
    AdRequest,
    BodySegment,
    Box,
    EditionLayout,
    EditionPlan,
    NoticeMetrics,
    Overflow,
    PageLayout,
    Placement,
    StoryMetrics,
    StoryPlacement,
)
from notices_app.rules.messages import Message, msg

# How a story's start is placed: across the full free width at the top (page 1's lead, a story
# pinned "top"), as low as it goes (pinned "bottom"), or by the target height (everything else).
_Mode = Literal["lead", "bottom", "normal"]
_AD_ORDER = {"full": 0, "ear": 1, "bottom": 2}  # a full page first: nothing else fits beside it
_POSITION_ZH = {"full": "整版", "ear": "报眼", "bottom": "底部"}


@dataclass(frozen=True)
class LayoutRules:
    """Tunables of the layout engine, in grid lines unless a name says otherwise."""

    min_segment_lines: int = 3  # body lines a story column should hold; also caps a story's span
    head_keep_lines: int = 2  # body lines kept in the same column under a section head
    min_start_body_lines: int = 5  # body lines under a headline to start a story in a leftover area
    target_column_lines: int | None = None  # module height a story's span aims at; None: page / 3
    gap_lines: int = 1  # white lines between vertically stacked blocks (0 or 1 on most papers)
    mixed_notice_share: float = 0.5  # notices on a mixed page stay in this bottom share of it
    # Smaller notices that follow a notice which went to the next page may still fill the page it
    # left (same kind only, so kinds stay contiguous). Costs strict input order inside a kind
    # across a page break; buys the empty lines that otherwise stay at every column's foot.
    notice_backfill: bool = True
    # Stories a page may start in a leftover area and continue elsewhere ("(下转第N版)"). Each
    # such start fills a hole; beyond one per page readers meet a page of jumps, so the next
    # story rather goes whole to the next page. None: no limit; 0: never start a story that jumps.
    max_jumps_per_page: int | None = 1

    def __post_init__(self) -> None:
        if min(self.min_segment_lines, self.min_start_body_lines) < 1:
            raise ValueError("min_segment_lines and min_start_body_lines must be at least 1")
        if self.head_keep_lines < 0 or self.gap_lines < 0:
            raise ValueError("head_keep_lines and gap_lines cannot be negative")
        if self.target_column_lines is not None and self.target_column_lines < 1:
            raise ValueError("target_column_lines must be at least 1")
        if not 0.0 <= self.mixed_notice_share <= 1.0:
            raise ValueError("mixed_notice_share is a fraction of the page height")


def lay_out(
    plan: EditionPlan,
    columns: int,
    lines: int,
    stories: Sequence[StoryMetrics],
    notices: Sequence[NoticeMetrics],
    ads: Sequence[AdRequest],
    rules: LayoutRules | None = None,
) -> EditionLayout:
    """Place the edition's ads, notices and stories on `columns` × `lines` page grids.

    Returns one PageLayout per page of the plan, in order, and everything that did not fit as
    overflow with its reason. A story whose start is placed but whose remainder finds no page is
    both placed and listed as overflow (`layout.story_remainder`, with the first body line and
    the count of lines left over). Raises ValueError for an impossible grid or a plan whose pages
    are not numbered 1, 2, … in order.
    """
    if columns < 1 or lines < 1:
        raise ValueError(f"a page grid needs at least one column and one line, not {columns} × {lines}")
    if tuple(p.number for p in plan.pages) != tuple(range(1, len(plan.pages) + 1)):
        raise ValueError("the plan's pages must be numbered 1, 2, … in order")
    edition = _Edition(plan, columns, lines, rules or LayoutRules())
    edition.place_ads(ads)
    jobs: list[_Job] = []
    for story in stories:
        job = edition.story_job(story)
        if job is not None:
            jobs.append(job)
    edition.place_pinned_notices([n for n in notices if n.pin is not None])
    edition.place_pinned_stories([j for j in jobs if j.story.pin is not None])
    edition.flow_notices([n for n in notices if n.pin is None])
    edition.flow_stories([j for j in jobs if j.story.pin is None])
    return edition.result()


@dataclass(frozen=True)
class _Job:
    """A story with its column-break table and the widest span it was measured for."""

    story: StoryMetrics
    breaks: BodyBreaks
    max_span: int

    def headline(self, span: int) -> int:
        return self.story.headline_lines[span - 1]

    def figure(self, span: int) -> int:
        return self.story.figure_lines[span - 1] if self.story.figure_lines else 0


@dataclass(frozen=True)
class _Spot:
    """Where a story part could go: `span` columns from `col`, top line `top`, and the body
    capacity of each column (a full module's balanced height, or a leftover area's free run)."""

    col: int
    span: int
    top: int
    caps: tuple[int, ...]
    full: bool


class _Edition:
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

    # Ads ---------------------------------------------------------------------------------------

    def place_ads(self, ads: Sequence[AdRequest]) -> None:
        """Each booked ad at its page and position; bottom ads stack up from the foot,
        right-aligned, side by side while they fit at one level."""
        floors = [[self.lines] * self.columns for _ in self.plan.pages]
        for ad in sorted(ads, key=lambda a: (a.at is None, _AD_ORDER.get(a.position, 3))):
            problem = self._page_missing("layout.ad_page_missing", ad.page) or self._size_problem(
                "ad", ad.cols, ad.lines
            )
            if problem is not None:
                self._refuse("ad", ad.id, problem)
                continue
            index = ad.page - 1
            grid = self.grids[index]
            box: Box | None = None
            if ad.at is not None:
                fixed = Box(ad.at.col, ad.cols, ad.at.line, ad.lines)
                inside = fixed.inside(self.columns, self.lines)
                box = fixed if inside and grid.is_free(fixed, self.pad) else None
            elif ad.position == "full":
                box = Box(0, self.columns, 0, self.lines) if grid.is_empty() else None
            elif ad.position == "ear":
                ear = Box(self.columns - ad.cols, ad.cols, 0, ad.lines)
                box = ear if grid.is_free(ear, self.pad) else None
            elif ad.position == "bottom":
                box = self._bottom_ad_box(grid, floors[index], ad.cols, ad.lines)
            if box is None:
                self._refuse(
                    "ad",
                    ad.id,
                    msg(
                        "layout.ad_no_room",
                        "第{page}版{where}位置已被占用，放不下这则{cols}栏×{lines}行的广告",
                        "no room for the {cols} × {lines} ad at its booked position ({position}) on page {page}",
                        page=ad.page,
                        where=_POSITION_ZH.get(ad.position, ad.position),
                        position=ad.position,
                        cols=ad.cols,
                        lines=ad.lines,
                    ),
                )
                continue
            grid.occupy(box)
            if ad.position == "bottom":
                for c in range(box.col, box.end_col):
                    floors[index][c] = min(floors[index][c], box.line)
            self.blocks[index].append(Placement("ad", ad.id, ad.page, box))

    def _bottom_ad_box(self, grid: PageGrid, floor: list[int], cols: int, lines: int) -> Box | None:
        best: tuple[tuple[int, int], Box] | None = None
        for c in range(self.columns - cols, -1, -1):
            top = grid.fit_up(c, cols, lines, min(floor[c : c + cols]), self.pad)
            if top is None:
                continue
            key = (-(top + lines), -c)  # lowest level first, then the rightmost place on it
            if best is None or key < best[0]:
                best = (key, Box(c, cols, top, lines))
        return None if best is None else best[1]

    # Notices -----------------------------------------------------------------------------------

    def place_pinned_notices(self, notices: Sequence[NoticeMetrics]) -> None:
        """Pinned notices on their page: "top" packs from the top, "bottom" from the foot, "any"
        the way the page's notices go. The share kept for news on mixed pages does not bind a pin."""
        for notice in notices:
            assert notice.pin is not None
            problem = self._size_problem("notice", notice.cols, notice.lines) or self._page_missing(
                "layout.pin_page_missing", notice.pin.page
            )
            if problem is not None:
                self._refuse("notice", notice.id, problem)
                continue
            index = notice.pin.page - 1
            position = notice.pin.position
            down = position == "top" or (position == "any" and self.plan.pages[index].role == "classifieds")
            box = self._pack(index, notice.cols, notice.lines, down, 0)
            if box is None:
                self._refuse("notice", notice.id, self._pin_no_room(notice.pin.page))
            else:
                self.blocks[index].append(Placement("notice", notice.id, index + 1, box))

    def flow_notices(self, notices: Sequence[NoticeMetrics]) -> None:
        """The unpinned notices, grouped by kind in the plan's order, into the classifieds area.

        Classifieds pages are filled before mixed pages: nothing but notices can fill a
        classifieds page, while space a mixed page does not give to notices still goes to news,
        so this order leaves the fewest empty lines in the edition.
        """
        targets = [i for i, p in enumerate(self.plan.pages) if p.role == "classifieds"]
        targets += [i for i, p in enumerate(self.plan.pages) if p.role == "mixed"]
        rank = {g: r for r, g in enumerate(self.plan.notice_groups)}
        for n in notices:  # kinds the plan does not name go last, in order of first appearance
            rank.setdefault(n.group, len(rank))
        ordered = sorted(enumerate(notices), key=lambda pair: (rank[pair[1].group], pair[0]))
        ceiling = self.lines - int(self.lines * self.rules.mixed_notice_share)
        failed: list[list[tuple[int, int]]] = [[] for _ in targets]
        last = 0  # the furthest target any notice went to: a new kind never goes back before it
        start = 0
        group: str | None = None
        for _, notice in ordered:
            problem = self._size_problem("notice", notice.cols, notice.lines)
            if problem is not None:
                self._refuse("notice", notice.id, problem)
                continue
            if not targets:
                self._refuse(
                    "notice",
                    notice.id,
                    msg(
                        "layout.no_notice_pages",
                        "本期版面计划没有分类广告版或混排版，启事无处可排",
                        "the edition plan has no classifieds or mixed page for notices",
                    ),
                )
                continue
            if notice.group != group or not self.rules.notice_backfill:
                group, start = notice.group, last
            box: Box | None = None
            for t in range(start, len(targets)):
                # Pages only fill up, so a notice at least as big as one that failed fails too.
                if any(w <= notice.cols and h <= notice.lines for w, h in failed[t]):
                    continue
                index = targets[t]
                if self.plan.pages[index].role == "classifieds":
                    box = self._pack(index, notice.cols, notice.lines, True, 0)
                else:
                    box = self._pack(index, notice.cols, notice.lines, False, ceiling)
                if box is None:
                    failed[t].append((notice.cols, notice.lines))
                    continue
                self.blocks[index].append(Placement("notice", notice.id, index + 1, box))
                last = max(last, t)
                break
            if box is None:
                self._refuse(
                    "notice",
                    notice.id,
                    msg(
                        "layout.notice_no_room",
                        "分类广告版面已排满，请加版",
                        "no room left in the classifieds area; add a page",
                    ),
                )

    def _pack(self, index: int, cols: int, lines: int, down: bool, ceiling: int) -> Box | None:
        """Skyline packing: the column start giving the box nearest the packing edge, then the
        fewest lines wasted between it and the skyline, then the leftmost (downwards) or the
        rightmost (upwards, next to the bottom ads)."""
        grid = self.grids[index]
        best: tuple[tuple[int, int, int], Box] | None = None
        for c in range(self.columns - cols + 1):
            span = range(c, c + cols)
            if down:
                sky = self.sky_down[index]
                top = grid.fit_down(c, cols, lines, max(sky[x] for x in span), self.pad)
                if top is None:
                    continue
                waste = sum(min(top - sky[x], grid.run_above(x, top)) for x in span)
                key = (top, waste, c)
            else:
                sky = self.sky_up[index]
                top = grid.fit_up(c, cols, lines, min(sky[x] for x in span), self.pad, ceiling)
                if top is None:
                    continue
                end = top + lines
                waste = sum(min(sky[x] - end, grid.run_below(x, end)) for x in span)
                key = (-end, waste, -c)
            if best is None or key < best[0]:
                best = (key, Box(c, cols, top, lines))
        if best is None:
            return None
        box = best[1]
        grid.occupy(box)
        for x in range(box.col, box.end_col):
            if down:
                self.sky_down[index][x] = max(self.sky_down[index][x], box.end_line)
            else:
                self.sky_up[index][x] = min(self.sky_up[index][x], box.line)
        return box

    def _pin_no_room(self, page: int) -> Message:
        return msg(
            "layout.pin_no_room",
            "指定的第{page}版已没有足够位置",
            "no room left on the pinned page {page}",
            page=page,
        )

    # Stories -----------------------------------------------------------------------------------

    def story_job(self, story: StoryMetrics) -> _Job | None:
        """The story ready to place, or None (and an overflow entry) when it cannot be."""
        valid = (
            bool(story.headline_lines)
            and min(story.headline_lines) >= 1
            and all(f >= 0 for f in story.figure_lines)
            and all(c.lines >= 0 for c in story.body)
        )
        if not valid:
            self._refuse(
                "story",
                story.id,
                msg(
                    "layout.story_bad_metrics",
                    "稿件尺寸数据无效：标题至少1行，行数不得为负",
                    "the story's measurements are not valid: a headline of at least 1 line, no negative line counts",
                ),
            )
            return None
        spans = [self.columns, len(story.headline_lines)]
        if story.figure_lines:
            spans.append(len(story.figure_lines))
        job = _Job(story, BodyBreaks(story.body, self.rules.head_keep_lines), min(spans))
        # The least height any start of the story takes: a whole module, or the headline with
        # the first lines a leftover area must hold. More than a page: no page will ever do.
        first = min(job.breaks.n, max(self.rules.min_start_body_lines, job.breaks.first_run(0)))
        need = min(
            job.headline(k) + job.figure(k) + min(first, job.breaks.balanced_height(0, k, False))
            for k in range(1, job.max_span + 1)
        )
        if need > self.lines:
            self._refuse(
                "story",
                story.id,
                msg(
                    "layout.story_too_large",
                    "稿件标题、图片加开头正文需{need}行，超过版心高度{grid_lines}行",
                    "the story needs {need} lines for its headline, figure and first body lines; a page has {grid_lines}",
                    need=need,
                    grid_lines=self.lines,
                ),
            )
            return None
        return job

    def place_pinned_stories(self, jobs: Sequence[_Job]) -> None:
        """Pinned stories first, on their page: "top" at the top of its free area, across its
        full free width; "bottom" as low as it goes."""
        for job in jobs:
            pin = job.story.pin
            assert pin is not None
            problem = self._page_missing("layout.pin_page_missing", pin.page)
            if problem is not None:
                self._refuse("story", job.story.id, problem)
                continue
            mode: _Mode = (
                "lead" if pin.position == "top" else "bottom" if pin.position == "bottom" else "normal"
            )
            if self._start(job, pin.page - 1, mode):
                if pin.page == 1 and mode == "lead":
                    self.lead_done = True
            else:
                self._refuse("story", job.story.id, self._pin_no_room(pin.page))

    def flow_stories(self, jobs: Sequence[_Job]) -> None:
        """The other stories in input order over the news and mixed pages. A story never goes
        to a page before the previous story's, so the editor's order reads front to back."""
        cursor = 0
        for job in jobs:
            for at in range(cursor, len(self.story_pages)):
                index = self.story_pages[at]
                mode: _Mode = "lead" if index == 0 and not self.lead_done else "normal"
                if self._start(job, index, mode):
                    cursor = at
                    self.lead_done = self.lead_done or index == 0
                    break
            else:
                if self.story_pages:
                    first = self.plan.pages[self.story_pages[cursor]].number
                    reason = msg(
                        "layout.story_no_room",
                        "第{page}版起的新闻版面都放不下这篇稿件",
                        "no news page from page {page} on has room for the story",
                        page=first,
                    )
                else:
                    reason = msg(
                        "layout.no_story_pages",
                        "本期版面计划没有新闻版或混排版，稿件无处可排",
                        "the edition plan has no news or mixed page for stories",
                    )
                self._refuse("story", job.story.id, reason)

    def _start(self, job: _Job, index: int, mode: _Mode) -> bool:
        """Place the story's headline and as much body as fits on page `index`, continuing
        the rest on later pages; False when this page has no room for its start."""
        prefs = self._span_order(job, 0, True)
        if mode == "lead":
            width = self._free_width(index, job.max_span)
            if width and self._place_full(job, index, 0, True, [width], down=True, source=None):
                return True
            if width and self._place_partial(job, index, 0, True, [width], source=None):
                return True
        if mode == "bottom" and self._place_full(job, index, 0, True, prefs, down=False, source=None):
            return True
        if self._place_full(job, index, 0, True, prefs, down=True, source=None):
            return True
        if job.breaks.n == 0:
            return False  # a headline alone has nothing to continue
        return self._place_partial(job, index, 0, True, range(1, job.max_span + 1), source=None)

    def _continue(self, job: _Job, start: int, source: int, index: int) -> None:
        """The rest of the body from line `start`, jumped from page `source` to page `index`
        (which `_next_room` found to hold at least its first lines)."""
        spans = range(1, self.columns + 1)
        if self._place_full(job, index, start, False, self._span_order(job, start, False), True, source):
            return
        if self._place_partial(job, index, start, False, spans, source):
            return
        # No later page takes the rest: set what fits here and report the remainder.
        spot = self._partial_spots(job, index, start, False, spans)[0]
        runs, end = job.breaks.flow(start, spot.caps, True)
        self._commit(job, index, spot, runs, False, source, None)
        self._refuse(
            "story",
            job.story.id,
            msg(
                "layout.story_remainder",
                "稿件正文第{first}行起共{count}行排不下：第{page}版之后没有可接排的版面",
                "{count} body lines from line {first} do not fit: no page after page {page} has room to continue",
                first=end,
                count=job.breaks.n - end,
                page=index + 1,
            ),
        )

    def _span_order(self, job: _Job, start: int, head: bool) -> list[int]:
        """Spans by how near the module's height comes to the target column height. A span is
        only offered when each of its columns gets at least `min_segment_lines` of body."""
        rest = job.breaks.n - start
        widest = job.max_span if head else self.columns
        ranked: list[tuple[int, int]] = []
        for k in range(1, widest + 1):
            if k > 1 and rest < k * self.rules.min_segment_lines:
                break
            header = job.headline(k) + job.figure(k) if head else 0
            height = header + job.breaks.balanced_height(start, k, not head)
            ranked.append((abs(height - self.target), k))
        return [k for _, k in sorted(ranked)]

    def _free_width(self, index: int, widest: int) -> int:
        """Width of the widest run of columns free at the top of the page's free area."""
        grid = self.grids[index]
        top = min(grid.first_free(c) for c in range(self.columns))
        if top >= self.lines:
            return 0
        best = run = 0
        for c in range(self.columns):
            run = run + 1 if grid.is_free(Box(c, 1, top, 1)) else 0
            best = max(best, run)
        return min(best, widest)

    def _place_full(
        self,
        job: _Job,
        index: int,
        start: int,
        head: bool,
        spans: Iterable[int],
        down: bool,
        source: int | None,
    ) -> bool:
        """The whole (rest of the) story as one rectangular module at the first span in
        `spans` that fits on the page: highest top (or lowest foot), snuggest, leftmost."""
        grid = self.grids[index]
        for k in spans:
            body = job.breaks.balanced_height(start, k, not head)
            height = (job.headline(k) + job.figure(k) if head else 0) + body
            if height > self.lines or height < 1:
                continue
            best: tuple[tuple[int, int, int], int, int] | None = None
            for c in range(self.columns - k + 1):
                span = range(c, c + k)
                if down:
                    top = grid.fit_down(c, k, height, 0, self.pad)
                    if top is None:
                        continue
                    key = (top, sum(grid.run_above(x, top) for x in span), c)
                else:
                    top = grid.fit_up(c, k, height, self.lines, self.pad)
                    if top is None:
                        continue
                    key = (-(top + height), sum(grid.run_below(x, top + height) for x in span), -c)
                if best is None or key < best[0]:
                    best = (key, c, top)
            if best is None:
                continue
            spot = _Spot(best[1], k, best[2], (body,) * k, True)
            runs, end = job.breaks.flow(start, spot.caps, not head)
            assert end == job.breaks.n
            self._commit(job, index, spot, runs, head, source, None)
            return True
        return False

    def _partial_spots(
        self, job: _Job, index: int, start: int, head: bool, spans: Iterable[int]
    ) -> list[_Spot]:
        """Leftover areas that hold the header and at least the first lines of body under it
        in every column, the roomiest first."""
        grid = self.grids[index]
        rest = job.breaks.n - start
        least = self.rules.min_start_body_lines if head else self.rules.min_segment_lines
        need = max(min(least, rest), job.breaks.first_run(start)) + (not head)
        ranked: list[tuple[tuple[int, int, int, int], _Spot]] = []
        for k in spans:
            header = job.headline(k) + job.figure(k) if head else 0
            for c in range(self.columns - k + 1):
                top = grid.fit_down(c, k, header + need, 0, self.pad)
                if top is None:
                    continue
                caps = tuple(grid.run_down(x, top + header, self.pad) for x in range(c, c + k))
                room = min(sum(caps) - (not head), rest)
                ranked.append(((-room, top, c, k), _Spot(c, k, top, caps, False)))
        ranked.sort(key=lambda pair: pair[0])
        return [spot for _, spot in ranked]

    def _place_partial(
        self, job: _Job, index: int, start: int, head: bool, spans: Iterable[int], source: int | None
    ) -> bool:
        """Fill a leftover area with the story and jump the rest to the next page with room."""
        limit = self.rules.max_jumps_per_page
        # Continuations are exempt from the limit: a story already begun must go on.
        may_jump = not head or limit is None or self.jumps[index] < limit
        for spot in self._partial_spots(job, index, start, head, spans):
            runs, end = job.breaks.flow(start, spot.caps, not head)
            if not runs and job.breaks.n > start:
                continue
            if end >= job.breaks.n:
                self._commit(job, index, spot, runs, head, source, None)
                return True
            jumped = job.breaks.add_jump_to(runs, spot.caps) if may_jump else None
            if jumped is None:
                continue
            runs, end = jumped
            target = self._next_room(job, index, end)
            if target is None:
                continue
            self._commit(job, index, spot, runs, head, source, target)
            self.jumps[index] += head
            self._continue(job, end, index, target)
            return True
        return False

    def _next_room(self, job: _Job, index: int, start: int) -> int | None:
        """The first news or mixed page after page `index` where the body from `start` can
        continue: one column with the jump line and its first lines (the 1-column spot that
        `_partial_spots` will then find there)."""
        rest = job.breaks.n - start
        need = max(min(self.rules.min_segment_lines, rest), job.breaks.first_run(start)) + 1
        for later in self.story_pages:
            if later <= index:
                continue
            grid = self.grids[later]
            if any(grid.fit_down(c, 1, need, 0, self.pad) is not None for c in range(self.columns)):
                return later
        return None

    def _commit(
        self,
        job: _Job,
        index: int,
        spot: _Spot,
        runs: Sequence[ColumnRun],
        head: bool,
        source: int | None,
        target: int | None,
    ) -> None:
        grid = self.grids[index]
        k, col, top = spot.span, spot.col, spot.top
        headline = Box(col, k, top, job.headline(k)) if head else None
        figure_lines = job.figure(k) if head else 0
        figure = Box(col, k, top + job.headline(k), figure_lines) if head and figure_lines else None
        body_top = top + (job.headline(k) + figure_lines if head else 0)
        segments = tuple(
            BodySegment(
                Box(col + r.index, 1, body_top, r.height),
                r.first,
                r.count,
                jump_from=source + 1 if r.jump_from and source is not None else None,
                jump_to=target + 1 if r.jump_to and target is not None else None,
            )
            for r in runs
        )
        for box in (headline, figure, *(s.box for s in segments)):
            if box is not None:
                grid.occupy(box)
        if spot.full:
            # The white under a module's shorter columns belongs to the module, not to the next story.
            height = body_top - top + max((r.height for r in runs), default=0)
            grid.occupy(Box(col, k, top, height))
        self.placed[index].append(StoryPlacement(job.story.id, index + 1, headline, figure, segments))
