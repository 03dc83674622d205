"""The checker must catch each rule it claims, or a clean composer report means nothing."""

from __future__ import annotations

import pytest
from layouthelpers import MEASURE, SIZE, set_line

from notices_app.layout.clreq_check import CheckLine, check
from notices_app.layout.types import Level

EM = SIZE
FULL = "政" * 17


def _rules(lines: list[CheckLine], level: Level = Level.STRICT, **kw: object) -> list[tuple[int, int]]:
    return [(v.rule, v.line_index) for v in check(lines, 0.0, MEASURE, level=level, **kw)]  # type: ignore[arg-type]


def test_clean_lines_pass() -> None:
    assert _rules([set_line(FULL), set_line(FULL), set_line("政府。", last=True)]) == []


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # rule 1: a comma opening line 2
        ([set_line(FULL), set_line("，" + "政" * 16), set_line("政府", last=True)], [(1, 1)]),
        ([set_line(FULL), set_line("”" + "政" * 16), set_line("政府", last=True)], [(1, 1)]),
        # rule 2: an opening quote closing line 1
        ([set_line("政" * 16 + "“"), set_line("政府”", last=True)], [(2, 0)]),
        # rule 3: a dash pair split across lines (also strict rule 1 on line 2)
        ([set_line("政" * 16 + "—"), set_line("—政府", last=True)], [(3, 0), (1, 1)]),
        # rule 4: ReportLab's hanging comma: a full em into the gutter
        ([set_line(FULL + "，"), set_line("政府", last=True)], [(4, 0), (5, 0)]),
        # rule 5: a ragged line
        ([set_line("政" * 15), set_line("政府", last=True)], [(5, 0)]),
        # rule 7: 。” each a full em
        ([set_line("政" * 10 + "。”" + "政" * 5), set_line("政府", last=True)], [(7, 0)]),
        # rule 9: a number split
        ([set_line("政" * 13 + "1" * 8), set_line("3.5%政府", last=True)], [(9, 0)]),
        # rule 10: an orphan
        ([set_line(FULL), set_line("府。", last=True)], [(10, 1)]),
    ],
    ids=[
        "comma-start",
        "quote-start",
        "quote-end",
        "dash-split",
        "hanging",
        "ragged",
        "marks",
        "number",
        "orphan",
    ],
)
def test_each_rule_is_detected(lines: list[CheckLine], expected: list[tuple[int, int]]) -> None:
    assert _rules(lines) == expected


def test_levels_differ_on_dash_at_line_start() -> None:
    lines = [set_line("政" * 15 + "——"), set_line("——" + "政" * 15), set_line("政府", last=True)]
    assert _rules(lines, Level.BASIC) == []
    assert _rules(lines, Level.STRICT) == [(1, 1)]


def test_levels_differ_on_slash_at_line_end() -> None:
    lines = [set_line("政" * 16 + "/", advances=[EM] * 17), set_line("政府", last=True)]
    assert _rules(lines, Level.BASIC) == []
    assert _rules(lines, Level.GB) == [(2, 0)]


def test_trimmed_closing_mark_at_line_end_is_flush() -> None:
    # As read back from a PDF: the comma's font width is a full em, its visible half ends the line.
    line = set_line("政" * 16 + "，", advances=[EM * 16.5 / 16] * 16 + [EM])
    assert _rules([line, set_line("政府", last=True)]) == []


def test_indent_and_compressed_opening_bracket_on_first_line() -> None:
    first = set_line("“" + "政" * 15, x0=1.5 * EM, advances=[0.5 * EM] + [EM] * 15)
    assert _rules([first, set_line("政府", last=True)], indent=2 * EM) == []
    assert _rules([first, set_line("政府", last=True)], indent=0.0) == [(5, 0)]


@pytest.mark.parametrize(("source", "expected"), [("abc def", []), ("abcdef", [(9, 0)])])
def test_word_split_uses_the_source_when_given(source: str, expected: list[tuple[int, int]]) -> None:
    lines = [
        set_line("政" * 14 + "abc", advances=[EM * 15.5 / 14] * 14 + [0.5 * EM] * 3),
        set_line("def", last=True),
    ]
    assert _rules(lines, sources=["政" * 14 + source]) == expected
    assert _rules(lines) == []  # letter|letter without a source: a word space is invisible


def test_two_line_paragraph_with_one_char_is_an_orphan_but_one_line_is_not() -> None:
    assert _rules([set_line("好", last=True)]) == []
    assert _rules([set_line(FULL), set_line("好", last=True)]) == [(10, 1)]
