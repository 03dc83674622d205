"""Test pages for the preflight and PDF/X tests, importable as `badpages`.

Until print/edition_pdf.py exists, pages are built here the way it will build them: a
new_canvas page of trim + bleed + a slug for crop marks, TrimBox and BleedBox set, crop marks
in the slug (outside the BleedBox). Each `bad_*` function breaks exactly one print rule.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf
from reportlab.lib.colors import CMYKColor
from reportlab.pdfgen.canvas import Canvas
from samples import LOST_LICENCE, TERMINATION

from notices_app.layout.geometry import BROADSHEET, PageGeometry
from notices_app.layout.types import ComposedLine
from print.fonts import FontSet
from print.notices import typeset_notice
from print.pdfcanvas import BLACK, finish, new_canvas
from print.textflow import ComposeFn, TextStyle, baseline_offset, compose_paragraphs, draw_lines

MM = 72 / 25.4
BLEED = 3 * MM
SLUG = 10 * MM  # room outside the bleed for crop marks
MARK_OFFSET = 0.0  # crop marks start right at the bleed edge, as print/edition_pdf.py draws them
REGISTRATION = CMYKColor(1, 1, 1, 1)  # prints on every plate: 400 %, fine for marks only

Draw = Callable[[Canvas, "Trim"], None]


@dataclass(frozen=True)
class Trim:
    """Where the trimmed page sits on the canvas (pt)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


def build_page(
    fonts: FontSet,
    draw: Draw,
    *,
    trim_w: float = 148 * MM,
    trim_h: float = 210 * MM,
    canvas: Callable[[io.BytesIO, float, float], Canvas] | None = None,
    boxes: bool = True,
    marks: bool = True,
) -> bytes:
    """One page: MediaBox = trim + bleed + slug, TrimBox/BleedBox set (unless `boxes` is false)."""
    buf = io.BytesIO()
    outer = BLEED + SLUG
    width, height = trim_w + 2 * outer, trim_h + 2 * outer
    c = canvas(buf, width, height) if canvas else new_canvas(buf, width, height, fonts, "test page")
    trim = Trim(outer, outer, trim_w, trim_h)
    if boxes:
        c.setTrimBox((trim.x, trim.y, trim.right, trim.top))
        c.setBleedBox((trim.x - BLEED, trim.y - BLEED, trim.right + BLEED, trim.top + BLEED))
    draw(c, trim)
    if marks:
        crop_marks(c, trim)
    return finish(c, buf)


def crop_marks(c: Canvas, trim: Trim) -> None:
    """Corner crop marks in the registration colour, 0.25 pt, entirely outside the BleedBox."""
    c.saveState()
    c.setStrokeColor(REGISTRATION)
    c.setLineWidth(0.25)
    start, end = BLEED + MARK_OFFSET, BLEED + SLUG - 1 * MM
    segments = []
    for x, dx in ((trim.x, -1), (trim.right, 1)):
        for y, dy in ((trim.y, -1), (trim.top, 1)):
            segments.append((x + dx * start, y, x + dx * end, y))  # in line with the trim edge
            segments.append((x, y + dy * start, x, y + dy * end))
    c.lines(segments)  # one path of eight segments, as print/edition_pdf.py draws them
    c.restoreState()


def notice_page(fonts: FontSet, composer: ComposeFn, geometry: PageGeometry = BROADSHEET) -> Draw:
    """Two typeset notices, as the renderer places them: the good page."""

    def draw(c: Canvas, trim: Trim) -> None:
        y = trim.top - 15 * MM
        for text in (TERMINATION, LOST_LICENCE):
            notice = typeset_notice(text, geometry, fonts, composer=composer)
            notice.draw(c, trim.x + 12 * MM, y)
            y -= notice.height_pt + 5 * MM
        c.setStrokeColor(BLACK)
        c.setLineWidth(0.5)
        c.line(trim.x + 12 * MM, y, trim.right - 12 * MM, y)

    return draw


def text_at(fonts: FontSet, x: float, y: float, size: float, text: str = "淄博发布") -> Draw:
    """Body-font text at (x, y) relative to the trim's bottom-left corner."""

    def draw(c: Canvas, trim: Trim) -> None:
        c.setFont(fonts.font_name("body"), size)
        c.drawString(trim.x + x, trim.y + y, text)

    return draw


def good_page(fonts: FontSet, composer: ComposeFn) -> bytes:
    return build_page(fonts, notice_page(fonts, composer))


# --- one broken rule per page ----------------------------------------------------------------


def bad_rgb_text(fonts: FontSet) -> bytes:
    """A canvas without enforceColorSpace and an RGB fill colour (embedded font, legible size)."""

    def plain_canvas(buf: io.BytesIO, w: float, h: float) -> Canvas:
        return Canvas(buf, pagesize=(w, h), invariant=1, initialFontName=fonts.font_name("body"))

    def draw(c: Canvas, trim: Trim) -> None:
        c.setFillColorRGB(1, 0, 0)
        text_at(fonts, 20 * MM, 100 * MM, 12)(c, trim)

    return build_page(fonts, draw, canvas=plain_canvas)


