"""Field classes shared by every notice form: bilingual labels and messages, strict input types.

Each field parses and checks its own value in ``pre_validate`` so that one field gives one clear
message (type → required → length → content), and a value of the wrong JSON type is a field
error, never an exception. WTForms' built-in validators are not used: their messages are
English-only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

import phonenumbers
from wtforms import Field, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.fields.core import Label
from wtforms.utils import unset_value
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, DateInput

from notices_app.rules.identifiers import check_ric, check_uscc, classify_reg_number
from notices_app.rules.messages import Message, RuleError, msg
from notices_app.rules.text import check_chinese_punct, check_glyphs, clean_text


class IllTyped:
    """Stands in formdata for a JSON list or object where the form expects a scalar (or vice versa)."""

    def __init__(self, json_type: str) -> None:
        self.json_type = json_type

    def __repr__(self) -> str:
        return f"IllTyped({self.json_type!r})"


def lang_of(meta: Any) -> str:
    return str(getattr(meta, "lang", None) or "zh")


def today_of(meta: Any) -> date:
    today = getattr(meta, "today", None)
    return today if isinstance(today, date) else date.today()


def render(meta: Any, message: Message) -> str:
    return message.render(lang_of(meta))


def _json_type(value: Any) -> Message:
    if isinstance(value, IllTyped):
        kind = value.json_type
    elif isinstance(value, bool):
        kind = "boolean"
    elif isinstance(value, int | float):
        kind = "number"
    else:
        kind = type(value).__name__
    zh = {"boolean": "布尔值", "number": "数字", "list": "列表", "object": "对象"}.get(kind, kind)
    return msg(
        "field.type",
        "应为文本，收到的是{kind_zh}。",
        "Expected a string, got a {kind}.",
        kind_zh=zh,
        kind=kind,
    )


class Bilingual:
    """Mixin: Chinese and English label, help text and an example shown as the placeholder."""

    meta: Any
    label: Label
    description: str
    render_kw: dict[str, Any] | None
    id: str

    def _localise(self, label: str, label_en: str, help: str, help_en: str, example: str) -> None:
        self.label_zh, self.label_en = label, label_en or label
        english = lang_of(self.meta).startswith("en")
        self.label = Label(self.id, self.label_en if english else label)
        self.description = (help_en or help) if english else help
        if example:
            self.render_kw = {"placeholder": example, **(self.render_kw or {})}

    @property
    def label_text(self) -> str:
        return self.label_en if lang_of(self.meta).startswith("en") else self.label_zh

    def say(self, message: Message) -> str:
        """``message`` in the form's language, with ``{label}`` available to its templates."""
        params = {"label": self.label_zh, "label_en": self.label_en, **message.params}
        return Message(message.code, message.zh, message.en, params).render(lang_of(self.meta))


def _required_message() -> Message:
    return msg("field.required", "请填写{label}。", "{label_en} is required.")


