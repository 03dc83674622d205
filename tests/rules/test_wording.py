from datetime import date
from typing import Any

import pytest

from notices_app.rules.messages import RuleError
from notices_app.rules.wording import chinese_count, full_width, notice_text

# The seed page's two notices, as a filer would enter them.
SEED_TERMINATION: dict[str, Any] = {
    "employer_name": "中航钛业有限公司",
    "credit_code": "91370300MA3C1234X0",
    "employees": [
        {"name": "王鹏", "id_number": "370302198001011234"},
        {"name": "李慧", "id_number": "37030219850202202X"},
        {"name": "李晓林", "id_number": "370303199003033456"},
    ],
    "absent_since": "2013-09-01",
    "facts": "私自离职，长期旷工，严重违反公司制度，造成恶劣影响",
    "effective_on": "2013-10-20",
    "signed_on": "2013-10-20",
    "contact_phone": "0533—2173002",
    "contact_address": "淄博市张店区",
    "service_attempts": [{"method": "direct", "on": "2013-09-10", "result": "人不在"}],
}
SEED_LOST: dict[str, Any] = {
    "heading": "挂失",
    "org_name": "淄博淄川峨庄乡村旅游专业合作社",
    "reg_number": "370302NA000215",
    "document": "business_license",
    "copy": "original",
    "contact_name": "张三",
    "contact_phone": "13800000000",
}


def printed(kind: str, fields: dict[str, Any]) -> str:
    t = notice_text(kind, fields)
    return "\n".join((t.heading, *t.paragraphs, *t.closing, *t.signature))


def test_seed_termination_reads_like_the_seed_page() -> None:
    t = notice_text("termination", SEED_TERMINATION)
    assert t.heading == "公告"
    assert t.paragraphs[0].startswith(
        "本公司职工王鹏（身份证号：370302198001011234）、李慧（身份证号：37030219850202202X）、李晓林"
    )
    assert "私自离职，长期旷工，严重违反公司制度，造成恶劣影响，经公司研究决定" in t.paragraphs[0]
    assert "经公司研究决定，自2013年10月20日起解除与上述三人的劳动关系。" in t.paragraphs[0]
    assert "自2013年9月1日起未到岗上班" in t.paragraphs[0]
    assert t.closing == ("特此公告",)
    assert t.signature == ("中航钛业有限公司", "2013年10月20日")
    assert t.paragraphs[-1] == "本公告自刊登之日起经过三十日，即视为送达。"
    assert "联系地址：淄博市张店区；联系电话：0533—2173002。" in t.paragraphs
    assert t.columns == 1
    text = printed("termination", SEED_TERMINATION)
    assert "人不在" not in text  # service attempts stay on the record
    assert "91370300MA3C1234X0" not in text


def test_seed_lost_licence_reads_like_the_seed_page() -> None:
    t = notice_text("lost_license", SEED_LOST)
    assert t.heading == "挂失"
    assert t.paragraphs == (
        "淄博淄川峨庄乡村旅游专业合作社不慎遗失营业执照正本（注册号：370302NA000215），声明作废。",
    )
    assert t.signature == ("淄博淄川峨庄乡村旅游专业合作社",)
    text = printed("lost_license", SEED_LOST)
    assert "张三" not in text and "13800000000" not in text  # contact is never printed


BASE_LOST = {"org_name": "淄博某某有限公司", "credit_code": "91370300ma3c1234x0"}


