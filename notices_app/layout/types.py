"""Plain values shared by the composer, the notice templates and the page layout engine.

Units: points (1/72 in) unless a name says otherwise. Glyph advances handed to the composer
are in em (advance / units-per-em), so the composer is independent of the font size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# Advance width of one character in em (e.g. 1.0 for a Han character, ~0.5 for a digit).
AdvanceFn = Callable[[str], float]

Align = Literal["justify", "left", "center", "right"]


class Level(StrEnum):
    """How strictly the clreq rules are applied; a publication setting (default strict)."""

    BASIC = "basic"
    GB = "gb"
    STRICT = "strict"


@dataclass(frozen=True)
class ComposeStyle:
    size: float  # font size in pt: one em
    measure: float  # line length in pt
    level: Level = Level.STRICT
    indent_em: float = 2.0  # first-line indent; 0 for headings and signature lines
    align: Align = "justify"


@dataclass(frozen=True)
class PlacedGlyph:
    ch: str  # the character drawn (one code point)
    x: float  # pt from the left edge of the line box to the glyph origin
    advance: float  # pt this glyph occupies after adjustment (compression, spacing)


@dataclass(frozen=True)
class ComposedLine:
    glyphs: tuple[PlacedGlyph, ...]
    width: float  # pt from the line box's left edge to the right edge of the last glyph
    last: bool  # the paragraph's last line (not justified)


@dataclass(frozen=True)
class NoticeText:
    """What a notice says, in print order; produced from a notice's fields by the wording rules."""

    heading: str  # e.g. 公告, 挂失, 遗失声明
    paragraphs: tuple[str, ...]  # body paragraphs, each indented 2 em and justified
    closing: tuple[str, ...] = ()  # e.g. 特此公告: set like a paragraph
    signature: tuple[str, ...] = ()  # right-aligned lines: organisation, date
    columns: int = 1  # width in whole columns of the publication's grid


@dataclass(frozen=True)
class AdText:
    """Template content of a display ad (the tourism ad of the seed page)."""

    headline: str
    sublines: tuple[str, ...] = ()
    features: tuple[str, ...] = ()  # bullet points
    body: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    columns: int = 2
    mark: str = "广告"  # 广告法 Art. 14: every display ad carries it
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryText:
    """A news story in print order: headline block, then body chunks set one column wide."""

    headline: str
    deck: tuple[str, ...] = ()  # sub-headlines (引题/副题)
    byline: str = ""  # dateline or byline: 本报10月21日讯(记者 李超)
    blocks: tuple[tuple[str, str], ...] = ()  # ("para" | "head", text)
    caption: str = ""  # photo caption; the photo itself is handed to the typesetter separately
