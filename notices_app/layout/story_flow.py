"""The unpinned stories flowed page by page over the news and mixed pages, each page's free
area made up region by region by `PageFill`."""

from __future__ import annotations

from collections.abc import Sequence

from notices_app.layout.page_fill import PageFill
from notices_app.layout.page_grid import PageGrid
from notices_app.layout.page_types import Box
from notices_app.layout.story_parts import LEAST_DEPTH, Item, Job, Leaf, Spot
from notices_app.layout.story_placer import StoryPlacer
from notices_app.rules.messages import Message, msg

_RETRY_AREA = 40  # cells of a lower region left white that make a page worth making up again


class StoryFlow(StoryPlacer):
    """Flows the stories over the pages, a page at a time, with `PageFill`."""

    def flow_stories(self, jobs: Sequence[Job]) -> None:
        """The other stories in input order, page by page over the news and mixed pages.

        Each page takes the next stories and the parts that jumped to it, and is filled with
        them as a whole (`PageFill`); the stories that do not fit go on, in order, to the next
        page, so a story never goes to a page before the previous story's and the editor's order
        reads front to back. A story that no later page could take either overflows, and the
        page is filled again without it.
        """
        incoming: list[list[Item]] = [[] for _ in self.plan.pages]
        pos = 0
        last = self.story_pages[0] if self.story_pages else 0  # page of the last story placed
        for at, index in enumerate(self.story_pages):
            while True:
                heads = [Item(job) for job in jobs[pos:]]
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
                    incoming[target].append(Item(leaf.item.job, leaf.end, index))
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

    def _fits_later(self, job: Job, at: int) -> bool:
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
                if spots and self.next_room(job, index, job.breaks.n - 1) is not None:
                    return True
        return False

    def _fill_page(self, index: int, heads: Sequence[Item], parts: Sequence[Item]) -> list[Leaf]:
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
        heads: Sequence[Item],
        parts: Sequence[Item],
        jumps_left: int | None,
        first_jumps: int | None,
        lead: bool,
    ) -> tuple[list[Leaf], float, bool]:
        """The fill of the page's regions, the first one with at most `first_jumps` stories
        that jump (if given), with the page's `lead` across the top of the first: its modules,
        its white (and jump costs), and whether a later region was left white after the first
        took a jump."""
        floor = [0] * self.columns
        leaves: list[Leaf] = []
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
            fill = PageFill(self, index, heads[first:], pending, tops, bots, lead, allowed)
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
                if b - a >= LEAST_DEPTH:
                    top, bot = a, b
                    break
            tops.append(top)
            bots.append(bot)
        return tops, bots

    def _commit_leaf(self, leaf: Leaf, index: int) -> int | None:
        """Set one module the fill chose; returns the page its rest jumps to, if any."""
        item = leaf.item
        spot = Spot(leaf.col, leaf.span, leaf.top, leaf.depths, False)
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
