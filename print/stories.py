"""News stories set for the page: headline blocks per span, the body once at one column's width.

The layout engine only sees grid units (`StoryMetrics`): headline and figure heights for every
span it may choose, and the body as chunks of one-column grid lines. The renderer then asks this
module to draw exactly the lines the engine placed, so a paragraph split across columns or pages
simply continues with its next composed line; nothing is re-composed after measuring.

Section heads: a head is one `BodyChunk` of kind "head" holding its own line(s), set in Hei and
centred. By default there is no blank grid line above it (`StoryStyle.head_space_lines = 0`):
a blank line inside the chunk would print as a hole whenever the engine starts a column with the
head. A publication that wants the space sets 1; the blank line is then the chunk's first line
(never above a head that opens the body).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Literal

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from notices_app.layout.geometry import PageGeometry
from notices_app.layout.page_types import BodyChunk, Pin, StoryMetrics
from notices_app.layout.types import Align, ComposedLine, Level, StoryText
from print.fonts import FontSet
from print.textflow import (
    ComposeFn,
    SetBlock,
    TextStyle,
    baseline_offset,
    check_covered,
    compose_paragraph,
    compose_paragraphs,
    default_composer,
    draw_blocks,
    draw_lines,
    stack_blocks,
)

PhotoMode = Literal["cmyk", "gray"]
# Every character a jump line can contain, checked once when the story is set.
_JUMP_CHARS = "（上接下转第0123456789版）"


@dataclass(frozen=True)
class StoryStyle:
    """Look of a story; sizes in pt. Roles fall back to Hei/Song when a publication has no Kai."""

    headline_role: str = "heading"
    # Largest headline size by span (index k - 1); wider spans than listed use the last size.
    headline_max: tuple[float, ...] = (14.0, 20.0, 22.0, 28.0, 32.0, 36.0)
    headline_min: float = 10.5  # a headline never shrinks below a section head
    headline_max_lines: int = 2
    headline_align: Align = "center"
    deck_role: str = "kai"
    deck_size: float = 13.0
    byline_role: str = "kai"
    byline_size: float = 9.0
    byline_align: Align = "center"
    gap_lines: int = 1  # blank grid lines under the headline block and under a figure
    head_role: str = "heading"
    head_size: float = 10.5
    head_align: Align = "center"
    head_space_lines: int = 0
    caption_role: str = "kai"
    caption_size: float = 8.0  # one-colour text on newsprint must be >= 6 pt
    jump_role: str = "kai"
    photo_mode: PhotoMode = "cmyk"
    photo_ppi: float = 200.0  # enough for a 100 lpi newsprint screen; more only bloats the PDF
    photo_quality: int = 90  # JPEG quality of the embedded picture
    line_gap: float = 1.3  # headline and deck line pitch, in em, rounded up to whole grid lines


@dataclass(frozen=True)
class GridLine:
    """One grid line of the body: a composed line in `style`, or a blank (`line` is None).

    A line taller than the grid (`pitch` > 1) is followed by `pitch - 1` blanks it draws into.
    """

    style: TextStyle | None
    line: ComposedLine | None
    pitch: int = 1


@dataclass(frozen=True)
class HeadlineBlock:
    """The headline, deck and byline set over `cols` columns, plus the blank line(s) under them."""

    cols: int
    size: float  # the headline size chosen for this span
    blocks: tuple[SetBlock, ...]
    lines: int

    def block(self, kind: str) -> SetBlock | None:
        return next((b for b in self.blocks if b.kind == kind), None)


@dataclass(frozen=True)
class Figure:
    """The photo scaled to a span: picture height in whole grid lines, caption, blank line."""

    cols: int
    width: float
    image_lines: int
    crop: tuple[float, float, float, float]  # source pixels kept: left, top, right, bottom
    caption: tuple[SetBlock, ...]
    lines: int


@dataclass(frozen=True)
class TypesetStory:
    """A story ready for the page: measured in grid units, drawn piece by piece where placed."""

    leading: float
    body_size: float
    column_width: float
    body: tuple[GridLine, ...]
    chunks: tuple[BodyChunk, ...]
    headlines: tuple[HeadlineBlock, ...]  # index k - 1 for a span of k columns
    figures: tuple[Figure, ...]  # empty without a photo
    story_style: StoryStyle
    level: Level
    fonts: FontSet = field(compare=False, repr=False)
    photo: Image.Image | None = field(default=None, compare=False, repr=False)
    composer: ComposeFn | None = field(default=None, compare=False, repr=False)
    _jpegs: dict[int, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def body_lines(self) -> int:
        return len(self.body)

    @property
    def columns(self) -> int:
        return len(self.headlines)

    def metrics(self, id: str, pin: Pin | None = None) -> StoryMetrics:
        """The story in grid units, for the page layout engine."""
        return StoryMetrics(
            id=id,
            headline_lines=tuple(h.lines for h in self.headlines),
            body=self.chunks,
            figure_lines=tuple(f.lines for f in self.figures),
            pin=pin,
        )

    def headline(self, cols: int) -> HeadlineBlock:
        _check_span(cols, self.columns)
        return self.headlines[cols - 1]

    def figure(self, cols: int) -> Figure:
        if not self.figures:
            raise ValueError("the story has no photo")
        _check_span(cols, self.columns)
        return self.figures[cols - 1]

    def body_text(self, first: int = 0, count: int | None = None) -> str:
        """The characters of body lines [first, first + count), for checks and proofs."""
        end = len(self.body) if count is None else first + count
        return "".join("".join(g.ch for g in gl.line.glyphs) for gl in self.body[first:end] if gl.line)

    def draw_headline(self, canvas: Canvas, x: float, y_top: float, cols: int) -> None:
        """Draw the headline block set for `cols` columns; (x, y_top) is the span's top left."""
        draw_blocks(canvas, self.fonts, self.headline(cols).blocks, x, y_top, self.leading)

    def draw_figure(self, canvas: Canvas, x: float, y_top: float, cols: int) -> None:
        """Draw the photo across `cols` columns with its caption under it."""
        fig = self.figure(cols)
        height = fig.image_lines * self.leading
        canvas.drawImage(ImageReader(BytesIO(self._picture(fig))), x, y_top - height, fig.width, height)
        draw_blocks(canvas, self.fonts, fig.caption, x, y_top - height, self.leading)

    def _picture(self, fig: Figure) -> bytes:
        """The picture of a span as JPEG, made on first use (previews redraw pages often).

        Embedded as DCT rather than ReportLab's Flate of raw pixels: a four-column CMYK photo
        is ~10 MB of samples, which took a tenth of a second to deflate and stayed large.
        Pillow writes CMYK JPEGs Adobe-inverted, which ReportLab declares with a /Decode array.
        """
        data = self._jpegs.get(fig.cols)
        if data is None:
            assert self.photo is not None
            st = self.story_style
            image = _resample(self.photo, fig.crop, fig.width, fig.image_lines * self.leading, st.photo_ppi)
            buf = BytesIO()
            image.save(buf, "JPEG", quality=st.photo_quality, subsampling=0)
            data = self._jpegs[fig.cols] = buf.getvalue()
        return data

    def draw_body(self, canvas: Canvas, x: float, y_top: float, first: int, count: int) -> None:
        """Draw body lines [first, first + count) in one column; y_top is the top of the first.

        Consecutive lines of one style go to `draw_lines` together (one text object).
        """
        if first < 0 or count < 0 or first + count > len(self.body):
            raise ValueError(f"body lines {first}..{first + count} outside 0..{len(self.body)}")
        run: list[ComposedLine] = []
        run_style: TextStyle | None = None
        run_start = 0

        def flush() -> None:
            if run and run_style is not None:
                top = y_top - run_start * self.leading
                base = top - baseline_offset(self.fonts, run_style, self.leading)
                draw_lines(canvas, self.fonts, run_style.role, run_style.size, run, x, base, self.leading)

        for i, gl in enumerate(self.body[first : first + count]):
            if gl.line is None or gl.style is None:
                continue
            if gl.pitch > 1:
                flush()
                run, run_style = [], None
                top = y_top - i * self.leading
                pitch = gl.pitch * self.leading
                base = top - baseline_offset(self.fonts, gl.style, pitch)
                draw_lines(canvas, self.fonts, gl.style.role, gl.style.size, [gl.line], x, base, pitch)
                continue
            contiguous = run and gl.style == run_style and run_start + len(run) == i
            if not contiguous:
                flush()
                run, run_style, run_start = [], gl.style, i
            run.append(gl.line)
        flush()

    def draw_jump(
        self,
        canvas: Canvas,
        x: float,
        y_top: float,
        text: str,
        flush: Literal["left", "right"] = "right",
    ) -> None:
        """Draw a jump line ("（下转第2版）" flush right, "（上接第1版）" flush left) in the grid
        line whose top is y_top, one column wide, at body size."""
        st = self.story_style
        style = TextStyle(
            _role(self.fonts, st.jump_role, "body"), self.body_size, self.leading, 0.0, flush, self.level
        )
        check_covered(self.fonts, style.role, [text])
        lines = compose_paragraph(text, style, self.column_width, self.fonts, self.composer)
        base = y_top - baseline_offset(self.fonts, style, self.leading)
        draw_lines(canvas, self.fonts, style.role, style.size, lines, x, base, self.leading)


