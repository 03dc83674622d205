"""A pure checker of set lines against the clreq rules, for tests and the benchmark.

It sees only what a PDF shows: each glyph's character, origin and size, grouped into lines of
one column. Advances are measured as the next glyph's origin minus this one's, because a
compressed mark keeps its full font width in the PDF (clreq-rules.md, "How to check it").
Rule numbers refer to /work/shared/reference/clreq-rules.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from notices_app.layout import clreq
from notices_app.layout.types import ComposedLine, Level


@dataclass(frozen=True)
class CheckGlyph:
    ch: str
    x: float  # pt, glyph origin
    size: float  # pt, one em
    width: float | None = None  # pt, the glyph's own advance; None: 1 em if wide, else ½ em


@dataclass(frozen=True)
class CheckLine:
    glyphs: tuple[CheckGlyph, ...]
    last: bool = False  # a paragraph's last line: not justified, may hold a short remainder


@dataclass(frozen=True)
class Violation:
    rule: int
    line_index: int
    detail: str


def lines_from_composed(lines: Sequence[ComposedLine], left: float, size: float) -> list[CheckLine]:
    """Composer output as checker input, with the line box's left edge at `left`."""
    out: list[CheckLine] = []
    for line in lines:
        glyphs = [CheckGlyph(g.ch, left + g.x, size, g.advance) for g in line.glyphs]
        if line.glyphs:
            # The last glyph's own width reaches the line's right edge: for a trimmed centred mark
            # that is more than its advance, since its origin was moved left.
            last = line.glyphs[-1]
            glyphs[-1] = CheckGlyph(last.ch, left + last.x, size, line.width - last.x)
        out.append(CheckLine(tuple(glyphs), line.last))
    return out


def _own_width(g: CheckGlyph) -> float:
    if g.width is not None:
        w = g.width
    else:
        w = g.size if clreq.is_han(g.ch) or clreq.char_class(g.ch) in _WIDE_CLASSES else 0.5 * g.size
    cls = clreq.char_class(g.ch)
    # A closing mark ending a line shows only its ink half (rule 6); the PDF still records the
    # font's full width, so count what is visible. A centred mark keeps ¾ em of its box.
    if cls is clreq.CharClass.CLOSING:
        return min(w, 0.5 * g.size)
    if cls is clreq.CharClass.MIDDLE:
        return min(w, 0.75 * g.size)
    return w


_WIDE_CLASSES = frozenset(
    {clreq.CharClass.OPENING, clreq.CharClass.CLOSING, clreq.CharClass.MIDDLE, clreq.CharClass.DASH}
)


def _right_edge(line: CheckLine) -> float:
    g = line.glyphs[-1]
    return g.x + _own_width(g)


def _extra_spacing(glyphs: Sequence[CheckGlyph]) -> float:
    """Typical space justification added after each character: Han advances beyond 1 em."""
    excess = [nxt.x - g.x - g.size for g, nxt in pairwise(glyphs) if clreq.is_han(g.ch)]
    return max(0.0, statistics.median(excess)) if excess else 0.0