class TextField(Bilingual, StringField):
    """A cleaned text value; ``printed`` fields must use full-width punctuation and printable glyphs.

    ``roles`` name the font the field prints in (the first of them the fonts have; ``body`` when
    none): a notice's title is set in Hei, which lacks glyphs the Ming body face has.
    """

    def __init__(
        self,
        label: str,
        *,
        label_en: str = "",
        help: str = "",
        help_en: str = "",
        example: str = "",
        required: bool = True,
        max_length: int = 100,
        multiline: bool = False,
        printed: bool = True,
        roles: Sequence[str] = ("body",),
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.required = required
        self.max_length = max_length
        self.multiline = multiline
        self.printed = printed
        self.roles = tuple(roles)
        self.warnings: list[str] = []
        self._localise(label, label_en, help, help_en, example)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if not isinstance(raw, str):
            self.data = ""
            raise ValueError(self.say(_json_type(raw)))
        self.data = clean_text(raw, multiline=self.multiline)

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, str) else ("" if value is None else str(value))

    def _value(self) -> str:
        return self.data or ""

    def pre_validate(self, form: Any) -> None:
        self.warnings = []
        if self.process_errors:
            raise StopValidation()
        value = self.data or ""
        if not value:
            if self.required:
                raise StopValidation(self.say(_required_message()))
            raise StopValidation()
        try:
            self.data = self.check(value)
        except RuleError as err:
            raise StopValidation(self.say(err.message)) from err

    def check(self, value: str) -> str:
        """Content rules; returns the value to store. Subclasses for identifiers override this."""
        if len(value) > self.max_length:
            raise RuleError(
                msg(
                    "field.too_long",
                    "{label}最多{max}个字，现为{length}个字。",
                    "{label_en} takes at most {max} characters; this has {length}.",
                    max=self.max_length,
                    length=len(value),
                    label=self.label_zh,
                    label_en=self.label_en,
                )
            )
        if self.printed:
            check_chinese_punct(value)
            self.check_coverage(value)
        return value

    def covers(self, role_order: Sequence[str] | None = None) -> Callable[[str], bool] | None:
        """Whether the print font has a glyph for a character, from the form's meta.

        With ``fonts`` (a FontSet), the font of the first role of ``role_order`` (default: the
        field's ``roles``) that the set has, else the body font; without it, ``covers`` (one
        function for all text, as tests pass it); None when neither is given.
        """
        fonts = getattr(self.meta, "fonts", None)
        if fonts is None:
            covers: Callable[[str], bool] | None = getattr(self.meta, "covers", None)
            return covers
        order = (*(role_order or self.roles), "body")
        role = next(r for r in order if fonts.has_role(r))
        return lambda ch: bool(fonts.covers(ch, role))

    def check_coverage(self, value: str) -> None:
        """Raise RuleError naming characters the field's print font cannot draw.

        ReportLab would print them as blanks, and typesetting refuses them (MissingGlyphs): caught
        here, the filer sees which character on which field instead of a failed request.
        """
        covers = self.covers()
        if covers is not None:
            check_glyphs(value, covers)


class TextAreaTextField(TextField):
    """A multi-line :class:`TextField` rendered as a textarea."""

    widget = TextAreaField.widget

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("multiline", True)
        kwargs.setdefault("max_length", 2000)
        super().__init__(label, **kwargs)


class CreditCodeField(TextField):
    """统一社会信用代码, stored normalised (upper-case, no spaces)."""

    def __init__(self, label: str = "统一社会信用代码", **kwargs: Any) -> None:
        kwargs.setdefault("label_en", "Unified social credit code")
        kwargs.setdefault("printed", False)
        super().__init__(label, **kwargs)

    def check(self, value: str) -> str:
        return check_uscc(value)


class RegNumberField(TextField):
    """Old 注册号: 15 digits or a farmer cooperative's; doubtful input gives warnings, not errors."""

    def __init__(self, label: str = "注册号", **kwargs: Any) -> None:
        kwargs.setdefault("label_en", "Registration number")
        kwargs.setdefault("printed", False)
        super().__init__(label, **kwargs)

    def check(self, value: str) -> str:
        reg = classify_reg_number(value)
        self.warnings = [self.say(w) for w in reg.warnings]
        return reg.value


class IdNumberField(TextField):
    """居民身份证号, stored with an upper-case X."""

    def __init__(self, label: str = "身份证号码", **kwargs: Any) -> None:
        kwargs.setdefault("label_en", "ID card number")
        kwargs.setdefault("printed", False)
        super().__init__(label, **kwargs)

    def check(self, value: str) -> str:
        return check_ric(value, today=today_of(self.meta))


# Dashes filers type between area code and number: em dash (as printed, 0533—2173002), en dash,
# full-width hyphen and friends. phonenumbers only understands ASCII separators.
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


