"""Chinese registration identifiers: unified social credit code, old registration numbers, ID cards.

Implemented from the standards (GB 32100-2015, GS15-2006, GB 11643-1999 / ISO 7064) rather than
python-stdnum: stdnum's ``cn.uscc`` rejects valid codes that start with a letter (N…, Y…), and this
package must stay standard-library only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from notices_app.rules.messages import Message, RuleError, msg

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# GB/T 2260 province-level prefixes, plus 81/82/83 used on residence permits of Hong Kong,
# Macao and Taiwan residents.
RIC_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"}
    | {"65", "71", "81", "82", "83"}
)

_COOP = re.compile(r"[0-9]{6}NA[0-9]{6}X")
_COOP_TRUNCATED = re.compile(r"[0-9]{6}NA[0-9]{6}")

RegKind = Literal["reg15", "coop", "coop_truncated"]


@dataclass(frozen=True)
class RegNumber:
    """A registration number accepted by :func:`classify_reg_number`."""

    value: str
    kind: RegKind
    warnings: list[Message] = field(default_factory=list)


def normalise_identifier(s: str) -> str:
    """NFKC (full-width digits typed with a Chinese IME become ASCII), strip, upper-case."""
    return unicodedata.normalize("NFKC", s).strip().upper()


def _describe(ch: str) -> str:
    if ch.isspace():
        return "空格" if ch == " " else f"U+{ord(ch):04X}"
    return ch


def _describe_en(ch: str) -> str:
    if ch.isspace():
        return "a space" if ch == " " else f"U+{ord(ch):04X}"
    return ch


def uscc_check_char(body: str) -> str:
    """The check character for the first 17 characters of a unified social credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(s: str) -> str:
    """Validate a 统一社会信用代码 (GB 32100-2015) and return it normalised."""
    value = normalise_identifier(s)
    if len(value) != 18:
        raise RuleError(
            msg(
                "uscc.length",
                "统一社会信用代码应为18位，现为{length}位。",
                "The unified social credit code has 18 characters; this one has {length}.",
                length=len(value),
            )
        )
    for pos, ch in enumerate(value, start=1):
        if ch in USCC_ALPHABET:
            continue
        if ch in "IOSVZ":
            raise RuleError(
                msg(
                    "uscc.letter",
                    "统一社会信用代码第{pos}位的“{char}”有误：代码中不使用字母I、O、S、V、Z，请核对是否为数字1、0、5、2或其他字母。",
                    "Character {pos} of the unified social credit code, '{char}', is wrong: the code never "
                    "uses the letters I, O, S, V or Z (perhaps the digit 1, 0, 5 or 2?).",
                    pos=pos,
                    char=ch,
                )
            )
        raise RuleError(
            msg(
                "uscc.char",
                "统一社会信用代码第{pos}位的“{char}”不是允许的字符，代码只含数字和大写字母。",
                "Character {pos} of the unified social credit code, '{char_en}', is not allowed; the code "
                "has only digits and capital letters.",
                pos=pos,
                char=_describe(ch),
                char_en=_describe_en(ch),
            )
        )
    if uscc_check_char(value[:17]) != value[17]:
        # The expected character is deliberately not shown: a typo anywhere in the first 17
        # characters also "fixes" itself by changing the last one.
        raise RuleError(
            msg(
                "uscc.check",
                "统一社会信用代码“{value}”校验不通过，请对照营业执照逐位核对。",
                "The unified social credit code {value} fails its check; compare it character by "
                "character with the business licence.",
                value=value,
            )
        )
    return value


def reg15_check_digit(body: str) -> str:
    """ISO 7064 MOD 11,10 check digit for the first 14 digits of a GS15-2006 注册号."""
    p = 10
    for ch in body:
        s = (p + int(ch)) % 10
        if s == 0:
            s = 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


