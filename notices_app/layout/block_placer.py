"""Booked ads at their page and position, and notices packed by kind into the classifieds area
(skyline packing, downwards on classifieds pages and upwards on mixed ones)."""

from __future__ import annotations

from collections.abc import Sequence

from notices_app.layout.edition_state import EditionState
from notices_app.layout.page_grid import PageGrid
from notices_app.layout.page_types import AdRequest, Box, NoticeMetrics, Placement
from notices_app.rules.messages import msg

_AD_ORDER = {"full": 0, "ear": 1, "bottom": 2}  # a full page first: nothing else fits beside it
_POSITION_ZH = {"full": "整版", "ear": "报眼", "bottom": "底部"}


class BlockPlacer(EditionState):
    """Places the edition's ads and notices on the pages of `EditionState`."""

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

    # Long: one loop shares the kind's first page, each page's failed sizes and the furthest page.
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
