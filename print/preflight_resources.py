"""Preflight's resource lookup: fonts (embedding and metrics) and the names a content stream uses.

A page names its fonts, colour spaces, XObjects and graphics states through resource
dictionaries; looking a name up through pikepdf costs microseconds and a page repeats the same
few names thousands of times, so each dictionary is wrapped with per-name caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import pikepdf

from print.preflight_colour import Space, space_from

# The `type: ignore`s in this module are pikepdf 10's stubs: they type Object.get's default as
# None and Object.__iter__ as returning an Iterable, not an Iterator.


@dataclass
class Font:
    name: str
    embedded: bool
    two_byte: bool
    widths: list[float] | dict[int, float]  # em; by code (simple) or CID (Type0)
    default: float  # em
    ascent: float  # em
    descent: float  # em, negative


def _has_font_file(descriptor: Any) -> bool:
    return isinstance(descriptor, pikepdf.Dictionary) and any(
        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def font_from(font: pikepdf.Dictionary) -> Font:
    subtype = str(font.get("/Subtype", ""))  # type: ignore[arg-type]
    name = str(font.get("/BaseFont", font.get("/Name", "?")))  # type: ignore[arg-type]
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cid = descendants[0] if descendants is not None and len(descendants) else pikepdf.Dictionary()
        descriptor = cid.get("/FontDescriptor")
        widths: dict[int, float] = {}
        w = list(cid.get("/W", []))  # type: ignore[arg-type, call-overload]
        i = 0
        while i + 1 < len(w):  # [c [w1 w2 …]] or [c_first c_last w]
            first = int(w[i])
            if isinstance(w[i + 1], pikepdf.Array):
                for k, v in enumerate(w[i + 1]):
                    widths[first + k] = float(v) / 1000
                i += 2
            elif i + 2 < len(w):
                for c in range(first, int(w[i + 1]) + 1):
                    widths[c] = float(w[i + 2]) / 1000
                i += 3
            else:
                break
        ascent, descent = _vertical_metrics(descriptor)
        return Font(
            name,
            _has_font_file(descriptor),
            True,
            widths,
            float(cid.get("/DW", 1000)) / 1000,  # type: ignore[arg-type]
            ascent,
            descent,
        )
    descriptor = font.get("/FontDescriptor")
    # Type 3 glyphs are content streams in the file: nothing to embed. Widths are in glyph space.
    scale = float(font.FontMatrix[0]) if subtype == "/Type3" and "/FontMatrix" in font else 0.001
    missing = 0.0
    if isinstance(descriptor, pikepdf.Dictionary):
        missing = float(descriptor.get("/MissingWidth", 0))  # type: ignore[arg-type]
    table = [missing * scale] * 256
    if "/Widths" in font:
        first = int(font.get("/FirstChar", 0))  # type: ignore[arg-type]
        for k, v in enumerate(font.Widths):  # type: ignore[arg-type]
            if 0 <= first + k < 256:
                table[first + k] = float(v) * scale
    else:  # a standard 14 font without metrics: an average Latin advance is close enough here
        table = [0.5] * 256
    ascent, descent = _vertical_metrics(descriptor)
    embedded = subtype == "/Type3" or _has_font_file(descriptor)
    return Font(name, embedded, False, table, missing * scale, ascent, descent)


def _vertical_metrics(descriptor: Any) -> tuple[float, float]:
    if isinstance(descriptor, pikepdf.Dictionary):
        ascent = float(descriptor.get("/Ascent", 0)) / 1000  # type: ignore[arg-type]
        descent = float(descriptor.get("/Descent", 0)) / 1000  # type: ignore[arg-type]
        if ascent > 0:
            return ascent, min(descent, 0.0)
        if "/FontBBox" in descriptor:
            bbox = [float(v) / 1000 for v in descriptor.FontBBox]  # type: ignore[attr-defined]
            return bbox[3], min(bbox[1], 0.0)
    return 0.9, -0.2


MISSING_FONT = Font("?", False, False, [0.5] * 256, 0.5, 0.9, -0.2)


class FontChecks(Protocol):
    """What a resource dictionary reports to: the page's font cache and its findings."""

    def font(self, obj: Any) -> Font: ...

    def add(
        self, code: str, key: tuple[Any, ...], params: dict[str, Any], details: dict[str, Any]
    ) -> None: ...


class Resources:
    """A resource dictionary with per-name caches (lookups through pikepdf cost microseconds)."""

    def __init__(self, check: FontChecks, res: Any) -> None:
        self.check = check
        self.res = res if isinstance(res, pikepdf.Dictionary) else pikepdf.Dictionary()
        self._fonts: dict[str, Font] = {}
        self._spaces: dict[str, Space] = {}

    def get(self, category: str, name: str) -> Any:
        group = self.res.get(category)
        return None if group is None else group.get(name)

    def font(self, name: str) -> Font:
        font = self._fonts.get(name)
        if font is None:
            obj = self.get("/Font", name)
            font = MISSING_FONT if obj is None else self.check.font(obj)
            if obj is None:
                self.check.add("preflight.font_not_embedded", (name,), {"font": name}, {})
            self._fonts[name] = font
        return font

    def named_space(self, name: str) -> Any:
        return self.get("/ColorSpace", name)

    def space(self, name: str) -> Space:
        space = self._spaces.get(name)
        if space is None:
            space = self._spaces[name] = space_from(name, self.named_space)
        return space

    def check_fonts(self) -> None:
        fonts = self.res.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            for _, obj in fonts.items():
                self.check.font(obj)
