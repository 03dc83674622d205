"""Read glyphs back from a PDF: lines grouped by baseline (`matrix[5]`), advances from x0.

clreq-rules.md: group by baseline, not `top` (mixed sizes share a baseline), and measure an
advance as the next glyph's x0 minus this one's, since compressed punctuation keeps its font
width in x1.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import pairwise

import pdfplumber
import pikepdf


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


def read_lines(pdf: bytes, page: int = 0) -> list[Line]:
    """Every line of a page, top to bottom, glyphs left to right."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
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
