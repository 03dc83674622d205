"""中缝 entries: short classified texts set in a narrow column of small type in the margin beside
the spine, outside the type area and inside the trim.

A Chinese daily's 中缝 is the strip between the two inside pages of a spread. Its text is not
turned on its side: it is set horizontally, a few 字 to the line, in a column running down the
gutter. Our pages are separate PDFs, so the column sits in one page's inner margin (the
left-hand page of the spread, which owns the strip in `ads.inventory`); nothing crosses the fold.

The column's measure is whole 字 of the style's size that leave `clear_mm` of white on both
sides (type area and spine); it is centred in the margin. Lines are set flush left, not
justified: in a six-字 measure justification opens gaps of an em or more, and `draw_lines`
writes the commonest gap as the character spacing Tc, which PDF adds after a line's last glyph
too, so a justified line's text box would reach past the measure towards the trim (preflight
reads it so). Whatever gap a line still has must stay inside the white beside the column. An entry fills one inventory segment
of the strip (`Slot.line`/`Slot.lines` of the main grid): as many of its own small lines as fit
in that height. The small type has its own constant baseline pitch (clreq rule 11) inside the
entry; entries are composed by the project's clreq composer and drawn glyph by glyph
(`print.textflow`), so the same line-breaking rules hold as in the type area.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.pdfgen.canvas import Canvas

from notices_app.layout.geometry import MM, PageGeometry
from notices_app.layout.types import ComposedLine, Level
from print.fonts import FontSet
from print.pdfcanvas import BLACK
from print.textflow import (
    ComposeFn,
    TextStyle,
    baseline_offset,
    check_covered,
    compose_paragraph,
    compose_paragraphs,
    draw_lines,
)

_EPS = 1e-6
MIN_CHARS = 4  # a column narrower than this is no column of text
MARK_TEXT = "广告"


@dataclass(frozen=True)
class GutterStyle:
    """Type of the 中缝 column; sizes in pt."""

    role: str = "body"
    size: float = 6.5  # 小六号, the usual size of 中缝 classifieds; preflight's floor is 6 pt
    leading: float = 9.0
    clear_mm: float = 3.0  # white kept to the type area on one side and the spine on the other
    mark_role: str = "heading"
    mark_size: float = 6.5
    mark_rule: float = 0.5  # one-colour rules on newsprint: 0.5 pt minimum


DEFAULT_STYLE = GutterStyle()


class GutterEntryTooLong(ValueError):
    """The text needs more lines than the strip's segment holds."""

    def __init__(self, needed: int, available: int, chars_per_line: int) -> None:
        super().__init__(
            f"the 中缝 entry needs {needed} lines of {chars_per_line} 字, the segment holds {available}"
        )
        self.needed = needed
        self.available = available
        self.chars_per_line = chars_per_line


@dataclass(frozen=True)
class GutterColumn:
    """Where the column runs on a page: `x` is the left of its measure, pt from the trim's left."""

    x: float
    measure: float
    chars: int


def gutter_column(geometry: PageGeometry, page: int, style: GutterStyle = DEFAULT_STYLE) -> GutterColumn:
    """The 中缝 column of `page`: in the right margin of an even (left-hand) page, in the left
    margin of an odd one. ValueError when the margin cannot hold `MIN_CHARS` 字 with the clearance."""
    margin = geometry.margin_left  # the type area is centred: both side margins are equal
    chars = math.floor((margin - 2 * style.clear_mm * MM) / style.size + _EPS)
    if chars < MIN_CHARS:
        raise ValueError(
            f"a {margin / MM:.0f} mm margin holds {chars} 字 of {style.size} pt beside the spine:"
            " too narrow for a 中缝 column"
        )
    measure = chars * style.size
    inner = (margin - measure) / 2
    x = geometry.margin_left + geometry.type_w + inner if page % 2 == 0 else inner
    return GutterColumn(x, measure, chars)


def entry_lines(height_pt: float, style: GutterStyle = DEFAULT_STYLE) -> int:
    """Lines of the column's small type that fit in a segment `height_pt` high."""
    return math.floor(height_pt / style.leading + _EPS)


