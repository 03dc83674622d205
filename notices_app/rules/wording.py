"""What each notice kind prints, built from its fields (api.md: Fields by kind).

The operative phrases (不慎遗失 … 声明作废, 特此公告) come from these templates, never from the
filer. Dates print as 2013年10月20日. All punctuation in print is full-width; ASCII , ; : ( ) ! ?
typed next to Chinese text are converted. Never printed: a lost-licence filer's contact person
and phone, and a termination notice's record of service attempts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from notices_app.layout.types import NoticeText
from notices_app.rules.calendar import DEEMED_SERVICE_DAYS, format_date_zh
from notices_app.rules.messages import RuleError, msg

KINDS = ("lost_license", "termination", "general")

DOCUMENTS: Mapping[str, str] = {
    "business_license": "营业执照",
    "official_seal": "公章",
    "bank_account_permit": "开户许可证",
}
COPIES: Mapping[str, str] = {"original": "正本", "duplicate": "副本", "both": "正本及副本"}
# Documents issued as 正本/副本; a seal or an account permit has no copies.
_HAS_COPIES = frozenset({"business_license", "other"})

_FIELD_LABELS: Mapping[str, tuple[str, str]] = {
    "org_name": ("单位名称", "Organisation name"),
    "credit_code": ("统一社会信用代码或注册号", "Credit code or registration number"),
    "document_other": ("遗失证件名称", "Name of the lost document"),
    "employer_name": ("用人单位名称", "Employer name"),
    "employees": ("职工姓名", "Employees"),
    "absent_since": ("未到岗日期", "Absent since"),
    "effective_on": ("解除劳动关系日期或报到期限", "Effective date or report-by date"),
    "title": ("标题", "Title"),
    "body": ("正文", "Body"),
}

_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"}
_CN_DIGITS = "零一二三四五六七八九"
_TRAILING = "，,。.；;、 \u3000"
_BASIS_PREFIXES = ("依据", "根据", "依照", "按照")


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x303F or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xFF00 <= o <= 0xFFEF


def full_width(text: str) -> str:
    """Turn ASCII , ; : ( ) ! ? that touch Chinese text into their full-width forms.

    Spaces around a converted mark are dropped: a full-width mark carries its own space.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        before = text[:i].rstrip(" ")
        after = text[i + 1 :].lstrip(" ")
        if ch in _FULL_WIDTH and ((before and _is_cjk(before[-1])) or (after and _is_cjk(after[0]))):
            while out and out[-1] == " ":
                out.pop()
            out.append(_FULL_WIDTH[ch])
            i = len(text) - len(after)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def chinese_count(n: int) -> str:
    """1..99 as a Chinese count word (两 for 2, as in 上述两人)."""
    if n == 2:
        return "两"
    if 0 <= n < 10:
        return _CN_DIGITS[n]
    if 10 <= n < 100:
        tens, units = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + ("" if units == 0 else _CN_DIGITS[units])
    return str(n)


def _missing(key: str) -> RuleError:
    zh, en = _FIELD_LABELS.get(key, (key, key))
    return RuleError(
        msg("wording.missing", "请填写{label}", "{label_en} is required", field=key, label=zh, label_en=en)
    )


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    return full_width(str(value).strip()) if value is not None else ""


def _required(fields: Mapping[str, Any], key: str) -> str:
    value = _text(fields, key)
    if not value:
        raise _missing(key)
    return value


def _clause(text: str) -> str:
    """A filer's phrase with its trailing punctuation removed, ready to sit inside a sentence."""
    return text.rstrip(_TRAILING)


def _date(fields: Mapping[str, Any], key: str) -> date | None:
    value = fields.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RuleError(
            msg(
                "wording.bad_date",
                "日期格式无效：{value}",
                "Not a date (YYYY-MM-DD): {value}",
                field=key,
                value=value,
            )
        ) from None


def _columns(fields: Mapping[str, Any]) -> int:
    try:
        raw = fields.get("columns")
        columns = 1 if raw is None or raw == "" else int(raw)
    except (TypeError, ValueError):
        columns = 0
    if columns < 1:
        raise RuleError(
            msg(
                "wording.columns",
                "栏数应为正整数",
                "Columns must be a positive whole number",
                field="columns",
            )
        )
    return columns


def _signature(name: str, signed: date | None) -> tuple[str, ...]:
    return (name, format_date_zh(signed)) if signed else (name,)


