"""The web copy's masking: ID numbers keep at most 6 + 4 characters, names become initials."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notices_app.rules.identifiers import reg15_check_digit, ric_check_char, uscc_check_char
from notices_app.rules.masking import (
    MASK,
    hide_names_in_text,
    id_spans,
    is_id_number,
    mask_id_number,
    mask_ids_in_text,
    name_initial,
    name_spans,
    web_fields,
)
from notices_app.rules.wording import notice_text
from notices_app.services.demo import lost_license_fields, termination_fields

SEED_IDS = [e["id_number"] for e in termination_fields(date(2013, 10, 21))["employees"]]


def visible(masked: str) -> int:
    return sum(1 for c in masked if c != MASK)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("370303198803122016", "370303********2016"),
        ("37030319880312201X", "370303********201X"),
        ("37030319880312201x", "370303********201x"),
        (" 370303198803122016 ", "370303********2016"),
        ("370303880312201", "370303*****2201"),  # the old 15-digit number
        ("３７０３０３１９８８０３１２２０１６", "３７０３０３********２０１６"),  # typed full-width
        ("3703031988031220", "****************"),  # 16 characters: not an ID number
        ("3703031988031220161", "*******************"),  # 19
        ("37030319880312201Y", "******************"),
        ("E12345678", "*********"),  # a passport number: shown not at all
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_id_number_truth_table(value: str, expected: str) -> None:
    assert mask_id_number(value) == expected
    assert visible(mask_id_number(value)) <= 10


@given(st.text(max_size=40))
def test_mask_id_number_never_shows_more_than_six_and_four(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value.strip())
    shown = [i for i, c in enumerate(masked) if c != MASK]
    assert len(shown) <= 10
    # The visible characters are the first 6 and last 4, never the middle (the birth date).
    assert all(i < 6 or i >= len(masked) - 4 for i in shown)
    if shown:
        assert is_id_number(value)


def _ric(body: str) -> str:
    return body + ric_check_char(body)


id_numbers = st.builds(
    lambda region, birth, seq: _ric(f"{region}{birth:%Y%m%d}{seq:03d}"),
    st.sampled_from(["370303", "110101", "440305", "650102"]),
    st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31)),
    st.integers(0, 999),
)
# Text around the number: Chinese, ASCII and full-width digits and letters, punctuation.
surroundings = st.text(
    alphabet=st.sampled_from("身份证号码：:（）()、，X x0123456789０１２ABC王鹏\n "), max_size=12
)


@settings(max_examples=300)
@given(before=surroundings, number=id_numbers, after=surroundings)
def test_an_id_number_in_free_text_never_shows_more_than_ten_characters(
    before: str, number: str, after: str
) -> None:
    text = before + number + after
    masked = mask_ids_in_text(text)
    assert len(masked) == len(text)
    assert number not in masked
    start = len(before)
    shown = [i for i in range(start, start + len(number)) if masked[i] == text[i] and masked[i] != MASK]
    assert len(shown) <= 10
    # The birth date (characters 7 to 14) is always hidden.
    assert masked[start + 6 : start + 14] == MASK * 8


def test_free_text_keeps_phone_numbers_and_organisation_codes() -> None:
    uscc = "91370300MA3C4XYW0" + uscc_check_char("91370300MA3C4XYW0")
    # An all-digit credit code (its check character a digit) that is no valid ID number.
    digits_uscc = next(
        code
        for n in range(1000)
        if (body := f"91370300{n:09d}")
        and (code := body + uscc_check_char(body))[-1].isdigit()
        and ric_check_char(body) != code[-1]
    )
    reg_body = "37030260001234"
    reg15 = reg_body + reg15_check_digit(reg_body)
    text = f"电话13953312345、0533—2173002；代码{uscc}；注册号{reg15}；{digits_uscc}；身份证{SEED_IDS[0]}"
    masked = mask_ids_in_text(text)
    for kept in ("13953312345", "0533—2173002", uscc, reg15):
        assert kept in masked
    assert SEED_IDS[0] not in masked and "370303********2016" in masked
    assert digits_uscc in masked
    # An explicit keep list wins (the notice's own organisation code).
    assert mask_ids_in_text(f"代码{SEED_IDS[1]}", keep=[SEED_IDS[1]]) == f"代码{SEED_IDS[1]}"
    # Long digit runs (an ID run together with other digits, a bank card) are masked too.
    assert mask_ids_in_text("6222021234567890123") == "622202*********0123"


def test_id_spans_cover_the_middle_only() -> None:
    text = f"号码{SEED_IDS[0]}。"
    assert id_spans(text) == [(2 + 6, 2 + 14)]


@pytest.mark.parametrize(
    ("name", "initial"),
    [
        ("王鹏", "王某"),
        ("李晓林", "李某"),
        ("欧阳娜娜", "欧阳某"),
        ("欧阳", "欧某"),
        ("司马光", "司马某"),
        ("张", "某"),
    ],
)
def test_name_initials(name: str, initial: str) -> None:
    assert name_initial(name) == initial


def test_latin_names_become_initials() -> None:
    assert name_initial("John Smith") == "J. S."
    assert name_initial("  ") == ""


def test_names_in_text_keep_the_surname_only() -> None:
    text = "王鹏、李晓林与李晓于2013年离职，王鹏未到岗"
    assert hide_names_in_text(text, ["王鹏", "李晓林", "李晓"]) == "王某、李某与李某于2013年离职，王某未到岗"
    spans = name_spans(text, ["王鹏", "李晓林"])
    assert (1, 2) in spans and (4, 6) in spans


def test_web_fields_of_the_seed_termination_notice() -> None:
    fields = termination_fields(date(2013, 10, 21))
    fields["facts"] = f"王鹏（{SEED_IDS[0]}）多次旷工"
    shown = web_fields("termination", fields, hide_names=False)
    dump = json.dumps(shown, ensure_ascii=False)
    for number in SEED_IDS:
        assert number not in dump
        assert number[6:14] not in dump
    assert [e["id_number"] for e in shown["employees"]] == [mask_id_number(n) for n in SEED_IDS]
    assert "service_attempts" not in shown  # never printed, never on the web
    assert shown["credit_code"] == fields["credit_code"]
    assert "王鹏" in dump
    # The input is not changed: the print edition still gets everything.
    assert fields["employees"][0]["id_number"] == SEED_IDS[0]

    hidden = web_fields("termination", fields, hide_names=True)
    text = notice_text("termination", hidden)
    everything = json.dumps(hidden, ensure_ascii=False) + "".join(text.paragraphs)
    for name in ("王鹏", "李慧", "李晓林"):
        assert name not in everything
    assert "王某（身份证号：370303********2016）" in text.paragraphs[0]
    assert "王某（370303********2016）多次旷工" in hidden["facts"]


def test_web_fields_of_a_lost_licence_drop_the_contact() -> None:
    fields = lost_license_fields(date(2013, 10, 21))
    shown = web_fields("lost_license", fields, hide_names=True)
    assert "contact_name" not in shown and "contact_phone" not in shown
    assert shown["reg_number"] == "370302NA000215"
    assert notice_text("lost_license", shown) == notice_text("lost_license", fields)


NAMES = ["王鹏", "李慧", "李晓林", "欧阳娜娜", "张伟", "刘洋", "陈静", "赵敏"]


@settings(max_examples=150)
@given(
    people=st.lists(
        st.tuples(st.sampled_from(NAMES), id_numbers), min_size=1, max_size=4, unique_by=lambda p: p[0]
    ),
    hide=st.booleans(),
    facts=st.text(alphabet=st.sampled_from("旷工离职，。0123456789X"), max_size=20),
)
def test_web_fields_never_carry_a_full_id_or_a_hidden_name(
    people: list[tuple[str, str]], hide: bool, facts: str
) -> None:
    fields = termination_fields(date(2013, 10, 21))
    fields["employees"] = [{"name": n, "id_number": i} for n, i in people]
    fields["facts"] = facts + "".join(n + i for n, i in people)
    shown = web_fields("termination", fields, hide_names=hide)
    text = notice_text("termination", shown)
    everything = json.dumps(shown, ensure_ascii=False) + "\n".join(text.paragraphs)
    for name, number in people:
        assert number not in everything
        assert number[6:14] not in everything
        if hide:
            assert name not in everything