def check_reg15(s: str) -> str:
    """Validate an old 15-digit 注册号 (GS15-2006, ISO 7064 MOD 11,10) and return it normalised."""
    value = normalise_identifier(s)
    if len(value) != 15:
        raise RuleError(
            msg(
                "reg15.length",
                "注册号应为15位数字，现为{length}位。",
                "The registration number has 15 digits; this one has {length}.",
                length=len(value),
            )
        )
    for pos, ch in enumerate(value, start=1):
        if not ("0" <= ch <= "9"):
            raise RuleError(
                msg(
                    "reg15.char",
                    "注册号第{pos}位的“{char}”不是数字，15位注册号只含数字。",
                    "Character {pos} of the registration number, '{char_en}', is not a digit.",
                    pos=pos,
                    char=_describe(ch),
                    char_en=_describe_en(ch),
                )
            )
    if reg15_check_digit(value[:14]) != value[14]:
        raise RuleError(
            msg(
                "reg15.check",
                "注册号“{value}”校验不通过，请对照营业执照逐位核对。",
                "The registration number {value} fails its check; compare it digit by digit with the "
                "business licence.",
                value=value,
            )
        )
    return value


def classify_reg_number(s: str) -> RegNumber:
    """Accept a 15-digit 注册号 or a farmer-cooperative one (RRRRRR NA nnnnnn X).

    The seed's ``370302NA000215`` lacks the trailing X; such input is accepted with a warning the
    filer must confirm, because the licence in the filer's hand is the authority, not us.
    """
    value = normalise_identifier(s)
    if _COOP.fullmatch(value):
        return RegNumber(value, "coop")
    if _COOP_TRUNCATED.fullmatch(value):
        warning = msg(
            "reg.coop_truncated",
            "注册号“{value}”只有14位；农民专业合作社的注册号通常以X结尾（{value}X）。请对照营业执照核对。",
            "The registration number {value} has only 14 characters; a farmer cooperative's number "
            "usually ends in X ({value}X). Check it against the licence.",
            value=value,
        )
        return RegNumber(value, "coop_truncated", [warning])
    if "NA" in value[6:8] or value[6:8].isalpha():
        raise RuleError(
            msg(
                "reg.coop_format",
                "农民专业合作社注册号的格式应为6位数字、NA、6位数字、X（如370302NA000215X），“{value}”不符合。",
                "A farmer cooperative's registration number is 6 digits, NA, 6 digits and X "
                "(e.g. 370302NA000215X); {value} is not.",
                value=value,
            )
        )
    return RegNumber(check_reg15(value), "reg15")


def ric_check_char(body: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of a 居民身份证号."""
    total = sum(int(c) * w for c, w in zip(body, RIC_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def check_ric(s: str, today: date | None = None) -> str:
    """Validate an 18-character 居民身份证号 and return it normalised (upper-case X)."""
    value = normalise_identifier(s)
    if len(value) != 18:
        raise RuleError(
            msg(
                "ric.length",
                "身份证号码应为18位，现为{length}位。",
                "An ID card number has 18 characters; this one has {length}.",
                length=len(value),
            )
        )
    for pos, ch in enumerate(value, start=1):
        if "0" <= ch <= "9" or (pos == 18 and ch == "X"):
            continue
        raise RuleError(
            msg(
                "ric.char",
                "身份证号码第{pos}位的“{char}”有误：前17位为数字，第18位为数字或X。",
                "Character {pos} of the ID card number, '{char_en}', is wrong: the first 17 are "
                "digits, the 18th a digit or X.",
                pos=pos,
                char=_describe(ch),
                char_en=_describe_en(ch),
            )
        )
    if value[:2] not in RIC_PROVINCES:
        raise RuleError(
            msg(
                "ric.region",
                "身份证号码前6位“{region}”不是有效的地区代码。",
                "The first six digits of the ID card number, {region}, are not a valid region code.",
                region=value[:6],
            )
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > (today or date.today()):
        raise RuleError(
            msg(
                "ric.birth_date",
                "身份证号码第7至14位“{digits}”不是有效的出生日期。",
                "Digits 7 to 14 of the ID card number, {digits}, are not a valid date of birth.",
                digits=value[6:14],
            )
        )
    if ric_check_char(value[:17]) != value[17]:
        # No echo of the number: these messages end up in logs and the number is personal data.
        raise RuleError(
            msg(
                "ric.check",
                "身份证号码校验不通过，请对照身份证逐位核对。",
                "The ID card number fails its check; compare it digit by digit with the ID card.",
            )
        )
    return value
