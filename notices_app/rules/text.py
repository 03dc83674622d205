"""Cleaning filer-typed text and the punctuation rules that apply before it reaches the composer."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from notices_app.rules.messages import RuleError, msg

FULLWIDTH_PUNCT = {
    ",": "，",
    ".": "。",
    ";": "；",
    ":": "：",
    "?": "？",
    "!": "！",
    "(": "（",
    ")": "）",
}

# Invisible characters that survive copy-paste from web pages and word processors and would
# either print as nothing or as a missing-glyph box.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(s: str, multiline: bool = False) -> str:
    """NFC, CRLF→LF, control and invisible characters removed, trailing spaces dropped.

    Tabs become spaces; in single-line fields newlines become spaces too. More than one blank
    line in a row collapses to one (the composer marks paragraphs by line breaks, not gaps).
    """
    s = unicodedata.normalize("NFC", s.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    for ch in s:
        if ch == "\n":
            out.append("\n" if multiline else " ")
        elif ch == "\t":
            out.append(" ")
        elif ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    lines = [line.rstrip() for line in "".join(out).split("\n")]
    text = "\n".join(lines).strip()
    return _BLANK_LINES.sub("\n\n", text) if multiline else text


def is_han(ch: str) -> bool:
    """A CJK unified (or compatibility) ideograph."""
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x3134F or 0xF900 <= cp <= 0xFAFF
    )


def _is_chinese_context(ch: str) -> bool:
    # Full-width punctuation and Chinese quotation marks count as Chinese text too: "“淄博发布”,"
    # is the same mistake as "淄博,".
    cp = ord(ch)
    return is_han(ch) or 0x3000 <= cp <= 0x303F or 0xFF01 <= cp <= 0xFF5E or ch in "“”‘’"


def _neighbour(s: str, i: int, step: int) -> str:
    j = i + step
    while 0 <= j < len(s) and s[j] == " ":
        j += step
    return s[j] if 0 <= j < len(s) else ""


def ascii_punct_in_chinese(s: str) -> list[tuple[int, str]]:
    """Positions and marks of ASCII ``,.;:?!()`` next to Chinese text (clreq rule 15).

    A mark counts when the nearest non-space character on either side is a Han character or
    full-width punctuation; ``13.5`` or ``12:30`` between digits are left alone. A bracket pair
    is flagged as a whole when either half is.
    """
    flagged: set[int] = set()
    opens: list[int] = []
    pairs: dict[int, int] = {}
    for i, ch in enumerate(s):
        if ch not in FULLWIDTH_PUNCT:
            continue
        if ch == "(":
            opens.append(i)
        elif ch == ")" and opens:
            j = opens.pop()
            pairs[i], pairs[j] = j, i
        left, right = _neighbour(s, i, -1), _neighbour(s, i, 1)
        if (left and _is_chinese_context(left)) or (right and _is_chinese_context(right)):
            flagged.add(i)
    for i in list(flagged):
        if i in pairs:
            flagged.add(pairs[i])
    return [(i, s[i]) for i in sorted(flagged)]


def to_fullwidth_punct(s: str) -> str:
    """``s`` with every mark found by :func:`ascii_punct_in_chinese` replaced by its full-width form."""
    chars = list(s)
    for i, ch in ascii_punct_in_chinese(s):
        chars[i] = FULLWIDTH_PUNCT[ch]
    return "".join(chars)


def check_chinese_punct(s: str) -> None:
    """Raise if Chinese text uses ASCII punctuation; the message lists each mark and its replacement."""
    found = ascii_punct_in_chinese(s)
    if not found:
        return
    marks = list(dict.fromkeys(ch for _, ch in found))
    pairs_zh = "；".join(f"“{ch}”应为“{FULLWIDTH_PUNCT[ch]}”" for ch in marks)
    pairs_en = ", ".join(f"'{ch}' → '{FULLWIDTH_PUNCT[ch]}'" for ch in marks)
    raise RuleError(
        msg(
            "text.ascii_punct",
            "中文中请使用全角标点：{pairs_zh}（第{pos}个字符起）。",
            "Chinese text takes full-width punctuation: {pairs_en} (from character {pos}).",
            pairs_zh=pairs_zh,
            pairs_en=pairs_en,
            pos=found[0][0] + 1,
        )
    )


def missing_glyphs(s: str, covers: Callable[[str], bool]) -> list[str]:
    """Distinct characters of ``s`` (in order) that the print fonts cannot draw."""
    seen: dict[str, None] = {}
    for ch in s:
        if ch in " \n" or ch in seen:
            continue
        if not covers(ch):
            seen[ch] = None
    return list(seen)


def check_glyphs(s: str, covers: Callable[[str], bool]) -> None:
    """Raise naming the first characters the print fonts lack: they would print as blanks."""
    missing = missing_glyphs(s, covers)
    if not missing:
        return
    listed = "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in missing[:5])
    listed_en = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing[:5])
    raise RuleError(
        msg(
            "text.glyph",
            "印刷字库中没有{chars}，请改用其他写法或联系编辑部。",
            "The print fonts lack {chars_en}; rephrase or contact the desk.",
            chars=listed,
            chars_en=listed_en,
        )
    )
