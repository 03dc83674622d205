"""The composer against the clreq rules: adversarial paragraphs, the seed story, robustness."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layouthelpers import MEASURE, SIZE, H, mono, proportional, style, texts, violations

from notices_app.layout.clreq_check import Violation, check, lines_from_composed
from notices_app.layout.composer import compose
from notices_app.layout.types import ComposedLine, Level

SEED = Path(__file__).with_name("seed-page.txt")  # a copy of /work/shared/reference/seed-page.txt
EM = SIZE

# Each snippet is slid across every position of a line, so that a greedy breaker would at some
# offset put the forbidden mark at a line start or end, split the unit, or split the number.
ADVERSARIAL = {
    "comma": "政府，",
    "full stop and quote": "发布。”",
    "close-open quotes": "博”“淄",
    "quote enumeration": "“今日张店”、“新淄川”等",
    "opening quote": "“淄博发布”",
    "brackets": "（记者李超）",
    "book title": "《政府信息公开条例》",
    "dash pair": "网络——文化",
    "ellipsis pair": "见面啦！……”",
    "percentage": "增长13.5%的",
    "phone": "电话0533—2173002，",
    "3G": "利用3G手机",
    "url": "见http://www.zibo.gov.cn/news页",
    "latin words": "使用Open Source软件",
    "middle dot": "中国·邢台",
}


def _every_offset(snippet: str) -> list[str]:
    return [H * k + snippet + H * 40 for k in range(19)] + [H * 32 + snippet[:2]]


def _unavoidable(lines: list[ComposedLine], v: Violation) -> bool:
    # A single glyph before a word too long for the rest of its line cannot be spread out.
    return v.rule == 5 and len(lines[v.line_index].glyphs) == 1


def _assert_flush(lines: list[ComposedLine], measure: float = MEASURE) -> None:
    for line in lines:
        for g in line.glyphs:
            assert g.x + g.advance <= measure + 0.01 or g.advance == 0
        if not line.last and len(line.glyphs) > 1:
            assert line.width == pytest.approx(measure, abs=0.01)
            last = line.glyphs[-1]
            if last.ch != "·":  # a trimmed centred mark is drawn a quarter em left of its box
                assert last.x + last.advance == pytest.approx(measure, abs=0.01)


@pytest.mark.parametrize("advance", [mono, proportional], ids=["mono", "proportional"])
@pytest.mark.parametrize("snippet", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_adversarial_paragraphs_have_no_violations(snippet: str, advance: object) -> None:
    for text in _every_offset(snippet):
        lines, found = violations(text, advance=advance)
        found = [v for v in found if not _unavoidable(lines, v)]
        assert found == [], (texts(lines), found)
        _assert_flush(lines)
        assert "".join(texts(lines)).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("level", list(Level))
def test_every_level_resolves_its_own_prohibitions(level: Level) -> None:
    for snippet in ADVERSARIAL.values():
        for text in _every_offset(snippet):
            lines, found = violations(text, level=level)
            found = [v for v in found if not _unavoidable(lines, v)]
            assert found == [], (level, texts(lines), found)


def test_comma_is_pushed_in_not_left_at_line_start() -> None:
    # The first line holds 15 characters after the indent; greedy breaking starts line 2 with ，.
    lines, _ = violations(H * 15 + "，" + H * 30)
    assert texts(lines)[0].endswith("，") or not texts(lines)[1].startswith("，")
    assert not texts(lines)[1].startswith("，")


def test_push_in_compresses_punctuation_when_cheaper_than_push_out() -> None:
    text = H * 5 + "，" + H * 9 + "，" + H * 30
    lines, _ = violations(text)
    first = lines[0]
    assert texts(lines)[0] == H * 5 + "，" + H * 9 + "，"
    comma = first.glyphs[5]
    assert comma.advance == pytest.approx(0.5 * EM)  # compressed to make room
    assert first.glyphs[-1].advance == pytest.approx(0.5 * EM)  # rule 6: trimmed at line end


def test_push_out_when_nothing_can_be_compressed() -> None:
    text = H * 15 + "。" + H * 30
    lines, _ = violations(text)
    assert texts(lines)[0] == H * 14
    assert texts(lines)[1].startswith(H + "。")
    assert lines[0].width == pytest.approx(MEASURE)
    assert lines[0].glyphs[1].x - lines[0].glyphs[0].x == pytest.approx(EM + EM / 13)


@pytest.mark.parametrize(
    ("level", "starts_with_dash"), [(Level.BASIC, True), (Level.GB, True), (Level.STRICT, False)]
)
def test_dash_pair_at_line_start_only_outside_strict(level: Level, starts_with_dash: bool) -> None:
    lines, found = violations(H * 15 + "——" + H * 30, level=level)
    assert found == []
    assert texts(lines)[1].startswith("——") is starts_with_dash
    assert all(not t.endswith("—") or t.endswith("——") for t in texts(lines))


@pytest.mark.parametrize(("level", "slash_ends_line"), [(Level.BASIC, True), (Level.GB, False)])
def test_slash_at_line_end_only_in_basic(level: Level, slash_ends_line: bool) -> None:
    lines, _ = violations(H * 14 + "/" + H * 30, level=level, advance=lambda c: 1.0)
    assert texts(lines)[0].endswith("/") is slash_ends_line


def test_number_is_never_split() -> None:
    for k in range(17):
        lines, _ = violations(H * k + "13.5%" + H * 40)
        assert any("13.5%" in t for t in texts(lines)), texts(lines)


def test_no_orphan_on_the_last_line() -> None:
    lines, found = violations(H * 32 + "字。")
    assert found == []
    assert len(texts(lines)[-1].rstrip("。")) >= 2
    assert not lines[-2].last and lines[-2].width == pytest.approx(MEASURE)


def test_first_line_is_indented_two_em_and_opening_bracket_loses_half() -> None:
    lines, _ = violations(H * 40)
    assert lines[0].glyphs[0].x == pytest.approx(2 * EM)
    assert lines[1].glyphs[0].x == 0
    lines, found = violations("（" + H * 40)
    assert found == []
    bracket, han = lines[0].glyphs[:2]
    assert bracket.x == pytest.approx(1.5 * EM)  # drawn half an em left: its ink half is kept
    # The bracket's box is half an em plus the line's justification spacing.
    assert han.x - bracket.x - bracket.advance == pytest.approx(0.5 * EM)
    assert han.x - bracket.x < 1.6 * EM


def test_adjacent_marks_take_one_and_a_half_em() -> None:
    [line] = compose("好。”“再", style(indent_em=0), mono)
    g = line.glyphs
    assert g[1].advance == pytest.approx(0.5 * EM)  # 。 keeps its left half
    assert g[2].advance == pytest.approx(0.5 * EM)  # ” before “ keeps its left half
    assert g[3].advance == pytest.approx(1.0 * EM)
    assert g[2].x == pytest.approx(g[1].x + 0.5 * EM)
    [line] = compose("甲（《乙", style(indent_em=0), mono)
    g = line.glyphs
    assert g[1].advance == pytest.approx(1.0 * EM)
    assert g[2].advance == pytest.approx(0.5 * EM)  # 《 after （ keeps its right half
    assert g[2].x == pytest.approx(2.0 * EM - 0.5 * EM)


def test_quarter_em_between_han_and_latin_but_not_at_line_edges() -> None:
    [line] = compose("利用3G手机", style(indent_em=0), mono)
    x = [g.x for g in line.glyphs]
    assert x[2] - x[1] == pytest.approx(1.25 * EM)
    assert x[4] - x[3] == pytest.approx(0.75 * EM)
    lines = compose(H * 16 + "AB" + H * 30, style(indent_em=0), mono)
    for line in lines:
        assert line.glyphs[0].x == 0


def test_latin_words_break_at_spaces_and_spaces_stretch() -> None:
    text = "the quick brown fox jumps over the lazy dog " * 4
    lines, found = violations(text.strip(), advance=proportional)
    assert [v for v in found if v.rule != 5 or v.line_index == len(lines) - 1] == []
    for t in texts(lines):
        assert not t.startswith(" ") and not t.endswith(" ")
        for word in t.split(" "):
            assert word in text.split(" ")


@pytest.mark.parametrize("align", ["left", "center", "right"])
def test_unjustified_alignments(align: str) -> None:
    [line] = compose("特此公告", style(indent_em=0, align=align), mono)
    offset = {"left": 0.0, "center": (MEASURE - 4 * EM) / 2, "right": MEASURE - 4 * EM}[align]
    assert line.glyphs[0].x == pytest.approx(offset)
    assert [g.advance for g in line.glyphs] == pytest.approx([EM] * 4)


def _seed_story() -> list[str]:
    lines = [ln.strip() for ln in SEED.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines[: lines.index("公告")]


@pytest.mark.parametrize("advance", [mono, proportional], ids=["mono", "proportional"])
@pytest.mark.parametrize("level", list(Level))
def test_seed_story_has_no_violations(advance: object, level: Level) -> None:
    story = _seed_story()
    assert len(story) > 20
    total_lines = 0
    for para in story:
        lines, found = violations(para, level=level, advance=advance)
        assert found == [], (texts(lines), found)
        _assert_flush(lines)
        total_lines += len(lines)
    assert total_lines > 80


@pytest.mark.parametrize(
    "text",
    [
        "x" * 300,
        "http://example.com/" + "a" * 280,
        H * 3 + "y" * 300 + H * 3,
        "，" * 60,
        "。”“（《" * 20,
        "——" * 30,
        "……" * 30,
        "（" * 40,
        "😀👍🏽👨‍👩‍👧" * 10 + H * 20 + "🀄",
        "e\u0301" * 50,
        H + "\ue000\U000f0000" * 30,
    ],
    ids=[
        "latin",
        "url",
        "latin-in-han",
        "commas",
        "marks",
        "dashes",
        "ellipses",
        "openings",
        "emoji",
        "combining",
        "private-use",
    ],
)
@pytest.mark.parametrize(
    "advance", [mono, proportional, lambda c: 0.0, lambda c: 1.0], ids=["mono", "prop", "zero", "one"]
)
def test_hostile_input_composes_within_the_measure(text: str, advance: object) -> None:
    lines = compose(text, style(), advance)  # type: ignore[arg-type]
    assert "".join(texts(lines)) == text
    for line in lines:
        assert line.glyphs
        for g in line.glyphs:
            assert g.x + g.advance <= MEASURE + 0.01
            assert g.x >= -EM


def test_empty_and_blank_text() -> None:
    assert compose("", style(), mono) == []
    assert compose("   ", style(), mono) == []


def test_nonsense_advances_do_not_crash() -> None:
    lines = compose(H * 40, style(), lambda c: float("nan"))
    assert "".join(texts(lines)) == H * 40


def test_twenty_thousand_characters_compose_in_linear_time() -> None:
    story = "".join(_seed_story()) * 8
    text = story[:20_000]
    started = time.perf_counter()
    lines = compose(text, style(), mono)
    elapsed = time.perf_counter() - started
    assert "".join(texts(lines)) == text.strip()
    assert elapsed < 0.5  # ~20 ms on the dev machine; a quadratic step would take seconds
    found = check(lines_from_composed(lines, 0.0, SIZE), 0.0, MEASURE, indent=2 * EM, tol=0.01)
    assert found == []


_ALPHABET = st.sampled_from(list("政府淄博发布网络文化，。、；：？！“”‘’（）《》——……·ab3G.% "))


@settings(max_examples=150, deadline=None)
@given(st.text(_ALPHABET, min_size=1, max_size=120), st.sampled_from(list(Level)))
def test_random_paragraphs_stay_inside_the_measure_and_justified(text: str, level: Level) -> None:
    lines = compose(text, style(level), mono)
    assert "".join(texts(lines)).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        for g in line.glyphs:
            assert g.x + g.advance <= MEASURE + 0.01
        if not line.last and len(line.glyphs) > 1:
            assert line.width == pytest.approx(MEASURE, abs=0.01)