def check(
    lines: Sequence[CheckLine],
    left: float,
    right: float,
    *,
    level: Level = Level.STRICT,
    indent: float = 0.0,
    tol: float = 0.05,
    sources: Sequence[str] | None = None,
) -> list[Violation]:
    """Violations of rules 1-5, 7, 9 and 10 in one column's lines, in reading order.

    `left`/`right` are the column's edges, `indent` the first-line indent in pt, `sources` the
    paragraphs' source texts (optional; lets rule 9 tell a word space from a split word).
    """
    out: list[Violation] = []
    start_bad = clreq.LINE_START_PROHIBITED[level]
    end_bad = clreq.LINE_END_PROHIBITED[level]
    para_lines = _paragraphs(lines)
    boundary_spaced = _spaced_boundaries(lines, para_lines, sources) if sources is not None else None

    for p_index, indices in enumerate(para_lines):
        for pos, i in enumerate(indices):
            line = lines[i]
            if not line.glyphs:
                continue
            glyphs = line.glyphs
            first_ch, last_ch = glyphs[0].ch, glyphs[-1].ch
            size = glyphs[0].size
            para_first = pos == 0
            para_last = pos == len(indices) - 1
            if not para_first and first_ch in start_bad:
                out.append(Violation(1, i, f"line starts with {first_ch!r}"))
            if not para_last and last_ch in end_bad:
                out.append(Violation(2, i, f"line ends with {last_ch!r}"))
            if not para_last and last_ch in "—…":
                run = len(glyphs) - next(
                    (k + 1 for k in range(len(glyphs) - 1, -1, -1) if glyphs[k].ch != last_ch), 0
                )
                nxt = lines[indices[pos + 1]].glyphs
                if run % 2 == 1 and nxt and nxt[0].ch == last_ch:
                    out.append(Violation(3, i, f"{last_ch * 2} split across lines"))
            edge = _right_edge(line)
            if edge > right + tol:
                out.append(
                    Violation(4, i, f"glyph {last_ch!r} crosses the right edge by {edge - right:.2f} pt")
                )
            lo = min(g.x + (0.5 * g.size if g.ch in clreq.OPENING else 0.0) for g in glyphs)
            if lo < left - tol:
                out.append(Violation(4, i, f"glyph crosses the left edge by {left - lo:.2f} pt"))
            if not line.last:
                expect = left + (indent if para_first else 0.0)
                x = glyphs[0].x
                slack = 0.5 * size if first_ch in clreq.OPENING else 0.0
                if not expect - slack - tol <= x <= expect + tol:
                    out.append(Violation(5, i, f"left edge at {x:.2f}, column starts at {expect:.2f}"))
                elif abs(edge - right) > tol:
                    out.append(Violation(5, i, f"right edge at {edge:.2f}, column ends at {right:.2f}"))
            _check_adjacent_marks(glyphs, i, tol, out)
            if not para_last:
                nxt_glyphs = lines[indices[pos + 1]].glyphs
                if nxt_glyphs and _splits_word(
                    last_ch,
                    nxt_glyphs[0].ch,
                    None if boundary_spaced is None else boundary_spaced.get((p_index, pos)),
                ):
                    out.append(Violation(9, i, f"word split between {last_ch!r} and {nxt_glyphs[0].ch!r}"))
        if len(indices) >= 2:
            tail = "".join(g.ch for g in lines[indices[-1]].glyphs)
            if sum(1 for c in tail if clreq.counts_as_character(c)) < 2:
                out.append(Violation(10, indices[-1], f"last line {tail!r} holds fewer than 2 characters"))
    out.sort(key=lambda v: (v.line_index, v.rule))
    return out


def _paragraphs(lines: Sequence[CheckLine]) -> list[list[int]]:
    paras: list[list[int]] = []
    current: list[int] = []
    for i, line in enumerate(lines):
        current.append(i)
        if line.last:
            paras.append(current)
            current = []
    if current:
        paras.append(current)
    return paras


def _check_adjacent_marks(glyphs: Sequence[CheckGlyph], i: int, tol: float, out: list[Violation]) -> None:
    """Rule 7: two adjacent full-width marks take at most 1.5 em, justification space aside."""
    marks = clreq.COMPRESSIBLE
    extra: float | None = None
    n = len(glyphs)
    for k in range(n - 1):
        a, b = glyphs[k], glyphs[k + 1]
        if a.ch not in marks or b.ch not in marks:
            continue
        if extra is None:
            extra = _extra_spacing(glyphs)
        # Measured to the next glyph's origin, so an opening mark drawn half an em to the left
        # of its box still counts only the width it occupies.
        end = glyphs[k + 2].x - extra if k + 2 < n else b.x + _own_width(b)
        span = end - a.x - extra
        if span > 1.5 * a.size + tol:
            out.append(Violation(7, i, f"{a.ch}{b.ch} take {span / a.size:.2f} em"))


def _splits_word(before: str, after: str, spaced: bool | None) -> bool:
    if not (clreq.is_word_char(before) and clreq.is_word_char(after)):
        return False
    if spaced is not None:
        return not spaced
    # Without the source a word space is invisible at a line break; only a boundary that is not
    # letter|letter (a number, a percentage, a decimal point) is certainly inside one word.
    return not (before.isalpha() and after.isalpha())


def _spaced_boundaries(
    lines: Sequence[CheckLine], para_lines: list[list[int]], sources: Sequence[str]
) -> dict[tuple[int, int], bool]:
    """For each line break inside a paragraph: did the source have whitespace there?"""
    out: dict[tuple[int, int], bool] = {}
    for p_index, (indices, src) in enumerate(zip(para_lines, sources, strict=False)):
        p = 0
        ends: list[int] = []
        starts: list[int] = []
        ok = True
        for i in indices:
            for k, g in enumerate(lines[i].glyphs):
                while p < len(src) and src[p] != g.ch and src[p].isspace():
                    p += 1
                if p >= len(src) or src[p] != g.ch:
                    ok = False
                    break
                if k == 0:
                    starts.append(p)
                p += 1
            if not ok:
                break
            ends.append(p - 1)
        if not ok:
            continue
        for pos in range(len(indices) - 1):
            if pos + 1 < len(starts):
                out[(p_index, pos)] = starts[pos + 1] > ends[pos] + 1
    return out