def jump_to_text(page: int) -> str:
    """The line at the foot of a segment continued on another page."""
    return f"（下转第{page}版）"


def jump_from_text(page: int) -> str:
    """The line at the top of a continuation."""
    return f"（上接第{page}版）"


def typeset_story(
    text: StoryText,
    geometry: PageGeometry,
    fonts: FontSet,
    level: Level = Level.STRICT,
    photo: bytes | None = None,
    style: StoryStyle | None = None,
    composer: ComposeFn | None = None,
) -> TypesetStory:
    """Set a story on the publication's grid: body one column wide, headline for every span.

    Raises MissingGlyphs (a ValueError) for characters the fonts cannot print, and ValueError for
    photo bytes that are not a JPEG or PNG image.
    """
    st = style or StoryStyle()
    compose = composer or default_composer()
    leading = geometry.leading_pt
    measure = geometry.column_width
    body_style = TextStyle("body", geometry.body_size_pt, leading, 2.0, "justify", level)
    head_style = TextStyle(
        _role(fonts, st.head_role, "body"), st.head_size, leading, 0.0, st.head_align, level
    )

    paras = [t for kind, t in text.blocks if kind != "head"]
    heads = [t for kind, t in text.blocks if kind == "head"]
    check_covered(fonts, body_style.role, paras)
    check_covered(fonts, head_style.role, heads)
    check_covered(fonts, _role(fonts, st.jump_role, "body"), [_JUMP_CHARS])

    body, chunks = _set_body(text.blocks, body_style, head_style, measure, fonts, st, leading, compose)
    headlines = tuple(
        _set_headline(text, k, geometry, fonts, st, level, compose) for k in range(1, geometry.columns + 1)
    )
    widest = math.ceil(geometry.span_width(geometry.columns) / 72 * st.photo_ppi)
    image = _prepare_photo(photo, st.photo_mode, widest) if photo is not None else None
    figures: tuple[Figure, ...] = ()
    if image is not None:
        figures = tuple(
            _set_figure(image, text.caption, k, geometry, fonts, st, level, compose)
            for k in range(1, geometry.columns + 1)
        )
    return TypesetStory(
        leading=leading,
        body_size=geometry.body_size_pt,
        column_width=measure,
        body=tuple(body),
        chunks=tuple(chunks),
        headlines=headlines,
        figures=figures,
        story_style=st,
        level=level,
        fonts=fonts,
        photo=image,
        composer=compose,
    )


