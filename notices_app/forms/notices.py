"""The notice forms (one class per kind); field names are the JSON API's (api.md, "Fields by kind")."""

from __future__ import annotations

from datetime import date
from typing import Any

from notices_app.forms.base import BaseForm, SubForm
from notices_app.forms.fields import (
    ChoiceField,
    CreditCodeField,
    FlagField,
    IdNumberField,
    IsoDateField,
    ListField,
    PhoneField,
    RegNumberField,
    SubFormField,
    TextAreaTextField,
    TextField,
)
from notices_app.rules.messages import msg

HEADINGS = (
    ("遗失声明", "遗失声明", "Declaration of loss (遗失声明)"),
    ("挂失", "挂失", "Report of loss (挂失)"),
)
DOCUMENTS = (
    ("business_license", "营业执照", "Business licence"),
    ("official_seal", "公章", "Official seal"),
    ("bank_account_permit", "开户许可证", "Bank account opening permit"),
    ("other", "其他证照", "Other document"),
)
COPIES = (
    ("original", "正本", "Original"),
    ("duplicate", "副本", "Duplicate"),
    ("both", "正本和副本", "Original and duplicate"),
)
SERVICE_METHODS = (
    ("direct", "直接送达", "Delivered in person"),
    ("postal", "邮寄送达", "Sent by post"),
)


class LostLicenseForm(BaseForm):
    """遗失声明 / 挂失 of a licence or other document; the phrase 不慎遗失…声明作废 is the template's."""

    heading = ChoiceField(
        "标题",
        HEADINGS,
        label_en="Heading",
        help="印在公告上方的标题。",
        help_en="The heading printed above the notice.",
        default="遗失声明",
    )
    org_name = TextField(
        "单位名称",
        label_en="Registered name",
        help="与营业执照上的名称完全一致。",
        help_en="Exactly as on the licence.",
        example="淄博淄川峨庄乡村旅游专业合作社",
    )
    credit_code = CreditCodeField(
        required=False,
        help="18位，见营业执照右上角；与注册号至少填一项。",
        help_en="18 characters, top right of the licence; give this or the registration number.",
        example="91370302MA3C4XXXXX",
    )
    reg_number = RegNumberField(
        required=False,
        help="2016年前的旧执照上的15位注册号（农民专业合作社为“6位数字+NA+6位数字+X”）。",
        help_en="The 15-character number on licences issued before 2016 (cooperatives: 6 digits, NA, 6 digits, X).",
        example="370302NA000215X",
    )
    document = ChoiceField(
        "遗失证照",
        DOCUMENTS,
        label_en="Lost document",
        help="遗失的是哪一种证照或印章。",
        help_en="Which document or seal was lost.",
        default="business_license",
    )
    document_other = TextField(
        "其他证照名称",
        label_en="Other document",
        help="选择“其他证照”时填写，如税务登记证。",
        help_en="When “Other document” is chosen, e.g. tax registration certificate.",
        example="税务登记证副本",
        required=False,
        max_length=50,
    )
    copy = ChoiceField(
        "正本/副本",
        COPIES,
        label_en="Original or duplicate",
        help="营业执照遗失的是正本、副本还是两者。",
        help_en="Whether the licence's original, duplicate or both were lost.",
        default="original",
    )
    duplicate_no = TextField(
        "副本编号",
        label_en="Duplicate number",
        help="副本上有编号时填写。",
        help_en="If the duplicate carries a number.",
        example="1-1",
        required=False,
        max_length=30,
    )
    declared_on = IsoDateField(
        "声明日期",
        label_en="Date of declaration",
        help="不能晚于今天。",
        help_en="Not after today.",
        not_future=True,
    )
    contact_name = TextField(
        "联系人",
        label_en="Contact person",
        help="仅供报社联系，不见报。",
        help_en="For the newspaper only, never printed.",
        example="张明",
        max_length=50,
        printed=False,
    )
    contact_phone = PhoneField(
        help="仅供报社联系，不见报；座机请带区号。",
        help_en="For the newspaper only, never printed; landlines with area code.",
    )
    confirm_warnings = FlagField(
        "我已核对上述提示",
        label_en="I have checked the warnings above",
        help="提交前须确认系统提示（如注册号疑似缺位）。",
        help_en="Needed when the form shows warnings (e.g. a registration number that looks short).",
    )

    def cross_validate(self) -> None:
        if not (self.credit_code.data or self.reg_number.data):
            needed = msg(
                "lost_license.identifier",
                "统一社会信用代码和注册号至少填写一项。",
                "Give the unified social credit code, the registration number, or both.",
            )
            self.add_error(self.credit_code, needed)
            self.add_error(self.reg_number, needed)
        if self.document.data == "other" and not self.document_other.data and not self.document_other.errors:
            self.add_error(
                self.document_other,
                msg("lost_license.document_other", "请填写其他证照的名称。", "Name the other document."),
            )
        if self.duplicate_no.data and self.copy.data == "original" and not self.duplicate_no.errors:
            self.add_error(
                self.duplicate_no,
                msg(
                    "lost_license.duplicate_no",
                    "只有遗失副本时才填写副本编号。",
                    "A duplicate number applies only when the duplicate was lost.",
                ),
            )