@dataclass(frozen=True)
class TypesetGutterEntry:
    """One 中缝 entry set for print: `page` and `line` (main-grid line of its segment's top) say
    where it goes; it draws itself with its top-left corner at (x, y_top)."""

    page: int
    line: int
    width_pt: float
    height_pt: float
    lines: tuple[ComposedLine, ...]
    capacity: int  # lines the segment holds
    chars_per_line: int
    text_style: TextStyle
    fonts: FontSet = field(compare=False, repr=False)

    @property
    def text(self) -> str:
        return "".join(g.ch for line in self.lines for g in line.glyphs)

    def draw(self, canvas: Canvas, x: float, y_top: float) -> None:
        st = self.text_style
        first = y_top - baseline_offset(self.fonts, st)
        draw_lines(canvas, self.fonts, st.role, st.size, self.lines, x, first, st.leading)


def typeset_gutter_entry(
    text: str,
    geometry: PageGeometry,
    fonts: FontSet,
    *,
    page: int,
    line: int,
    height_pt: float,
    level: Level = Level.STRICT,
    style: GutterStyle = DEFAULT_STYLE,
    composer: ComposeFn | None = None,
) -> TypesetGutterEntry:
    """Set a 中缝 entry for the segment at main-grid `line` of `page`, `height_pt` high.

    Raises MissingGlyphs for characters the font lacks, GutterEntryTooLong when the text needs
    more lines than the segment holds and ValueError for an empty text (all ValueErrors).
    """
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    if not paragraphs:
        raise ValueError("the 中缝 entry has no text")
    column = gutter_column(geometry, page, style)
    tstyle = TextStyle(style.role, style.size, style.leading, 0.0, "left", level)
    check_covered(fonts, tstyle.role, paragraphs)
    composed = compose_paragraphs(paragraphs, tstyle, column.measure, fonts, composer)
    capacity = entry_lines(height_pt, style)
    if len(composed) > capacity:
        raise GutterEntryTooLong(len(composed), capacity, column.chars)
    room = (geometry.margin_left - column.measure) / 2 - 1.0  # white beside the column, less 1 pt
    advance = fonts.advance(tstyle.role)
    for composed_line in composed:
        tc = _char_spacing(composed_line, advance, style.size)
        reach = composed_line.width + max(0.0, tc) - column.measure
        if reach > room:
            raise ValueError(
                f"a line of the 中缝 entry would reach {reach:.1f} pt past its column, beyond the margin"
            )
    return TypesetGutterEntry(
        page=page,
        line=line,
        width_pt=column.measure,
        height_pt=height_pt,
        lines=tuple(composed),
        capacity=capacity,
        chars_per_line=column.chars,
        text_style=tstyle,
        fonts=fonts,
    )


def _char_spacing(line: ComposedLine, advance: Callable[[str], float], size: float) -> float:
    """The Tc `draw_lines` writes for the line: its commonest gap between glyphs."""
    glyphs = line.glyphs
    counts: dict[float, int] = {}
    for a, b in itertools.pairwise(glyphs):
        gap = round(b.x - a.x - advance(a.ch) * size, 3)
        counts[gap] = counts.get(gap, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else 0.0


def draw_gutter_mark(
    canvas: Canvas,
    fonts: FontSet,
    column: GutterColumn,
    x: float,
    y_top: float,
    level: Level = Level.STRICT,
    style: GutterStyle = DEFAULT_STYLE,
) -> float:
    """The 「广告」 mark (广告法 Art. 14) heading the strip: small Hei in a thin box, centred in
    the column whose measure starts at `x`; returns the height it takes below `y_top`."""
    size = style.mark_size
    mstyle = TextStyle(style.mark_role, size, size, 0.0, "left", level)
    check_covered(fonts, mstyle.role, [MARK_TEXT])
    (line,) = compose_paragraph(MARK_TEXT, mstyle, column.measure, fonts)
    pad = size * 0.3
    box_w = line.width + 2 * pad
    box_h = size + 2 * pad
    box_x = x + (column.measure - box_w) / 2
    half = style.mark_rule / 2
    canvas.saveState()
    canvas.setStrokeColor(BLACK)
    canvas.setLineWidth(style.mark_rule)
    canvas.rect(box_x, y_top - box_h + half, box_w, box_h - style.mark_rule)
    canvas.restoreState()
    baseline = y_top - pad - size * fonts.ascent(mstyle.role)
    draw_lines(canvas, fonts, mstyle.role, size, [line], box_x + pad, baseline, size)
    return box_h
