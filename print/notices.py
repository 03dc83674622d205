"""Notice templates (公告, 遗失声明/挂失, 解除劳动关系公告) set like the seed page's classifieds.

A notice is a box of whole grid lines: heading centred in Hei, body paragraphs justified in
Song with a 2-em indent, closing lines (特此公告) as indented paragraphs, signature lines flush
right. Its width is a whole number of the publication's columns; the measure inside the box is a
whole number of body characters (clreq rule 12). Pricing reads `lines` and `height_cm` from the
same TypesetNotice that prints, so the quote matches the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.flowables import Flowable

from notices_app.layout.geometry import PageGeometry
from notices_app.layout.types import Level, NoticeText
from print.fonts import FontSet
from print.pdfcanvas import BLACK, finish, new_canvas
from print.textflow import ComposeFn, SetBlock, TextStyle, draw_blocks, stack_blocks

CM = 72 / 2.54


@dataclass(frozen=True)
class NoticeStyle:
    """Look of a notice block; a publication may configure its own."""

    heading_role: str = "heading"
    heading_size: float = 14.0
    rule_width: float = 0.5  # one-colour rules >= 0.5 pt on newsprint
    box: bool = True
    min_side_pad_em: float = 0.4  # least room between the box rule and the text
    # Grid lines of white inside the box. Whole lines only, so the notice's baselines stay on the
    # page's baseline grid next to body columns (clreq rule 11); the heading's larger slot already
    # leaves room under the top rule, the signature needs a line above the bottom one.
    pad_top_lines: int = 0
    pad_bottom_lines: int = 1


@dataclass(frozen=True)
class TypesetNotice:
    """A notice set for print: size, line counts and the composed lines, ready to draw."""

    width_pt: float
    height_pt: float  # whole grid lines
    leading: float
    measure: float  # text width inside the box, whole body characters
    inset: float  # from the block's left edge to the text
    pad_top: float
    blocks: tuple[SetBlock, ...]
    body_lines: int  # lines of the body paragraphs
    text_lines: int  # every printed line (heading, body, closing, signature)
    total_lines: int  # grid lines the block occupies: height_pt / leading
    notice_style: NoticeStyle
    fonts: FontSet = field(compare=False, repr=False)

    @property
    def height_cm(self) -> float:
        return self.height_pt / CM

    @property
    def width_cm(self) -> float:
        return self.width_pt / CM

    def block(self, kind: str) -> SetBlock | None:
        return next((b for b in self.blocks if b.kind == kind), None)

    def draw(self, canvas: Canvas, x: float, y_top: float) -> None:
        """Draw the notice with its top-left corner at (x, y_top) in canvas coordinates."""
        ns = self.notice_style
        if ns.box and ns.rule_width > 0:
            canvas.saveState()
            canvas.setStrokeColor(BLACK)
            canvas.setLineWidth(ns.rule_width)
            half = ns.rule_width / 2
            # The rule is stroked inside the block so the block's outer size is exactly its grid size.
            canvas.rect(
                x + half,
                y_top - self.height_pt + half,
                self.width_pt - ns.rule_width,
                self.height_pt - ns.rule_width,
            )
            canvas.restoreState()
        draw_blocks(canvas, self.fonts, self.blocks, x + self.inset, y_top - self.pad_top, self.leading)

    def flowable(self) -> Flowable:
        """A platypus Flowable of this block, for placing it in frames."""
        return _NoticeFlowable(self)


class _NoticeFlowable(Flowable):  # type: ignore[misc]
    def __init__(self, notice: TypesetNotice) -> None:
        super().__init__()
        self.notice = notice
        self.width = notice.width_pt
        self.height = notice.height_pt

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.notice.draw(self.canv, 0.0, self.height)


def typeset_notice(
    text: NoticeText,
    geometry: PageGeometry,
    fonts: FontSet,
    level: Level = Level.STRICT,
    style: NoticeStyle | None = None,
    composer: ComposeFn | None = None,
) -> TypesetNotice:
    """Set a notice `text.columns` columns wide on the publication's grid.

    Raises ValueError when a character has no glyph in its font (it would print blank).
    """
    ns = style or NoticeStyle()
    size = geometry.body_size_pt
    leading = geometry.leading_pt
    width = geometry.span_width(text.columns)
    room = width - 2 * (ns.min_side_pad_em * size + ns.rule_width)
    measure = math.floor(room / size + 1e-9) * size
    if measure < 4 * size:
        raise ValueError(f"a notice {text.columns} column(s) wide leaves too little room for text")
    inset = (width - measure) / 2

    heading = TextStyle(ns.heading_role, ns.heading_size, leading, 0.0, "center", level)
    body = TextStyle("body", size, leading, 2.0, "justify", level)
    closing = body
    signature = TextStyle("body", size, leading, 0.0, "right", level)
    parts: list[tuple[str, TextStyle, Sequence[str]]] = [
        ("heading", heading, (text.heading,) if text.heading.strip() else ()),
        ("body", body, text.paragraphs),
        ("closing", closing, text.closing),
        ("signature", signature, text.signature),
    ]
    blocks = stack_blocks(parts, measure, fonts, leading, composer)
    line_no = blocks[-1].first_line + blocks[-1].grid_lines if blocks else 0
    total = line_no + ns.pad_top_lines + ns.pad_bottom_lines
    return TypesetNotice(
        width_pt=width,
        height_pt=total * leading,
        leading=leading,
        measure=measure,
        inset=inset,
        pad_top=ns.pad_top_lines * leading,
        blocks=tuple(blocks),
        body_lines=sum(len(b.lines) for b in blocks if b.kind == "body"),
        text_lines=sum(len(b.lines) for b in blocks),
        total_lines=total,
        notice_style=ns,
        fonts=fonts,
    )


PREVIEW_MARGIN = 6.0


def render_typeset_pdf(notice: TypesetNotice, title: str = "") -> bytes:
    """A one-page PDF exactly the notice's size plus a small white margin."""
    buf = BytesIO()
    m = PREVIEW_MARGIN
    canvas = new_canvas(buf, notice.width_pt + 2 * m, notice.height_pt + 2 * m, notice.fonts, title)
    notice.draw(canvas, m, m + notice.height_pt)
    return finish(canvas, buf)


def render_notice_pdf(
    text: NoticeText,
    geometry: PageGeometry,
    fonts: FontSet,
    level: Level = Level.STRICT,
    composer: ComposeFn | None = None,
) -> bytes:
    """Typeset a notice and return it as a PDF (the preview is exactly what prints)."""
    return render_typeset_pdf(typeset_notice(text, geometry, fonts, level, composer=composer), text.heading)