def _role(fonts: FontSet, wanted: str, fallback: str) -> str:
    return wanted if fonts.has_role(wanted) else fallback


def _check_span(cols: int, columns: int) -> None:
    if not 1 <= cols <= columns:
        raise ValueError(f"a story spans 1 to {columns} columns, not {cols}")


def _pitch_lines(size: float, leading: float, line_gap: float) -> int:
    # The rule stack_blocks applies, so body heads and headline blocks agree on what fits a line.
    return max(1, math.ceil(size * line_gap / leading - 1e-9)) if size * 1.1 > leading else 1


def _set_body(
    blocks: Sequence[tuple[str, str]],
    body_style: TextStyle,
    head_style: TextStyle,
    measure: float,
    fonts: FontSet,
    st: StoryStyle,
    leading: float,
    compose: ComposeFn,
) -> tuple[list[GridLine], list[BodyChunk]]:
    body: list[GridLine] = []
    chunks: list[BodyChunk] = []
    head_pitch = _pitch_lines(head_style.size, leading, st.line_gap)
    for kind, text in blocks:
        if kind == "head":
            lines = compose_paragraphs([text], head_style, measure, fonts, compose)
            if not lines:
                continue
            start = len(body)
            if body and st.head_space_lines:
                body.extend(GridLine(None, None) for _ in range(st.head_space_lines))
            for line in lines:
                body.append(GridLine(head_style, line, head_pitch))
                body.extend(GridLine(None, None) for _ in range(head_pitch - 1))
            chunks.append(BodyChunk("head", len(body) - start))
            continue
        # A newline inside a block starts a new paragraph: each is its own chunk (a break point).
        for piece in text.split("\n"):
            lines = compose_paragraphs([piece], body_style, measure, fonts, compose)
            if lines:
                body.extend(GridLine(body_style, line) for line in lines)
                chunks.append(BodyChunk("para", len(lines)))
    return body, chunks


