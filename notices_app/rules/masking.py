"""What the web copy of a notice hides (domain: privacy).

ID card numbers keep at most their first 6 and last 4 characters; anything that is not a
well-formed ID number is hidden whole, because a value we cannot read is a value we cannot
safely half-show. Names of dismissed employees become their surname and 某 when the filer asked.
The print edition is the legal notice and carries everything; these rules only shape the web
copy. Pure: the standard library and the other rules modules only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from notices_app.rules.identifiers import reg15_check_digit, ric_check_char, uscc_check_char

MASK = "*"
KEEP_HEAD, KEEP_TAIL = 6, 4
MAX_VISIBLE = KEEP_HEAD + KEEP_TAIL
MIN_MASKED_RUN = 15  # the old 15-digit ID number; phone numbers (11-12 digits) stay readable
HIDDEN_NAME = "某"

# Full-width digits and letters typed with a Chinese IME map one-to-one onto ASCII, so spans
# found in the translated text are the spans of the original.
_WIDE = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
)
# Maximal runs of digits, with the X an ID number may end in: letters around a number (ID…,
# 号码…) do not hide it, and a credit code with letters inside never forms one long run.
_DIGITS = re.compile(r"[0-9]+")
_RIC18 = re.compile(r"[0-9]{17}[0-9X]")
_RIC15 = re.compile(r"[0-9]{15}")
_USCC_CHARS = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")

# Two-character surnames: 欧阳娜娜 becomes 欧阳某, not 欧某.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "呼延",
        "申屠",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "太叔",
        "钟离",
        "闻人",
        "赫连",
        "万俟",
        "拓跋",
        "百里",
        "东郭",
        "南门",
        "羊舌",
    ]
)

# Fields the wording never prints; the web copy must not carry them either.
NOT_PRINTED: Mapping[str, frozenset[str]] = {
    "lost_license": frozenset({"contact_name", "contact_phone"}),
    "termination": frozenset({"service_attempts"}),
    "general": frozenset(),
}
# Organisation identifiers: public by nature, and what searches look for.
ORG_CODE_FIELDS = frozenset({"credit_code", "reg_number"})


def _ascii(s: str) -> str:
    return s.translate(_WIDE)


def is_id_number(s: str) -> bool:
    """Shaped like a 居民身份证号: 18 characters (17 digits and a digit or X) or 15 digits."""
    value = _ascii(s).upper()
    return bool(_RIC18.fullmatch(value) or _RIC15.fullmatch(value))


def mask_id_number(s: str) -> str:
    """`370303198803122016` → `370303********2016`; any other value is masked whole.

    Never more than the first 6 and the last 4 characters stay visible, and a value that is not
    shaped like an ID number (shorter, longer, other characters) keeps none.
    """
    value = s.strip()
    if is_id_number(value):
        return value[:KEEP_HEAD] + MASK * (len(value) - MAX_VISIBLE) + value[-KEEP_TAIL:]
    return MASK * len(value)


def _valid_uscc(value: str) -> bool:
    return (
        len(value) == 18 and all(c in _USCC_CHARS for c in value) and uscc_check_char(value[:17]) == value[17]
    )


def _plausible_birth(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def _is_personal(token: str) -> bool:
    """Whether a run of digits in free text should be treated as an ID number.

    Runs of 15 or more digits are masked: ID numbers, ID numbers run together with other
    digits, bank card numbers. Organisation codes of an ID's shape stay readable: an all-digit
    统一社会信用代码 whose check character holds and that is not also a valid ID number, or a
    15-digit 注册号 whose check digit holds and whose middle is no birth date. When in doubt,
    the run is masked.
    """
    value = token.upper()
    if _RIC18.fullmatch(value):
        if ric_check_char(value[:17]) == value[17]:
            return True
        return not _valid_uscc(value)
    if _RIC15.fullmatch(value):
        return not (reg15_check_digit(value[:14]) == value[14] and not _plausible_birth(value[6:12]))
    return len(value) >= MIN_MASKED_RUN


def id_spans(text: str, keep: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans (start, end) of `text` to hide: the middle of every ID number in it.

    `keep` lists identifiers that must stay readable (the organisation's own codes).
    """
    kept = {_ascii(k).strip().upper() for k in keep if k}
    spans: list[tuple[int, int]] = []
    plain = _ascii(text)
    for m in _DIGITS.finditer(plain):
        start, end = m.span()
        if end - start >= 17 and plain[end : end + 1] in ("X", "x"):
            end += 1  # the check character of an ID number (digits before it may run on)
        token = plain[start:end]
        if token.upper() in kept or not _is_personal(token):
            continue
        spans.append((start + KEEP_HEAD, end - KEEP_TAIL))
    return spans


