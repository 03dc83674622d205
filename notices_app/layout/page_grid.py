"""Occupancy of one page's grid, and the searches the layout engine runs on it.

Each column is one integer used as a bit set: bit i is set when grid line i of that column is
taken. Testing a box is then an OR over its columns and one shift-and-mask, and a failed test
says how far to jump (past the highest or lowest taken line in the way), so a search costs a
handful of integer operations per column rather than one per grid line. This keeps an edition
of 16 pages and 300 notices inside the engine's time budget.
"""

from __future__ import annotations

from notices_app.layout.page_types import Box


class PageGrid:
    """The taken lines of one page, column by column.

    Mutable on purpose: the engine fills a page block by block, and the searches below always
    see every block placed so far. `pad` in the searches is the number of white lines a new box
    keeps from taken lines above and below it (never from the edges of the type area).
    """

    __slots__ = ("_taken", "columns", "lines")

    def __init__(self, columns: int, lines: int) -> None:
        self.columns = columns
        self.lines = lines
        self._taken = [0] * columns

    def _span(self, col: int, cols: int) -> int:
        mask = 0
        for taken in self._taken[col : col + cols]:
            mask |= taken
        return mask

    def is_empty(self) -> bool:
        return not any(self._taken)

    def is_free(self, box: Box, pad: int = 0) -> bool:
        """True when `box` lies on the grid and none of its lines (nor `pad` around it) is taken."""
        if not box.inside(self.columns, self.lines) or box.cols < 1 or box.lines < 1:
            return False
        lo = max(0, box.line - pad)
        hi = min(self.lines, box.end_line + pad)
        return not (self._span(box.col, box.cols) >> lo) & ((1 << (hi - lo)) - 1)

    def occupy(self, box: Box) -> None:
        if box.lines < 1:
            return
        bits = ((1 << box.lines) - 1) << box.line
        for c in range(box.col, box.end_col):
            self._taken[c] |= bits

    def fit_down(self, col: int, cols: int, height: int, start: int, pad: int) -> int | None:
        """Top line of the highest free `cols` × `height` box at `col` starting at or below
        `start`, or None when the column span has no such room."""
        taken = self._span(col, cols)
        top = max(0, start)
        while top + height <= self.lines:
            lo = max(0, top - pad)
            hi = min(self.lines, top + height + pad)
            window = (taken >> lo) & ((1 << (hi - lo)) - 1)
            if not window:
                return top
            # Jump past the lowest taken line in the way: nothing that still overlaps it fits.
            top = lo + window.bit_length() + pad
        return None

    def fit_up(self, col: int, cols: int, height: int, bottom: int, pad: int, ceiling: int = 0) -> int | None:
        """Top line of the lowest free `cols` × `height` box at `col` ending at or above
        `bottom` and starting at or below `ceiling`, or None."""
        taken = self._span(col, cols)
        end = min(self.lines, bottom)
        while end - height >= ceiling:
            lo = max(0, end - height - pad)
            hi = min(self.lines, end + pad)
            window = (taken >> lo) & ((1 << (hi - lo)) - 1)
            if not window:
                return end - height
            end = lo + (window & -window).bit_length() - 1 - pad
        return None

    def run_down(self, col: int, line: int, pad: int) -> int:
        """Free lines of column `col` from `line` downwards, less `pad` when a taken line ends the run."""
        below = self._taken[col] >> line
        if not below:
            return self.lines - line
        return max(0, (below & -below).bit_length() - 1 - pad)

    def run_above(self, col: int, line: int) -> int:
        """Free lines of column `col` directly above `line`."""
        return line - (self._taken[col] & ((1 << line) - 1)).bit_length()

    def run_below(self, col: int, end: int) -> int:
        """Free lines of column `col` from `end` down to the next taken line or the foot."""
        return self.run_down(col, end, 0) if end < self.lines else 0

    def first_free(self, col: int) -> int:
        """The first free line of column `col` from the top (`lines` when the column is full)."""
        taken = self._taken[col]
        free = ~taken & ((1 << self.lines) - 1)
        return (free & -free).bit_length() - 1 if free else self.lines

    def free_runs(self, col: int, start: int = 0) -> list[tuple[int, int]]:
        """The runs of free lines of column `col` at or below `start`, as (first, end) pairs
        from the top down (`end` exclusive)."""
        runs: list[tuple[int, int]] = []
        taken = self._taken[col]
        line = max(0, start)
        while line < self.lines:
            free = ~taken >> line
            first = line + (free & -free).bit_length() - 1  # the next free line
            if first >= self.lines:
                break
            below = taken >> first
            end = self.lines if not below else first + (below & -below).bit_length() - 1
            end = min(end, self.lines)
            runs.append((first, end))
            line = end
        return runs