class EmployeeForm(SubForm):
    """One employee named in a termination notice."""

    name = TextField(
        "姓名",
        label_en="Name",
        help="与身份证上的姓名一致。",
        help_en="As on the ID card.",
        example="王鹏",
    )
    id_number = IdNumberField(
        help="18位居民身份证号码；网页版只显示前6位和后4位。",
        help_en="18-character resident ID number; the web version shows only the first 6 and last 4.",
        example="370302198503120017",
    )


class ServiceAttemptForm(SubForm):
    """A failed attempt to serve the decision before resorting to the newspaper (not printed)."""

    method = ChoiceField(
        "送达方式",
        SERVICE_METHODS,
        label_en="Method",
        help="直接送达或邮寄送达。",
        help_en="In person or by post.",
    )
    on = IsoDateField(
        "送达日期",
        label_en="Date",
        help="在旷工开始之后、今天或之前。",
        help_en="After the absence began and not after today.",
        not_future=True,
    )
    result = TextField(
        "结果",
        label_en="Outcome",
        help="如：无人签收、邮件退回。",
        help_en="E.g. nobody signed for it, the letter was returned.",
        example="邮件被退回，查无此人",
        max_length=200,
        printed=False,
    )


class TerminationForm(BaseForm):
    """解除劳动关系公告 for employees who cannot be reached (公告送达 after direct and postal service)."""

    employer_name = TextField(
        "用人单位名称",
        label_en="Employer",
        help="与营业执照上的名称完全一致。",
        help_en="Exactly as on the business licence.",
        example="中航钛业有限公司",
    )
    credit_code = CreditCodeField(
        required=False,
        help="18位，见营业执照右上角。",
        help_en="18 characters, top right of the business licence.",
        example="91370300XXXXXXXXXX",
    )
    employees = ListField(
        SubFormField(EmployeeForm),
        "职工",
        label_en="Employees",
        help="被解除劳动关系的职工，每人一行。",
        help_en="The employees concerned, one per row.",
        min_items=1,
        max_items=100,
    )
    absent_since = IsoDateField(
        "旷工起始日期",
        label_en="Absent since",
        help="职工开始离岗、旷工的日期。",
        help_en="The first day of absence.",
        example="2013-09-01",
        not_future=True,
    )
    legal_basis = TextAreaTextField(
        "事实与依据",
        label_en="Facts and grounds",
        help="所依据的规章制度或劳动合同条款。",
        help_en="The company rule or contract clause relied on.",
        example="私自离职，长期旷工，严重违反公司制度",
        max_length=1000,
    )
    effective_on = IsoDateField(
        "解除日期",
        label_en="Termination date",
        help="不早于旷工起始日期。",
        help_en="Not before the absence began.",
        example="2013-10-20",
    )
    report_by = IsoDateField(
        "限期报到日期",
        label_en="Report back by",
        help="如给予职工限期返岗，填写截止日期；不晚于解除日期。",
        help_en="If the employees may report back first, the deadline; not after the termination date.",
        example="2013-10-15",
        required=False,
    )
    instructions = TextAreaTextField(
        "办理事项",
        label_en="Instructions",
        help="离职手续、工资结算、档案和社保转移（15日内）等。",
        help_en="Leaving formalities, final wages, transfer of files and social insurance (within 15 days).",
        example="请于十五日内到公司人力资源部办理离职手续。",
        required=False,
    )
    contact_phone = PhoneField(
        required=False,
        help="印在公告上，供职工联系；座机请带区号。",
        help_en="Printed for the employees to call; landlines with area code.",
    )
    contact_address = TextField(
        "联系地址",
        label_en="Contact address",
        help="印在公告上。",
        help_en="Printed on the notice.",
        example="淄博市张店区华光路1号",
        required=False,
        max_length=200,
    )
    signed_on = IsoDateField(
        "落款日期",
        label_en="Date signed",
        help="落款处的日期，不能晚于今天。",
        help_en="The date of the signature block; not after today.",
        example="2013-10-21",
        not_future=True,
    )
    service_attempts = ListField(
        SubFormField(ServiceAttemptForm),
        "送达记录",
        label_en="Service attempts",
        help="直接送达和邮寄送达均未成功后方可公告送达；提交时两种各至少一次（不见报）。",
        help_en="Newspaper service is valid only after direct and postal service failed; one of each is "
        "needed to submit (never printed).",
        max_items=20,
        blank_rows=({"method": "direct"}, {"method": "postal"}),
    )

    def cross_validate(self) -> None:
        since = self.absent_since.data if not self.absent_since.errors else None
        if since is not None:
            for field in (self.effective_on, self.signed_on):
                if field.data is not None and not field.errors and field.data < since:
                    self.add_error(field, _not_before(field.label_zh, field.label_en, since))
            for entry in self.service_attempts.entries:
                on = entry.form.on
                if on.data is not None and not on.errors and on.data < since:
                    self.add_error(on, _not_before(on.label_zh, on.label_en, since))
        effective = self.effective_on.data if not self.effective_on.errors else None
        report_by = self.report_by.data if not self.report_by.errors else None
        if report_by is not None and effective is not None and report_by > effective:
            self.add_error(
                self.report_by,
                msg(
                    "termination.report_by",
                    "限期报到日期不能晚于解除日期（{effective}）。",
                    "The report-back deadline cannot be after the termination date ({effective}).",
                    effective=effective.isoformat(),
                ),
            )
        seen: dict[str, int] = {}
        for i, entry in enumerate(self.employees.entries):
            id_field = entry.form.id_number
            if not id_field.data or id_field.errors:
                continue
            if id_field.data in seen:
                self.add_error(
                    id_field,
                    msg(
                        "termination.duplicate_id",
                        "与第{other}位职工的身份证号码重复。",
                        "Same ID card number as employee {other}.",
                        other=seen[id_field.data] + 1,
                    ),
                )
            else:
                seen[id_field.data] = i

    def submit_validate(self) -> None:
        methods = {e.form.method.data for e in self.service_attempts.entries if not e.form.method.errors}
        missing = [m for m in ("direct", "postal") if m not in methods]
        if missing:
            self.add_error(
                self.service_attempts,
                msg(
                    "termination.service_attempts",
                    "公告送达前须先直接送达和邮寄送达，且均未成功；请各记录至少一次（还缺：{missing_zh}）。",
                    "Newspaper service requires failed direct and postal service first; record at least "
                    "one of each (missing: {missing_en}).",
                    missing_zh="、".join(zh for v, zh, _ in SERVICE_METHODS if v in missing),
                    missing_en=", ".join(en.lower() for v, _, en in SERVICE_METHODS if v in missing),
                ),
            )


