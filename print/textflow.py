"""Composed text on a ReportLab canvas: the composer decides every glyph's x, this module draws it.

User text never goes through `Paragraph` or any other markup parser: `<font>` or `<img src=…>` in
a notice prints as those characters. Drawing writes one PDF text object per block, one `TJ`
array per line (per font subset), with the composer's adjustments as `TJ` offsets, so a
justified line costs a handful of operators rather than one `Tj` per glyph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.flowables import Flowable

from notices_app.layout.types import AdvanceFn, Align, ComposedLine, ComposeStyle, Level, PlacedGlyph
from print.fonts import FontSet
from print.pdfcanvas import BLACK

ComposeFn = Callable[[str, ComposeStyle, AdvanceFn], list[ComposedLine]]

# Floating-point noise below this (pt) is not an intended adjustment.
_EPS = 1e-6


def default_composer() -> ComposeFn:
    """The project's line composer (imported late so this module loads without it)."""
    from notices_app.layout.composer import compose

    return compose


@dataclass(frozen=True)
class TextStyle:
    """How a run of paragraphs is set: font role, size, baseline pitch and composition."""

    role: str = "body"
    size: float = 9.0
    leading: float = 13.5
    indent_em: float = 2.0
    align: Align = "justify"
    level: Level = Level.STRICT

    def compose_style(self, measure: float) -> ComposeStyle:
        return ComposeStyle(
            size=self.size, measure=measure, level=self.level, indent_em=self.indent_em, align=self.align
        )


def baseline_offset(fonts: FontSet, style: TextStyle, leading: float | None = None) -> float:
    """Distance from the top of a grid line to its baseline, with the em box centred in the line.

    The same offset for every line keeps the baseline pitch constant (clreq rule 11).
    """
    pitch = style.leading if leading is None else leading
    return (pitch - style.size) / 2 + style.size * fonts.ascent(style.role)


def compose_paragraph(
    text: str, style: TextStyle, measure: float, fonts: FontSet, composer: ComposeFn | None = None
) -> list[ComposedLine]:
    """Compose one paragraph; centred and right-aligned text is set flush left and then shifted.

    Shifting here keeps alignment independent of whether the composer implements it: it only has
    to report each line's width.
    """
    compose = composer or default_composer()
    advance = fonts.advance(style.role)
    if style.align in ("justify", "left"):
        return compose(text, style.compose_style(measure), advance)
    lines = compose(text, replace(style, align="left").compose_style(measure), advance)
    out: list[ComposedLine] = []
    for line in lines:
        if not line.glyphs:
            out.append(line)
            continue
        start = line.glyphs[0].x
        ink = line.width - start
        shift = (measure - ink) if style.align == "right" else (measure - ink) / 2
        shift -= start
        if abs(shift) < _EPS:
            out.append(line)
            continue
        glyphs = tuple(PlacedGlyph(g.ch, g.x + shift, g.advance) for g in line.glyphs)
        out.append(ComposedLine(glyphs, line.width + shift, line.last))
    return out


def compose_paragraphs(
    paragraphs: Sequence[str],
    style: TextStyle,
    measure: float,
    fonts: FontSet,
    composer: ComposeFn | None = None,
) -> list[ComposedLine]:
    """Compose paragraphs in order; a newline inside one starts a new paragraph, blank ones vanish
    (clreq rule 8: no extra space between paragraphs)."""
    lines: list[ComposedLine] = []
    for para in paragraphs:
        for piece in para.split("\n"):
            if piece.strip():
                lines.extend(compose_paragraph(piece.strip(), style, measure, fonts, composer))
    return lines


class MissingGlyphs(ValueError):
    """Text contains characters the font cannot print; `chars` lists them."""

    def __init__(self, role: str, chars: list[str]) -> None:
        super().__init__(f"no glyph in the {role} font for: {' '.join(chars)}")
        self.role = role
        self.chars = chars


def check_covered(fonts: FontSet, role: str, paragraphs: Sequence[str]) -> None:
    """Raise MissingGlyphs (a ValueError) naming the characters the role's font cannot print.

    ReportLab draws a character missing from a TrueType font as a blank without any warning; on
    paper that silently changes a name, so typesetting refuses instead.
    """
    missing = fonts.missing_chars("".join(paragraphs), role)
    if missing:
        raise MissingGlyphs(role, missing)


