"""Stories placed one part at a time: a story's measurements checked, pinned stories set on
their page, and a start or a continuation set as one module or in a leftover area, its rest
jumped ("(下转第N版)") to the next news page with room."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from notices_app.layout.body_flow import BodyBreaks, ColumnRun
from notices_app.layout.edition_state import EditionState
from notices_app.layout.page_types import BodySegment, Box, StoryMetrics, StoryPlacement
from notices_app.layout.story_parts import Job, Spot
from notices_app.rules.messages import msg

# How a story's start is placed: across the full free width at the top (page 1's lead, a story
# pinned "top"), as low as it goes (pinned "bottom"), or by the target height (everything else).
_Mode = Literal["lead", "bottom", "normal"]


class StoryPlacer(EditionState):
    """Sets story parts on the pages of `EditionState`, one at a time."""

    def story_job(self, story: StoryMetrics) -> Job | None:
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
        job = Job(story, BodyBreaks(story.body, self.rules.head_keep_lines), min(spans))
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

    def place_pinned_stories(self, jobs: Sequence[Job]) -> None:
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

    def _start(self, job: Job, index: int, mode: _Mode) -> bool:
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

    def _continue(self, job: Job, start: int, source: int, index: int) -> None:
        """The rest of the body from line `start`, jumped from page `source` to page `index`
        (which `next_room` found to hold at least its first lines)."""
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

    def _retract_jump(self, job: Job, index: int) -> None:
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

    def _span_order(self, job: Job, start: int, head: bool) -> list[int]:
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
        job: Job,
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
            spot = Spot(best[1], k, best[2], (body,) * k, True)
            runs, end = job.breaks.flow(start, spot.caps, not head)
            assert end == job.breaks.n
            self._commit(job, index, spot, runs, head, source, None)
            return True
        return False

    def _partial_spots(
        self, job: Job, index: int, start: int, head: bool, spans: Iterable[int]
    ) -> list[Spot]:
        """Leftover areas that hold the header and at least the first lines of body under it
        in every column, the roomiest first."""
        grid = self.grids[index]
        rest = job.breaks.n - start
        least = self.rules.min_start_body_lines if head else self.rules.min_segment_lines
        need = max(min(least, rest), job.breaks.first_run(start)) + (not head)
        ranked: list[tuple[tuple[int, int, int, int], Spot]] = []
        for k in spans:
            header = job.headline(k) + job.figure(k) if head else 0
            for c in range(self.columns - k + 1):
                top = grid.fit_down(c, k, header + need, 0, self.pad)
                if top is None:
                    continue
                caps = tuple(grid.run_down(x, top + header, self.pad) for x in range(c, c + k))
                room = min(sum(caps) - (not head), rest)
                ranked.append(((-room, top, c, k), Spot(c, k, top, caps, False)))
        ranked.sort(key=lambda pair: pair[0])
        return [spot for _, spot in ranked]

    def _place_partial(
        self, job: Job, index: int, start: int, head: bool, spans: Iterable[int], source: int | None
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
            target = self.next_room(job, index, end)
            if target is None:
                continue
            self._commit(job, index, spot, runs, head, source, target)
            self.jumps[index] += head
            self._continue(job, end, index, target)
            return True
        return False

    def next_room(self, job: Job, index: int, start: int) -> int | None:
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
        job: Job,
        index: int,
        spot: Spot,
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
