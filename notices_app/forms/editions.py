"""Forms of the editors' desk for editions: stories, story import, the page plan, pins, display ads.

Every message is bilingual like the notice forms'. Printed text is checked against the font of
the role it will print in (headline in Hei, body in Ming …), using the FontSet passed in the
form's meta as ``fonts``; ASCII punctuation next to Chinese is made full-width on input, as the
demo import does, rather than refused: editors paste wire copy.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any

from flask_wtf.file import FileField
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import NumberInput

from notices_app.forms.base import BaseForm
from notices_app.forms.fields import (
    Bilingual,
    ChoiceField,
    FlagField,
    IsoDateField,
    TextAreaTextField,
    TextField,
    lang_of,
)
from notices_app.layout.plan_data import MAX_PAGES, ROLE_LABELS, ROLES
from notices_app.rules.messages import msg
from notices_app.rules.text import check_glyphs, to_fullwidth_punct
from notices_app.services.stories import HEAD_MARK, MAX_PHOTO_BYTES, cm_to_lines

MAX_IMPORT_BYTES = 1024 * 1024
ROLE_CHOICES = tuple((r, *ROLE_LABELS[r]) for r in ROLES)
PIN_POSITION_CHOICES = (
    ("any", "不限", "Anywhere"),
    ("top", "版面上部", "Top of the page"),
    ("bottom", "版面下部", "Bottom of the page"),
)
AD_POSITION_CHOICES = (
    ("bottom", "底栏 / 下部", "Bottom band"),
    ("ear", "报眼", "Ear (top right)"),
    ("full", "整版", "Full page"),
)
HEIGHT_UNITS = (("lines", "行（基线网格）", "Grid lines"), ("cm", "厘米", "Centimetres"))


def _fullwidth(value: Any) -> Any:
    return to_fullwidth_punct(value) if isinstance(value, str) else value


def _say(meta: Any, zh: str, en: str, **params: Any) -> str:
    return msg("form", zh, en, **params).render(lang_of(meta))


# --- fields --------------------------------------------------------------------------------


class PrintedText(TextField):
    """Text printed in a story: checked against the font of its role (first of `roles` present,
    as every printed TextField is); ASCII punctuation next to Chinese is made full-width."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("filters", [_fullwidth])
        super().__init__(label, **kwargs)


class PrintedTextArea(PrintedText):
    widget = TextAreaTextField.widget

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("multiline", True)
        super().__init__(label, **kwargs)


class StoryBodyField(PrintedTextArea):
    """The body: a paragraph per line; a line starting with ``## `` is a section head (Hei)."""

    def check_coverage(self, value: str) -> None:
        body, head = self.covers(("body",)), self.covers(("heading",))
        if body is None or head is None:
            return
        mark = HEAD_MARK.strip()
        for line in value.split("\n"):
            if line.startswith(mark):
                check_glyphs(line.removeprefix(mark), head)
            else:
                check_glyphs(line, body)