def draw_lines(
    canvas: Canvas,
    fonts: FontSet,
    role: str,
    size: float,
    lines: Sequence[ComposedLine],
    x: float,
    first_baseline: float,
    leading: float,
) -> None:
    """Draw composed lines glyph by glyph: line i's baseline is `first_baseline - i * leading`.

    Writes raw operators via the documented dynamic-font route (`splitString` and
    `getSubsetInternalName`); ReportLab's text object would emit one `Tj` and re-check the font
    per call. The most common inter-glyph gap of a line (the justification space) becomes the
    character spacing `Tc`; only glyphs that differ from it (compressed punctuation, the gap next
    to Latin) get a `TJ` offset.
    """
    if not lines:
        return
    font = fonts.font(role)
    doc = canvas._doc  # splitString keys the subset state by document; there is no public handle
    em = fonts.advance(role)
    scale = 1000.0 / size
    size_s = _num(size)
    out: list[str] = ["q", _fill_op(), "BT"]
    emit = out.append
    current_subset = -1
    current_tc = 0.0
    for i, line in enumerate(lines):
        glyphs = line.glyphs
        if not glyphs:
            continue
        n = len(glyphs)
        xs = [g.x for g in glyphs]
        nat = [em(g.ch) * size for g in glyphs]
        tc = 0.0
        if n > 1:
            counts: dict[float, int] = {}
            for j in range(n - 1):
                g = round(xs[j + 1] - xs[j] - nat[j], 3)
                counts[g] = counts.get(g, 0) + 1
            tc = max(counts, key=counts.__getitem__)
        if tc != current_tc:
            emit(f"{_num(tc)} Tc")
            current_tc = tc
        baseline = first_baseline - i * leading
        emit(f"1 0 0 1 {_num(x + xs[0])} {_num(baseline)} Tm")
        pen = xs[0]  # where the PDF's text position is, in pt from the line box's left
        k = 0
        for subset, data in font.splitString("".join(g.ch for g in glyphs), doc):
            if subset != current_subset:
                emit(f"{font.getSubsetInternalName(subset, doc)} {size_s} Tf")
                current_subset = subset
            parts: list[str] = []
            start = 0
            for j in range(len(data)):
                gap = xs[k] - pen
                if gap > _EPS or gap < -_EPS:
                    # A TJ number moves the pen left by n/1000 em; the pen follows the rounded
                    # value so rounding never accumulates along the line.
                    adj = round(-gap * scale, 2)
                    if adj:
                        if j > start:
                            parts.append(f"({escapePDF(data[start:j])})")
                            start = j
                        parts.append(_num(adj))
                        pen -= adj / scale
                pen += nat[k] + tc
                k += 1
            parts.append(f"({escapePDF(data[start:])})")
            if len(parts) == 1:
                emit(f"{parts[0]} Tj")
            else:
                emit(f"[{' '.join(parts)}] TJ")
    if current_tc:
        emit("0 Tc")
    emit("ET")
    emit("Q")
    canvas.addLiteral("\n".join(out))