@pytest.mark.parametrize(
    ("extra", "body"),
    [
        ({}, "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失营业执照正本，声明作废。"),
        (
            {"reg_number": "370300200012345"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失营业执照正本（注册号：370300200012345），声明作废。",
        ),
        (
            {"copy": "duplicate", "duplicate_no": "2-1"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失营业执照副本（副本编号：2-1），声明作废。",
        ),
        (
            {"copy": "both", "duplicate_no": "1", "reg_number": "370300200012345"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失营业执照正本及副本（注册号：370300200012345，副本编号：1），声明作废。",
        ),
        (
            {"copy": "original", "duplicate_no": "9"},  # a 副本 number means nothing for the 正本
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失营业执照正本，声明作废。",
        ),
        (
            {"document": "official_seal", "reg_number": "370300200012345", "copy": "both"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0，注册号：370300200012345）不慎遗失公章一枚，声明作废。",
        ),
        (
            {"document": "bank_account_permit"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失开户许可证，声明作废。",
        ),
        (
            {"document": "other", "document_other": "税务登记证", "copy": "duplicate"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失税务登记证副本，声明作废。",
        ),
        (
            {"document": "other", "document_other": "食品经营许可证。"},
            "淄博某某有限公司（统一社会信用代码：91370300MA3C1234X0）不慎遗失食品经营许可证，声明作废。",
        ),
    ],
)
def test_lost_licence_body(extra: dict[str, Any], body: str) -> None:
    assert notice_text("lost_license", {**BASE_LOST, **extra}).paragraphs == (body,)


def test_lost_licence_heading_signature_and_columns() -> None:
    t = notice_text("lost_license", {**BASE_LOST, "declared_on": date(2013, 10, 20), "columns": "2"})
    assert t.heading == "遗失声明"
    assert t.signature == ("淄博某某有限公司", "2013年10月20日")
    assert t.columns == 2
    assert (
        notice_text("lost_license", {**BASE_LOST, "org_name": "淄博(集团)公司"})
        .paragraphs[0]
        .startswith("淄博（集团）公司（")
    )


@pytest.mark.parametrize(
    ("kind", "fields", "code", "field"),
    [
        ("lost_license", {"credit_code": "X"}, "wording.missing", "org_name"),
        ("lost_license", {"org_name": "某公司"}, "wording.missing", "credit_code"),
        ("lost_license", {**BASE_LOST, "document": "other"}, "wording.missing", "document_other"),
        ("lost_license", {**BASE_LOST, "document": "passport"}, "wording.document", "document"),
        ("lost_license", {**BASE_LOST, "copy": "third"}, "wording.copy", "copy"),
        ("lost_license", {**BASE_LOST, "declared_on": "20.10.2013"}, "wording.bad_date", "declared_on"),
        ("lost_license", {**BASE_LOST, "columns": 0}, "wording.columns", "columns"),
        ("termination", {**SEED_TERMINATION, "employees": []}, "wording.missing", "employees"),
        ("termination", {**SEED_TERMINATION, "employees": [{"name": " "}]}, "wording.missing", "employees"),
        (
            "termination",
            {**SEED_TERMINATION, "absent_since": None, "facts": ""},
            "wording.missing",
            "absent_since",
        ),
        ("termination", {**SEED_TERMINATION, "effective_on": ""}, "wording.missing", "effective_on"),
        ("general", {"body": "正文"}, "wording.missing", "title"),
        ("general", {"title": "公告", "body": " \n "}, "wording.missing", "body"),
    ],
)
def test_refusals_name_the_field(kind: str, fields: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(RuleError) as err:
        notice_text(kind, fields)
    assert err.value.message.code == code
    assert err.value.message.params["field"] == field


def test_unknown_kind() -> None:
    with pytest.raises(RuleError) as err:
        notice_text("ad", {})
    assert err.value.message.code == "wording.unknown_kind"


def test_termination_one_employee_with_report_deadline() -> None:
    t = notice_text(
        "termination",
        {
            "employer_name": "某公司",
            "employees": [{"name": "王鹏", "id_number": "370302198001011234"}],
            "absent_since": "2013-09-01",
            "legal_basis": "《劳动合同法》第三十九条第（二）项。",
            "report_by": "2013-11-10",
            "instructions": "请其到公司人力资源部办理离职手续",
            "deemed_service_sentence": False,
        },
    )
    assert t.paragraphs == (
        "本公司职工王鹏（身份证号：370302198001011234）自2013年9月1日起未到岗上班。"
        "请其于2013年11月10日前到公司报到并说明情况，逾期不报到的，依据《劳动合同法》第三十九条第（二）项，"
        "公司将依法解除与其的劳动关系。",
        "请其到公司人力资源部办理离职手续。",
    )
    assert t.signature == ("某公司",)


def test_termination_legal_basis_with_own_preposition() -> None:
    t = notice_text("termination", {**SEED_TERMINATION, "legal_basis": "根据公司《员工手册》第十二条"})
    assert (
        "根据公司《员工手册》第十二条，经公司研究决定，自2013年10月20日起解除与上述三人的劳动关系。"
        in t.paragraphs[0]
    )
    assert "依据根据" not in t.paragraphs[0]


def test_termination_legal_basis_mixed_with_facts() -> None:
    basis = "私自离职,长期旷工,严重违反公司制度,依据《中华人民共和国劳动合同法》第三十九条"
    t = notice_text("termination", {**SEED_TERMINATION, "facts": "", "legal_basis": basis})
    assert t.paragraphs[0].endswith(
        "未到岗上班，私自离职，长期旷工，严重违反公司制度，依据《中华人民共和国劳动合同法》第三十九条，"
        "经公司研究决定，自2013年10月20日起解除与上述三人的劳动关系。"
    )


def test_termination_default_instructions_mention_fifteen_days() -> None:
    t = notice_text("termination", SEED_TERMINATION)
    assert (
        t.paragraphs[1]
        == "请上述人员自本公告刊登之日起十五日内到公司办理离职手续、结算工资，并办理档案及社会保险关系转移手续。"
    )


def test_general_notice() -> None:
    t = notice_text(
        "general",
        {
            "title": "停水公告",
            "body": "\u3000\u3000因管道检修,10月22日停水。\n\n  请用户提前储水。\n",
            "signer": "淄博市自来水公司",
            "signed_on": "2013-10-20",
        },
    )
    assert t.heading == "停水公告"
    assert t.paragraphs == ("因管道检修，10月22日停水。", "请用户提前储水。")
    assert t.closing == ()
    assert t.signature == ("淄博市自来水公司", "2013年10月20日")
    assert notice_text("general", {"title": "启事", "body": "内容"}).signature == ()


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("因检修,停水", "因检修，停水"),
        ("淄博(集团)有限公司", "淄博（集团）有限公司"),
        ("Tel: 0533-2173002", "Tel: 0533-2173002"),  # Latin context stays half-width
        ("电话: 0533", "电话：0533"),
        ("1,234", "1,234"),
        ("因检修 , 停水", "因检修，停水"),
        ("(注)", "（注）"),
    ],
)
def test_full_width(text: str, out: str) -> None:
    assert full_width(text) == out


@pytest.mark.parametrize(
    ("n", "word"), [(1, "一"), (2, "两"), (3, "三"), (10, "十"), (15, "十五"), (30, "三十"), (42, "四十二")]
)
def test_chinese_count(n: int, word: str) -> None:
    assert chinese_count(n) == word
