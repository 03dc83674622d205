"""The page layout engine: booked ads, approved notices and stories on an edition's column grid.

Everything is in grid units (columns and body lines), so every block snaps to the baseline grid
by construction. The order of work is the order of precedence:

1. display ads, at the page and position they were booked and paid for;
2. the editor's pins (notices, then stories), which win over the automatic flows;
3. the notices, packed into the classifieds area by kind (公告, 遗失声明 …);
4. the stories, page by page: each news page takes the parts that jumped to it and the next
   stories in the editor's order, made up into modules that together fill what is left of it
   (`_PageFill`: widths adding up to the free width, bodies balanced over their columns, the
   last modules down to the notices and ads); a story that does not fit is continued on a
   later page with "(下转第N版)/(上接第N版)" lines, or waits for the next page whole. When the
   copy runs out, the stories close up at the top and the white is one band under them.

Nothing is dropped: whatever cannot be placed comes back in `EditionLayout.overflow` with a
bilingual reason for the editor. The engine is deterministic: ties are broken by position and
input order, never by hashing or set order.
"""

from __future__ import annotations

import math
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
    # Module height a story's span aims at where filling the page leaves a choice; None: page / 3.
    target_column_lines: int | None = None
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
    # White lines a story module may keep at its foot, beyond what its balanced body needs, so
    # that it reaches down to what is under it (a notice, an ad, the next module, the page foot).
    module_slack_lines: int = 3

    def __post_init__(self) -> None:
        if min(self.min_segment_lines, self.min_start_body_lines) < 1:
            raise ValueError("min_segment_lines and min_start_body_lines must be at least 1")
        if min(self.head_keep_lines, self.gap_lines, self.module_slack_lines) < 0:
            raise ValueError("head_keep_lines, gap_lines and module_slack_lines cannot be negative")
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
        """The other stories in input order, page by page over the news and mixed pages.

        Each page takes the next stories and the parts that jumped to it, and is filled with
        them as a whole (`_PageFill`); the stories that do not fit go on, in order, to the next
        page, so a story never goes to a page before the previous story's and the editor's order
        reads front to back. A story that no later page could take either overflows, and the
        page is filled again without it.
        """
        incoming: list[list[_Item]] = [[] for _ in self.plan.pages]
        pos = 0
        last = self.story_pages[0] if self.story_pages else 0  # page of the last story placed
        for at, index in enumerate(self.story_pages):
            while True:
                heads = [_Item(job) for job in jobs[pos:]]
                leaves = self._fill_page(index, heads, incoming[index])
                new = sum(1 for leaf in leaves if leaf.item.head)
                if new == 0 and pos < len(jobs) and not self._fits_later(jobs[pos], at):
                    self._refuse("story", jobs[pos].story.id, self._no_room(last))
                    pos += 1
                    continue
                break
            for leaf in leaves:
                target = self._commit_leaf(leaf, index)
                if target is not None:
                    incoming[target].append(_Item(leaf.item.job, leaf.end, index))
            placed = {id(leaf.item) for leaf in leaves}
            for item in incoming[index]:
                if id(item) not in placed:
                    self._continue(item.job, item.start, item.source or 0, index)
            if new:
                pos += new
                last = index
                self.lead_done = self.lead_done or index == 0
        for job in jobs[pos:]:
            self._refuse("story", job.story.id, self._no_room(last))

    def _no_room(self, index: int) -> Message:
        if not self.story_pages:
            return msg(
                "layout.no_story_pages",
                "本期版面计划没有新闻版或混排版，稿件无处可排",
                "the edition plan has no news or mixed page for stories",
            )
        return msg(
            "layout.story_no_room",
            "第{page}版起的新闻版面都放不下这篇稿件",
            "no news page from page {page} on has room for the story",
            page=self.plan.pages[index].number,
        )

    def _fits_later(self, job: _Job, at: int) -> bool:
        """Whether a news page after the `at`-th could still take the story's start (a whole
        module, or a start that jumps), judged on the pages as they are now."""
        limit = self.rules.max_jumps_per_page
        for index in self.story_pages[at + 1 :]:
            grid = self.grids[index]
            for k in range(1, job.max_span + 1):
                height = job.headline(k) + job.figure(k) + job.breaks.balanced_height(0, k, False)
                if height <= self.lines and any(
                    grid.fit_down(c, k, height, 0, self.pad) is not None for c in range(self.columns - k + 1)
                ):
                    return True
            if job.breaks.n and (limit is None or self.jumps[index] < limit):
                spots = self._partial_spots(job, index, 0, True, range(1, job.max_span + 1))
                if spots and self._next_room(job, index, job.breaks.n - 1) is not None:
                    return True
        return False

    def _fill_page(self, index: int, heads: Sequence[_Item], parts: Sequence[_Item]) -> list[_Leaf]:
        """Where the page's new stories (`heads`, in order) and the parts that jumped to it go:
        the free area filled region by region from the top (a region: each column's first free
        run deep enough for a story part, below the previous region).

        A page may start only so many stories that jump, and the first region would take them
        all; when a later region (below a band of ads, say) is then left white, the page is
        made up again keeping a jump for it, and the fuller of the two is kept."""
        limit = self.rules.max_jumps_per_page
        jumps_left = None if limit is None else max(0, limit - self.jumps[index])
        lead = index == 0 and not self.lead_done
        leaves, white, retry = self._fill_regions(index, heads, parts, jumps_left, None, lead)
        if lead and heads and not any(leaf.item.head for leaf in leaves):
            # The lead does not fit across the top: it goes where it fits, as any story.
            lead = False
            leaves, white, retry = self._fill_regions(index, heads, parts, jumps_left, None, lead)
        if retry and jumps_left:
            other, other_white, _ = self._fill_regions(index, heads, parts, jumps_left, jumps_left - 1, lead)
            if other_white < white:
                return other
        return leaves

    def _fill_regions(
        self,
        index: int,
        heads: Sequence[_Item],
        parts: Sequence[_Item],
        jumps_left: int | None,
        first_jumps: int | None,
        lead: bool,
    ) -> tuple[list[_Leaf], float, bool]:
        """The fill of the page's regions, the first one with at most `first_jumps` stories
        that jump (if given), with the page's `lead` across the top of the first: its modules,
        its white (and jump costs), and whether a later region was left white after the first
        took a jump."""
        floor = [0] * self.columns
        leaves: list[_Leaf] = []
        grid = self.grids[index]
        pending = list(parts)
        first = 0
        white = 0.0
        jumped = retry = False
        for n in range(self.columns):  # each region lies below the previous one in some column
            if first >= len(heads) and not pending:
                break
            tops, bots = self._region(grid, floor)
            if not any(b > t for t, b in zip(tops, bots, strict=True)):
                break
            allowed = first_jumps if n == 0 and first_jumps is not None else jumps_left
            fill = _PageFill(self, index, heads[first:], pending, tops, bots, lead, allowed)
            found = fill.best(exhaustible=not leaves)
            leaves += found
            white += fill.cost
            placed = {id(leaf.item) for leaf in found}
            first += sum(1 for leaf in found if leaf.item.head)
            pending = [item for item in pending if id(item) not in placed]
            if found:
                lead = False
            cut = sum(1 for leaf in found if leaf.cut == "jump" and leaf.item.head)
            retry = retry or (jumped and not found and fill.area >= _RETRY_AREA)
            jumped = jumped or cut > 0
            if jumps_left is not None:
                jumps_left -= cut
            if fill.exhausted:
                break
            floor = [b + self.pad if b > t else self.lines for t, b in zip(tops, bots, strict=True)]
        return leaves, white, retry

    def _region(self, grid: PageGrid, floor: Sequence[int]) -> tuple[list[int], list[int]]:
        """Each column's first free run at or below `floor` that is deep enough to hold part of a
        story, less the white kept from the blocks above and below it: (tops, bottoms)."""
        tops: list[int] = []
        bots: list[int] = []
        for c in range(self.columns):
            top = bot = self.lines
            for first, end in grid.free_runs(c, floor[c]):
                a = first + self.pad if first > 0 else first
                b = end - self.pad if end < self.lines else end
                if b - a >= _LEAST_DEPTH:
                    top, bot = a, b
                    break
            tops.append(top)
            bots.append(bot)
        return tops, bots

    def _commit_leaf(self, leaf: _Leaf, index: int) -> int | None:
        """Set one module the fill chose; returns the page its rest jumps to, if any."""
        item = leaf.item
        spot = _Spot(leaf.col, leaf.span, leaf.top, leaf.depths, False)
        runs = leaf.runs or tuple(item.job.breaks.balance(item.start, leaf.span, not item.head))
        self._commit(item.job, index, spot, runs, item.head, item.source, leaf.target)
        # The white at the foot of a module's columns belongs to the module, not to the next story.
        for j, depth in enumerate(leaf.depths):
            self.grids[index].occupy(Box(leaf.col + j, 1, leaf.top, depth))
        if leaf.cut == "jump":
            self.jumps[index] += item.head
            return leaf.target
        if leaf.cut == "tail":
            self._refuse(
                "story",
                item.job.story.id,
                msg(
                    "layout.story_remainder",
                    "稿件正文第{first}行起共{count}行排不下：第{page}版之后没有可接排的版面",
                    "{count} body lines from line {first} do not fit: no page after page {page} has room to continue",
                    first=leaf.end,
                    count=item.job.breaks.n - leaf.end,
                    page=index + 1,
                ),
            )
        return None

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
        spots = self._partial_spots(job, index, start, False, spans)
        if not spots:
            # Parts that jumped here took the room this one was promised: it ends where it is.
            self._retract_jump(job, source)
            index, end = source, start
        else:
            runs, end = job.breaks.flow(start, spots[0].caps, True)
            self._commit(job, index, spots[0], runs, False, source, None)
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

    def _retract_jump(self, job: _Job, index: int) -> None:
        """Drop the "(下转)" line of the story's part on page `index`: the part becomes its last."""
        parts = self.placed[index]
        for n, part in enumerate(parts):
            if part.story_id == job.story.id and part.segments and part.segments[-1].jump_to is not None:
                last = part.segments[-1]
                box = Box(last.box.col, 1, last.box.line, last.box.lines - 1)
                segment = BodySegment(box, last.first, last.count, last.jump_from, None)
                parts[n] = StoryPlacement(
                    part.story_id, part.page, part.headline, part.figure, (*part.segments[:-1], segment)
                )
                if part.headline is not None:
                    self.jumps[index] -= 1
                return

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