def normalise_phone(value: str) -> str:
    """E.164 form (``+865332173002``) of a Chinese landline or mobile; raises RuleError."""
    text = _DASHES.sub("-", unicodedata.normalize("NFKC", value)).strip()
    invalid = msg(
        "phone.invalid",
        "电话号码“{value}”无效：座机请带区号（如0533—2173002），手机号为11位。",
        "The phone number {value} is not valid: landlines need the area code (e.g. 0533-2173002), "
        "mobiles have 11 digits.",
        value=value,
    )
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as err:
        raise RuleError(invalid) from err
    if not phonenumbers.is_valid_number(number):
        raise RuleError(invalid)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneField(TextField):
    """A Chinese phone number; stored in E.164 so one number has one spelling."""

    def __init__(self, label: str = "联系电话", **kwargs: Any) -> None:
        kwargs.setdefault("label_en", "Contact phone")
        kwargs.setdefault("printed", False)
        kwargs.setdefault("example", "0533—2173002")
        kwargs.setdefault("max_length", 30)
        super().__init__(label, **kwargs)

    def check(self, value: str) -> str:
        if len(value) > self.max_length:
            return super().check(value)
        return normalise_phone(value)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDateField(Bilingual, Field):
    """A date typed or sent as ``YYYY-MM-DD``; ``not_future`` compares with the form's ``today``."""

    widget = DateInput()

    def __init__(
        self,
        label: str,
        *,
        label_en: str = "",
        help: str = "",
        help_en: str = "",
        example: str = "2013-10-21",
        required: bool = True,
        not_future: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.required = required
        self.not_future = not_future
        self.warnings: list[str] = []
        self._localise(label, label_en, help, help_en, example)

    def process_data(self, value: Any) -> None:
        if isinstance(value, date):
            self.data: date | None = value
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                self.data = date.fromisoformat(value)
            except ValueError:
                self.data = None
        else:
            self.data = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        self.data = None
        if not isinstance(raw, str):
            raise ValueError(self.say(_json_type(raw)))
        raw = unicodedata.normalize("NFKC", raw).strip()
        if not raw:
            return
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(
                self.say(
                    msg(
                        "date.format",
                        "{label}的格式应为“年-月-日”，如2013-10-21。",
                        "{label_en} must be written YYYY-MM-DD, e.g. 2013-10-21.",
                    )
                )
            )
        try:
            self.data = date.fromisoformat(raw)
        except ValueError as err:
            raise ValueError(
                self.say(
                    msg(
                        "date.invalid",
                        "{label}“{value}”不是有效的日期。",
                        "{label_en} {value} is not a real date.",
                        value=raw,
                    )
                )
            ) from err

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0]) if isinstance(self.raw_data[0], str) else ""
        return self.data.isoformat() if self.data else ""

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()
        if self.data is None:
            if self.required:
                raise StopValidation(self.say(_required_message()))
            raise StopValidation()
        if self.not_future and self.data > today_of(self.meta):
            raise StopValidation(
                self.say(
                    msg(
                        "date.future",
                        "{label}不能晚于今天（{today}）。",
                        "{label_en} cannot be after today ({today}).",
                        today=today_of(self.meta).isoformat(),
                    )
                )
            )


class ChoiceField(Bilingual, SelectField):
    """One of fixed codes; choices are ``(value, zh, en)`` and render in the form's language."""

    def __init__(
        self,
        label: str,
        choices: Sequence[tuple[str, str, str]],
        *,
        label_en: str = "",
        help: str = "",
        help_en: str = "",
        required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, choices=[(v, zh) for v, zh, _ in choices], validate_choice=False, **kwargs)
        self.codes = [v for v, _, _ in choices]
        self.required = required
        self.warnings: list[str] = []
        self._localise(label, label_en, help, help_en, "")
        if lang_of(self.meta).startswith("en"):
            self.choices = [(v, en) for v, _, en in choices]

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if not isinstance(raw, str):
            self.data = None
            raise ValueError(self.say(_json_type(raw)))
        self.data = raw.strip()

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()
        if not self.data:
            self.data = None
            if self.required:
                raise StopValidation(self.say(_required_message()))
            raise StopValidation()
        if self.data not in self.codes:
            raise StopValidation(
                self.say(
                    msg(
                        "choice.invalid",
                        "{label}只能是：{codes}。",
                        "{label_en} must be one of: {codes}.",
                        codes=", ".join(self.codes),
                    )
                )
            )


_TRUE = frozenset({"y", "yes", "true", "on", "1"})
_FALSE = frozenset({"", "n", "no", "false", "off", "0"})


