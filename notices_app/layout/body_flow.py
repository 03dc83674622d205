"""Flowing a story body from column to column without stranding a section head.

The body is a run of grid lines numbered 0 … n-1 (section heads included). A column break
between lines i-1 and i is "break i"; break 0 and break n (the ends) are always allowed. A
section head of h lines starting at line s must share its column with the `keep` lines after it,
so breaks s+1 … s+h+keep-1 are forbidden: no column ends on a head or just below one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from notices_app.layout.page_types import BodyChunk


@dataclass(frozen=True)
class ColumnRun:
    """Body lines `first` … `first + count - 1` in column `index` of a span; `jump_from` when the
    column also carries the "(上接第N版)" line at its top, `jump_to` the "(下转第N版)" at its foot."""

    index: int
    first: int
    count: int
    jump_from: bool = False
    jump_to: bool = False

    @property
    def height(self) -> int:
        return self.count + self.jump_from + self.jump_to


class BodyBreaks:
    """Where a story body may break between columns, with the greedy and balanced flows."""

    def __init__(self, chunks: Sequence[BodyChunk], keep: int) -> None:
        n = sum(c.lines for c in chunks)
        allowed = [True] * (n + 1)
        line = 0
        for chunk in chunks:
            if chunk.kind == "head" and chunk.lines > 0:
                for i in range(line + 1, min(n, line + chunk.lines + keep)):
                    allowed[i] = False
            line += chunk.lines
        self.n = n
        self._heights: dict[tuple[int, int, bool], int] = {}
        # _before[i]: the last allowed break <= i; _after[i]: the first allowed break > i.
        self._before = [0] * (n + 1)
        last = 0
        for i in range(n + 1):
            if allowed[i]:
                last = i
            self._before[i] = last
        self._after = [n] * (n + 1)
        nxt = n
        for i in range(n, -1, -1):
            self._after[i] = nxt
            if allowed[i]:
                nxt = i

    def before(self, i: int) -> int:
        """The last allowed break at or before body line `i`."""
        return self._before[min(max(i, 0), self.n)]

    def first_run(self, start: int) -> int:
        """The fewest lines a column starting at `start` can hold (what a continuation needs)."""
        return self._after[start] - start if start < self.n else 0

    def flow(self, start: int, caps: Sequence[int], jump_from: bool) -> tuple[list[ColumnRun], int]:
        """Fill columns of the given capacities greedily from body line `start`.

        Returns the non-empty runs and the first line not placed. With `jump_from`, the first
        non-empty column also carries the "(上接第N版)" line, so its capacity is one line less.
        """
        runs: list[ColumnRun] = []
        before, n = self._before, self.n
        line = start
        pending = jump_from
        for index, cap in enumerate(caps):
            if line >= n:
                break
            room = cap - 1 if pending else cap
            if room <= 0:
                continue
            end = before[min(line + room, n)]
            if end <= line:
                continue  # a head with its kept lines is taller than this column: try the next
            runs.append(ColumnRun(index, line, end - line, jump_from=pending))
            pending = False
            line = end
        return runs, line

    def balance(self, start: int, columns: int, jump_from: bool) -> list[ColumnRun]:
        """The rest of the body from `start` spread evenly over `columns` columns.

        Column heights (jump line included) stay within `balanced_height`, and each column takes
        the allowed break nearest its even share of what is left, longer columns first: 55 lines
        over 6 columns give 10, 9, 9, 9, 9, 9, never 10, 10, 10, 10, 10, 5. A section head may
        still move a break off the even share, by at most the head and its kept lines.
        """
        n, before, after = self.n, self._before, self._after
        height = self.balanced_height(start, columns, jump_from)
        runs: list[ColumnRun] = []
        line, pending = start, jump_from
        for index in range(columns):
            if line >= n:
                break
            left = columns - index
            room = height - pending
            most = before[min(line + room, n)]  # greedy filling: always feasible at `height`
            if most <= line:
                continue  # as in `flow`: a head with its kept lines is taller than the column
            if left == 1:
                end = most
            else:
                share = -(-(n - line + pending) // left) - pending  # even share, rounded up
                ideal = min(line + max(share, 1), n)
                # The allowed breaks either side of the share; what is left must still fit the
                # other columns, and reach only grows with the break, so the greedy break
                # `most` is the fallback when neither does.
                below, above = before[ideal], after[ideal - 1]
                fits = [
                    b for b in (above, below) if line < b <= most and self._rest_fits(b, left - 1, height)
                ]
                end = min(fits, key=lambda b: abs(b - ideal)) if fits else most
            runs.append(ColumnRun(index, line, end - line, jump_from=pending))
            pending = False
            line = end
        return runs

    def _rest_fits(self, start: int, columns: int, height: int) -> bool:
        if start >= self.n:
            return True
        return columns > 0 and self._reaches_end(start, columns, False, height)

    def balanced_height(self, start: int, columns: int, jump_from: bool) -> int:
        """The least column height (jump line included) that holds the rest of the body from
        `start` in `columns` columns; greedy filling at that height is the balanced flow."""
        key = (start, columns, jump_from)
        known = self._heights.get(key)
        if known is not None:
            return known
        rest = self.n - start
        height = 0
        if rest > 0:
            height = self._least_height(start, columns, jump_from, rest)
        self._heights[key] = height
        return height

    def _reaches_end(self, start: int, columns: int, jump_from: bool, height: int) -> bool:
        before, n = self._before, self.n
        line = start
        pending = jump_from  # as in `flow`: the jump line goes to the first column that takes body
        for _ in range(columns):
            room = height - 1 if pending else height
            end = before[min(line + room, n)] if room > 0 else line
            if end > line:
                line, pending = end, False
            if line >= n:
                return True
        return False

    def _least_height(self, start: int, columns: int, jump_from: bool, rest: int) -> int:
        # Greedy reach grows with the height, so the least feasible height is found by
        # galloping up from the even share (heads rarely cost more than a line or two) and
        # bisecting the last step.
        lo = max(1, -(-(rest + jump_from) // columns))
        if self._reaches_end(start, columns, jump_from, lo):
            return lo
        step = 1
        hi = lo + step
        while not self._reaches_end(start, columns, jump_from, hi):
            lo = hi + 1
            step *= 2
            hi = min(rest + jump_from, hi + step)  # one column holds everything
        while lo < hi:
            mid = (lo + hi) // 2
            if self._reaches_end(start, columns, jump_from, mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def add_jump_to(
        self, runs: Sequence[ColumnRun], caps: Sequence[int]
    ) -> tuple[list[ColumnRun], int] | None:
        """Give the last run the "(下转第N版)" line at its foot, shortening it (at an allowed
        break) when its column is full. Returns the runs and the first line left for the
        continuation, or None when no run can take the line."""
        out = list(runs)
        while out:
            last = out[-1]
            end = last.first + last.count
            if last.height + 1 <= caps[last.index]:
                out[-1] = ColumnRun(last.index, last.first, last.count, last.jump_from, True)
                return out, end
            shorter = self.before(end - 1)
            if shorter > last.first:
                out[-1] = ColumnRun(last.index, last.first, shorter - last.first, last.jump_from, True)
                return out, shorter
            if last.jump_from:
                return None  # the "(上接)" column cannot also end the part
            out.pop()
        return None