_Cut = Literal["whole", "jump", "tail"]
_LEAST_DEPTH = 2  # grid lines: a free run shallower than this holds no part of a story
_JUMP_COST = 6.0  # white cells a "(下转)" is worth: a story read whole beats a page a few cells fuller
_REJUMP_COST = 300.0  # a part that jumped here jumps on only when it cannot be set whole
_SHAPE_COST = 0.2  # per line a module's natural depth strays from the target module height
_STRANDED_COST = 1e6  # a part left off the page its "(下转第N版)" names
_UNPLACED_COST = 10.0  # per body line a page where the copy runs out would still jump
# Copy under this share of a region's area runs out there (the share allows for the gaps and
# for modules that do not tile the region exactly); white under the foot line such copy is
# expected to reach costs this much of white above it.
_SHORT_COPY_SHARE, _BELOW_FOOT_WEIGHT = 0.85, 0.05
_SHORT_GOOD_WHITE = 0.02  # white above the foot, as a share of the page above it, to stop looking
_RETRY_AREA = 40  # cells of a lower region left white that make a page worth making up again
_FIRST_BUDGET, _FIRST_BUDGET_SHARE = 24.0, 0.1  # white a fill is first allowed: cells, share of the area


@dataclass(frozen=True)
class _Item:
    """A story part waiting for a page: a story's start, or the rest of its body from line
    `start`, jumped from page index `source`."""

    job: _Job
    start: int = 0
    source: int | None = None

    @property
    def head(self) -> bool:
        return self.source is None


