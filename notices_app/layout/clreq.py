"""Character classes of Chinese line composition (W3C clreq, GB/T 15834-2011).

The sets here are the single source of truth for the composer (`composer.py`) and the checker
(`clreq_check.py`), so a rule cannot be enforced by one and measured differently by the other.
Rule numbers refer to /work/shared/reference/clreq-rules.md.
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum
from functools import cache

from notices_app.layout.types import Level

# Full-width marks whose ink sits in the left half of the em box (Mainland fonts), so the right
# half is what compression and line-end trimming remove.
CLOSING = frozenset("、，。．；：！？）》〉」』】〕〗］｝”’〙〛")
# Marks whose ink sits in the right half: compression removes the left half.
OPENING = frozenset("（《〈「『【〔〖［｛“‘〘〚")
# Centred marks: compression removes a quarter em on each side.
MIDDLE = frozenset("·・")
# Dash and ellipsis: always set as an unbreakable 2-em pair (rule 3).
DASH = "—"
ELLIPSIS = "…"

# ASCII marks that turn up between Han characters in submitted copy (rule 15 flags them); the
# composer must still never start a line with a comma or end one with a bracket.
_ASCII_CLOSING = frozenset(",.;:!?)]}")
_ASCII_OPENING = frozenset("([{")

_START_BASIC = frozenset("、，。．；：！？）》〉」』】〕〗］｝”’～·") | {"〙", "〛", "・"} | _ASCII_CLOSING
_END_BASIC = OPENING | _ASCII_OPENING

# Rule 1 (strict adds the dash and ellipsis) and rule 2 (GB style adds the slash); the levels are
# cumulative: strict includes everything GB style forbids.
LINE_START_PROHIBITED: dict[Level, frozenset[str]] = {
    Level.BASIC: _START_BASIC,
    Level.GB: _START_BASIC,
    Level.STRICT: _START_BASIC | {DASH, ELLIPSIS},
}
LINE_END_PROHIBITED: dict[Level, frozenset[str]] = {
    Level.BASIC: _END_BASIC,
    Level.GB: _END_BASIC | {"/"},
    Level.STRICT: _END_BASIC | {"/"},
}

# Marks that take part in punctuation width adjustment (rules 6 and 7).
COMPRESSIBLE = CLOSING | OPENING | MIDDLE

_HAN_RANGES = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff"
)
# Letters, digits and the signs that stay glued to them: a run of these is one Latin word or
# number (`13.5%`, `3G`, a URL) and is never split across lines (rule 9).
_WORD_RANGES = (
    "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff%‰℃°#&@_+=*~'$€£¥.,:;/?!\\-"
)
# What earns the quarter-em gap next to a Han character (rule 9): letters, digits, unit signs.
_WESTERN_RANGES = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff%‰℃°"
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe00-\ufe0f\U000e0100-\U000e01ef\U0001f3fb-\U0001f3ff"

HAN_RE = re.compile(f"[{_HAN_RANGES}]")
WORD_RE = re.compile(f"[{_WORD_RANGES}]")


class CharClass(IntEnum):
    """Coarse class of one code point, as the composer and the checker see it."""

    HAN = 1  # ideographs, kana, hangul: break anywhere between them
    LATIN = 2  # letters of alphabetic scripts
    DIGIT = 3
    SPACE = 4  # stretchable break point
    OPENING = 5
    CLOSING = 6
    MIDDLE = 7
    DASH = 8  # — and …: halves of an unbreakable pair
    PUNCT = 9  # other punctuation (ASCII marks, ～, …)
    OTHER = 10  # symbols, emoji, characters no class above claims


@cache
def char_class(ch: str) -> CharClass:
    """Class of one code point; cached, since a paragraph repeats few distinct characters."""
    if ch in OPENING:
        return CharClass.OPENING
    if ch in CLOSING:
        return CharClass.CLOSING
    if ch in MIDDLE:
        return CharClass.MIDDLE
    if ch in (DASH, ELLIPSIS):
        return CharClass.DASH
    if ch == " ":
        return CharClass.SPACE
    if ch == "～":  # GB/T 15834 counts the wave dash as punctuation; Unicode calls it a symbol
        return CharClass.PUNCT
    if HAN_RE.match(ch):
        return CharClass.HAN
    if ch.isascii() and ch.isdigit():
        return CharClass.DIGIT
    cat = unicodedata.category(ch)
    if cat == "Nd":
        return CharClass.DIGIT
    if cat.startswith("L"):
        return CharClass.LATIN
    if cat.startswith("Z"):
        return CharClass.SPACE
    if cat.startswith("P"):
        return CharClass.PUNCT
    return CharClass.OTHER


_PUNCT_CLASSES = frozenset(
    {CharClass.OPENING, CharClass.CLOSING, CharClass.MIDDLE, CharClass.DASH, CharClass.PUNCT}
)


def counts_as_character(ch: str) -> bool:
    """True for what rule 10 counts on a last line: anything but punctuation and spaces."""
    return char_class(ch) not in _PUNCT_CLASSES and char_class(ch) is not CharClass.SPACE


def is_han(ch: str) -> bool:
    """True for Han ideographs (and kana/hangul, which break the same way)."""
    return char_class(ch) is CharClass.HAN


def is_word_char(ch: str) -> bool:
    """True for characters that glue into an unsplittable Latin word or number (rule 9)."""
    return bool(WORD_RE.match(ch))


def _cls(chars: frozenset[str] | set[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))


@cache
def _prohibition_res(level: Level) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return (
        re.compile(f"[{_cls(LINE_START_PROHIBITED[level])}]"),
        re.compile(f"[{_cls(LINE_END_PROHIBITED[level])}]"),
    )


def break_and_spacing_maps(text: str, level: Level) -> tuple[bytearray, bytearray]:
    """The break map, and `nospace[i] == 1` where justification must not add space before text[i].

    No space goes inside a Latin word (a letter-spaced number reads as two), inside a dash or
    ellipsis pair (rule 5), or before a combining mark. Every rule is a position found by a regex
    over the few characters concerned, so pure Han text costs almost nothing.
    """
    n = len(text)
    allowed = bytearray(b"\x01") * (n + 1)
    nospace = bytearray(n + 1)
    allowed[0] = 0
    start_re, end_re = _prohibition_res(level)
    for m in start_re.finditer(text):  # rule 1 (strict: a dash or ellipsis pair too)
        allowed[m.start()] = 0
    for m in end_re.finditer(text):  # rule 2
        allowed[m.end()] = 0
    for m in UNBREAKABLE_RE.finditer(text):  # rules 3 and 9: pairs, words and numbers stay whole
        a, b = m.span()
        if m.lastindex == 2:  # a combining mark, or what a zero-width joiner joins
            allowed[a] = 0
            nospace[a] = 1
        elif b - a > 1:
            allowed[a + 1 : b] = bytes(b - a - 1)
            nospace[a + 1 : b] = b"\x01" * (b - a - 1)
    for m in SPACE_RE.finditer(text):  # a word space is the break itself: break after it
        allowed[m.start()] = 0
    allowed[n] = 1
    return allowed, nospace


# Runs of Western text: the ¼-em gap goes where one meets a Han character (rule 9).
WESTERN_RUN_RE = re.compile(f"[{_WESTERN_RANGES}]+")
COMPRESSIBLE_RE = re.compile(f"[{_cls(COMPRESSIBLE)}]")
PAIR_RE = re.compile("——|……")
UNBREAKABLE_RE = re.compile(
    f"([{_WORD_RANGES}]+(?:[—–][{_WORD_RANGES}]+)*|——|……)|([{_COMBINING}\u200d]|(?<=\u200d).)", re.DOTALL
)
SPACE_RE = re.compile(" ")