def _num(v: float) -> str:
    """A PDF number with at most 3 decimals and no trailing zeros."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _fill_op() -> str:
    c, m, y, k = BLACK.cmyk()
    return f"{_num(c)} {_num(m)} {_num(y)} {_num(k)} k"


@dataclass(frozen=True)
class SetBlock:
    """A run of composed lines of one style inside a template (heading, body, signature …)."""

    kind: str
    style: TextStyle
    lines: tuple[ComposedLine, ...]
    first_line: int  # grid line (from the top of the text area) of the block's first line slot
    pitch_lines: int  # grid lines per text line (2 for a 14 pt heading on a 13.5 pt grid)

    @property
    def grid_lines(self) -> int:
        return len(self.lines) * self.pitch_lines


def stack_blocks(
    parts: Sequence[tuple[str, TextStyle, Sequence[str]]],
    measure: float,
    fonts: FontSet,
    leading: float,
    composer: ComposeFn | None = None,
    line_gap: float = 1.3,
    start_line: int = 0,
) -> list[SetBlock]:
    """Compose (kind, style, paragraphs) parts and stack them on the grid, top to bottom.

    Text larger than the grid's body takes whole grid lines (about `line_gap` em per line) so
    everything below it stays on the baseline grid (clreq rule 11). Checks glyph coverage first.
    """
    for _, st, paras in parts:
        check_covered(fonts, st.role, paras)
    blocks: list[SetBlock] = []
    line_no = start_line
    for kind, st, paras in parts:
        lines = compose_paragraphs(paras, st, measure, fonts, composer)
        if not lines:
            continue
        pitch_lines = max(1, math.ceil(st.size * line_gap / leading - 1e-9)) if st.size * 1.1 > leading else 1
        block = SetBlock(kind, st, tuple(lines), line_no, pitch_lines)
        blocks.append(block)
        line_no += block.grid_lines
    return blocks


def draw_blocks(
    canvas: Canvas, fonts: FontSet, blocks: Sequence[SetBlock], x: float, text_top: float, leading: float
) -> None:
    """Draw stacked blocks; `text_top` is the top of grid line 0, `x` the left of the measure."""
    for b in blocks:
        pitch = b.pitch_lines * leading
        slot_top = text_top - b.first_line * leading
        first = slot_top - baseline_offset(fonts, b.style, pitch)
        draw_lines(canvas, fonts, b.style.role, b.style.size, b.lines, x, first, pitch)


@dataclass
class _Para:
    text: str
    continued: bool = False  # the rest of a paragraph split across frames: no first-line indent


class ComposedText(Flowable):  # type: ignore[misc]
    """A platypus Flowable of paragraphs set by the line composer on a constant baseline grid.

    Height is lines × leading; `split` breaks between lines so the text flows from frame to
    frame (column to column). A part keeps its composed lines while the width stays the same.
    """

    def __init__(
        self,
        paragraphs: Sequence[str],
        style: TextStyle,
        fonts: FontSet,
        composer: ComposeFn | None = None,
    ) -> None:
        super().__init__()
        self._paras = [_Para(p) for p in paragraphs]
        self.style = style
        self.fonts = fonts
        self.composer = composer
        check_covered(fonts, style.role, paragraphs)
        self._cache: dict[float, list[ComposedLine]] = {}
        # Which paragraph each cached line belongs to, for splitting mid-paragraph.
        self._owners: dict[float, list[int]] = {}
        self.width = 0.0
        self.height = 0.0
        self._measure = 0.0

    def _lines(self, measure: float) -> list[ComposedLine]:
        key = round(measure, 3)
        lines = self._cache.get(key)
        if lines is None:
            lines, owners = [], []
            for idx, para in enumerate(self._paras):
                style = replace(self.style, indent_em=0.0) if para.continued else self.style
                got = compose_paragraphs([para.text], style, measure, self.fonts, self.composer)
                lines.extend(got)
                owners.extend([idx] * len(got))
            self._cache[key] = lines
            self._owners[key] = owners
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._measure = availWidth
        self.width = availWidth
        self.height = len(self._lines(availWidth)) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        lines = self._lines(availWidth)
        fit = math.floor(availHeight / self.style.leading + 1e-9)
        if fit <= 0:
            return []
        if fit >= len(lines):
            return [self]
        owners = self._owners[round(availWidth, 3)]
        return [
            self._part(lines[:fit], owners[:fit], availWidth, continues=self._paras[owners[0]].continued),
            self._part(lines[fit:], owners[fit:], availWidth, continues=owners[fit - 1] == owners[fit]),
        ]

    def _part(
        self, lines: list[ComposedLine], owners: list[int], measure: float, continues: bool
    ) -> ComposedText:
        """A flowable holding some of this one's lines; its paragraph texts are kept (from the
        lines where a paragraph is cut) only for re-composing if a frame of another width takes it."""
        paras: list[_Para] = []
        for owner in dict.fromkeys(owners):
            texts = [
                "".join(g.ch for g in ln.glyphs) for ln, o in zip(lines, owners, strict=True) if o == owner
            ]
            src = self._paras[owner]
            cut = owner in (owners[0], owners[-1])
            paras.append(_Para("".join(texts) if cut else src.text, src.continued))
        paras[0].continued = continues
        part = ComposedText([], self.style, self.fonts, self.composer)
        part._paras = paras
        renumbered = {o: i for i, o in enumerate(dict.fromkeys(owners))}
        key = round(measure, 3)
        part._cache[key] = lines
        part._owners[key] = [renumbered[o] for o in owners]
        part._measure = measure
        return part

    def draw(self) -> None:
        lines = self._lines(self._measure)
        first = self.height - baseline_offset(self.fonts, self.style)
        draw_lines(
            self.canv, self.fonts, self.style.role, self.style.size, lines, 0.0, first, self.style.leading
        )

    def __repr__(self) -> str:
        return f"ComposedText({len(self._paras)} paragraphs, {self.style})"
