"""Preflight's checks of what a page paints: text size, rule width, ink, colour space, trim, images.

The interpreter (`print.preflight_interpreter`) calls these with the device-space bounding box
of each thing it paints and the graphics state it was painted in. Printer's marks: anything that
lies entirely outside the BleedBox is taken as a mark and skips the size, width, ink and trim
checks; anything else has to lie inside the TrimBox.
"""

from __future__ import annotations

import math
from typing import Any

import pikepdf

from print.preflight_colour import BLACK, GRAY, Colour, Space
from print.preflight_geometry import (
    IDENTITY,
    Box,
    bbox,
    disjoint,
    inside,
    intersect,
    page_box,
    rounded,
    scale,
)
from print.preflight_report import (
    COLOUR_WORDS,
    WHAT_WORDS,
    WHERE_WORDS,
    PreflightLimits,
    Problem,
    problem,
)
from print.preflight_resources import MISSING_FONT, Font, font_from


class GraphicsState:
    """The part of the graphics state the checks read (copied on q, restored on Q)."""

    __slots__ = (
        "cap",
        "clip",
        "ctm",
        "fill",
        "fill_space",
        "font",
        "lw",
        "rise",
        "size",
        "stroke",
        "stroke_space",
        "tc",
        "th",
        "tl",
        "tr",
        "tw",
    )

    def __init__(self, clip: Box) -> None:
        self.ctm = IDENTITY
        self.clip = clip
        self.fill = self.stroke = BLACK
        self.fill_space = self.stroke_space = GRAY
        self.lw = 1.0
        self.cap = 0
        self.font = MISSING_FONT
        self.size = 0.0
        self.tc = 0.0
        self.tw = 0.0
        self.th = 1.0
        self.tl = 0.0
        self.rise = 0.0
        self.tr = 0

    def copy(self) -> GraphicsState:
        other = GraphicsState.__new__(GraphicsState)
        for slot in GraphicsState.__slots__:
            setattr(other, slot, getattr(self, slot))
        return other