def surname(name: str) -> str:
    """The surname of a Chinese name (compound surnames included)."""
    name = name.strip()
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def name_initial(name: str) -> str:
    """王鹏 → 王某, 欧阳娜娜 → 欧阳某; a name in Latin letters → its initials (John Smith → J. S.)."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(f"{w[0].upper()}." for w in name.split())
    if len(name) == 1:
        return HIDDEN_NAME
    return surname(name) + HIDDEN_NAME


def name_spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of `text` to hide so that each of `names` shows only its surname."""
    spans: list[tuple[int, int]] = []
    for name in sorted({n.strip() for n in names if n and len(n.strip()) > 1}, key=len, reverse=True):
        keep = 1 if name.isascii() else len(surname(name))
        start = text.find(name)
        while start >= 0:
            spans.append((start + keep, start + len(name)))
            start = text.find(name, start + len(name))
    return spans


def _apply(text: str, spans: Sequence[tuple[int, int]]) -> str:
    hidden = [False] * len(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(text), end)):
            hidden[i] = True
    return "".join(MASK if h else c for c, h in zip(text, hidden, strict=True))


def mask_ids_in_text(text: str, keep: Iterable[str] = ()) -> str:
    """Free text with every ID number in it masked (first 6 and last 4 kept)."""
    return _apply(text, id_spans(text, keep))


def hide_names_in_text(text: str, names: Iterable[str]) -> str:
    """Free text with each of `names` reduced to its initial (王鹏 → 王某; 李晓林 → 李某)."""
    ordered = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    for name in ordered:
        text = text.replace(name, name_initial(name))
    return text


def employee_names(fields: Mapping[str, Any]) -> list[str]:
    """The names of the people a termination notice names."""
    out: list[str] = []
    for e in fields.get("employees") or []:
        if isinstance(e, Mapping) and str(e.get("name") or "").strip():
            out.append(str(e["name"]).strip())
    return out


def org_codes(fields: Mapping[str, Any]) -> list[str]:
    return [str(fields[k]).strip() for k in ORG_CODE_FIELDS if fields.get(k)]


def _mask_value(value: Any, keep: list[str], names: list[str], hide_names: bool) -> Any:
    if isinstance(value, str):
        masked = mask_ids_in_text(value, keep)
        return hide_names_in_text(masked, names) if hide_names else masked
    if isinstance(value, Mapping):
        return {k: _mask_value(v, keep, names, hide_names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v, keep, names, hide_names) for v in value]
    return value


def web_fields(kind: str, fields: Mapping[str, Any], hide_names: bool) -> dict[str, Any]:
    """A masked copy of a notice's fields for its web version (the wording rules print it).

    Every ID number is masked, wherever the filer typed it; with `hide_names` the employees'
    names become initials, in their own field and anywhere else the text repeats them. Fields
    the print edition never shows are dropped. The organisation's own codes stay readable.
    """
    keep = org_codes(fields)
    names = employee_names(fields)
    dropped = NOT_PRINTED.get(kind, frozenset())
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in dropped:
            continue
        if key in ORG_CODE_FIELDS:
            out[key] = value
        elif key == "employees" and isinstance(value, list):
            out[key] = [_employee(e, keep, names, hide_names) for e in value]
        else:
            out[key] = _mask_value(value, keep, names, hide_names)
    return out


def _employee(e: Any, keep: list[str], names: list[str], hide_names: bool) -> Any:
    if not isinstance(e, Mapping):
        return _mask_value(e, keep, names, hide_names)
    out = {k: _mask_value(v, keep, names, hide_names) for k, v in e.items() if k not in ("name", "id_number")}
    name = str(e.get("name") or "").strip()
    out["name"] = name_initial(name) if hide_names else mask_ids_in_text(name, keep)
    id_number = str(e.get("id_number") or "").strip()
    if id_number:
        out["id_number"] = mask_id_number(id_number)
    return out
