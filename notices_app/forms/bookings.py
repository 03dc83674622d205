"""The advertiser's booking form: editions, artwork upload or the tourism-ad template, options.

Messages are bilingual like every other form's. The template's text is printed, so it is
checked against the fonts of the roles it prints in (headline, sub-lines, features and phones
in Hei, body in Ming) and ASCII punctuation next to Chinese is made full-width on input. The
artwork itself is judged by print.artwork.check_artwork in the view, which knows the slot's
size; the form only reads the upload, at most one byte over the limit.
"""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField

from notices_app.forms.base import BaseForm
from notices_app.forms.editions import PrintedText, PrintedTextArea
from notices_app.forms.fields import ChoiceField, FlagField, TextField, lang_of
from notices_app.rules.messages import msg
from print.artwork import MAX_BYTES

SOURCE_CHOICES = (
    ("artwork", "上传广告作品（PDF、PNG 或 JPEG）", "Upload artwork (PDF, PNG or JPEG)"),
    ("template", "填写旅游广告模板", "Fill in the tourism-ad template"),
)
TEMPLATE_FIELDS = ("title", "headline", "sublines", "features", "body", "phones")


def _say(meta: Any, zh: str, en: str, **params: Any) -> str:
    return msg("form", zh, en, **params).render(lang_of(meta))


def lines_of(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").split("\n") if line.strip())


class BookingForm(BaseForm):
    """One slot in one or more editions. Dates come from the `dates` checkboxes (see the view)."""

    source = ChoiceField("广告内容", SOURCE_CHOICES, label_en="Ad content", default="artwork")
    artwork = FileField("广告作品")
    title = TextField(
        "广告名称",
        label_en="Ad name",
        required=False,
        max_length=100,
        printed=False,
        help="仅用于记录，不印刷。",
        help_en="For the record only; not printed.",
    )
    headline = PrintedText(
        "标题",
        label_en="Headline",
        required=False,
        max_length=40,
        roles=("heading",),
        example="周末纯玩两日游",
    )
    sublines = PrintedTextArea(
        "副标题",
        label_en="Sub-lines",
        required=False,
        max_length=200,
        roles=("heading",),
        help="每行一条。",
        help_en="One per line.",
    )
    features = PrintedTextArea(
        "特色",
        label_en="Features",
        required=False,
        max_length=300,
        roles=("heading",),
        help="每行一条，印为项目符号。",
        help_en="One per line, printed as bullets.",
    )
    body = PrintedTextArea(
        "正文",
        label_en="Body",
        required=False,
        max_length=1500,
        roles=("body",),
        help="每段一行。",
        help_en="One paragraph per line.",
    )
    phones = PrintedTextArea(
        "电话",
        label_en="Phones",
        required=False,
        max_length=300,
        roles=("heading",),
        help="每行一条，如“报名咨询电话：0533—2173002”。",
        help_en="One per line, e.g. 报名咨询电话：0533—2173002.",
    )
    colour = FlagField("套色（彩色印刷）", label_en="Colour")
    fixed_position = FlagField(
        "指定版位",
        label_en="Fixed position",
        help="保证刊登在所选的位置；不选时，编辑可在同版同尺寸的空位间调整。",
        help_en="Guarantees the place chosen; without it the desk may move the ad to an equal free place on the page.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.artwork_bytes: bytes | None = None
        english = lang_of(self.meta).startswith("en")
        self.artwork.label.text = (
            "Artwork (PDF, PNG or JPEG, at most 20 MB)"
            if english
            else "广告作品（PDF、PNG 或 JPEG，最大 20 MB）"
        )

    @property
    def uses_template(self) -> bool:
        return self.source.data == "template"

    def cross_validate(self) -> None:
        if self.source.errors:
            return
        if self.uses_template:
            if not self.headline.data and not self.headline.errors:
                self.add_error(self.headline, _say(self.meta, "请填写标题。", "The headline is required."))
            return
        upload = self.artwork.data
        if upload is None or not getattr(upload, "filename", None):
            self.add_error(
                self.artwork,
                _say(self.meta, "请选择要上传的广告作品。", "Choose the artwork file to upload."),
            )
            return
        data = upload.read(MAX_BYTES + 1)
        if not data:
            self.add_error(self.artwork, _say(self.meta, "上传的文件是空的。", "The uploaded file is empty."))
        elif len(data) > MAX_BYTES:
            self.add_error(
                self.artwork,
                _say(
                    self.meta, "文件过大，最大 {max} MB。", "The file is too large; at most {max} MB.", max=20
                ),
            )
        else:
            self.artwork_bytes = data

    def template_fields(self) -> dict[str, Any]:
        return {
            "title": self.title.data or self.headline.data or "",
            "headline": self.headline.data or "",
            "sublines": lines_of(self.sublines.data),
            "features": lines_of(self.features.data),
            "body": lines_of(self.body.data),
            "phones": lines_of(self.phones.data),
        }
