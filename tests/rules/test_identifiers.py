"""Identifier truth tables; valid vectors are computed here a second, independent way."""

from __future__ import annotations

import random
from datetime import date

import pytest
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from notices_app.rules.identifiers import (
    USCC_ALPHABET,
    check_reg15,
    check_ric,
    check_uscc,
    classify_reg_number,
)
from notices_app.rules.messages import RuleError

# Published on the companies' licences and public filings (found in public sources).
REAL_USCC = [
    "914403001922038216",  # 华为技术有限公司
    "91310115MA1K427762",  # 享道出行(上海)科技股份有限公司
    "91330108MA27Y5XH5G",  # 杭州趣链科技有限公司
    "91350206MA2XN2XQ4A",  # 厦门科汛软件有限公司
]
# The worked example of GB 11643-1999.
STANDARD_RIC = "11010519491231002X"

_WEIGHTS_BY_POWER = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, … — the standard's weights


def uscc_by_search(body: str) -> str:
    """The check character as the one that makes the full weighted sum ≡ 0 (mod 31).

    Written as a search over the alphabet with weights as powers of 3, rather than the
    standard's closed form used by the code under test.
    """
    partial = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, _WEIGHTS_BY_POWER, strict=True))
    (check,) = [c for c in USCC_ALPHABET if (partial + USCC_ALPHABET.index(c)) % 31 == 0]
    return body + check


def random_uscc_body(rng: random.Random, first: str = "9") -> str:
    region = "".join(rng.choice("0123456789") for _ in range(6))
    subject = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return first + rng.choice("123") + region + subject


def ric_with_check(body17: str) -> str:
    return body17 + stdnum_ric.calc_check_digit(body17 + "0")


def error_code(fn: object, value: str) -> str:
    with pytest.raises(RuleError) as info:
        fn(value)  # type: ignore[operator]
    # Every message must render in both languages (a missing template parameter would raise).
    assert info.value.message.render("zh") and info.value.message.render("en")
    return info.value.message.code


def test_weights_are_powers_of_three() -> None:
    from notices_app.rules.identifiers import USCC_WEIGHTS

    assert list(USCC_WEIGHTS) == _WEIGHTS_BY_POWER


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_credit_codes_are_valid(code: str) -> None:
    assert check_uscc(code) == code
    assert stdnum_uscc.is_valid(code)


def test_random_codes_agree_with_the_search_formulation_and_stdnum() -> None:
    rng = random.Random(2015)
    for _ in range(300):
        code = uscc_by_search(random_uscc_body(rng))
        assert check_uscc(code) == code
        assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize("first", ["N", "Y", "A", "1", "5"])
def test_codes_starting_with_any_department_are_valid(first: str) -> None:
    code = uscc_by_search(random_uscc_body(random.Random(first), first=first))
    assert check_uscc(code) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 914403001922038216 ", "914403001922038216"),
        ("91310115ma1k427762", "91310115MA1K427762"),
        ("９１４４０３００１９２２０３８２１６", "914403001922038216"),
    ],
)
def test_credit_code_is_normalised(raw: str, expected: str) -> None:
    assert check_uscc(raw) == expected


def test_every_single_character_change_is_caught() -> None:
    code = REAL_USCC[1]
    for pos in range(18):
        for ch in USCC_ALPHABET:
            if ch != code[pos]:
                changed = code[:pos] + ch + code[pos + 1 :]
                assert error_code(check_uscc, changed) == "uscc.check", changed


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91440300192203821", "uscc.length"),
        ("9144030019220382160", "uscc.length"),
        ("", "uscc.length"),
        ("9144030019220382I6", "uscc.letter"),
        ("91310115MA1K4277O2", "uscc.letter"),
        ("S14403001922038216", "uscc.letter"),
        ("914403001922038V16", "uscc.letter"),
        ("91440300192203821Z", "uscc.letter"),
        ("9144030019220 8216", "uscc.char"),
        ("91440300-922038216", "uscc.char"),
        ("914403001922038217", "uscc.check"),
    ],
)
def test_credit_code_errors(value: str, code: str) -> None:
    assert error_code(check_uscc, value) == code