@dataclass(frozen=True)
class _Leaf:
    """One module a page fill chose: the item over `span` columns from `col`, from line `top`
    down `depths[j]` lines in its j-th column (headline included; equal unless the module sits
    on a stepped foot). A cut part continues on page index `target` ("jump") or ends there
    with the rest reported ("tail"), from body line `end`."""

    item: _Item
    col: int
    span: int
    top: int
    depths: tuple[int, ...]
    cut: _Cut
    runs: tuple[ColumnRun, ...] = ()  # empty: the whole body, balanced over the span
    end: int = 0
    target: int | None = None


# How a region was filled, for rebuilding the fill: (kind, top, depth, split column, next
# item, jumps, leaf). Kinds: white, a whole module across the region then the rest below it,
# a cut module down to the foot, a split into a left and a right region, a band beside a
# block at the top of some columns then the region below the block (`top`: the block's foot).
_WHITE, _WHOLE, _CUT, _SPLIT, _BAND = 0, 1, 2, 3, 4
_How = tuple[int, int, int, int, int, int, _Leaf | None]
_Outcomes = dict[tuple[int, int], tuple[float, _How]]  # (next item, jumps used) → (cost, how)
_NO_HOW: _How = (_WHITE, 0, 0, 0, 0, 0, None)
_CutResult = tuple[_Cut, list[ColumnRun], int, int | None]  # how a cut part ends: kind, runs, end, target


