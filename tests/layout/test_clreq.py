"""Truth tables of the character classes both the composer and the checker rely on."""

from __future__ import annotations

import pytest

from notices_app.layout import clreq
from notices_app.layout.clreq import CharClass
from notices_app.layout.types import Level


@pytest.mark.parametrize(
    ("ch", "expected"),
    [
        ("政", CharClass.HAN),
        ("〇", CharClass.HAN),
        ("カ", CharClass.HAN),
        ("A", CharClass.LATIN),
        ("é", CharClass.LATIN),
        ("7", CharClass.DIGIT),
        ("٣", CharClass.DIGIT),
        (" ", CharClass.SPACE),
        ("（", CharClass.OPENING),
        ("“", CharClass.OPENING),
        ("《", CharClass.OPENING),
        ("，", CharClass.CLOSING),
        ("。", CharClass.CLOSING),
        ("”", CharClass.CLOSING),
        ("》", CharClass.CLOSING),
        ("·", CharClass.MIDDLE),
        ("—", CharClass.DASH),
        ("…", CharClass.DASH),
        (",", CharClass.PUNCT),
        ("～", CharClass.PUNCT),
        ("😀", CharClass.OTHER),
        ("+", CharClass.OTHER),
    ],
)
def test_char_class(ch: str, expected: CharClass) -> None:
    assert clreq.char_class(ch) is expected


@pytest.mark.parametrize(
    ("ch", "basic", "gb", "strict"),
    [
        ("，", True, True, True),
        ("。", True, True, True),
        ("、", True, True, True),
        ("”", True, True, True),
        ("’", True, True, True),
        ("）", True, True, True),
        ("》", True, True, True),
        ("？", True, True, True),
        ("！", True, True, True),
        ("：", True, True, True),
        ("；", True, True, True),
        ("·", True, True, True),
        ("～", True, True, True),
        (",", True, True, True),
        ("—", False, False, True),
        ("…", False, False, True),
        ("“", False, False, False),
        ("（", False, False, False),
        ("政", False, False, False),
        ("A", False, False, False),
    ],
)
def test_line_start_prohibited(ch: str, basic: bool, gb: bool, strict: bool) -> None:
    got = [ch in clreq.LINE_START_PROHIBITED[lv] for lv in (Level.BASIC, Level.GB, Level.STRICT)]
    assert got == [basic, gb, strict]


@pytest.mark.parametrize(
    ("ch", "basic", "gb", "strict"),
    [
        ("（", True, True, True),
        ("《", True, True, True),
        ("“", True, True, True),
        ("‘", True, True, True),
        ("【", True, True, True),
        ("(", True, True, True),
        ("/", False, True, True),
        ("”", False, False, False),
        ("，", False, False, False),
        ("政", False, False, False),
    ],
)
def test_line_end_prohibited(ch: str, basic: bool, gb: bool, strict: bool) -> None:
    got = [ch in clreq.LINE_END_PROHIBITED[lv] for lv in (Level.BASIC, Level.GB, Level.STRICT)]
    assert got == [basic, gb, strict]


@pytest.mark.parametrize(
    ("ch", "word", "counts"),
    [
        ("a", True, True),
        ("5", True, True),
        ("%", True, False),
        (".", True, False),
        ("政", False, True),
        ("，", False, False),
        ("😀", False, True),
        (" ", False, False),
    ],
)
def test_word_and_counting(ch: str, word: bool, counts: bool) -> None:
    assert clreq.is_word_char(ch) is word
    assert clreq.counts_as_character(ch) is counts


@pytest.mark.parametrize(
    ("text", "level", "allowed"),
    [
        # break positions 1..len: 1 where a line may end before text[i]
        ("政府", Level.STRICT, [1, 1]),
        ("政，府", Level.STRICT, [0, 1, 1]),
        ("政“府”", Level.STRICT, [1, 0, 0, 1]),
        ("政——府", Level.STRICT, [0, 0, 1, 1]),
        ("政——府", Level.BASIC, [1, 0, 1, 1]),
        ("是13.5%的", Level.STRICT, [1, 0, 0, 0, 0, 1, 1]),
        ("电话0533—2173002", Level.STRICT, [1, 1] + [0] * 11 + [1]),
        ("ab cd", Level.STRICT, [0, 0, 1, 0, 1]),
        ("甲/乙", Level.BASIC, [1, 1, 1]),
        ("甲/乙", Level.GB, [1, 0, 1]),
    ],
)
def test_break_map(text: str, level: Level, allowed: list[int]) -> None:
    assert list(clreq.break_and_spacing_maps(text, level)[0])[1:] == allowed