class IntField(Bilingual, Field):
    """A whole number in [minimum, maximum], typed with ASCII or full-width digits."""

    widget = NumberInput()

    def __init__(
        self,
        label: str,
        *,
        label_en: str = "",
        help: str = "",
        help_en: str = "",
        minimum: int = 0,
        maximum: int = 9999,
        required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.minimum, self.maximum, self.required = minimum, maximum, required
        self.warnings: list[str] = []
        self._localise(label, label_en, help, help_en, "")

    def parse(self, raw: str) -> float:
        """The number typed (ValueError if it is not one)."""
        return int(raw)

    def format_error(self) -> str:
        return self.say(msg("int.format", "{label}应为整数。", "{label_en} must be a whole number."))

    def process_data(self, value: Any) -> None:
        self.data: float | None = (
            value if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = unicodedata.normalize("NFKC", str(valuelist[0])).strip()
        self.data = None
        if not raw:
            return
        try:
            self.data = self.parse(raw)
        except ValueError as err:
            raise ValueError(self.format_error()) from err

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()
        if self.data is None:
            if self.required:
                raise StopValidation(
                    self.say(msg("field.required", "请填写{label}。", "{label_en} is required."))
                )
            raise StopValidation()
        if not self.minimum <= self.data <= self.maximum:
            raise StopValidation(
                self.say(
                    msg(
                        "int.range",
                        "{label}应在{min}到{max}之间。",
                        "{label_en} must be from {min} to {max}.",
                        min=self.minimum,
                        max=self.maximum,
                    )
                )
            )


class NumberField(IntField):
    """A decimal number (a height in cm or lines)."""

    def parse(self, raw: str) -> float:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return value

    def format_error(self) -> str:
        return self.say(msg("number.format", "{label}应为数字。", "{label_en} must be a number."))


def _set_choices(field: ChoiceField, choices: Sequence[tuple[str, str, str]]) -> None:
    """Choices known only per request (the edition's pages, the ads on file)."""
    field.codes = [v for v, _, _ in choices]
    english = lang_of(field.meta).startswith("en")
    field.choices = [(v, en if english else zh) for v, zh, en in choices]


def page_choices(page_count: int) -> list[tuple[str, str, str]]:
    return [(str(n), f"第{n}版", f"Page {n}") for n in range(1, page_count + 1)]


# --- stories -------------------------------------------------------------------------------


class StoryForm(BaseForm):
    """One news story as the editor types it."""

    headline = PrintedText(
        "标题",
        label_en="Headline",
        max_length=200,
        roles=("heading",),
        example="政务微博“淄博发布”上线运行",
    )
    deck = PrintedTextArea(
        "副题 / 引题",
        label_en="Deck lines",
        required=False,
        max_length=300,
        roles=("kai", "heading"),
        help="每行一条。",
        help_en="One per line.",
    )
    byline = PrintedText(
        "电头 / 署名",
        label_en="Dateline / byline",
        required=False,
        max_length=200,
        roles=("kai",),
        example="本报10月21日讯（记者 李超）",
    )
    body = StoryBodyField(
        "正文",
        label_en="Body",
        max_length=30000,
        help="每段一行；以“## ”开头的行是小标题。",
        help_en="One paragraph per line; a line starting with “## ” is a section head.",
    )
    sort_order = IntField(
        "排序",
        label_en="Order",
        required=False,
        default=0,
        help="数字小的排在前面，头条为0。",
        help_en="Lower comes first; the lead story is 0.",
    )
    photo = FileField("照片（JPEG / PNG，最大 10 MB）")
    caption = PrintedText("图片说明", label_en="Caption", required=False, max_length=300, roles=("kai",))
    remove_photo = FlagField("删除照片", label_en="Remove the photo")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.photo_bytes: bytes | None = None
        if lang_of(self.meta).startswith("en"):
            self.photo.label.text = "Photo (JPEG / PNG, at most 10 MB)"

    def cross_validate(self) -> None:
        upload = self.photo.data
        if upload is None or not getattr(upload, "filename", None):
            return
        # One byte over the limit is enough to know; never read an unbounded stream into memory.
        data = upload.read(MAX_PHOTO_BYTES + 1)
        if not data:
            self.add_error(
                self.photo, _say(self.meta, "上传的照片是空文件。", "The uploaded photo is empty.")
            )
        elif len(data) > MAX_PHOTO_BYTES:
            self.add_error(
                self.photo,
                _say(
                    self.meta,
                    "照片文件过大，最大 {max} MB。",
                    "The photo is too large; at most {max} MB.",
                    max=10,
                ),
            )
        else:
            self.photo_bytes = data


class ImportForm(BaseForm):
    """Plain text (pasted or a .txt file) in the seed page's shape, for one edition date."""

    edition_date = IsoDateField("刊期", label_en="Edition date")
    text = TextAreaTextField(
        "稿件文本",
        label_en="Text",
        required=False,
        printed=False,
        max_length=200_000,
        help="标题、副题、电头（如“本报10月21日讯(记者 李超)”）和正文，每篇稿件依次排列。",
        help_en="Headline, deck, dateline (e.g. 本报10月21日讯(记者 李超)) and body, one story after another.",
    )
    file = FileField("或上传 .txt 文件（UTF-8 或 GB18030）")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = ""
        if lang_of(self.meta).startswith("en"):
            self.file.label.text = "or upload a .txt file (UTF-8 or GB18030)"

    def cross_validate(self) -> None:
        upload = self.file.data
        if upload is not None and getattr(upload, "filename", None):
            raw = upload.read(MAX_IMPORT_BYTES + 1)
            if len(raw) > MAX_IMPORT_BYTES:
                self.add_error(
                    self.file,
                    _say(self.meta, "文件过大，最大 1 MB。", "The file is too large; at most 1 MB."),
                )
                return
            text = _decode(raw)
            if text is None:
                self.add_error(
                    self.file,
                    _say(
                        self.meta,
                        "无法识别文件编码：请使用 UTF-8 或 GB18030。",
                        "Unknown encoding: use UTF-8 or GB18030.",
                    ),
                )
                return
            self.source = text
        elif self.text.data:
            self.source = self.text.data
        elif not self.text.errors:
            self.add_error(
                self.text, _say(self.meta, "请粘贴稿件文本或上传文件。", "Paste the text or upload a file.")
            )


def _decode(raw: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


# --- the page plan, pins and ads -------------------------------------------------------------


class PlanForm(BaseForm):
    """Page count, and each page's role and label; rows are fields ``role_<n>`` / ``label_<n>``."""

    page_count = IntField("版数", label_en="Pages", minimum=1, maximum=MAX_PAGES)

    @classmethod
    def with_rows(cls, rows: int, **kwargs: Any) -> PlanForm:
        """A form with `rows` page rows (the number the browser sent, or the plan's page count)."""
        attrs: dict[str, Any] = {}
        for n in range(1, min(rows, MAX_PAGES) + 1):
            attrs[f"role_{n}"] = ChoiceField(
                f"第{n}版类型", ROLE_CHOICES, label_en=f"Page {n} role", default="news"
            )
            attrs[f"label_{n}"] = PrintedText(
                f"第{n}版版名", label_en=f"Page {n} name", required=False, max_length=20, roles=("heading",)
            )
        form_cls = type("PlanForm", (cls,), attrs)
        form = form_cls(**kwargs)
        form.rows = min(rows, MAX_PAGES)
        return form  # type: ignore[no-any-return]

    rows = 0

    def page_rows(self) -> list[tuple[Field, Field]]:
        return [(self[f"role_{n}"], self[f"label_{n}"]) for n in range(1, self.rows + 1)]

    def pages(self) -> list[tuple[str, str]]:
        """(role, label) of each page; pages added beyond the rows shown are news pages."""
        count = self.page_count.data or 0
        out = [(str(r.data), str(lab.data or "")) for r, lab in self.page_rows()][:count]
        out += [("news", "")] * (count - len(out))
        return out


def rows_in(formdata: Any) -> int:
    """How many page rows a submitted plan form carries (``role_1`` … without gaps)."""
    n = 0
    while n < MAX_PAGES and f"role_{n + 1}" in formdata:
        n += 1
    return n


class PinForm(BaseForm):
    """Pin one story or notice to a page (empty page = placed automatically)."""

    page = ChoiceField("版次", (), label_en="Page", required=False)
    position = ChoiceField("位置", PIN_POSITION_CHOICES, label_en="Position", default="any")

    def __init__(self, *args: Any, page_count: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.page, [("", "自动", "Automatic"), *page_choices(page_count)])
        self.page.codes = self.page.codes[1:]  # "" is "no pin", not a page

    @property
    def page_number(self) -> int | None:
        return int(self.page.data) if self.page.data else None


class AdPlacementForm(BaseForm):
    """Place a display ad (from the ads on file) on a page of the edition."""

    ad = ChoiceField("广告", (), label_en="Ad")
    page = ChoiceField("版次", (), label_en="Page")
    position = ChoiceField("位置", AD_POSITION_CHOICES, label_en="Position", default="bottom")
    cols = IntField("宽度（栏）", label_en="Width (columns)", minimum=1, maximum=6, default=2)
    height = NumberField("高度", label_en="Height", minimum=0, maximum=10000)
    unit = ChoiceField("高度单位", HEIGHT_UNITS, label_en="Height unit", default="cm")

    def __init__(
        self,
        *args: Any,
        ads: Sequence[tuple[str, str]] = (),
        page_count: int = 1,
        columns: int = 6,
        lines_per_column: int = 100,
        leading_pt: float = 13.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.ad, [(v, title, title) for v, title in ads])
        _set_choices(self.page, page_choices(page_count))
        self.cols.maximum = columns
        self.lines_per_column = lines_per_column
        self.leading_pt = leading_pt
        self.lines = 0

    def cross_validate(self) -> None:
        if self.height.errors or self.unit.errors or self.height.data is None:
            return
        value = float(self.height.data)
        if value <= 0:
            self.add_error(self.height, _say(self.meta, "高度应大于0。", "The height must be more than 0."))
            return
        if self.unit.data == "lines":
            if value != int(value):
                self.add_error(
                    self.height,
                    _say(self.meta, "按行计的高度应为整数。", "A height in lines is a whole number."),
                )
                return
            lines = int(value)
        else:
            lines = cm_to_lines(value, self.leading_pt)
        if lines > self.lines_per_column:
            self.add_error(
                self.height,
                _say(
                    self.meta,
                    "高度为{lines}行，超过版心的{max}行。",
                    "{lines} lines is taller than the type area ({max} lines).",
                    lines=lines,
                    max=self.lines_per_column,
                ),
            )
            return
        self.lines = lines
