"""The tourism display-ad template (seed page): boxed, big Hei headline, sub-lines, bullet
features, body, phone numbers, and the 「广告」 mark that 广告法 Art. 14 requires on every ad."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.flowables import Flowable

from notices_app.layout.geometry import PageGeometry
from notices_app.layout.types import AdText, Level
from print.fonts import FontSet
from print.notices import CM
from print.pdfcanvas import BLACK, finish, new_canvas
from print.textflow import ComposeFn, SetBlock, TextStyle, draw_blocks, draw_lines, stack_blocks

BULLET = "●"


@dataclass(frozen=True)
class AdStyle:
    """Look of the template; sizes in pt."""

    headline_max: float = 28.0
    headline_min: float = 12.0
    subline_size: float = 11.0
    feature_size: float = 10.0
    phone_size: float = 10.5
    mark_size: float = 7.0  # one-colour text on newsprint must be >= 6 pt
    border: float = 1.0  # one-colour rules: 1 pt preferred
    side_pad_em: float = 1.0
    top_lines: int = 1  # grid lines above the headline; the 广告 mark sits in them
    bottom_lines: int = 1


@dataclass(frozen=True)
class TypesetAd:
    """A display ad set for print, on whole grid lines."""

    width_pt: float
    height_pt: float
    leading: float
    measure: float
    inset: float
    blocks: tuple[SetBlock, ...]
    mark: SetBlock
    mark_x: float  # left of the mark's text, from the block's left edge
    total_lines: int
    ad_style: AdStyle
    fonts: FontSet = field(compare=False, repr=False)

    @property
    def height_cm(self) -> float:
        return self.height_pt / CM

    def block(self, kind: str) -> SetBlock | None:
        return next((b for b in self.blocks if b.kind == kind), None)

    def draw(self, canvas: Canvas, x: float, y_top: float) -> None:
        """Draw the ad with its top-left corner at (x, y_top)."""
        st = self.ad_style
        canvas.saveState()
        canvas.setStrokeColor(BLACK)
        canvas.setLineWidth(st.border)
        half = st.border / 2
        canvas.rect(
            x + half, y_top - self.height_pt + half, self.width_pt - st.border, self.height_pt - st.border
        )
        # The 广告 mark: small Hei in a thin box in the top-right corner, clear of the headline.
        mark_w = self.mark.lines[0].width
        size = self.mark.style.size
        pad = size * 0.3
        box_x = x + self.mark_x - pad
        box_top = y_top - st.border - pad
        canvas.setLineWidth(0.5)
        canvas.rect(box_x, box_top - size - 2 * pad, mark_w + 2 * pad, size + 2 * pad)
        canvas.restoreState()
        first = box_top - pad - size * self.fonts.ascent(self.mark.style.role)
        draw_lines(
            canvas, self.fonts, self.mark.style.role, size, self.mark.lines, x + self.mark_x, first, size
        )
        text_top = y_top - self.ad_style.top_lines * self.leading
        draw_blocks(canvas, self.fonts, self.blocks, x + self.inset, text_top, self.leading)

    def flowable(self) -> Flowable:
        """A platypus Flowable of this ad."""
        return _AdFlowable(self)


class _AdFlowable(Flowable):  # type: ignore[misc]
    def __init__(self, ad: TypesetAd) -> None:
        super().__init__()
        self.ad = ad
        self.width = ad.width_pt
        self.height = ad.height_pt

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.ad.draw(self.canv, 0.0, self.height)


def _headline_size(text: str, measure: float, fonts: FontSet, st: AdStyle) -> float:
    """Largest size (whole pt) at which the headline fits one line, within the style's range."""
    em = sum(fonts.advance("heading")(ch) for ch in text)
    if em <= 0:
        return st.headline_max
    return max(st.headline_min, min(st.headline_max, math.floor(measure / em)))


def typeset_ad(
    ad: AdText,
    geometry: PageGeometry,
    fonts: FontSet,
    height_pt: float | None = None,
    level: Level = Level.STRICT,
    style: AdStyle | None = None,
    composer: ComposeFn | None = None,
) -> TypesetAd:
    """Set the ad `ad.columns` columns wide. With `height_pt` the box has that height (the slot
    bought) and ValueError says so if the content does not fit; otherwise the content's height
    on whole grid lines."""
    st = style or AdStyle()
    size = geometry.body_size_pt
    leading = geometry.leading_pt
    width = geometry.span_width(ad.columns)
    measure = math.floor((width - 2 * (st.side_pad_em * size + st.border)) / size + 1e-9) * size
    if measure < 6 * size:
        raise ValueError(f"an ad {ad.columns} column(s) wide leaves too little room for text")
    inset = (width - measure) / 2

    head = TextStyle(
        "heading", _headline_size(ad.headline, measure, fonts, st), leading, 0.0, "center", level
    )
    sub = TextStyle("heading", st.subline_size, leading, 0.0, "center", level)
    feat = TextStyle("heading", st.feature_size, leading, 0.0, "left", level)
    body = TextStyle("body", size, leading, 2.0, "justify", level)
    phone = TextStyle("heading", st.phone_size, leading, 0.0, "center", level)
    parts: list[tuple[str, TextStyle, Sequence[str]]] = [
        ("headline", head, (ad.headline,)),
        ("sublines", sub, ad.sublines),
        ("features", feat, tuple(f"{BULLET}{f}" for f in ad.features)),
        ("body", body, ad.body),
        ("phones", phone, ad.phones),
    ]
    blocks = stack_blocks(parts, measure, fonts, leading, composer, line_gap=1.2)
    used = blocks[-1].first_line + blocks[-1].grid_lines if blocks else 0
    natural = st.top_lines + used + st.bottom_lines
    if height_pt is None:
        total = natural
        height = natural * leading
    else:
        if height_pt + 1e-6 < natural * leading:
            raise ValueError(
                f"the ad needs {natural * leading / CM:.1f} cm but the slot is {height_pt / CM:.1f} cm high"
            )
        total = math.floor(height_pt / leading + 1e-9)
        height = height_pt

    mark_style = TextStyle("heading", st.mark_size, st.mark_size, 0.0, "left", level)
    (mark,) = stack_blocks([("mark", mark_style, (ad.mark,))], measure, fonts, st.mark_size, composer)
    mark_x = width - st.border - st.mark_size * 0.6 - mark.lines[0].width
    return TypesetAd(
        width_pt=width,
        height_pt=height,
        leading=leading,
        measure=measure,
        inset=inset,
        blocks=tuple(blocks),
        mark=mark,
        mark_x=mark_x,
        total_lines=total,
        ad_style=st,
        fonts=fonts,
    )


def render_ad_pdf(
    ad: AdText,
    geometry: PageGeometry,
    fonts: FontSet,
    height_pt: float | None = None,
    level: Level = Level.STRICT,
    composer: ComposeFn | None = None,
) -> bytes:
    """The ad as a one-page PDF of its size plus a small white margin."""
    typeset = typeset_ad(ad, geometry, fonts, height_pt, level, composer=composer)
    buf = BytesIO()
    m = 6.0
    canvas = new_canvas(buf, typeset.width_pt + 2 * m, typeset.height_pt + 2 * m, fonts, ad.headline)
    typeset.draw(canvas, m, m + typeset.height_pt)
    return finish(canvas, buf)
