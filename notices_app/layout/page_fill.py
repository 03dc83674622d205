"""The page fill: a dynamic programme over the modular (guillotine) make-ups of one region of a
page, which finds the fill with the least white for the page's stories and the parts that
jumped to it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from notices_app.layout.body_flow import ColumnRun
from notices_app.layout.layout_rules import LayoutRules
from notices_app.layout.story_parts import LEAST_DEPTH, Cut, Item, Job, Leaf

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
_FIRST_BUDGET, _FIRST_BUDGET_SHARE = 24.0, 0.1  # white a fill is first allowed: cells, share of the area


# How a region was filled, for rebuilding the fill: (kind, top, depth, split column, next
# item, jumps, leaf). Kinds: white, a whole module across the region then the rest below it,
# a cut module down to the foot, a split into a left and a right region, a band beside a
# block at the top of some columns then the region below the block (`top`: the block's foot).
_WHITE, _WHOLE, _CUT, _SPLIT, _BAND = 0, 1, 2, 3, 4
_How = tuple[int, int, int, int, int, int, Leaf | None]
_Outcomes = dict[tuple[int, int], tuple[float, _How]]  # (next item, jumps used) → (cost, how)
_NO_HOW: _How = (_WHITE, 0, 0, 0, 0, 0, None)
_CutResult = tuple[Cut, list[ColumnRun], int, int | None]  # how a cut part ends: kind, runs, end, target


class FillHost(Protocol):
    """What a page fill reads of the edition it fills a page of (`StoryFlow` is one)."""

    columns: int
    lines: int
    pad: int
    target: int
    rules: LayoutRules

    def next_room(self, job: Job, index: int, start: int) -> int | None: ...


class PageFill:
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
        edition: FillHost,
        index: int,
        heads: Sequence[Item],
        parts: Sequence[Item],
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
        self.tops = tuple(t if f - t >= LEAST_DEPTH else f for t, f in zip(tops, floors, strict=True))
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
        self._cuts: dict[tuple[int, int, int, int, bool, int], tuple[float, int, Leaf] | None] = {}
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
        self._least.append(max(least, LEAST_DEPTH))
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
        """The page the rest of item k from body line `end` jumps to (as `next_room` finds it;
        it depends only on the lines the rest's first column needs)."""
        breaks = self.items[k].job.breaks
        need = max(min(self.ed.rules.min_segment_lines, breaks.n - end), breaks.first_run(end))
        if need not in self._targets:
            self._targets[need] = self.ed.next_room(self.items[k].job, self.index, end)
        return self._targets[need]

    # The fill -----------------------------------------------------------------------------------

    def best(self, exhaustible: bool) -> list[Leaf]:
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

    def _close_up(self, depth: int) -> list[Leaf] | None:
        """All the copy, closed up at the top of the region: fills with white under a foot line
        near `depth` made cheap, the best of them tightened by filling the region cut at its
        foot (so the stories end together); None when the copy does not all fit."""
        found: list[tuple[int, list[Leaf]]] = []
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

    def _white_above_foot(self, leaves: list[Leaf]) -> int:
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

    def _run(self, floors: tuple[int, ...], want: int, cap: float) -> tuple[float, list[Leaf]] | None:
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

    # Long: one memoised recurrence, the region measured once and then each way to fill it tried.
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
        if floor - top >= LEAST_DEPTH and (lead is None or (a, b) == lead):
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
        lines = {tops[c] for c in range(a, b) if y + self.pad + LEAST_DEPTH <= tops[c] < floor}
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
    ) -> tuple[float, int, Leaf] | None:
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
        return white + extra, used, Leaf(item, a, w, top, depths, kind, tuple(runs), end, target)

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
    ) -> list[Leaf]:
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
            whole = Leaf(item, a, b - a, top, (depth,) * (b - a), "whole", end=item.job.breaks.n)
            return [whole, *self._rebuild(a, b, top + depth + self.pad, k + 1, jumps, False, cap, key)]
        if kind == _SPLIT:
            left = self._rebuild(a, m, y, k, jumps, True, cap, (j, used))
            return left + self._rebuild(m, b, y, j, jumps - used, False, cap, rest)
        band = self._rebuild(a, b, y, k, jumps, False, top - self.pad, (j, used))
        return band + self._rebuild(a, b, top, j, jumps - used, False, cap, rest)