class FlagField(Bilingual, Field):
    """A checkbox; from JSON a boolean (or the strings a browser or script would send)."""

    widget = CheckboxInput()

    def __init__(
        self, label: str, *, label_en: str = "", help: str = "", help_en: str = "", **kwargs: Any
    ) -> None:
        super().__init__(label, **kwargs)
        self.warnings: list[str] = []
        self._localise(label, label_en, help, help_en, "")

    def process_data(self, value: Any) -> None:
        self.data = bool(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = False
        if not valuelist:
            return
        raw = valuelist[0]
        if isinstance(raw, bool):
            self.data = raw
        elif isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            self.data = raw.strip().lower() in _TRUE
        else:
            raise ValueError(
                self.say(msg("flag.type", "{label}应为true或false。", "{label_en} must be true or false."))
            )

    def _value(self) -> str:
        return "y"

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class SubFormField(FormField):
    """FormField that hands the parent form's language, glyph coverage and ``today`` down.

    Plain FormField builds the sub-form with default Meta, so its messages would always be Chinese.
    """

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        if data is unset_value:
            try:
                data = self.default()
            except TypeError:
                data = self.default
            self._obj = data
        self.object_data = data
        meta = {
            "lang": lang_of(self.meta),
            "covers": getattr(self.meta, "covers", None),
            "fonts": getattr(self.meta, "fonts", None),
            "today": getattr(self.meta, "today", None),
        }
        prefix = self.name + self.separator
        kwargs = data if isinstance(data, dict) else {}
        self.form = self.form_class(formdata=formdata, prefix=prefix, meta=meta, **kwargs)


def _is_blank_row(entry: Any) -> bool:
    if not isinstance(entry, SubFormField):
        return False
    subfields = list(entry.form)
    if any(f.process_errors for f in subfields):
        return False
    return all(not f.data for f in subfields if isinstance(f, TextField | IsoDateField))


class ListField(Bilingual, FieldList):
    """A repeating group with a bilingual "at least / at most" rule and JSON type checks."""

    def __init__(
        self,
        unbound_field: Any,
        label: str,
        *,
        label_en: str = "",
        help: str = "",
        help_en: str = "",
        min_items: int = 0,
        max_items: int = 50,
        blank_rows: Sequence[dict[str, Any]] = ({},),
        **kwargs: Any,
    ) -> None:
        super().__init__(unbound_field, label, max_entries=max_items, **kwargs)
        self.min_items = min_items
        self.blank_rows = blank_rows
        self.list_errors: list[str] = []
        self._localise(label, label_en, help, help_en, "")

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        self.list_errors = []
        if formdata is None:
            # A fresh browser form shows rows to fill in; submitted input never gets invented rows.
            if not self.entries:
                for row in self.blank_rows:
                    self.append_entry(dict(row))
            return
        # Rows the browser sent back untouched are not entries (the choices keep their defaults).
        self.entries = [e for e in self.entries if not _is_blank_row(e)]
        if self.name in formdata:
            self.list_errors.append(
                self.say(msg("list.type", "{label}应为对象列表。", "{label_en} must be a list of objects."))
            )
        count = len(set(self._extract_indices(self.name, formdata)))
        if self.max_entries and count > self.max_entries:
            self.list_errors.append(
                self.say(
                    msg(
                        "list.too_many",
                        "{label}最多{max}项，现为{count}项。",
                        "{label_en}: at most {max} allowed; got {count}.",
                        max=self.max_entries,
                        count=count,
                    )
                )
            )

    def validate(self, form: Any, extra_validators: Sequence[Any] = ()) -> bool:
        super().validate(form, extra_validators)
        own = list(self.list_errors)
        if not own and len(self.entries) < self.min_items:
            own.append(
                self.say(
                    msg(
                        "list.too_few",
                        "{label}至少要有{min}项。",
                        "{label_en}: at least {min} required.",
                        min=self.min_items,
                    )
                )
            )
        self.errors = own + list(self.errors)
        return not self.errors

    def own_errors(self) -> list[str]:
        """Errors about the list itself, not about one of its entries."""
        return [e for e in self.errors if isinstance(e, str)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.entries)
