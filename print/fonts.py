"""Print fonts: TrueType faces registered with ReportLab, embedded and subset in every PDF.

The built-in CID font STSong-Light is never used: it is not embedded, so the printer's RIP would
substitute whatever it has. Every role maps to a TrueType (.ttf/.ttc) file that ReportLab embeds
as a subset.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = "/usr/share/fonts/truetype"

# Debian packages that ship the default faces, so a missing file can say what to install.
_PACKAGES = {
    "uming.ttc": "fonts-arphic-uming",
    "ukai.ttc": "fonts-arphic-ukai",
    "wqy-zenhei.ttc": "fonts-wqy-zenhei",
}

# Characters that never need a glyph: the composer turns them into space or line breaks.
_ALWAYS_COVERED = frozenset(" \n\r\t")


@dataclass(frozen=True)
class FontSpec:
    """One font file (and sub-font of a .ttc collection) for a role."""

    path: str
    subfont_index: int = 0
    optional: bool = False  # a missing optional role is skipped instead of failing


# Roles: body = Song/Ming (running text), heading = Hei, kai = Kai (optional, signatures etc.).
DEFAULT_FONT_CONFIG: dict[str, FontSpec] = {
    "body": FontSpec(f"{FONT_DIR}/arphic/uming.ttc", 0),
    "heading": FontSpec(f"{FONT_DIR}/wqy/wqy-zenhei.ttc", 0),
    "kai": FontSpec(f"{FONT_DIR}/arphic/ukai.ttc", 0, optional=True),
}


class FontFileMissing(FileNotFoundError):
    """A configured font file does not exist; the message names the package that provides it."""


def _package_hint(path: str) -> str:
    package = _PACKAGES.get(os.path.basename(path))
    if package:
        return f"install the Debian package {package} (apt-get install {package})"
    return "install the font or fix the font configuration"


class FontSet:
    """The fonts of one publication, by role, registered with ReportLab."""

    def __init__(
        self,
        config: Mapping[str, FontSpec | tuple[str, int]],
    ) -> None:
        self._fonts: dict[str, TTFont] = {}
        self._advance: dict[str, Callable[[str], float]] = {}
        for role, raw in config.items():
            spec = raw if isinstance(raw, FontSpec) else FontSpec(raw[0], raw[1])
            if not os.path.exists(spec.path):
                if spec.optional:
                    continue
                raise FontFileMissing(
                    f"font for role {role!r} not found at {spec.path}: {_package_hint(spec.path)}"
                )
            stem = os.path.splitext(os.path.basename(spec.path))[0]
            # The registered name is global in ReportLab; derive it from the file so two FontSets
            # with the same file share one registration and different files never collide.
            name = f"N-{stem}-{spec.subfont_index}"
            try:
                font = pdfmetrics.getFont(name)
            except KeyError:
                font = TTFont(name, spec.path, subfontIndex=spec.subfont_index)
                _cache_tables(font.face)
                pdfmetrics.registerFont(font)
            self._fonts[role] = font
        if "body" not in self._fonts:
            raise ValueError("a FontSet needs a 'body' role")

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self._fonts)

    def has_role(self, role: str) -> bool:
        return role in self._fonts

    def font(self, role: str) -> TTFont:
        """The ReportLab TTFont of a role."""
        try:
            return self._fonts[role]
        except KeyError:
            raise KeyError(f"no font configured for role {role!r}") from None

    def font_name(self, role: str = "body") -> str:
        """The name the role's font is registered under with ReportLab."""
        return str(self.font(role).fontName)

    def ascent(self, role: str = "body") -> float:
        """Ascent in em, used to put the em box of a line in the middle of its grid line."""
        return float(self.font(role).face.ascent) / 1000

    def advance(self, role: str = "body") -> Callable[[str], float]:
        """A fast `advance(ch) -> em` for the composer (memoised per character)."""
        fn = self._advance.get(role)
        if fn is not None:
            return fn
        face = self.font(role).face
        widths: dict[int, float] = face.charWidths  # 1/1000 em, keyed by code point
        default = float(face.defaultWidth)
        memo: dict[str, float] = {}

        def advance(ch: str) -> float:
            try:
                return memo[ch]
            except KeyError:
                w = memo[ch] = widths.get(ord(ch), default) / 1000
                return w

        self._advance[role] = advance
        return advance

    def covers(self, ch: str, role: str = "body") -> bool:
        """True when the role's font has a glyph for `ch`.

        There is no fallback font: the drawing code writes a whole line in one face, and a glyph
        missing from it would print as a blank (ReportLab does not complain), so callers reject
        such text before typesetting.
        """
        return ch in _ALWAYS_COVERED or ord(ch) in self.font(role).face.charToGlyph

    def missing_chars(self, text: str, role: str = "body") -> list[str]:
        """Characters of `text` without a glyph, unique, in order of first appearance."""
        seen: dict[str, None] = {}
        for ch in text:
            if ch not in seen and not self.covers(ch, role):
                seen[ch] = None
        return list(seen)


@cache
def default_fonts() -> FontSet:
    """The process-wide default FontSet (Ming body, Hei headings, optional Kai)."""
    return FontSet(DEFAULT_FONT_CONFIG)


def _cache_tables(face: object) -> None:
    """Keep each TrueType table ReportLab copies out of the font file, once per process.

    ReportLab's subsetter slices the whole `glyf` table (megabytes for a CJK face) out of the
    file's bytes for every document it writes; for many small PDFs (previews, one per notice)
    that copy was a third of the rendering time. Tables are immutable bytes, so one copy serves
    every document.
    """
    original = face.get_table  # type: ignore[attr-defined]
    tables: dict[str, bytes] = {}

    def get_table(tag: str) -> bytes:
        data = tables.get(tag)
        if data is None:
            data = tables[tag] = original(tag)
        return data

    face.get_table = get_table  # type: ignore[attr-defined]