def _set_headline(
    text: StoryText,
    cols: int,
    geometry: PageGeometry,
    fonts: FontSet,
    st: StoryStyle,
    level: Level,
    compose: ComposeFn,
) -> HeadlineBlock:
    leading = geometry.leading_pt
    measure = geometry.span_width(cols)
    role = _role(fonts, st.headline_role, "body")
    top = st.headline_max[min(cols, len(st.headline_max)) - 1]
    head_blocks: list[SetBlock] = []
    size = top
    if text.headline.strip():
        # Whole-point steps from the span's size down: the first size that fits in the allowed
        # lines wins; below the minimum the headline keeps the minimum and takes more lines.
        sizes = [top - i for i in range(int(top - st.headline_min) + 1)] or [top]
        if sizes[-1] > st.headline_min:
            sizes.append(st.headline_min)
        for size in sizes:
            hs = TextStyle(role, size, leading, 0.0, st.headline_align, level)
            head_blocks = stack_blocks(
                [("headline", hs, (text.headline,))], measure, fonts, leading, compose, st.line_gap
            )
            if sum(len(b.lines) for b in head_blocks) <= st.headline_max_lines:
                break
    start = sum(b.grid_lines for b in head_blocks)
    deck = TextStyle(
        _role(fonts, st.deck_role, "heading"), st.deck_size, leading, 0.0, st.headline_align, level
    )
    byline = TextStyle(
        _role(fonts, st.byline_role, "body"), st.byline_size, leading, 0.0, st.byline_align, level
    )
    rest = stack_blocks(
        [("deck", deck, text.deck), ("byline", byline, (text.byline,) if text.byline.strip() else ())],
        measure,
        fonts,
        leading,
        compose,
        st.line_gap,
        start_line=start,
    )
    blocks = (*head_blocks, *rest)
    used = blocks[-1].first_line + blocks[-1].grid_lines if blocks else 0
    return HeadlineBlock(cols, size, blocks, used + st.gap_lines if used else 0)


