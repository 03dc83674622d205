"""Document setup shared by every renderer: CMYK only, reproducible bytes, no stray Helvetica."""

from __future__ import annotations

import zlib
from io import BytesIO

from reportlab import rl_config
from reportlab.lib.colors import CMYKColor
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from print.fonts import FontSet

# Body text and rules are 100 % K, never rich black (domain.md, print readiness).
BLACK = CMYKColor(0, 0, 0, 1)

# Flate level for the streams ReportLab compresses with its shared filter (the embedded font
# subsets above all). zlib's default, 6, was half the time of a typeset notice; level 1 makes the
# PDFs about 7 % larger and the 300-notice benchmark about 40 % faster.
FLATE_LEVEL = 1


class _Flate(pdfdoc.PDFStreamFilterZCompress):
    """ReportLab's FlateDecode filter at FLATE_LEVEL."""

    def encode(self, text: bytes | str) -> bytes:
        data = text.encode("utf8") if isinstance(text, str) else text
        return zlib.compress(data, FLATE_LEVEL)


# Process-wide ReportLab settings, made here because every renderer imports this module: the
# filter ReportLab looks up when it embeds a font or compresses a stream, and no ASCII85 layer on
# top of Flate (it only makes binary streams 25 % larger and slower to write).
pdfdoc.PDFZCompress = _Flate()
rl_config.useA85 = 0


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