class _PageFill:
    """Fills one region of a page (column c free from `tops[c]` to `floors[c]`) with the parts
    that jumped to the page and then the page's next stories, so that the modules together
    cover it.

    The fills considered are the modular (guillotine) layouts of a make-up editor: a region
    is left white, or topped by the next story across its full width (its body balanced over
    those columns, the module a few lines deeper than the body needs when that reaches the
    foot) with the rest of the region below it, or filled by a story cut at the foot (its
    columns stepping down beside an ad or a notice; the rest jumps), or split into a left and a
    right region, the left one read first, or (beside a block at the top of some columns, an
    ear say) cut across under a band filled on its own. A dynamic programme over regions finds
    the fill with the least white (stories in order, jumps within the page's limit; a small
    cost for modules far from the target height breaks ties), so widths add up to the free
    width, the last modules reach the foot, and white is the gaps between blocks and a few
    lines under a module. Fills whose white passes a budget are not pursued, the budget rising
    until one is found: a page that can be filled well is searched only among good fills.
    """

    def __init__(
        self,
        edition: _Edition,
        index: int,
        heads: Sequence[_Item],
        parts: Sequence[_Item],
        tops: Sequence[int],
        floors: Sequence[int],
        lead: bool,
        jumps_left: int | None,
    ) -> None:
        self.ed = edition
        self.index = index
        self.items = [*parts, *heads]
        self.parts = len(parts)
        self.columns = edition.columns
        self.pad = edition.pad
        self.slack = edition.rules.module_slack_lines
        self.tops = tuple(t if f - t >= _LEAST_DEPTH else f for t, f in zip(tops, floors, strict=True))
        self.floors = tuple(floors)
        self.area = sum(f - t for t, f in zip(self.tops, self.floors, strict=True))
        # Stories the region may start and cut (two at most even without a limit: the search
        # grows with them, and a third jump on a page is never what fills it best).
        self.jumps = 2 if jumps_left is None else min(jumps_left, 2)
        self.exhausted = False  # the copy ran out: the fill is as deep as the copy needs
        self.cost = 0.0  # the white (and jumps) of the fill `best` returned
        self._shapes: dict[int, dict[int, tuple[int, int]]] = {}
        self._targets: dict[int, int | None] = {}
        # Per item: its body cells (with a jump line), the lines a cut part of it must hold in
        # each column, the fewest cells and lines deep it can be set in (cut, if it may be).
        self._cells: list[int] = []
        self._needs: list[int] = []
        self._least: list[int] = []
        self._shallowest: list[int] = []
        self.count = len(self.items)  # the items the region could hold at all
        whole_cells = 0
        savings: list[int] = []  # cells each item saves when cut
        for k in range(len(self.items)):
            whole = self._measure(k)
            whole_cells += whole
            savings.append(whole - self._least[k])
            cuttable = self.jumps + self.parts  # the items that may be cut: the best savings
            if k >= self.parts and whole_cells - sum(sorted(savings)[len(savings) - cuttable :]) > self.area:
                self.count = k + 1
                break
        self.lead: tuple[int, int] | None = None
        if lead and not parts and heads:
            self.lead = self._lead_span(heads[0].job.max_span)
        self._floors = self.floors
        self._short = False  # the copy runs out on this page: white under `_foot` is cheap
        self._foot = edition.lines
        self._cuts: dict[tuple[int, int, int, int, bool, int], tuple[float, int, _Leaf] | None] = {}
        self._memo: dict[tuple[int, int, int, int, int, bool, int], tuple[float, _Outcomes]] = {}

    def _measure(self, k: int) -> int:
        """Record what item k needs (see `__init__`); returns the fewest cells it takes whole."""
        item = self.items[k]
        job = item.job
        self._cells.append(job.breaks.n - item.start + (not item.head))
        self._needs.append(self._need(k))
        shapes = self._shape(k)
        whole = min((w * (h + b) for w, (h, b) in shapes.items()), default=self.area + 1)
        least = whole
        shallowest = min((h + b for h, b in shapes.values()), default=self.ed.lines + 1)
        if self._cells[k] > (not item.head):  # a body to cut
            widest = job.max_span if item.head else self.columns
            header = min(job.headline(w) + job.figure(w) for w in range(1, widest + 1)) if item.head else 0
            least = min(least, (job.headline(1) + job.figure(1) if item.head else 0) + self._needs[k])
            shallowest = min(shallowest, header + self._needs[k])
        self._least.append(max(least, _LEAST_DEPTH))
        self._shallowest.append(shallowest)
        return min(whole, self.area + 1)

    def _lead_span(self, widest: int) -> tuple[int, int]:
        """The page lead's columns: the widest run free at the top of the region, leftmost."""
        high = min(self.tops)
        best = (0, 0)
        run = 0
        for c in range(self.columns):
            run = run + 1 if self.tops[c] == high and self.floors[c] > high else 0
            if run > best[1] - best[0]:
                best = (c - run + 1, c + 1)
        return best[0], min(best[1], best[0] + widest)

    # What the copy needs ------------------------------------------------------------------------

    def _shape(self, k: int) -> dict[int, tuple[int, int]]:
        """Header lines and balanced body height of item k at each width it may take."""
        known = self._shapes.get(k)
        if known is not None:
            return known
        item = self.items[k]
        job = item.job
        rest = job.breaks.n - item.start
        widest = job.max_span if item.head else self.columns
        out: dict[int, tuple[int, int]] = {}
        for w in range(1, widest + 1):
            if w > 1 and rest < w * self.ed.rules.min_segment_lines:
                break
            header = job.headline(w) + job.figure(w) if item.head else 0
            out[w] = (header, job.breaks.balanced_height(item.start, w, not item.head))
        self._shapes[k] = out
        return out

    def _natural(self, k: int) -> int:
        """Cells (with the gap under it) of item k's module at its natural width: the one whose
        depth comes nearest the target module height."""
        shapes = self._shape(k)
        if not shapes:
            return 0
        w = min(shapes, key=lambda v: (abs(sum(shapes[v]) - self.ed.target), v))
        return w * (sum(shapes[w]) + self.pad)

    def _need(self, k: int) -> int:
        """Body lines (and jump line) a cut part of item k must hold in each column."""
        item = self.items[k]
        rules = self.ed.rules
        least = rules.min_start_body_lines if item.head else rules.min_segment_lines
        rest = item.job.breaks.n - item.start
        return max(min(least, rest), item.job.breaks.first_run(item.start)) + (not item.head)

    def _target(self, k: int, end: int) -> int | None:
        """The page the rest of item k from body line `end` jumps to (as `_next_room` finds it;
        it depends only on the lines the rest's first column needs)."""
        breaks = self.items[k].job.breaks
        need = max(min(self.ed.rules.min_segment_lines, breaks.n - end), breaks.first_run(end))
        if need not in self._targets:
            self._targets[need] = self.ed._next_room(self.items[k].job, self.index, end)
        return self._targets[need]

    # The fill -----------------------------------------------------------------------------------

    def best(self, exhaustible: bool) -> list[_Leaf]:
        """The modules of the best fill found.

        With `exhaustible`, when the copy left cannot fill the region, the news is made up as
        deep as the copy goes: white under a foot line estimated from the copy's area costs
        little, white above it full, so the stories close up under each other at the top and
        the white no story can fill stays in one band under the news, not in holes between them.
        """
        copy = sum(self._natural(k) for k in range(self.count))
        if exhaustible and self.count == len(self.items) and copy < _SHORT_COPY_SHARE * self.area:
            found = self._close_up(self._depth_for(copy))
            if found is not None:
                self.exhausted = True
                self.cost = 0.0  # the copy ran out: the white is the band left under the news
                return found
        run = self._run(self.floors, self.parts, math.inf)
        assert run is not None
        self.cost = run[0]
        return run[1]

    def _close_up(self, depth: int) -> list[_Leaf] | None:
        """All the copy, closed up at the top of the region: fills with white under a foot line
        near `depth` made cheap, the best of them tightened by filling the region cut at its
        foot (so the stories end together); None when the copy does not all fit."""
        found: list[tuple[int, list[_Leaf]]] = []
        for foot in (depth, depth + 4, depth - 4, depth + 8):
            self._foot = foot
            run = self._run(self.floors, len(self.items), self.area)
            if run is not None:
                found.append((self._white_above_foot(run[1]), run[1]))
                if found[-1][0] <= _SHORT_GOOD_WHITE * foot * self.columns:
                    break  # good enough: the stories close up under each other
        self._foot = self.ed.lines
        if not found:
            return None
        white, best = min(found, key=lambda f: f[0])
        line = max(leaf.top + max(leaf.depths) for leaf in best)
        for cut in (line, line - 2, line - 4):
            run = self._run(tuple(min(f, cut) for f in self.floors), len(self.items), white)
            if run is not None and self._white_above_foot(run[1]) < white:
                white, best = self._white_above_foot(run[1]), run[1]
        return best

    def _white_above_foot(self, leaves: list[_Leaf]) -> int:
        """White cells of the region above the foot of its lowest module (gaps under modules
        are not white)."""
        foot = max((leaf.top + max(leaf.depths) for leaf in leaves), default=0)
        taken = [0] * self.columns
        for leaf in leaves:
            for j, depth in enumerate(leaf.depths):
                c = leaf.col + j
                end = leaf.top + depth
                taken[c] += depth + (self.pad if end + self.pad <= min(self.floors[c], foot) else 0)
        return sum(
            max(0, min(f, foot) - t - taken[c])
            for c, (t, f) in enumerate(zip(self.tops, self.floors, strict=True))
        )

    def _depth_for(self, content: int) -> int:
        """The shallowest foot line whose region above holds `content` cells."""
        line = min(self.tops)
        total = 0
        deepest = max(self.floors)
        while line < deepest and total < content:
            total += sum(1 for t, f in zip(self.tops, self.floors, strict=True) if t <= line < f)
            line += 1
        return line

    def _run(self, floors: tuple[int, ...], want: int, cap: float) -> tuple[float, list[_Leaf]] | None:
        """The best fill of the region down to `floors` that sets the items before `want`:
        its cost and its modules; None when none costs at most `cap`."""
        self._floors = floors
        self._short = self._foot < self.ed.lines or floors != self.floors
        self._cuts = {}
        top = min(min(t, f) for t, f in zip(self.tops, floors, strict=True))
        area = sum(max(0, f - t) for t, f in zip(self.tops, floors, strict=True))
        # Fills that leave more white than the budget are not pursued; the budget grows until
        # a fill is found (the last round has no budget at all).
        # (White under the foot of copy that runs out costs little: its fills start lower.)
        self._budget = _FIRST_BUDGET if self._short else max(_FIRST_BUDGET, area * _FIRST_BUDGET_SHARE)
        while True:
            self._memo = {}
            outcomes = self._solve(0, self.columns, top, 0, self.jumps, False, self._budget, self.ed.lines)
            if any(j >= want for j, _ in outcomes) or self._budget == math.inf:
                break
            if self._budget >= cap:
                return None
            self._budget = min(cap, self._budget * 1.5) if self._budget < area else math.inf
        # The parts that jumped here must be on this page; then the least white, then most copy.
        key = min(
            outcomes,
            key=lambda o: (outcomes[o][0] + _STRANDED_COST * max(0, self.parts - o[0]), -o[0], o[1]),
        )
        if key[0] < want and want > self.parts:
            return None
        cost = outcomes[key][0] + _STRANDED_COST * max(0, self.parts - key[0])
        return cost, self._rebuild(0, self.columns, top, 0, self.jumps, False, self.ed.lines, key)

    def _solve(
        self, a: int, b: int, y: int, k: int, jumps: int, nosplit: bool, budget: float, cap: int
    ) -> _Outcomes:
        """The fills of columns [a, b) from line `y` down to `cap` at most, from item k on,
        with up to `jumps` stories cut, that cost at most `budget`: for each (next item, jumps
        used), the least cost and how. `nosplit`: the region is the left part of a split, so it
        is not split again at this line."""
        nosplit = nosplit or b - a == 1
        memo_key = (a, b, y, k, jumps, nosplit, cap)
        known = self._memo.get(memo_key)
        if known is not None and known[0] >= budget:
            return known[1]
        tops, floors, foot = self.tops, self._floors, self._foot
        area = tsum = deepest = below = 0
        top = y
        floor = cap
        for c in range(a, b):
            t = tops[c]
            if t < y:
                t = y
            f = floors[c]
            if f > cap:
                f = cap
            if f > t:
                area += f - t
                if f - t > deepest:
                    deepest = f - t
                if f > foot:
                    below += f - (foot if foot > t else t)
            if t > top:
                top = t
            if f < floor:
                floor = f
            tsum += t
        out: _Outcomes = {}
        white = area - below + _BELOW_FOOT_WEIGHT * below
        if white <= budget:
            out[(k, 0)] = (white, _NO_HOW)
        self._memo[memo_key] = (budget, out)
        if k >= self.count or area < self._least[k] or deepest < self._shallowest[k]:
            return out  # nothing more fits: the stories go in order, item k first
        lead = self.lead if k == 0 else None
        if floor - top >= _LEAST_DEPTH and (lead is None or (a, b) == lead):
            self._across(out, k, a, b, top, floor - top, (b - a) * top - tsum, jumps, budget, cap)
        if nosplit:
            return out
        for m in range(a + 1, b):
            if b - a == 2 and min(floors[a], cap) == min(floors[m], cap):
                continue  # two one-column stacks side by side: briefs, not a page's modules
            if lead is not None and not (m <= lead[0] or (a <= lead[0] and lead[1] <= m)):
                continue  # the page's lead keeps its columns together, left of the split
            for (j, used), (cost, _) in self._solve(a, m, y, k, jumps, True, budget, cap).items():
                right = self._solve(m, b, y, j, jumps - used, False, budget - cost, cap)
                self._combine(out, right, cost, used, (_SPLIT, 0, 0, m, j, used, None))
        if cap < self.ed.lines:
            return out
        # A block at the top of some columns (an ear, a pinned story): the band beside it is
        # filled on its own down to the block's foot, or to the foot of the next story set
        # beside it, and the region goes on across below it.
        lines = {tops[c] for c in range(a, b) if y + self.pad + _LEAST_DEPTH <= tops[c] < floor}
        if lines:
            lines.update(y + h + d + self.pad for h, d in self._shapes[k].values() if y + h + d < floor)
        for line in sorted(lines):
            band = self._solve(a, b, y, k, jumps, False, budget, line - self.pad)
            for (j, used), (cost, _) in band.items():
                rest = self._solve(a, b, line, j, jumps - used, False, budget - cost, cap)
                self._combine(out, rest, cost, used, (_BAND, line, 0, 0, j, used, None))
        return out

    @staticmethod
    def _combine(out: _Outcomes, then: _Outcomes, cost: float, used: int, how: _How) -> None:
        """Add to `out` the fills of a first part (`cost`, `used` jumps) followed by `then`."""
        for (j, more), (cost2, _) in then.items():
            total = cost + cost2
            key = (j, used + more)
            known = out.get(key)
            if known is None or total < known[0]:
                out[key] = (total, how)

    def _across(
        self,
        out: _Outcomes,
        k: int,
        a: int,
        b: int,
        top: int,
        avail: int,
        waste: int,
        jumps: int,
        budget: float,
        cap: int,
    ) -> None:
        """Item k across the whole region [a, b) from line `top`, added to `out`: whole (then
        the rest of the region below it, down to `cap`), or cut at the foot."""
        w = b - a
        shape = self._shapes[k].get(w)
        if shape is None and self.lead is not None and k == 0:  # the lead spans its run, short or not
            job = self.items[0].job
            shape = (job.headline(w) + job.figure(w), job.breaks.balanced_height(0, w, False))
        if shape is not None:
            header, body = shape
            natural = header + body
            if natural <= avail:
                base = waste + _SHAPE_COST * abs(natural - self.ed.target) - w * header - self._cells[k]
                for depth in (avail, natural) if natural < avail <= natural + self.slack else (natural,):
                    spent = base + w * depth
                    if spent > budget:
                        continue
                    below = self._solve(
                        a, b, top + depth + self.pad, k + 1, jumps, False, budget - spent, cap
                    )
                    for key, (cost, _) in below.items():
                        total = spent + cost
                        known = out.get(key)
                        if known is None or total < known[0]:
                            out[key] = (total, (_WHOLE, top, depth, 0, 0, 0, None))
                return
        head = k >= self.parts
        if self._cells[k] <= (not head) or (shape is None and head and w > 1 and not (self.lead and k == 0)):
            return  # nothing to cut; or a start too short to spread this wide
        cut_key = (k, a, b, top, not head or jumps > 0, cap)
        if cut_key in self._cuts:
            cut = self._cuts[cut_key]
        else:
            cut = self._cuts[cut_key] = self._cut_module(k, a, b, top, not head or jumps > 0, cap)
        if cut is not None:
            cost, used, leaf = cut
            key = (k + 1, used)
            known = out.get(key)
            if waste + cost <= budget and (known is None or waste + cost < known[0]):
                out[key] = (waste + cost, (_CUT, top, 0, 0, 0, used, leaf))

    def _cut_module(
        self, k: int, a: int, b: int, top: int, may_jump: bool, cap: int
    ) -> tuple[float, int, _Leaf] | None:
        """Item k cut across [a, b) from line `top` down to the foot (or whole on a stepped
        foot): its cost (white and jumps), the jumps it uses, the module; None if it may not."""
        item = self.items[k]
        job = item.job
        w = b - a
        header = job.headline(w) + job.figure(w) if item.head else 0
        depths = tuple(min(f, cap) - top for f in self._floors[a:b])
        if min(depths) - header < self._needs[k]:
            return None
        cut = self._cut(k, [d - header for d in depths], may_jump)
        if cut is None:
            return None
        kind, runs, end, target = cut
        if (
            kind == "whole"
            and max(d - header - r.height for d, r in zip(depths, runs, strict=True)) > self.slack
        ):
            return None  # on a stepped foot, a whole body must reach near every column's foot
        white = sum(depths) - w * header - sum(r.height for r in runs)
        extra = 0.0 if kind != "jump" else _REJUMP_COST if not item.head else _JUMP_COST
        if self._short and kind != "whole":
            extra += _UNPLACED_COST * (job.breaks.n - end)  # the copy ran out: no need to jump
        used = int(item.head and kind == "jump")
        return white + extra, used, _Leaf(item, a, w, top, depths, kind, tuple(runs), end, target)

    def _cut(self, k: int, caps: list[int], may_jump: bool) -> _CutResult | None:
        """Item k flowed into columns of these capacities: whole if it fits (a stepped foot),
        else cut with a jump line to the next page with room, else (a part with no page left
        after this one) the tail that fits; None when none of these may be."""
        item = self.items[k]
        breaks = item.job.breaks
        runs, end = breaks.flow(item.start, caps, not item.head)
        if not runs:
            return None
        if end >= breaks.n:
            return ("whole", runs, end, None) if len(runs) == len(caps) else None
        jumped = breaks.add_jump_to(runs, caps) if may_jump else None
        if jumped is not None:
            target = self._target(k, jumped[1])
            if target is not None:
                return "jump", jumped[0], jumped[1], target
        if item.head or self._target(k, end) is not None:
            return None  # a start that cannot jump waits for a page it fits; a part that can, does
        return "tail", runs, end, None

    def _rebuild(
        self, a: int, b: int, y: int, k: int, jumps: int, nosplit: bool, cap: int, key: tuple[int, int]
    ) -> list[_Leaf]:
        """The modules of the fill `_solve` found for this region and outcome."""
        nosplit = nosplit or b - a == 1
        _, how = self._memo[(a, b, y, k, jumps, nosplit, cap)][1][key]
        kind, top, depth, m, j, used, leaf = how
        rest = (key[0], key[1] - used)
        if kind == _WHITE:
            return []
        if kind == _CUT:
            assert leaf is not None
            return [leaf]
        if kind == _WHOLE:
            item = self.items[k]
            whole = _Leaf(item, a, b - a, top, (depth,) * (b - a), "whole", end=item.job.breaks.n)
            return [whole, *self._rebuild(a, b, top + depth + self.pad, k + 1, jumps, False, cap, key)]
        if kind == _SPLIT:
            left = self._rebuild(a, m, y, k, jumps, True, cap, (j, used))
            return left + self._rebuild(m, b, y, j, jumps - used, False, cap, rest)
        band = self._rebuild(a, b, y, k, jumps, False, top - self.pad, (j, used))
        return band + self._rebuild(a, b, top, j, jumps - used, False, cap, rest)
