"""Counting 字 for per-字 rate cards (domain.md: Prices).

The rule, made explicit because rate cards are priced on it and filers check it by hand:

- Each Han character counts 1, and so does every punctuation mark, full-width or ASCII
  (、，。：（）-/. …): a mark takes a character cell in print.
- Half-width "narrow" characters — ASCII digits 0-9 and lowercase ASCII letters a-z — are
  counted in pairs: a *run* of n consecutive narrow characters counts ceil(n/2). Runs are
  counted separately, not pooled over the whole text, because two half-width characters share
  one cell only when they stand side by side (``3号楼5单元`` is 6, not 5). Digits and
  lowercase letters pair with each other inside a run (``4g`` counts 1).
- Uppercase ASCII letters count 1 each: capitals are about as wide as a Han cell in the
  proportional Latin of the body font, and papers charge them as full 字.
- Full-width digits and letters (０-９, Ａ-Ｚ, ａ-ｚ) count 1 each: they fill a whole cell.
- Whitespace (ASCII space, tab, newline) counts 0: the composer sets its own spacing and
  indents. The ideographic space U+3000 counts 1 because it prints as an empty cell.
- Combining marks and format characters (variation selectors, zero-width joiners) count 0.
- Anything else (Greek, symbols such as ·, ¥, ①) counts 1.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from notices_app.layout.types import NoticeText

_NARROW = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


def _weight(ch: str) -> int:
    if ch == "\u3000":
        return 1
    if ch.isspace():
        return 0
    if unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    return 1


def count_zi(text: str) -> int:
    """Number of 字 in `text` under the rule in this module's docstring."""
    total = 0
    run = 0
    for ch in text:
        if ch in _NARROW:
            run += 1
            continue
        total += (run + 1) // 2
        run = 0
        total += _weight(ch)
    return total + (run + 1) // 2


def count_all(texts: Iterable[str]) -> int:
    """Sum of `count_zi` over several texts (each text's runs end at its end)."""
    return sum(count_zi(t) for t in texts)


def count_notice_zi(notice: NoticeText, *, include_heading: bool = True) -> int:
    """字 of everything that prints for a notice: heading, body, closing and signature.

    The heading is charged by default because it takes space in the column like any other
    line; a publication that does not charge it passes `include_heading=False`.
    """
    parts = [*notice.paragraphs, *notice.closing, *notice.signature]
    if include_heading:
        parts.insert(0, notice.heading)
    return count_all(parts)