class PageChecks:
    """One page's boxes, limits and findings, and the checks of what its content paints.

    A problem is recorded once per kind (`add`'s code and key) with the first occurrence's details;
    later occurrences only count.
    """

    def __init__(self, page: pikepdf.Dictionary, number: int, limits: PreflightLimits) -> None:
        self.page = page
        self.number = number
        self.limits = limits
        self._found: dict[tuple[Any, ...], Problem] = {}
        self._counts: dict[tuple[Any, ...], int] = {}
        self._fonts: dict[Any, Font] = {}
        media = page_box(page, "/MediaBox") or (0.0, 0.0, 612.0, 792.0)
        crop = page_box(page, "/CropBox")
        self.visible = (intersect(media, crop) or media) if crop else media
        trim = page_box(page, "/TrimBox")
        if trim is None:
            self.add("preflight.no_trimbox", (), {}, {})
        self.trim = trim or self.visible
        self.bleed = page_box(page, "/BleedBox") or self.visible

    # findings

    def add(self, code: str, key: tuple[Any, ...], params: dict[str, Any], details: dict[str, Any]) -> None:
        k = (code, *key)
        if k in self._found:
            self._counts[k] += 1
            return
        self._counts[k] = 1
        self._found[k] = problem(self.number, code, params, details)

    def problems(self) -> list[Problem]:
        """The problems found, each with the number of times it occurred."""
        out = []
        for k, found in self._found.items():
            details = {**found.details, "count": self._counts[k]}
            out.append(Problem(found.page, found.code, found.message, details))
        return out

    def font(self, obj: Any) -> Font:
        """The font of the font dictionary `obj`, read once per page and checked for embedding."""
        key = obj.objgen if obj.objgen != (0, 0) else id(obj)
        font = self._fonts.get(key)
        if font is None:
            font = self._fonts[key] = font_from(obj)
            if not font.embedded:
                self.add("preflight.font_not_embedded", (font.name,), {"font": font.name.lstrip("/")}, {})
        return font

    # checks shared by text, paths and images

    def placed(self, box: Box, gs: GraphicsState) -> Box | None:
        """The visible part of `box`, or None when clipped away or a printer's mark."""
        shown = intersect(box, gs.clip)
        if shown is None or disjoint(shown, self.bleed):
            return None
        return shown

    def outside_trim(self, box: Box, what: str, bleed_ok: bool = False) -> None:
        """A problem when `box` crosses the trim (or, where `bleed_ok`, the bleed)."""
        if inside(box, self.trim) or (bleed_ok and inside(box, self.bleed)):
            return
        zh, en = WHAT_WORDS[what]
        details = {"bbox": rounded(box), "trim": self.trim}
        self.add("preflight.outside_trim", (what,), {"what_zh": zh, "what_en": en}, details)

    def text(self, box: Box, size: float, gs: GraphicsState, font: Font) -> None:
        """Checks of one text-showing operator; `size` is the effective (rendered) size in pt."""
        trim, clip = self.trim, gs.clip
        if not (inside(box, trim) and inside(box, clip)):
            shown = self.placed(box, gs)
            if shown is None:
                return
            self.outside_trim(shown, "text")
        colour = gs.stroke if gs.tr in (1, 5) else gs.fill
        multi = colour.inks != 1
        limits = self.limits
        minimum = limits.min_text_multi_pt if multi else limits.min_text_pt
        if size < minimum - 1e-6:
            zh, en = COLOUR_WORDS[multi]
            params = {"size": size, "minimum": minimum, "colour_zh": zh, "colour_en": en}
            details = {"font": font.name, "bbox": rounded(box)}
            self.add("preflight.text_too_small", (round(size, 2), multi), params, details)
        self.ink(colour, box)
        if gs.tr in (2, 6):
            self.ink(gs.stroke, box)

    def ink(self, colour: Colour, box: Box) -> None:
        """A problem when `colour` puts more ink on the paper than the press takes."""
        if colour.coverage > self.limits.max_ink_percent + 0.5:
            coverage = round(colour.coverage)
            params = {"coverage": coverage, "limit": self.limits.max_ink_percent}
            self.add("preflight.ink_coverage", (coverage,), params, {"bbox": rounded(box)})

    def foreign(self, space: str, where: str, op: str = "") -> None:
        """A problem for the non-CMYK colour space `space` used for `where` (fill, stroke, …)."""
        zh, en = WHERE_WORDS[where]
        params = {"space": space, "where_zh": zh, "where_en": en}
        self.add("preflight.rgb", (space, where), params, {"operator": op} if op else {})

    # what the painting operators paint

    def paint(self, box: Box, gs: GraphicsState, fill: bool, stroke: bool) -> None:
        """Checks of one subpath's bounding box `box`, filled and/or stroked."""
        limits = self.limits
        if stroke and gs.stroke.coverage > 0:
            width = gs.lw * scale(gs.ctm)
            hx = hy = width / 2
            if gs.cap == 0:
                # Butt caps end at the end points: a horizontal or vertical line grows only across
                # its direction, so a crop mark drawn up to the bleed edge stays outside the bleed.
                if box[1] == box[3]:
                    hx = 0.0
                elif box[0] == box[2]:
                    hy = 0.0
            sbox = (box[0] - hx, box[1] - hy, box[2] + hx, box[3] + hy)
            shown = self.placed(sbox, gs)
            if shown is not None:
                multi = gs.stroke.inks != 1
                minimum = limits.min_rule_multi_pt if multi else limits.min_rule_pt
                if width < minimum - 1e-6:
                    zh, en = COLOUR_WORDS[multi]
                    params = {"width": width, "minimum": minimum, "colour_zh": zh, "colour_en": en}
                    self.add(
                        "preflight.rule_too_thin", (round(width, 3), multi), params, {"bbox": rounded(sbox)}
                    )
                self.ink(gs.stroke, sbox)
                self.outside_trim(shown, "path")
        # Paper-white fills print nothing, so they may sit anywhere.
        if fill and gs.fill.coverage > 0:
            shown = self.placed(box, gs)
            if shown is not None:
                self.ink(gs.fill, box)
                self.outside_trim(shown, "path", limits.allow_bleed)

    def image(self, gs: GraphicsState, width: float, height: float, space: Space | None, mask: bool) -> None:
        """Checks of an image of `width` × `height` pixels drawn into the unit square of `gs.ctm`."""
        box = bbox(((0, 0), (1, 0), (0, 1), (1, 1)), gs.ctm)  # images fill the unit square
        if space is not None and space.foreign:
            self.foreign(space.foreign, "image")
        shown = self.placed(box, gs)
        if shown is None:
            return
        if mask:  # a stencil mask paints in the fill colour
            self.ink(gs.fill, box)
        self.outside_trim(shown, "image", self.limits.allow_bleed)
        minimum = self.limits.min_image_ppi
        a, b, c, d, _, _ = gs.ctm
        w_in, h_in = math.hypot(a, b) / 72, math.hypot(c, d) / 72
        if minimum and w_in > 0 and h_in > 0:
            ppi = min(width / w_in, height / h_in)
            if ppi < minimum - 0.5:
                params = {"ppi": ppi, "minimum": minimum}
                self.add("preflight.image_resolution", (round(ppi),), params, {"bbox": rounded(box)})
