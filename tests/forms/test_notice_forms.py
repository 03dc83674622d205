"""The notice forms, fed the way the JSON API and the browser feed them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from notices_app.forms import (
    NOTICE_FORMS,
    BaseForm,
    LostLicenseForm,
    fields_from_form,
    form_errors,
    formdata_from_json,
    submission_problems,
)
from notices_app.forms.fields import IllTyped

TODAY = date(2013, 10, 22)  # the forms' `today` in conftest's make_form too
MakeForm = Callable[..., BaseForm]


def ric(body17: str) -> str:
    return body17 + stdnum_ric.calc_check_digit(body17 + "0")


# Made-up but valid numbers for the seed page's three employees (Zhangdian district, Zibo).
WANG_PENG = ric("37030319850312001")
LI_HUI = ric("37030319900708002")
LI_XIAOLIN = ric("37030319921130003")

SEED_LOST = {
    "heading": "挂失",
    "org_name": "淄博淄川峨庄乡村旅游专业合作社",
    "reg_number": "370302NA000215",
    "document": "business_license",
    "copy": "original",
    "declared_on": "2013-10-21",
    "contact_name": "张明",
    "contact_phone": "0533—2173002",
}
SEED_TERMINATION = {
    "employer_name": "中航钛业有限公司",
    "employees": [
        {"name": "王鹏", "id_number": WANG_PENG},
        {"name": "李慧", "id_number": LI_HUI},
        {"name": "李晓林", "id_number": LI_XIAOLIN},
    ],
    "absent_since": "2013-09-01",
    "legal_basis": "私自离职，长期旷工，严重违反公司制度，造成恶劣影响。",
    "effective_on": "2013-10-20",
    "instructions": "请于十五日内到公司人力资源部办理离职手续。",
    "signed_on": "2013-10-21",
    "service_attempts": [
        {"method": "direct", "on": "2013-09-20", "result": "住所无人，无法送达"},
        {"method": "postal", "on": "2013-09-25", "result": "邮件被退回"},
    ],
}
SEED_GENERAL = {
    "title": "公告",
    "body": "本公司职工王鹏、李慧、李晓林，私自离职，长期旷工，严重违反公司制度，造成恶劣影响，"
    "经公司研究决定，自2013年10月20日解除与三人的劳动关系。\n特此公告",
    "signer": "中航钛业有限公司",
    "signed_on": "2013-10-21",
}
VALID_LOST = {**SEED_LOST, "reg_number": None, "credit_code": "914403001922038216", "heading": None}
SEEDS = {"lost_license": VALID_LOST, "termination": SEED_TERMINATION, "general": SEED_GENERAL}


def test_seed_lost_licence_needs_confirmation_of_the_14_character_number(make_form: MakeForm) -> None:
    form = make_form("lost_license", SEED_LOST)
    assert list(form.warnings) == ["reg_number"]
    assert "370302NA000215X" in form.warnings["reg_number"][0]
    errors = form_errors(form)
    assert list(errors) == ["confirm_warnings"]
    assert errors["confirm_warnings"][0].startswith("请核对以下提示")

    confirmed = make_form("lost_license", {**SEED_LOST, "confirm_warnings": True})
    assert form_errors(confirmed) == {}
    assert confirmed.warnings["reg_number"]  # still shown, no longer blocking
    stored = fields_from_form(confirmed)
    assert stored["reg_number"] == "370302NA000215"
    assert stored["heading"] == "挂失"
    assert stored["contact_phone"] == "+865332173002"
    assert stored["confirm_warnings"] is True


def test_seed_warning_in_english(make_form: MakeForm) -> None:
    form = make_form("lost_license", SEED_LOST, lang="en")
    assert "usually ends in X" in form.warnings["reg_number"][0]
    assert form_errors(form)["confirm_warnings"][0].startswith("Check the following")


def test_seed_termination_validates_and_submits(make_form: MakeForm) -> None:
    form = make_form("termination", SEED_TERMINATION, submit=True)
    assert form_errors(form) == {}
    stored = fields_from_form(form)
    assert [e["name"] for e in stored["employees"]] == ["王鹏", "李慧", "李晓林"]
    assert stored["employees"][0]["id_number"] == WANG_PENG
    assert stored["service_attempts"][1] == {"method": "postal", "on": "2013-09-25", "result": "邮件被退回"}
    assert stored["report_by"] is None


def test_seed_general_notice_validates(make_form: MakeForm) -> None:
    form = make_form("general", SEED_GENERAL)
    assert form_errors(form) == {}
    assert fields_from_form(form)["body"].endswith("\n特此公告")


def test_lost_licence_defaults(make_form: MakeForm) -> None:
    form = make_form("lost_license", VALID_LOST)
    assert form_errors(form) == {}
    assert fields_from_form(form)["heading"] == "遗失声明"


@pytest.mark.parametrize(
    ("attempts", "ok"),
    [
        ([], False),
        ([{"method": "direct", "on": "2013-09-20", "result": "无人"}], False),
        ([{"method": "postal", "on": "2013-09-20", "result": "退回"}], False),
        (SEED_TERMINATION["service_attempts"], True),
    ],
)
def test_termination_draft_needs_no_attempts_but_submission_needs_both(
    make_form: MakeForm, attempts: list[dict[str, str]], ok: bool
) -> None:
    fields = {**SEED_TERMINATION, "service_attempts": attempts}
    assert form_errors(make_form("termination", fields)) == {}
    errors = form_errors(make_form("termination", fields, submit=True))
    assert (errors == {}) is ok
    if not ok:
        assert list(errors) == ["service_attempts"]
        assert "邮寄送达" in errors["service_attempts"][0] or "直接送达" in errors["service_attempts"][0]


def test_submission_problems_returns_bilingual_messages(app: Flask) -> None:
    fields = {**SEED_TERMINATION, "service_attempts": SEED_TERMINATION["service_attempts"][:1]}
    problems = submission_problems("termination", fields, today=TODAY)
    (message,) = problems["service_attempts"]
    assert "还缺：邮寄送达" in message.render("zh")
    assert "missing: sent by post" in message.render("en")
    assert submission_problems("termination", SEED_TERMINATION, today=TODAY) == {}
    assert submission_problems("lost_license", SEED_LOST, warnings_confirmed=True, today=TODAY) == {}
    assert "confirm_warnings" in submission_problems("lost_license", SEED_LOST, today=TODAY)
    assert "kind" in submission_problems("obituary", {})


FIELD_ERRORS: list[tuple[str, dict[str, Any], str, str, str]] = [
    # kind, changed fields, error key, Chinese message part, English message part
    ("lost_license", {"org_name": None}, "org_name", "请填写单位名称。", "Registered name is required."),
    (
        "lost_license",
        {"org_name": "甲" * 101},
        "org_name",
        "单位名称最多100个字，现为101个字。",
        "at most 100",
    ),
    ("lost_license", {"org_name": "华为技术(深圳)有限公司"}, "org_name", "“(”应为“（”", "'(' → '（'"),
    (
        "lost_license",
        {"org_name": 12},
        "org_name",
        "应为文本，收到的是数字。",
        "Expected a string, got a number.",
    ),
    ("lost_license", {"org_name": True}, "org_name", "收到的是布尔值", "got a boolean"),
    ("lost_license", {"org_name": {"a": 1}}, "org_name", "收到的是对象", "got a object"),
    ("lost_license", {"credit_code": "914403001922038217"}, "credit_code", "校验不通过", "fails its check"),
    ("lost_license", {"credit_code": "9144030019220382"}, "credit_code", "现为16位", "this one has 16"),
    ("lost_license", {"credit_code": "9144030019220382I6"}, "credit_code", "不使用字母I", "never uses"),
    ("lost_license", {"credit_code": ""}, "credit_code", "至少填写一项", "or both"),
    ("lost_license", {"credit_code": ""}, "reg_number", "至少填写一项", "or both"),
    (
        "lost_license",
        {"reg_number": "370302NB000215X"},
        "reg_number",
        "合作社注册号的格式",
        "farmer cooperative",
    ),
    ("lost_license", {"reg_number": "37030200000215"}, "reg_number", "现为14位", "this one has 14"),
    ("lost_license", {"document": "passport"}, "document", "遗失证照只能是", "Lost document must be one of"),
    (
        "lost_license",
        {"document": "other"},
        "document_other",
        "请填写其他证照的名称",
        "Name the other document",
    ),
    ("lost_license", {"duplicate_no": "1-1"}, "duplicate_no", "只有遗失副本时", "only when the duplicate"),
    ("lost_license", {"heading": "声明"}, "heading", "标题只能是", "Heading must be one of"),
    (
        "lost_license",
        {"declared_on": "2013-10-23"},
        "declared_on",
        "不能晚于今天（2013-10-22）",
        "cannot be after today",
    ),
    ("lost_license", {"declared_on": "2013/10/21"}, "declared_on", "格式应为", "YYYY-MM-DD"),
    ("lost_license", {"declared_on": "2013-02-30"}, "declared_on", "不是有效的日期", "not a real date"),
    ("lost_license", {"declared_on": 20131021}, "declared_on", "收到的是数字", "got a number"),
    (
        "lost_license",
        {"contact_name": " \t"},
        "contact_name",
        "请填写联系人。",
        "Contact person is required.",
    ),
    ("lost_license", {"contact_phone": "12345"}, "contact_phone", "电话号码“12345”无效", "not valid"),
    ("lost_license", {"contact_phone": 13912345678}, "contact_phone", "应为文本", "Expected a string"),
    (
        "lost_license",
        {"confirm_warnings": "maybe"},
        "confirm_warnings",
        "应为true或false",
        "must be true or false",
    ),
    ("termination", {"employees": []}, "employees", "职工至少要有1项。", "Employees: at least 1 required."),
    ("termination", {"employees": "王鹏"}, "employees", "职工应为对象列表", "must be a list of objects"),
    ("termination", {"employees": ["王鹏"]}, "employees", "职工应为对象列表", "must be a list of objects"),
    (
        "termination",
        {"employees": [{"name": "王鹏", "id_number": WANG_PENG}] * 101},
        "employees",
        "最多100项，现为101项",
        "at most 100",
    ),
    (
        "termination",
        {"employees": [{"name": "王鹏", "id_number": WANG_PENG[:-1] + "0"}]},
        "employees.0.id_number",
        "身份证号码校验不通过",
        "fails its check",
    ),
    (
        "termination",
        {"employees": [{"name": "王鹏", "id_number": WANG_PENG}, {"name": "李慧", "id_number": WANG_PENG}]},
        "employees.1.id_number",
        "与第1位职工的身份证号码重复",
        "Same ID card number as employee 1",
    ),
    (
        "termination",
        {"employees": [{"name": "王鹏", "id_number": WANG_PENG}, {"id_number": LI_HUI}]},
        "employees.1.name",
        "请填写姓名。",
        "Name is required.",
    ),
    (
        "termination",
        {"employees": [{"name": ["王鹏"], "id_number": WANG_PENG}]},
        "employees.0.name",
        "收到的是列表",
        "got a list",
    ),
    (
        "termination",
        {"effective_on": "2013-08-31"},
        "effective_on",
        "解除日期不能早于旷工起始日期（2013-09-01）",
        "Termination date cannot be before",
    ),
    (
        "termination",
        {"signed_on": "2013-08-31"},
        "signed_on",
        "落款日期不能早于旷工起始日期",
        "Date signed cannot be before",
    ),
    ("termination", {"signed_on": "2013-10-23"}, "signed_on", "不能晚于今天", "cannot be after today"),
    (
        "termination",
        {"absent_since": None},
        "absent_since",
        "请填写旷工起始日期。",
        "Absent since is required.",
    ),
    (
        "termination",
        {"report_by": "2013-10-21"},
        "report_by",
        "限期报到日期不能晚于解除日期（2013-10-20）",
        "report-back deadline",
    ),
    ("termination", {"legal_basis": "私自离职,长期旷工"}, "legal_basis", "“,”应为“，”", "full-width"),
    ("termination", {"contact_phone": "2173002"}, "contact_phone", "座机请带区号", "area code"),
    (
        "termination",
        {"service_attempts": [{"method": "fax", "on": "2013-09-20", "result": "无人"}]},
        "service_attempts.0.method",
        "送达方式只能是",
        "Method must be one of",
    ),
    (
        "termination",
        {"service_attempts": [{"method": "direct", "on": "2013-08-20", "result": "无人"}]},
        "service_attempts.0.on",
        "送达日期不能早于旷工起始日期",
        "Date cannot be before the absence began",
    ),
    (
        "termination",
        {"service_attempts": [{"method": "postal", "on": "2013-11-01", "result": "退回"}]},
        "service_attempts.0.on",
        "不能晚于今天",
        "cannot be after today",
    ),
    ("general", {"title": None}, "title", "请填写标题。", "Title is required."),
    ("general", {"body": "字" * 5001}, "body", "正文最多5000个字，现为5001个字。", "at most 5000"),
    ("general", {"signer": "中航钛业有限公司."}, "signer", "“.”应为“。”", "full-width"),
    ("general", {"signed_on": ""}, "signed_on", "请填写落款日期。", "Date signed is required."),
]


@pytest.mark.parametrize(("kind", "changes", "key", "zh", "en"), FIELD_ERRORS)
def test_field_errors_in_both_languages(
    make_form: MakeForm, kind: str, changes: dict[str, Any], key: str, zh: str, en: str
) -> None:
    fields = {**SEEDS[kind], **changes}
    zh_errors = form_errors(make_form(kind, fields, lang="zh"))
    en_errors = form_errors(make_form(kind, fields, lang="en"))
    assert key in zh_errors, zh_errors
    assert any(zh in m for m in zh_errors[key]), zh_errors[key]
    assert any(en in m for m in en_errors[key]), en_errors[key]
    assert set(zh_errors) == set(en_errors)


def test_glyph_coverage_error_names_character_and_code_point(make_form: MakeForm) -> None:
    def covers(ch: str) -> bool:
        return ch != "鑫"

    form = make_form("lost_license", {**VALID_LOST, "org_name": "淄博鑫源有限公司"}, covers=covers)
    assert form_errors(form)["org_name"] == ["印刷字库中没有“鑫”（U+946B），请改用其他写法或联系编辑部。"]
    # Never-printed fields are not held to the print fonts.
    form = make_form("lost_license", {**VALID_LOST, "contact_name": "鑫"}, covers=covers)
    assert form_errors(form) == {}


def test_control_characters_are_stripped_before_storage(make_form: MakeForm) -> None:
    form = make_form(
        "general", {**SEED_GENERAL, "title": "公\x00告\u200b ", "body": "第一段\r\n\r\n\r\n第二段"}
    )
    assert form_errors(form) == {}
    stored = fields_from_form(form)
    assert (stored["title"], stored["body"]) == ("公告", "第一段\n\n第二段")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0533—2173002", "+865332173002"),
        ("0533-2173002", "+865332173002"),
        ("0533 2173002", "+865332173002"),
        ("(0533)2173002", "+865332173002"),
        ("０５３３－２１７３００２", "+865332173002"),
        ("13912345678", "+8613912345678"),
        ("139 1234 5678", "+8613912345678"),
        ("+86 139-1234-5678", "+8613912345678"),
    ],
)
def test_phone_forms_are_stored_in_e164(make_form: MakeForm, typed: str, stored: str) -> None:
    form = make_form("lost_license", {**VALID_LOST, "contact_phone": typed})
    assert form_errors(form) == {}
    assert fields_from_form(form)["contact_phone"] == stored


def test_identifiers_are_stored_normalised(make_form: MakeForm) -> None:
    fields = {
        **SEED_TERMINATION,
        "credit_code": " 91310115ma1k427762 ",
        "employees": [{"name": "王鹏", "id_number": "11010519491231002x"}],
    }
    stored = fields_from_form(make_form("termination", fields))
    assert stored["credit_code"] == "91310115MA1K427762"
    assert stored["employees"][0]["id_number"] == "11010519491231002X"


def test_formdata_from_json_flattens_lists_and_marks_wrong_types() -> None:
    md = formdata_from_json(
        {
            "employer_name": "中航钛业有限公司",
            "employees": [{"name": "王鹏", "id_number": WANG_PENG, "note": None}, {}],
            "report_by": None,
            "service_attempts": [],
            "legal_basis": ["a"],
            "credit_code": {"x": 1},
            "confirm_warnings": True,
        }
    )
    assert md["employees-0-name"] == "王鹏"
    assert md["employees-0-id_number"] == WANG_PENG
    assert "employees-1" in md and "employees-0-note" not in md
    assert "report_by" not in md and "service_attempts" not in md
    assert isinstance(md["legal_basis"], IllTyped) and md["legal_basis"].json_type == "list"
    assert isinstance(md["credit_code"], IllTyped) and md["credit_code"].json_type == "object"
    assert md["confirm_warnings"] is True
    assert not formdata_from_json(["not", "an", "object"])  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_stored_fields_round_trip_through_json(make_form: MakeForm, kind: str) -> None:
    first = make_form(kind, SEEDS[kind])
    stored = fields_from_form(first)
    again = make_form(kind, stored)
    assert form_errors(again) == {}
    assert fields_from_form(again) == stored


def test_english_labels_help_and_examples(app: Flask) -> None:
    zh = LostLicenseForm(formdata=None, meta={"lang": "zh"})
    en = LostLicenseForm(formdata=None, meta={"lang": "en"})
    assert zh.org_name.label.text == "单位名称"
    assert en.org_name.label.text == "Registered name"
    assert en.org_name.description == "Exactly as on the licence."
    assert 'placeholder="淄博淄川峨庄乡村旅游专业合作社"' in en.org_name()
    assert ">Business licence</option>" in en.document()
    assert ">营业执照</option>" in zh.document()
    for form in (zh, en):
        for field in form:
            assert field.label.text and field.description, field.name


def test_browser_post_uses_the_same_form(app: Flask) -> None:
    data = {k: v for k, v in SEED_LOST.items() if v is not None} | {"confirm_warnings": "y"}
    with app.test_request_context("/", method="POST", data=data):
        form = LostLicenseForm(meta={"today": TODAY})
        assert form.validate(), form_errors(form)
        assert form.confirm_warnings.data is True


def test_blank_browser_form_offers_rows_and_untouched_rows_are_dropped(app: Flask) -> None:
    blank = NOTICE_FORMS["termination"](formdata=None, meta={"today": TODAY})
    assert len(blank.employees.entries) == 1
    assert [e.form.method.data for e in blank.service_attempts.entries] == ["direct", "postal"]
    posted = {k: v for k, v in SEED_TERMINATION.items() if not isinstance(v, list)}
    posted |= {"employees-0-name": "王鹏", "employees-0-id_number": WANG_PENG, "employees-1-name": " "}
    posted |= {"service_attempts-0-method": "direct", "service_attempts-1-method": "postal"}
    with app.test_request_context("/", method="POST", data=posted):
        form = NOTICE_FORMS["termination"](meta={"today": TODAY})
        assert form.validate(), form_errors(form)
        assert not form.validate_for_submit()
    assert len(form.employees.entries) == 1 and form.service_attempts.entries == []
    assert list(form_errors(form)) == ["service_attempts"]


def test_browser_termination_rows_use_dashed_names(app: Flask) -> None:
    data = {
        "employer_name": "中航钛业有限公司",
        "employees-0-name": "王鹏",
        "employees-0-id_number": WANG_PENG,
        "employees-1-name": "李慧",
        "employees-1-id_number": "123",
        "absent_since": "2013-09-01",
        "legal_basis": "长期旷工",
        "effective_on": "2013-10-20",
        "signed_on": "2013-10-21",
    }
    with app.test_request_context("/", method="POST", data=data):
        form = NOTICE_FORMS["termination"](meta={"today": TODAY})
        assert not form.validate()
    assert form_errors(form) == {"employees.1.id_number": ["身份证号码应为18位，现为3位。"]}


# Arbitrary JSON: the API must answer with field errors, never an exception.
_NAMES = sorted(
    {
        n
        for cls in NOTICE_FORMS.values()
        for n in dir(cls)
        if not n.startswith("_") and hasattr(getattr(cls, n), "bind")
    }
)
_SUB_NAMES = ["name", "id_number", "method", "on", "result", "x"]
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
_entries = st.lists(st.dictionaries(st.sampled_from(_SUB_NAMES), _json, max_size=4), max_size=3)
_changes = st.dictionaries(st.sampled_from(_NAMES) | st.text(max_size=8), _json | _entries, max_size=6)


@pytest.mark.parametrize("kind", sorted(NOTICE_FORMS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=_changes, from_seed=st.booleans(), lang=st.sampled_from(["zh", "en"]))
def test_arbitrary_json_never_raises(
    app: Flask, kind: str, changes: dict[str, Any], from_seed: bool, lang: str
) -> None:
    # Half the examples start from a valid seed so that the valid paths are exercised too.
    fields = {**SEEDS[kind], **changes} if from_seed else changes
    form = NOTICE_FORMS[kind](formdata=formdata_from_json(fields), meta={"lang": lang, "today": TODAY})
    ok = form.validate_for_submit()
    errors = form_errors(form)
    assert ok == (errors == {})
    assert all(isinstance(m, str) and m for ms in errors.values() for m in ms)
    if ok:
        stored = fields_from_form(form)
        again = NOTICE_FORMS[kind](formdata=formdata_from_json(stored), meta={"lang": lang, "today": TODAY})
        assert again.validate_for_submit(), form_errors(again)