def bad_helvetica(fonts: FontSet) -> bytes:
    def draw(c: Canvas, trim: Trim) -> None:
        c.setFont("Helvetica", 12)
        c.drawString(trim.x + 20 * MM, trim.y + 100 * MM, "Lost licence")

    return build_page(fonts, draw)


def bad_cid_font(fonts: FontSet) -> bytes:
    """ReportLab's built-in STSong-Light: a Type0 font whose descendant is not embedded."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))

    def draw(c: Canvas, trim: Trim) -> None:
        c.setFont("STSong-Light", 12)
        c.drawString(trim.x + 20 * MM, trim.y + 100 * MM, "遗失声明")

    return build_page(fonts, draw)


def bad_small_text(fonts: FontSet) -> bytes:
    return build_page(fonts, text_at(fonts, 20 * MM, 100 * MM, 5))


def bad_small_multi_ink_text(fonts: FontSet) -> bytes:
    """8 pt is fine in one ink, too small in two (cyan + black)."""

    def draw(c: Canvas, trim: Trim) -> None:
        c.setFillColor(CMYKColor(0.6, 0, 0, 1))
        text_at(fonts, 20 * MM, 100 * MM, 8)(c, trim)

    return build_page(fonts, draw)


def bad_scaled_text(fonts: FontSet) -> bytes:
    """10 pt text under a 0.5 scale: 5 pt on paper (effective size goes through the CTM)."""

    def draw(c: Canvas, trim: Trim) -> None:
        c.saveState()
        c.translate(trim.x + 20 * MM, trim.y + 100 * MM)
        c.scale(0.5, 0.5)
        c.setFont(fonts.font_name("body"), 10)
        c.drawString(0, 0, "淄博发布")
        c.restoreState()

    return build_page(fonts, draw)


def bad_thin_rule(fonts: FontSet) -> bytes:
    def draw(c: Canvas, trim: Trim) -> None:
        c.setLineWidth(0.25)
        c.line(trim.x + 20 * MM, trim.y + 100 * MM, trim.x + 100 * MM, trim.y + 100 * MM)

    return build_page(fonts, draw)


def bad_thin_multi_ink_rule(fonts: FontSet) -> bytes:
    """1 pt is fine in one ink, too thin in four."""

    def draw(c: Canvas, trim: Trim) -> None:
        c.setStrokeColor(CMYKColor(0.4, 0.3, 0.3, 1))
        c.setLineWidth(1)
        c.line(trim.x + 20 * MM, trim.y + 100 * MM, trim.x + 100 * MM, trim.y + 100 * MM)

    return build_page(fonts, draw)


def bad_rich_black(fonts: FontSet) -> bytes:
    def draw(c: Canvas, trim: Trim) -> None:
        c.setFillColor(CMYKColor(1, 1, 1, 1))
        c.rect(trim.x + 20 * MM, trim.y + 100 * MM, 30 * MM, 20 * MM, stroke=0, fill=1)

    return build_page(fonts, draw)


def bad_text_outside_trim(fonts: FontSet) -> bytes:
    """A line that starts inside the trim and runs over its right edge."""

    def draw(c: Canvas, trim: Trim) -> None:
        text_at(fonts, trim.w - 10 * MM, 100 * MM, 12, "淄博发布上线运行")(c, trim)

    return build_page(fonts, draw)


def bad_no_trimbox(fonts: FontSet, composer: ComposeFn) -> bytes:
    return build_page(fonts, notice_page(fonts, composer), boxes=False, marks=False)


def bad_transparency(fonts: FontSet) -> bytes:
    def draw(c: Canvas, trim: Trim) -> None:
        c.setFillAlpha(0.5)
        c.setFillColor(CMYKColor(0, 0, 0, 0.5))
        c.rect(trim.x + 20 * MM, trim.y + 100 * MM, 30 * MM, 20 * MM, stroke=0, fill=1)

    return build_page(fonts, draw)


def small_form_text(fonts: FontSet) -> bytes:
    """5 pt text inside a Form XObject: the check has to enter forms."""

    def draw(c: Canvas, trim: Trim) -> None:
        c.beginForm("stamp", 0, 0, 60 * MM, 20 * MM)
        c.setFont(fonts.font_name("body"), 5)
        c.drawString(2 * MM, 5 * MM, "淄博发布")
        c.endForm()
        c.saveState()
        c.translate(trim.x + 20 * MM, trim.y + 100 * MM)
        c.doForm("stamp")
        c.restoreState()

    return build_page(fonts, draw)


# --- pages patched with pikepdf: what ReportLab's CMYK canvas cannot write ----------------------


def _patch(pdf: bytes, edit: Callable[[pikepdf.Pdf, pikepdf.Page], bytes]) -> bytes:
    """Append the content `edit` returns to page 1 (after ReportLab's own content)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        extra = edit(doc, page)
        page.contents_add(pikepdf.Stream(doc, extra), prepend=False)
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
    return out.getvalue()


def _trim_origin(page: pikepdf.Page) -> tuple[float, float]:
    box = [float(v) for v in page.obj.TrimBox]
    return box[0], box[1]


def bad_rgb_image(fonts: FontSet, composer: ComposeFn) -> bytes:
    """A 300 ppi DeviceRGB image inside the trim."""

    def edit(doc: pikepdf.Pdf, page: pikepdf.Page) -> bytes:
        px = 100
        image = pikepdf.Stream(doc, zlib.compress(bytes([200, 30, 30]) * px * px))
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width = image.Height = px
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
        image.Filter = pikepdf.Name.FlateDecode
        page.obj.Resources.XObject = pikepdf.Dictionary(ImRGB=image)
        x, y = _trim_origin(page)
        return f"q 24 0 0 24 {x + 30} {y + 30} cm /ImRGB Do Q".encode()

    return _patch(good_page(fonts, composer), edit)


def bad_low_res_image(fonts: FontSet, composer: ComposeFn) -> bytes:
    """A DeviceGray image of 20 × 20 pixels shown 2 in wide: 10 ppi."""

    def edit(doc: pikepdf.Pdf, page: pikepdf.Page) -> bytes:
        image = pikepdf.Stream(doc, bytes(range(0, 200, 10)) * 20)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width = image.Height = 20
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
        page.obj.Resources.XObject = pikepdf.Dictionary(ImLow=image)
        x, y = _trim_origin(page)
        return f"q 144 0 0 144 {x + 30} {y + 30} cm /ImLow Do Q".encode()

    return _patch(good_page(fonts, composer), edit)


def bad_icc_rgb_fill(fonts: FontSet, composer: ComposeFn) -> bytes:
    """A fill in an ICCBased colour space with N = 3 (an RGB profile) selected with cs/scn."""

    def edit(doc: pikepdf.Pdf, page: pikepdf.Page) -> bytes:
        profile = pikepdf.Stream(doc, b"\0" * 128)  # only /N matters to the check
        profile.N = 3
        page.obj.Resources.ColorSpace = pikepdf.Dictionary(
            CS9=pikepdf.Array([pikepdf.Name.ICCBased, profile])
        )
        x, y = _trim_origin(page)
        return f"q /CS9 cs 0.2 0.4 0.6 scn {x + 30} {y + 30} 40 40 re f Q".encode()

    return _patch(good_page(fonts, composer), edit)


def bad_inline_rgb_image(fonts: FontSet, composer: ComposeFn) -> bytes:
    """An inline RGB image: the fast tokenizer hands such a stream to pikepdf's parser."""

    def edit(doc: pikepdf.Pdf, page: pikepdf.Page) -> bytes:
        x, y = _trim_origin(page)
        pixels = bytes([10, 200, 30]) * 4
        return (
            f"q 0.5 0 0 0.5 {x + 30} {y + 30} cm BI /W 2 /H 2 /CS /RGB /BPC 8 ID ".encode()
            + pixels
            + b" EI Q"
        )

    return _patch(good_page(fonts, composer), edit)


def bad_rgb_shading(fonts: FontSet, composer: ComposeFn) -> bytes:
    """An axial shading in DeviceRGB painted with sh inside a clip in the trim."""

    def edit(doc: pikepdf.Pdf, page: pikepdf.Page) -> bytes:
        function = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1)
        shading = pikepdf.Dictionary(
            ShadingType=2, ColorSpace=pikepdf.Name.DeviceRGB, Coords=[0, 0, 100, 0], Function=function
        )
        page.obj.Resources.Shading = pikepdf.Dictionary(Sh1=shading)
        x, y = _trim_origin(page)
        return f"q {x + 30} {y + 30} 100 40 re W n /Sh1 sh Q".encode()

    return _patch(good_page(fonts, composer), edit)


# --- the dense page of the speed target ----------------------------------------------------------


def dense_broadsheet(
    fonts: FontSet, composer: ComposeFn, paragraphs: list[str], geometry: PageGeometry = BROADSHEET
) -> tuple[bytes, int]:
    """A 390 × 545 mm page of six full columns of 9 pt body text; returns (pdf, glyph count)."""
    style = TextStyle()
    per_column = geometry.lines_per_column
    lines: list[ComposedLine] = []
    while len(lines) < 6 * per_column:
        lines.extend(compose_paragraphs(paragraphs, style, geometry.column_width, fonts, composer))
    glyphs = 0

    def draw(c: Canvas, trim: Trim) -> None:
        nonlocal glyphs
        top = trim.y + geometry.margin_bottom + geometry.type_h
        first = top - baseline_offset(fonts, style)
        for i in range(geometry.columns):
            column = lines[i * per_column : (i + 1) * per_column]
            glyphs += sum(len(line.glyphs) for line in column)
            x = trim.x + geometry.column_x(i)
            draw_lines(c, fonts, style.role, style.size, column, x, first, geometry.leading_pt)

    pdf = build_page(fonts, draw, trim_w=geometry.trim_w, trim_h=geometry.trim_h)
    return pdf, glyphs
