"""Document setup shared by every renderer: CMYK only, reproducible bytes, no stray Helvetica."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.colors import CMYKColor
from reportlab.pdfgen.canvas import Canvas

from print.fonts import FontSet

# Body text and rules are 100 % K, never rich black (domain.md, print readiness).
BLACK = CMYKColor(0, 0, 0, 1)


def new_canvas(buf: BytesIO, width: float, height: float, fonts: FontSet, title: str = "") -> Canvas:
    """A Canvas for print: CMYK enforced, invariant output, the body font as initial font.

    ReportLab's canvas otherwise starts every page with an unembedded Helvetica in its preamble;
    with a TrueType initial font it sets none. `invariant=1` fixes the creation date and document
    id so identical input gives identical bytes (previews can be cached and compared).
    """
    canvas = Canvas(
        buf,
        pagesize=(width, height),
        invariant=1,
        enforceColorSpace="cmyk",
        initialFontName=fonts.font_name("body"),
        initialFontSize=9,
        pageCompression=1,
    )
    if title:
        canvas.setTitle(title)
    canvas.setFillColor(BLACK)
    canvas.setStrokeColor(BLACK)
    return canvas


def finish(canvas: Canvas, buf: BytesIO) -> bytes:
    """Close the page and the document and return the PDF bytes."""
    canvas.showPage()
    canvas.save()
    return buf.getvalue()
