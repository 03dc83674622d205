"""Read glyphs back from a PDF: lines grouped by baseline (`matrix[5]`), advances from x0.

clreq-rules.md: group by baseline, not `top` (mixed sizes share a baseline), and measure an
advance as the next glyph's x0 minus this one's, since compressed punctuation keeps its font
width in x1.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pdfplumber
import pikepdf
from pdfminer import utils as pdfminer_utils
from pdfminer.pdfdevice import PDFTextDevice


@dataclass(frozen=True)
class Glyph:
    text: str
    x0: float
    x1: float
    baseline: float  # pt from the page bottom
    size: float
    fontname: str


@dataclass(frozen=True)
class Line:
    baseline: float
    glyphs: tuple[Glyph, ...]

    @property
    def text(self) -> str:
        return "".join(g.text for g in self.glyphs)

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x1

    @property
    def size(self) -> float:
        return max(g.size for g in self.glyphs)

    def advances(self) -> list[float]:
        xs = [g.x0 for g in self.glyphs]
        return [b - a for a, b in pairwise(xs)]


def _render_string_per_spec(
    self: PDFTextDevice,
    seq: Any,
    matrix: Any,
    pos: tuple[float, float],
    font: Any,
    fontsize: float,
    scaling: float,
    charspace: float,
    wordspace: float,
    rise: float,
    dxscale: float,
    ncs: Any,
    graphicstate: Any,
) -> tuple[float, float]:
    # PDF 32000 §9.3.2: Tc is added after every glyph, the last glyph of a string included.
    # pdfminer (20251107) adds it before every glyph but a string's first, so each new Tj/TJ of a
    # line (draw_lines starts one per font subset) loses one Tc and later glyphs read too far left.
    (x, y) = pos
    for obj in seq:
        if isinstance(obj, (int, float)):
            x -= obj * dxscale
        elif isinstance(obj, bytes):
            for cid in font.decode(obj):
                x += self.render_char(
                    pdfminer_utils.translate_matrix(matrix, (x, y)),
                    font,
                    fontsize,
                    scaling,
                    rise,
                    cid,
                    ncs,
                    graphicstate,
                )
                x += charspace
                if cid == 32 and wordspace:
                    x += wordspace
    return (x, y)


@contextmanager
def spec_char_spacing() -> Iterator[None]:
    """pdfplumber reading glyph origins with Tc applied as the PDF specification says."""
    original = PDFTextDevice.render_string_horizontal
    PDFTextDevice.render_string_horizontal = _render_string_per_spec  # type: ignore[method-assign]
    try:
        yield
    finally:
        PDFTextDevice.render_string_horizontal = original  # type: ignore[method-assign]


def read_lines(pdf: bytes, page: int = 0) -> list[Line]:
    """Every line of a page, top to bottom, glyphs left to right (Tc read as the spec says)."""
    with spec_char_spacing(), pdfplumber.open(io.BytesIO(pdf)) as doc:
        p = doc.pages[page]
        rows: dict[float, list[Glyph]] = {}
        for c in p.chars:
            base = round(float(c["matrix"][5]), 2)
            g = Glyph(c["text"], float(c["x0"]), float(c["x1"]), base, float(c["size"]), c["fontname"])
            rows.setdefault(base, []).append(g)
    return [
        Line(base, tuple(sorted(gs, key=lambda g: g.x0))) for base, gs in sorted(rows.items(), reverse=True)
    ]


def page_size(pdf: bytes, page: int = 0) -> tuple[float, float]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        p = doc.pages[page]
        return float(p.width), float(p.height)


def font_report(pdf: bytes) -> list[tuple[str, str, bool]]:
    """(BaseFont, Subtype, embedded) of every font dictionary in the file, descendants included."""
    out: list[tuple[str, str, bool]] = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
                desc = obj.get("/FontDescriptor")
                embedded = desc is not None and any(
                    k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                out.append((str(obj.get("/BaseFont")), str(obj.get("/Subtype")), embedded))
    return out


def rects(pdf: bytes, page: int = 0) -> list[dict[str, float]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [
            {k: float(r[k]) for k in ("x0", "x1", "top", "bottom", "linewidth")}
            for r in doc.pages[page].rects
        ]