def _lost_license(fields: Mapping[str, Any]) -> NoticeText:
    org = _required(fields, "org_name")
    code = str(fields.get("credit_code") or "").strip().upper()
    reg = str(fields.get("reg_number") or "").strip().upper()
    if not code and not reg:
        raise _missing("credit_code")
    document = str(fields.get("document") or "business_license")
    if document == "other":
        doc_name = _clause(_required(fields, "document_other"))
    elif document in DOCUMENTS:
        doc_name = DOCUMENTS[document]
    else:
        raise RuleError(
            msg(
                "wording.document",
                "未知的证件类型：{value}",
                "Unknown document: {value}",
                field="document",
                value=document,
            )
        )

    org_ids = [f"统一社会信用代码：{code}"] if code else []
    doc_ids: list[str] = []
    # The 注册号 identifies the licence itself, so it follows the licence; for a seal or permit it
    # identifies the organisation and goes with the name.
    if reg:
        (doc_ids if document == "business_license" else org_ids).append(f"注册号：{reg}")

    if document == "official_seal":
        doc_phrase = "公章一枚"
    else:
        doc_phrase = doc_name
        copy = str(fields.get("copy") or ("original" if document == "business_license" else ""))
        if document in _HAS_COPIES and copy:
            if copy not in COPIES:
                raise RuleError(
                    msg(
                        "wording.copy",
                        "未知的正副本选项：{value}",
                        "Unknown copy: {value}",
                        field="copy",
                        value=copy,
                    )
                )
            doc_phrase += COPIES[copy]
            duplicate_no = _text(fields, "duplicate_no")
            if copy in ("duplicate", "both") and duplicate_no:
                doc_ids.append(f"副本编号：{duplicate_no}")

    def paren(ids: list[str]) -> str:
        return f"（{'，'.join(ids)}）" if ids else ""

    body = f"{org}{paren(org_ids)}不慎遗失{doc_phrase}{paren(doc_ids)}，声明作废。"
    return NoticeText(
        heading=_text(fields, "heading") or "遗失声明",
        paragraphs=(body,),
        signature=_signature(org, _date(fields, "declared_on")),
        columns=_columns(fields),
    )


def _employee(e: Mapping[str, Any]) -> str:
    name = full_width(str(e.get("name") or "").strip())
    if not name:
        raise _missing("employees")
    id_number = str(e.get("id_number") or "").strip().upper()
    return f"{name}（身份证号：{id_number}）" if id_number else name


def _termination(fields: Mapping[str, Any]) -> NoticeText:
    employer = _required(fields, "employer_name")
    raw_employees = fields.get("employees") or []
    if not raw_employees:
        raise _missing("employees")
    names = "、".join(_employee(e) for e in raw_employees)
    n = len(raw_employees)
    them = "其" if n == 1 else f"上述{chinese_count(n)}人"
    who = "其" if n == 1 else "上述人员"

    absent = _date(fields, "absent_since")
    facts = _clause(_text(fields, "facts"))
    if absent is None and not facts:
        raise _missing("absent_since")
    clauses = [f"自{format_date_zh(absent)}起未到岗上班"] if absent else []
    if facts:
        clauses.append(facts)
    # Facts and decision make one sentence, as on the seed page (…造成恶劣影响，经公司研究决定，…);
    # a report-by request starts a new one.
    first = f"本公司职工{names}{'，'.join(clauses)}"

    basis = _clause(_text(fields, "legal_basis"))
    # Filers often write the facts and the basis in one phrase ("…严重违反公司制度，依据《劳动合同法》…");
    # only a bare citation gets the preposition.
    if basis and not any(p in basis for p in _BASIS_PREFIXES):
        basis = f"依据{basis}"
    effective = _date(fields, "effective_on")
    report_by = _date(fields, "report_by")
    when = f"自{format_date_zh(effective)}起" if effective else "依法"
    if report_by:
        decision = (
            f"。请{who}于{format_date_zh(report_by)}前到公司报到并说明情况，逾期不报到的，"
            f"{basis + '，' if basis else ''}公司将{when}解除与{them}的劳动关系。"
        )
    elif effective:
        decision = f"，{basis + '，' if basis else ''}经公司研究决定，{when}解除与{them}的劳动关系。"
    else:
        raise _missing("effective_on")

    instructions = _clause(_text(fields, "instructions"))
    if not instructions:
        instructions = (
            f"请{who}自本公告刊登之日起十五日内到公司办理离职手续、结算工资，并办理档案及社会保险关系转移手续"
        )
    paragraphs = [first + decision, instructions + "。"]
    contact = []
    if address := _clause(_text(fields, "contact_address")):
        contact.append(f"联系地址：{address}")
    if phone := _clause(_text(fields, "contact_phone")):
        contact.append(f"联系电话：{phone}")
    if contact:
        paragraphs.append("；".join(contact) + "。")
    if fields.get("deemed_service_sentence", True):
        paragraphs.append(f"本公告自刊登之日起经过{chinese_count(DEEMED_SERVICE_DAYS)}日，即视为送达。")
    return NoticeText(
        heading=_text(fields, "heading") or "公告",
        paragraphs=tuple(paragraphs),
        closing=("特此公告",),
        signature=_signature(employer, _date(fields, "signed_on")),
        columns=_columns(fields),
    )


def _general(fields: Mapping[str, Any]) -> NoticeText:
    title = _required(fields, "title")
    body = _required(fields, "body")
    # Each line is a paragraph; filers' hand-made indents are dropped because the composer
    # indents every paragraph by 2 em.
    paragraphs = tuple(p for line in body.splitlines() if (p := line.strip(" \t\u3000")))
    signer = _text(fields, "signer")
    signed = _date(fields, "signed_on")
    signature: tuple[str, ...] = ()
    if signer:
        signature = _signature(signer, signed)
    elif signed:
        signature = (format_date_zh(signed),)
    return NoticeText(heading=title, paragraphs=paragraphs, signature=signature, columns=_columns(fields))


def notice_text(kind: str, fields: Mapping[str, Any]) -> NoticeText:
    """The printed wording of a notice of `kind` (lost_license, termination, general)."""
    if kind == "lost_license":
        return _lost_license(fields)
    if kind == "termination":
        return _termination(fields)
    if kind == "general":
        return _general(fields)
    raise RuleError(
        msg("wording.unknown_kind", "未知的稿件类型：{kind}", "Unknown notice kind: {kind}", kind=kind)
    )