def _not_before(label_zh: str, label_en: str, since: date) -> Any:
    return msg(
        "date.before_absence",
        "{label}不能早于旷工起始日期（{since}）。",
        "{label_en} cannot be before the absence began ({since}).",
        label=label_zh,
        label_en=label_en,
        since=since.isoformat(),
    )


class GeneralNoticeForm(BaseForm):
    """A general 公告: title, body and signature."""

    title = TextField(
        "标题",
        label_en="Title",
        help="如：公告、声明、通知。",
        help_en="E.g. 公告 (notice), 声明 (declaration).",
        example="公告",
        max_length=50,
        roles=("heading",),  # printed as the notice's heading, in Hei
    )
    body = TextAreaTextField(
        "正文",
        label_en="Body",
        help="每段一行；段首缩进由排版自动处理。",
        help_en="One paragraph per line; indentation is added when typeset.",
        example="本公司职工王鹏、李慧、李晓林，私自离职，长期旷工……",
        max_length=5000,
    )
    signer = TextField(
        "落款",
        label_en="Signed by",
        help="落款单位或个人名称。",
        help_en="The organisation or person signing.",
        example="中航钛业有限公司",
    )
    signed_on = IsoDateField(
        "落款日期",
        label_en="Date signed",
        help="不能晚于今天。",
        help_en="Not after today.",
        not_future=True,
    )


NOTICE_FORMS: dict[str, type[BaseForm]] = {
    "lost_license": LostLicenseForm,
    "termination": TerminationForm,
    "general": GeneralNoticeForm,
}
