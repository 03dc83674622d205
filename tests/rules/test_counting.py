import pytest
from hypothesis import given
from hypothesis import strategies as st

from notices_app.layout.types import NoticeText
from notices_app.rules.counting import count_notice_zi, count_zi


@pytest.mark.parametrize(
    ("text", "zi"),
    [
        ("", 0),
        ("遗失声明", 4),
        ("声明作废。", 5),
        ("（统一）：，", 6),  # full-width punctuation: 1 each
        ("(a)", 3),  # ASCII punctuation 1 each, the lone letter rounds up to 1
        ("12", 1),
        ("123", 2),
        ("3号楼5单元", 6),  # runs are counted separately, not pooled
        ("abcd", 2),
        ("abc", 2),
        ("4g", 1),  # digits and lowercase share a run
        ("ABC", 3),  # capitals count 1 each
        ("Ab", 2),
        ("１２", 2),  # full-width digits fill a cell each
        ("ａｂ", 2),
        ("a b", 2),  # the space ends the run and counts 0
        ("王 鹏\n李慧\t", 4),
        ("\u3000\u3000", 2),  # ideographic space prints as a cell
        ("370302NA000215", 8),  # 6 digits → 3, N, A, 6 digits → 3
        ("0533—2173002", 7),
        ("e\u0301", 1),  # combining accent counts 0
        ("中国·邢台", 5),
        ("¥45", 2),
    ],
)
def test_count_zi(text: str, zi: int) -> None:
    assert count_zi(text) == zi


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)))
def test_han_text_counts_one_per_character(text: str) -> None:
    assert count_zi(text) == len(text)


@given(st.text(alphabet="0123456789abcxyz", min_size=1))
def test_narrow_run_is_half_rounded_up(text: str) -> None:
    assert count_zi(text) == (len(text) + 1) // 2


def test_count_notice_includes_heading_unless_told() -> None:
    notice = NoticeText(
        heading="挂失", paragraphs=("声明作废。",), closing=("特此公告",), signature=("某公司",)
    )
    assert count_notice_zi(notice) == 2 + 5 + 4 + 3
    assert count_notice_zi(notice, include_heading=False) == 5 + 4 + 3