def _prepare_photo(data: bytes, mode: PhotoMode, max_width_px: int) -> Image.Image:
    """Decode a JPEG/PNG and convert it for newsprint: gray, or CMYK with full grey component
    replacement, never RGB.

    Pillow's plain RGB→CMYK sets K to 0, so a dark tone would print as up to 300 % CMY, far over
    newsprint's 240 % total ink limit and unstable on press. Moving the common part of C, M and
    Y into K caps the total at 200 % and prints neutrals with black ink alone. A camera picture
    is first reduced to the widest span's print resolution (`max_width_px`): converting twelve
    megapixels nobody will see took most of a second.
    """
    try:
        with Image.open(BytesIO(data)) as im:
            if im.format not in ("JPEG", "PNG"):
                raise ValueError(f"a story photo must be JPEG or PNG, not {im.format}")
            if im.format == "JPEG" and im.width > 2 * max_width_px:
                # The JPEG decoder scales by 1/2, 1/4, 1/8 almost for free; never below the target.
                im.draft(im.mode, (max_width_px, max_width_px * im.height // im.width))
            im.load()
            ImageOps.exif_transpose(im, in_place=True)
            image = im
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("the story photo is not a readable JPEG or PNG image") from exc
    factor = image.width // max_width_px
    if factor >= 2:
        # An integer box reduction is cheap and keeps at least the print resolution; the exact
        # size per span comes later from one Lanczos pass.
        image = image.reduce(factor)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba).convert("RGB")
    if mode == "gray":
        return image.convert("L")
    if image.mode == "CMYK":
        return image
    c, m, y = ImageChops.invert(image.convert("RGB")).split()
    k = ImageChops.darker(ImageChops.darker(c, m), y)
    return Image.merge(
        "CMYK", (ImageChops.subtract(c, k), ImageChops.subtract(m, k), ImageChops.subtract(y, k), k)
    )


def _set_figure(
    image: Image.Image,
    caption: str,
    cols: int,
    geometry: PageGeometry,
    fonts: FontSet,
    st: StoryStyle,
    level: Level,
    compose: ComposeFn,
) -> Figure:
    leading = geometry.leading_pt
    width = geometry.span_width(cols)
    px_w, px_h = image.size
    natural = width * px_h / px_w
    # Snap down to whole grid lines and crop the picture's top and bottom to match (never distort):
    # at most one line's worth of the picture is lost.
    image_lines = max(1, math.floor(natural / leading + 1e-9))
    keep_h = min(px_h, image_lines * leading * px_w / width)
    cut = (px_h - keep_h) / 2
    crop = (0.0, cut, float(px_w), cut + keep_h)
    cap_style = TextStyle(
        _role(fonts, st.caption_role, "body"), st.caption_size, leading, 0.0, "justify", level
    )
    cap = stack_blocks(
        [("caption", cap_style, (caption,) if caption.strip() else ())],
        width,
        fonts,
        leading,
        compose,
        st.line_gap,
        start_line=0,
    )
    cap_lines = sum(b.grid_lines for b in cap)
    return Figure(cols, width, image_lines, crop, tuple(cap), image_lines + cap_lines + st.gap_lines)


def _resample(
    image: Image.Image, crop: tuple[float, float, float, float], width: float, height: float, ppi: float
) -> Image.Image:
    """The cropped picture at no more than `ppi` for its printed size (never upsampled)."""
    left, top, right, bottom = crop
    target = (max(1, round(width / 72 * ppi)), max(1, round(height / 72 * ppi)))
    if target[0] >= right - left:
        target = (max(1, round(right - left)), max(1, round(bottom - top)))
    return image.resize(target, Image.Resampling.LANCZOS, box=crop, reducing_gap=3.0)
