"""Whole newspaper pages as print PDFs: the layout engine's `PageLayout` drawn on the grid.

The engine decided every block's place in grid units; this renderer only maps them to points
(column c → `geometry.column_x(c)`, grid line n → type-area top − n × leading) and asks each
typeset block to draw itself there. Each page is its own PDF (printers and plate-setters take
pages one by one); `combine_pages` joins them into the edition file for archives and proofs.
Booked 中缝 entries (`print.gutter`) are not on the grid: each carries its page and segment and
is drawn in the margin beside the spine, under the strip's 「广告」 mark.

Page boxes: MediaBox = trim + bleed on every side (or trim + a 12 mm slug with crop marks),
TrimBox = the trim, BleedBox = trim + bleed, all in the same coordinates as the content.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from io import BytesIO
from typing import Protocol

import pikepdf
from reportlab.lib.colors import CMYKColor
from reportlab.pdfgen.canvas import Canvas

from notices_app.layout.geometry import MM, PageGeometry
from notices_app.layout.page_types import Box, EditionLayout, Overflow, PageLayout, StoryPlacement
from print.fonts import FontSet
from print.gutter import DEFAULT_STYLE as GUTTER_STYLE
from print.gutter import GutterStyle, TypesetGutterEntry, draw_gutter_mark, gutter_column
from print.notices import TypesetNotice
from print.pdfcanvas import BLACK, finish, new_canvas
from print.stories import TypesetStory, jump_from_text, jump_to_text
from print.textflow import (
    ComposeFn,
    TextStyle,
    check_covered,
    compose_paragraph,
    default_composer,
    draw_lines,
)

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
# Crop marks print in registration (all four inks) so every plate carries them.
REGISTRATION = CMYKColor(1, 1, 1, 1)
_EPS = 0.01  # pt: block sizes are sums of floats


class Drawable(Protocol):
    """A block that draws itself with its top-left corner at (x, y_top): notices, template ads,
    later artwork."""

    @property
    def width_pt(self) -> float: ...

    @property
    def height_pt(self) -> float: ...

    def draw(self, canvas: Canvas, x: float, y_top: float) -> None: ...


@dataclass(frozen=True)
class EditionInfo:
    """What the folio prints on every page."""

    newspaper: str  # e.g. 淄博日报
    date: datetime.date
    issue: str = ""  # 期号, e.g. 第9876期; printed on the front page's folio when given


@dataclass(frozen=True)
class PageContent:
    """The typeset blocks an edition's layout refers to, by the ids of its placements."""

    stories: Mapping[str, TypesetStory]
    notices: Mapping[str, TypesetNotice]
    ads: Mapping[str, Drawable]

    def gutter_entries(self, page: int) -> list[TypesetGutterEntry]:
        """The 中缝 entries printed beside the spine of `page`, top first. They are booked ads
        outside the type area, so the layout engine has no box for them: each knows its place."""
        found = [a for a in self.ads.values() if isinstance(a, TypesetGutterEntry) and a.page == page]
        return sorted(found, key=lambda e: e.line)


@dataclass(frozen=True)
class FolioStyle:
    """The running head in the top margin; sizes and distances in pt."""

    name_role: str = "heading"
    name_size: float = 12.0
    text_role: str = "body"
    text_size: float = 10.5
    rule_width: float = 0.75  # one-colour rules: 0.5 pt minimum on newsprint
    rule_gap: float = 8.0  # from the rule down to the type area
    text_gap: float = 5.0  # from the rule up to the folio's baseline
    space_em: float = 1.5  # between the folio's items


@dataclass(frozen=True)
class CropMarks:
    slug_mm: float = 12.0  # trim to media edge
    length_mm: float = 6.0
    width: float = 0.3  # hairline marks are the press convention; they sit outside the trim


class LayoutMismatch(ValueError):
    """The layout and the typeset content disagree (a box too small, a block of another width,
    a missing id); printing would overlap or cut text, so rendering refuses."""


class EditionOverflow(ValueError):
    """The layout could not place everything; the edition must not be built. `overflow` keeps
    the engine's bilingual reasons for the editor."""

    def __init__(self, overflow: Sequence[Overflow]) -> None:
        reasons = "; ".join(f"{o.kind} {o.id}: {o.reason.render('en')}" for o in overflow)
        super().__init__(f"{len(overflow)} block(s) not placed: {reasons}")
        self.overflow = tuple(overflow)


