"""Advance functions standing in for fonts, and shorthands shared by the layout tests."""

from __future__ import annotations

from notices_app.layout.clreq_check import CheckGlyph, CheckLine, Violation, check, lines_from_composed
from notices_app.layout.composer import compose
from notices_app.layout.types import ComposedLine, ComposeStyle, Level

SIZE = 9.0
MEASURE = 17 * SIZE  # the seed page's 17-character column
H = "政"  # a Han character with no special behaviour

_NARROW = (
    dict.fromkeys("fijlrtI!.,:;'|", 0.28) | dict.fromkeys("mwMW", 0.83) | dict.fromkeys("0123456789", 0.55)
)


def mono(ch: str) -> float:
    """Han and full-width marks 1 em, everything ASCII ½ em."""
    return 0.5 if ch.isascii() else 1.0


def proportional(ch: str) -> float:
    """Proportional Latin, and curly quotes as narrow as some fonts make them."""
    if ch == " ":
        return 0.3
    if ch in "“”‘’":
        return 0.4
    if ch.isascii():
        return _NARROW.get(ch, 0.55)
    return 1.0


def style(level: Level = Level.STRICT, **kw: object) -> ComposeStyle:
    return ComposeStyle(size=SIZE, measure=MEASURE, level=level, **kw)  # type: ignore[arg-type]


def texts(lines: list[ComposedLine]) -> list[str]:
    return ["".join(g.ch for g in line.glyphs) for line in lines]


def violations(
    text: str, level: Level = Level.STRICT, advance: object = mono, **kw: object
) -> tuple[list[ComposedLine], list[Violation]]:
    st = style(level, **kw)
    lines = compose(text, st, advance)  # type: ignore[arg-type]
    found = check(
        lines_from_composed(lines, 0.0, SIZE),
        0.0,
        MEASURE,
        level=level,
        indent=st.indent_em * SIZE,
        tol=0.01,
        sources=[text],
    )
    return lines, found


def set_line(
    text: str, x0: float = 0.0, advances: list[float] | None = None, last: bool = False
) -> CheckLine:
    """A line as a naive typesetter would set it: each glyph at its full advance."""
    glyphs = []
    x = x0
    for k, ch in enumerate(text):
        a = advances[k] if advances else mono(ch) * SIZE
        glyphs.append(CheckGlyph(ch, x, SIZE, a))
        x += a
    return CheckLine(tuple(glyphs), last)
