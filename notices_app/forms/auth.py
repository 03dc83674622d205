"""Login and sign-up forms."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import ValidationError


class _Required:
    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __call__(self, form: FlaskForm, field: object) -> None:
        data = getattr(field, "data", None)
        if not data or not str(data).strip():
            lang = getattr(form.meta, "lang", "zh")
            raise ValidationError(self.en if lang == "en" else self.zh)


class _MaxLength:
    """Longer than the column holds: a field error, never a database error (PostgreSQL refuses it)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: FlaskForm, field: object) -> None:
        data = getattr(field, "data", None)
        if data and len(str(data)) > self.limit:
            lang = getattr(form.meta, "lang", "zh")
            zh, en = f"最多{self.limit}个字符", f"At most {self.limit} characters"
            raise ValidationError(en if lang == "en" else zh)


class _EmailShape:
    """An address a mail server could deliver to: one @, a dotted domain, no spaces or markup."""

    _SHAPE = re.compile(r"^[^@\s<>\"'(),;:\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

    def __call__(self, form: FlaskForm, field: object) -> None:
        data = getattr(field, "data", None)
        if data and not self._SHAPE.match(str(data)):
            lang = getattr(form.meta, "lang", "zh")
            raise ValidationError("E-mail address is not valid" if lang == "en" else "邮箱地址格式不正确")


def _clean(value: object) -> object:
    # Control characters (a NUL byte above all: PostgreSQL refuses it in text) never reach a query.
    from notices_app.rules.text import clean_text

    return clean_text(value) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    class Meta:
        lang = "zh"

    email = EmailField("邮箱", filters=[_clean], validators=[_Required("请填写邮箱", "E-mail is required")])
    password = PasswordField(
        "密码", filters=[_clean], validators=[_Required("请填写密码", "Password is required")]
    )


class _CreditCode:
    """Optional at sign-up; when given it must pass the GB 32100-2015 check."""

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        from notices_app.rules.identifiers import check_uscc
        from notices_app.rules.messages import RuleError

        if not (field.data or "").strip():
            return
        try:
            field.data = check_uscc(field.data)
        except RuleError as err:
            raise ValidationError(err.message.render(getattr(form.meta, "lang", "zh"))) from err


class SignupForm(FlaskForm):
    class Meta:
        lang = "zh"

    org_name = StringField(
        "单位名称",
        filters=[_clean],
        validators=[_Required("请填写单位名称", "Organisation name is required"), _MaxLength(200)],
    )
    credit_code = StringField("统一社会信用代码", filters=[_clean], validators=[_CreditCode()])
    contact_name = StringField("联系人", filters=[_clean], validators=[_MaxLength(100)])
    contact_phone = StringField("联系电话", filters=[_clean], validators=[_MaxLength(40)])
    email = EmailField(
        "邮箱",
        filters=[_clean],
        validators=[_Required("请填写邮箱", "E-mail is required"), _MaxLength(254), _EmailShape()],
    )
    password = PasswordField(
        "密码(至少8位)", filters=[_clean], validators=[_Required("请填写密码", "Password is required")]
    )


class PasswordForm(FlaskForm):
    """Change one's password: the current one, then the new one twice."""

    class Meta:
        lang = "zh"

    current_password = PasswordField(
        "当前密码",
        filters=[_clean],
        validators=[_Required("请填写当前密码", "The current password is required")],
    )
    new_password = PasswordField(
        "新密码(至少8位)",
        filters=[_clean],
        validators=[_Required("请填写新密码", "A new password is required")],
    )
    confirm = PasswordField(
        "再次输入新密码",
        filters=[_clean],
        validators=[_Required("请再次输入新密码", "Repeat the new password")],
    )

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.new_password.data:
            lang = getattr(self.meta, "lang", "zh")
            raise ValidationError("Passwords differ" if lang == "en" else "两次输入的新密码不一致")