class PageRenderer:
    """Draws one page; geometry and styles are attributes so a publication can override hooks."""

    folio_style = FolioStyle()
    crop_style = CropMarks()
    gutter_style: GutterStyle = GUTTER_STYLE

    def __init__(
        self,
        geometry: PageGeometry,
        fonts: FontSet,
        info: EditionInfo,
        page_count: int,
        crop_marks: bool = False,
        composer: ComposeFn | None = None,
    ) -> None:
        self.geometry = geometry
        self.fonts = fonts
        self.info = info
        self.page_count = page_count
        self.crop_marks = crop_marks
        self.composer = composer or default_composer()
        g = geometry
        self.bleed = g.bleed_mm * MM
        # With crop marks the media box grows to hold them; the trim stays at the same place
        # relative to the content, so only this offset changes.
        self.offset = max(self.bleed, self.crop_style.slug_mm * MM) if crop_marks else self.bleed
        self.media = (g.trim_w + 2 * self.offset, g.trim_h + 2 * self.offset)
        self.trim_box = (self.offset, self.offset, self.offset + g.trim_w, self.offset + g.trim_h)
        b = self.bleed
        x0, y0, x1, y1 = self.trim_box
        self.bleed_box = (x0 - b, y0 - b, x1 + b, y1 + b)
        self.type_top = self.offset + g.margin_bottom + g.type_h
        self.lines = g.lines_per_column

    # Grid → points.
    def x(self, col: int) -> float:
        return self.offset + self.geometry.column_x(col)

    def y(self, line: int) -> float:
        """Top of grid line `line` (0 = the type area's top)."""
        return self.type_top - line * self.geometry.leading_pt

    def render(self, page: PageLayout, content: PageContent) -> bytes:
        """The page as PDF bytes."""
        self.check(page, content)
        buf = BytesIO()
        title = f"{self.info.newspaper} {self.info.date.isoformat()} 第{page.number}版"
        canvas = new_canvas(buf, *self.media, self.fonts, title)
        canvas.setTrimBox(self.trim_box)
        canvas.setBleedBox(self.bleed_box)
        self.draw_folio(canvas, page)
        for sp in page.stories:
            self.draw_story(canvas, sp, content.stories[sp.story_id])
        for block in page.blocks:
            source: Mapping[str, Drawable] = content.notices if block.kind == "notice" else content.ads
            source[block.id].draw(canvas, self.x(block.box.col), self.y(block.box.line))
        self.draw_gutter(canvas, page, content.gutter_entries(page.number))
        if self.crop_marks:
            self.draw_crop_marks(canvas)
        return finish(canvas, buf)

    def check(self, page: PageLayout, content: PageContent) -> None:
        """Refuse a layout that does not match the content before drawing anything."""
        g = self.geometry
        for label, box in page.boxes():
            if not box.inside(g.columns, self.lines):
                raise LayoutMismatch(f"page {page.number}: {label} {box} lies outside the grid")
        for sp in page.stories:
            story = content.stories.get(sp.story_id)
            if story is None:
                raise LayoutMismatch(f"page {page.number}: no typeset story {sp.story_id!r}")
            if story.columns != g.columns:
                raise LayoutMismatch(f"story {sp.story_id!r} was set for another grid")
            if sp.headline is not None:
                _fits(f"story {sp.story_id!r} headline", sp.headline, story.headline(sp.headline.cols).lines)
            if sp.figure is not None:
                _fits(f"story {sp.story_id!r} figure", sp.figure, story.figure(sp.figure.cols).lines)
            for seg in sp.segments:
                jumps = (seg.jump_from is not None) + (seg.jump_to is not None)
                if seg.box.cols != 1 or seg.box.lines != seg.count + jumps:
                    raise LayoutMismatch(
                        f"story {sp.story_id!r}: segment {seg.box} does not hold {seg.count} lines"
                        f" + {jumps} jump line(s) in one column"
                    )
                if seg.first < 0 or seg.first + seg.count > story.body_lines:
                    raise LayoutMismatch(
                        f"story {sp.story_id!r}: body lines {seg.first}..{seg.first + seg.count}"
                        f" outside 0..{story.body_lines}"
                    )
                for target in (seg.jump_from, seg.jump_to):
                    if target is not None and not 1 <= target <= self.page_count:
                        raise LayoutMismatch(
                            f"story {sp.story_id!r}: jump to page {target} of {self.page_count}"
                        )
        for block in page.blocks:
            source: Mapping[str, Drawable] = content.notices if block.kind == "notice" else content.ads
            item = source.get(block.id)
            if item is None:
                raise LayoutMismatch(f"page {page.number}: no typeset {block.kind} {block.id!r}")
            width = g.span_width(block.box.cols)
            if abs(item.width_pt - width) > _EPS:
                raise LayoutMismatch(
                    f"{block.kind} {block.id!r} is {item.width_pt:.2f} pt wide, its box of"
                    f" {block.box.cols} column(s) {width:.2f} pt"
                )
            if item.height_pt > block.box.lines * g.leading_pt + _EPS:
                raise LayoutMismatch(
                    f"{block.kind} {block.id!r} is {item.height_pt:.2f} pt high, its box"
                    f" {block.box.lines} grid lines"
                )
        self.check_gutter(page, content.gutter_entries(page.number))

    def check_gutter(self, page: PageLayout, entries: Sequence[TypesetGutterEntry]) -> None:
        """Refuse 中缝 entries set for another column, off the grid's height or overlapping."""
        if not entries:
            return
        column = gutter_column(self.geometry, page.number, self.gutter_style)
        lead = self.geometry.leading_pt
        bottom = 0.0
        for e in entries:
            if abs(e.width_pt - column.measure) > _EPS:
                raise LayoutMismatch(
                    f"page {page.number}: a 中缝 entry {e.width_pt:.2f} pt wide, the column {column.measure:.2f} pt"
                )
            top = e.line * lead
            if e.line < 1 or top + e.height_pt > self.lines * lead + _EPS or top < bottom - _EPS:
                raise LayoutMismatch(
                    f"page {page.number}: the 中缝 entry at grid line {e.line} is off the strip or"
                    " overlaps the one above it"
                )
            bottom = top + e.height_pt

    def draw_gutter(self, canvas: Canvas, page: PageLayout, entries: Sequence[TypesetGutterEntry]) -> None:
        """The 中缝 beside the spine: the 「广告」 mark in the strip's top grid line, then each
        entry at its segment. The inventory keeps grid line 0 free for the mark."""
        if not entries:
            return
        column = gutter_column(self.geometry, page.number, self.gutter_style)
        x = self.offset + column.x
        draw_gutter_mark(
            canvas, self.fonts, column, x, self.y(0), entries[0].text_style.level, self.gutter_style
        )
        for e in entries:
            e.draw(canvas, x, self.y(e.line))

    def draw_story(self, canvas: Canvas, sp: StoryPlacement, story: TypesetStory) -> None:
        if sp.headline is not None:
            story.draw_headline(canvas, self.x(sp.headline.col), self.y(sp.headline.line), sp.headline.cols)
        if sp.figure is not None:
            story.draw_figure(canvas, self.x(sp.figure.col), self.y(sp.figure.line), sp.figure.cols)
        for seg in sp.segments:
            x = self.x(seg.box.col)
            line = seg.box.line
            if seg.jump_from is not None:
                story.draw_jump(canvas, x, self.y(line), jump_from_text(seg.jump_from), "left")
                line += 1
            story.draw_body(canvas, x, self.y(line), seg.first, seg.count)
            if seg.jump_to is not None:
                story.draw_jump(canvas, x, self.y(line + seg.count), jump_to_text(seg.jump_to), "right")

    def folio_items(self, page: PageLayout) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(role key, text) items flush left and flush right; the page number sits outside, so
        odd (right-hand) pages carry it on the right and even pages mirror the folio."""
        d = self.info.date
        date = f"{d.year}年{d.month}月{d.day}日 {WEEKDAYS[d.weekday()]}"
        masthead = [("name", self.info.newspaper), ("text", date)]
        if page.number == 1:
            if self.info.issue:
                masthead.append(("text", self.info.issue))
            masthead.append(("text", f"今日{self.page_count}版"))
        number = [("name", f"第{page.number}版")]
        if page.label:
            number.insert(0, ("text", page.label))
        if page.number % 2:
            return masthead, number
        return list(reversed(number)), list(reversed(masthead))

    def draw_folio(self, canvas: Canvas, page: PageLayout) -> None:
        """Running head in the top margin: items on one baseline over a rule, all 100 % K."""
        fs = self.folio_style
        left_x = self.x(0)
        right_x = self.offset + self.geometry.margin_left + self.geometry.type_w
        rule_y = self.type_top + fs.rule_gap
        canvas.saveState()
        canvas.setStrokeColor(BLACK)
        canvas.setLineWidth(fs.rule_width)
        canvas.line(left_x, rule_y, right_x, rule_y)
        canvas.restoreState()
        baseline = rule_y + fs.rule_width / 2 + fs.text_gap
        left, right = self.folio_items(page)
        styles = {
            "name": TextStyle(fs.name_role, fs.name_size, fs.name_size, 0.0, "left"),
            "text": TextStyle(fs.text_role, fs.text_size, fs.text_size, 0.0, "left"),
        }
        space = fs.space_em * fs.text_size
        x = left_x
        for key, text in left:
            x += self._draw_run(canvas, styles[key], text, x, baseline) + space
        x = right_x
        for key, text in reversed(right):
            width = self._measure_run(styles[key], text)
            self._draw_run(canvas, styles[key], text, x - width, baseline)
            x -= width + space

    def _measure_run(self, style: TextStyle, text: str) -> float:
        lines = compose_paragraph(text, style, self.geometry.type_w, self.fonts, self.composer)
        return lines[0].width if lines else 0.0

    def _draw_run(self, canvas: Canvas, style: TextStyle, text: str, x: float, baseline: float) -> float:
        """Draw one line of text with its origin at (x, baseline); returns its width."""
        check_covered(self.fonts, style.role, [text])
        lines = compose_paragraph(text, style, self.geometry.type_w, self.fonts, self.composer)
        if not lines:
            return 0.0
        draw_lines(canvas, self.fonts, style.role, style.size, lines[:1], x, baseline, style.size)
        return lines[0].width

    def draw_crop_marks(self, canvas: Canvas) -> None:
        """Corner marks on the trim lines, starting outside the bleed so a bleeding picture never
        touches them."""
        cs = self.crop_style
        x0, y0, x1, y1 = self.trim_box
        start = self.bleed
        end = min(self.offset - 1 * MM, start + cs.length_mm * MM)
        canvas.saveState()
        canvas.setStrokeColor(REGISTRATION)
        canvas.setLineWidth(cs.width)
        segments = []
        for x, sx in ((x0, -1), (x1, 1)):
            for y, sy in ((y0, -1), (y1, 1)):
                segments.append((x + sx * start, y, x + sx * end, y))  # along the horizontal trim
                segments.append((x, y + sy * start, x, y + sy * end))  # along the vertical trim
        canvas.lines(segments)
        canvas.restoreState()


def _fits(label: str, box: Box, needed: int) -> None:
    if box.lines < needed:
        raise LayoutMismatch(f"{label} needs {needed} grid lines over {box.cols} column(s), box {box}")


def render_page(
    page: PageLayout,
    content: PageContent,
    geometry: PageGeometry,
    fonts: FontSet,
    info: EditionInfo,
    page_count: int,
    crop_marks: bool = False,
) -> bytes:
    """One page of the edition as a print PDF (CMYK, fonts embedded, TrimBox/BleedBox set,
    identical bytes for identical input). Raises LayoutMismatch when layout and content disagree."""
    return PageRenderer(geometry, fonts, info, page_count, crop_marks).render(page, content)


def render_edition(
    layout: EditionLayout,
    content: PageContent,
    geometry: PageGeometry,
    fonts: FontSet,
    info: EditionInfo,
    crop_marks: bool = False,
) -> tuple[bytes, ...]:
    """Every page of the edition, one PDF each. Raises EditionOverflow when the layout left
    something unplaced (the build must fail, not print an incomplete edition)."""
    if layout.overflow:
        raise EditionOverflow(layout.overflow)
    if layout.columns != geometry.columns or layout.lines > geometry.lines_per_column:
        raise LayoutMismatch(
            f"layout grid {layout.columns}×{layout.lines} does not fit {geometry.name}"
            f" ({geometry.columns}×{geometry.lines_per_column})"
        )
    renderer = PageRenderer(geometry, fonts, info, len(layout.pages), crop_marks)
    return tuple(renderer.render(page, content) for page in layout.pages)


_SUBSET_TAG = re.compile(r"^/([A-Z]{6})\+(.+)$")


def _retag_subsets(page: pikepdf.Page, number: int) -> None:
    """Make the page's font subset tags unique in the edition file.

    ReportLab starts every document's subsets at AAAAAA; joined pages would carry different
    subsets under one name (/AAAAAA+UMingCN-0), which the PDF specification forbids and some RIPs
    resolve by using one subset for all. The tag becomes two letters for the page and the last four
    of ReportLab's own.
    """
    prefix = chr(65 + (number // 26) % 26) + chr(65 + number % 26)
    fonts = page.obj.get("/Resources", pikepdf.Dictionary()).get("/Font", pikepdf.Dictionary())
    for _, font in fonts.items():
        m = _SUBSET_TAG.match(str(font.get("/BaseFont", "")))
        if not m:
            continue
        name = pikepdf.Name(f"/{prefix}{m.group(1)[2:]}+{m.group(2)}")
        font.BaseFont = name
        desc = font.get("/FontDescriptor")
        if isinstance(desc, pikepdf.Dictionary) and "/FontName" in desc:
            desc.FontName = name


def combine_pages(pages: Sequence[bytes]) -> bytes:
    """Join page PDFs into one edition PDF with reproducible bytes (fixed /ID, no dates)."""
    out = BytesIO()
    with ExitStack() as stack:
        pdf = stack.enter_context(pikepdf.new())
        for number, data in enumerate(pages, start=1):
            # Source documents must stay open until the save: pikepdf copies pages lazily.
            src = stack.enter_context(pikepdf.open(BytesIO(data)))
            for page in src.pages:
                _retag_subsets(page, number)
            pdf.pages.extend(src.pages)
        pdf.save(out, deterministic_id=True, compress_streams=True, linearize=False)
    return out.getvalue()
