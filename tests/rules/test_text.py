"""Text cleaning and the full-width punctuation rule (clreq rule 15)."""

from __future__ import annotations

import pytest

from notices_app.rules.messages import RuleError
from notices_app.rules.text import (
    ascii_punct_in_chinese,
    check_chinese_punct,
    check_glyphs,
    clean_text,
    missing_glyphs,
    to_fullwidth_punct,
)


@pytest.mark.parametrize(
    ("raw", "multiline", "expected"),
    [
        ("  中航钛业有限公司  ", False, "中航钛业有限公司"),
        ("中航\x00钛业\x07有限公司", False, "中航钛业有限公司"),
        ("中航\u200b钛业\ufeff", False, "中航钛业"),
        ("第一段  \r\n第二段\r\n", True, "第一段\n第二段"),
        ("第一段\r第二段", True, "第一段\n第二段"),
        ("第一段\n\n\n\n第二段", True, "第一段\n\n第二段"),
        ("单行\n文字", False, "单行 文字"),
        ("甲\t乙", False, "甲 乙"),
        ("e\u0301", False, "\u00e9"),
        ("坏\ud800字", False, "坏字"),
    ],
)
def test_clean_text(raw: str, multiline: bool, expected: str) -> None:
    assert clean_text(raw, multiline=multiline) == expected


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("私自离职,长期旷工", [(4, ",")]),
        ("声明作废.", [(4, ".")]),
        ("淄博(注册号)", [(2, "("), (6, ")")]),
        ("合作社(370302NA000215)", [(3, "("), (18, ")")]),
        ("“淄博发布”, 欢迎", [(6, ",")]),
        ("电话: 0533—2173002", [(2, ":")]),
        ("增长13.5%", []),
        ("14:48分", []),
        ("Hello, world!", []),
        ("全角，标点。没问题：", []),
        ("(a)", []),
    ],
)
def test_ascii_punct_in_chinese(text: str, flagged: list[tuple[int, str]]) -> None:
    assert ascii_punct_in_chinese(text) == flagged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("私自离职,长期旷工.", "私自离职，长期旷工。"),
        ("合作社(370302NA000215)声明作废!", "合作社（370302NA000215）声明作废！"),
        ("增长13.5%;", "增长13.5%;"),
        ("是否?是", "是否？是"),
    ],
)
def test_to_fullwidth_punct(text: str, expected: str) -> None:
    assert to_fullwidth_punct(text) == expected


def test_punct_message_names_mark_and_replacement() -> None:
    with pytest.raises(RuleError) as info:
        check_chinese_punct("私自离职,长期旷工,严重违反(公司)制度")
    zh = info.value.message.render("zh")
    assert "“,”应为“，”" in zh and "“(”应为“（”" in zh
    assert zh.count("“,”") == 1  # each mark is listed once
    assert "',' → '，'" in info.value.message.render("en")
    check_chinese_punct("私自离职，长期旷工。")


def test_glyph_check_names_character_and_code_point() -> None:
    def covers(ch: str) -> bool:
        return ch != "𠮷"

    assert missing_glyphs("𠮷野家𠮷", covers) == ["𠮷"]
    with pytest.raises(RuleError) as info:
        check_glyphs("𠮷野家", covers)
    assert "“𠮷”（U+20BB7）" in info.value.message.render("zh")
    assert "U+20BB7" in info.value.message.render("en")
    check_glyphs("吉野家", covers)