def test_credit_code_messages_are_specific() -> None:
    with pytest.raises(RuleError) as info:
        check_uscc("91440300192203821")
    assert info.value.message.render("zh") == "统一社会信用代码应为18位，现为17位。"
    assert "17" in info.value.message.render("en")
    with pytest.raises(RuleError) as info:
        check_uscc("9144030019220382I6")
    assert "第17位的“I”" in info.value.message.render("zh")
    with pytest.raises(RuleError) as info:
        check_uscc("914403001922038217")
    zh = info.value.message.render("zh")
    assert "营业执照" in zh
    # The expected check character (6) is not leaked: that would invite "fixing" a typo elsewhere.
    assert "“6”" not in zh and "'6'" not in info.value.message.render("en")


def test_reg15_agrees_with_iso7064_mod_11_10() -> None:
    rng = random.Random(2006)
    for _ in range(300):
        body = "".join(rng.choice("0123456789") for _ in range(14))
        number = body + mod_11_10.calc_check_digit(body)
        assert check_reg15(number) == number
        assert classify_reg_number(number).kind == "reg15"
        wrong = body + str((int(number[-1]) + 1) % 10)
        assert error_code(check_reg15, wrong) == "reg15.check"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("37030200000021", "reg15.length"),
        ("3703020000002150", "reg15.length"),
        ("37030200000A215", "reg15.char"),
    ],
)
def test_reg15_errors(value: str, code: str) -> None:
    assert error_code(check_reg15, value) == code


@pytest.mark.parametrize(
    ("value", "normalised", "kind", "warned"),
    [
        ("370302NA000215X", "370302NA000215X", "coop", False),
        ("370302na000215x", "370302NA000215X", "coop", False),
        ("370302NA000215", "370302NA000215", "coop_truncated", True),
        (" 370302NA000215 ", "370302NA000215", "coop_truncated", True),
        ("370302000002153", "370302000002153", "reg15", False),
    ],
)
def test_classify_reg_number(value: str, normalised: str, kind: str, warned: bool) -> None:
    if kind == "reg15":
        assert mod_11_10.is_valid(normalised)
    reg = classify_reg_number(value)
    assert (reg.value, reg.kind, bool(reg.warnings)) == (normalised, kind, warned)


def test_truncated_coop_warning_suggests_the_missing_x() -> None:
    (warning,) = classify_reg_number("370302NA000215").warnings
    assert warning.code == "reg.coop_truncated"
    assert "370302NA000215X" in warning.render("zh")
    assert "370302NA000215X" in warning.render("en")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("370302NB000215X", "reg.coop_format"),
        ("370302NA00021X", "reg.coop_format"),
        ("370302NA0002", "reg.coop_format"),
        ("37030200000215", "reg15.length"),
        ("370302000002152", "reg15.check"),
        ("", "reg15.length"),
    ],
)
def test_reg_number_errors(value: str, code: str) -> None:
    assert error_code(classify_reg_number, value) == code


def test_standard_ric_example_is_valid() -> None:
    assert check_ric(STANDARD_RIC) == STANDARD_RIC
    assert check_ric(STANDARD_RIC.lower()) == STANDARD_RIC


def test_ric_agrees_with_stdnum_on_generated_numbers() -> None:
    rng = random.Random(11643)
    for _ in range(300):
        born = date(1940, 1, 1).toordinal() + rng.randrange(25000)
        body = "370302" + date.fromordinal(born).strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        number = ric_with_check(body)
        assert check_ric(number) == number
        assert stdnum_ric.is_valid(number)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002", "ric.length"),
        ("11010519491231002X1", "ric.length"),
        ("1101051949123100X2", "ric.char"),
        ("11010519491231 02X", "ric.char"),
        ("11010519491231002Y", "ric.char"),
        (ric_with_check("990105194912310"[:15] + "02"), "ric.region"),
        (ric_with_check("00010519491231002"), "ric.region"),
        (ric_with_check("37030219850230001"), "ric.birth_date"),
        (ric_with_check("37030218991231001"), "ric.birth_date"),
        (ric_with_check("37030219851301001"), "ric.birth_date"),
        ("110105194912310021", "ric.check"),
    ],
)
def test_ric_errors(value: str, code: str) -> None:
    assert error_code(check_ric, value) == code


def test_ric_birth_date_cannot_be_after_today() -> None:
    number = ric_with_check("37030220131021001")
    assert check_ric(number, today=date(2013, 10, 21)) == number
    with pytest.raises(RuleError) as info:
        check_ric(number, today=date(2013, 10, 20))
    assert info.value.message.code == "ric.birth_date"


def test_ric_check_message_does_not_echo_the_number() -> None:
    with pytest.raises(RuleError) as info:
        check_ric("110105194912310021")
    assert "110105" not in info.value.message.render("zh")
    assert "110105" not in info.value.message.render("en")
