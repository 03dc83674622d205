"""Hostile text on its way to print: ReportLab markup, control characters, huge input and
characters the fonts lack, typed into notice, story and ad forms.

The forms refuse what must be refused with an error on the field that names the character (or
the length); whatever they let through prints literally: read back from the PDF, "<font" is
text, there is no image XObject, and every font is one of ours, embedded (no Helvetica).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pikepdf
import pytest
from flask import Flask
from pdfread import font_report, read_lines

from notices_app.forms import NOTICE_FORMS, fields_from_form, form_errors, formdata_from_json
from notices_app.forms.bookings import BookingForm, lines_of
from notices_app.forms.editions import StoryForm
from notices_app.layout.geometry import PageGeometry
from notices_app.layout.types import AdText, StoryText
from notices_app.services import typesetting
from notices_app.services.demo import lost_license_fields, termination_fields
from notices_app.services.stories import blocks_from_body, deck_lines
from print.ads import render_ad_pdf
from print.fonts import FontSet
from print.pdfcanvas import finish, new_canvas
from print.receipts import Receipt, render_receipt
from print.stories import typeset_story
from print.textflow import ComposeFn

FONT_TAG = '<font name="Helvetica">x</font>'
IMG_TAG = '<img src="/etc/passwd"/>'
# Spaces keep the markup's ASCII ";" and "/" away from Chinese text, where the punctuation rule
# (clreq 15) would rightly ask for full-width marks instead.
MARKUP = f" {FONT_TAG} {IMG_TAG} &amp; A4 "
CONTROLS = "".join(chr(c) for c in range(0x20))
HUGE = "中" * 20_000
TODAY = date.today()
GENERAL = {
    "title": "公告",
    "body": "本公司营业场所自下月起迁至淄博市张店区华光路166号。\n特此公告",
    "signer": "淄博华光商贸有限公司",
    "signed_on": TODAY.isoformat(),
}
SEEDS: dict[str, dict[str, Any]] = {
    "general": GENERAL,
    "termination": termination_fields(TODAY),
    "lost_license": {**lost_license_fields(TODAY), "confirm_warnings": True},
}
# One free-text field per kind that prints in the notice's body.
TEXT_FIELD = {"general": "body", "termination": "legal_basis", "lost_license": "org_name"}


@pytest.fixture(scope="module")
def request_context() -> Iterator[None]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    with app.test_request_context():
        yield


def _notice_form(kind: str, fields: dict[str, Any], fonts: FontSet) -> Any:
    form = NOTICE_FORMS[kind](
        formdata=formdata_from_json(fields), meta={"lang": "zh", "covers": fonts.covers, "today": TODAY}
    )
    form.validate()
    return form


def _outside(fonts: FontSet, role: str = "body") -> list[str]:
    """Characters the fonts of `role` cannot print (found, not assumed: fonts differ by system)."""
    candidates = ["\U0001f600", "\U0001f4a9", "\u2603", "\U00010348", "\u13a0", "\u0f00", "\U0001d11e"]
    missing = [ch for ch in candidates if not fonts.covers(ch, role)]
    assert missing, "the fonts cover every candidate: add rarer ones"
    return missing


class Printed:
    """What a PDF shows when read back."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.text = "".join(line.text for line in read_lines(pdf))
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            self.images = sum(
                1
                for obj in doc.objects
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == pikepdf.Name.Image
            )
        self.fonts = font_report(pdf)

    def assert_clean(self, fonts: FontSet, images: int = 0) -> None:
        assert self.images == images  # markup made no picture appear
        assert self.fonts, "no fonts"
        for base, _subtype, embedded in self.fonts:
            assert embedded, base
            assert "Helvetica" not in base
        assert b"Helvetica" not in self.pdf
        ours = _face_names(fonts)
        for base, _, _ in self.fonts:
            # "/AAAAAA+WenQuanYiZenHei-0": subset tag, the face's name, ReportLab's subset number.
            assert base.lstrip("/").split("+", 1)[-1].rsplit("-", 1)[0] in ours, base


def _face_names(fonts: FontSet) -> set[str]:
    """The PostScript names of the faces of our roles."""
    return {
        fonts.font(role).face.name.decode() for role in ("body", "heading", "kai") if fonts.has_role(role)
    }


# --- notices ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_markup_in_a_notice_prints_literally(kind: str, fonts: FontSet, request_context: None) -> None:
    field = TEXT_FIELD[kind]
    fields = {**SEEDS[kind], field: SEEDS[kind][field] + MARKUP + "为准。"}
    form = _notice_form(kind, fields, fonts)
    assert form_errors(form) == {}
    stored = fields_from_form(form)
    assert FONT_TAG in stored[field] and IMG_TAG in stored[field]
    printed = Printed(typesetting.preview(kind, stored, "pdf"))
    for piece in (FONT_TAG, IMG_TAG, "&amp;"):
        assert piece in printed.text
    printed.assert_clean(fonts)


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_control_characters_never_reach_the_page(kind: str, fonts: FontSet, request_context: None) -> None:
    field = TEXT_FIELD[kind]
    fields = {**SEEDS[kind], field: CONTROLS + SEEDS[kind][field] + "\x00\x1b\x7f"}
    form = _notice_form(kind, fields, fonts)
    assert form_errors(form) == {}
    stored = fields_from_form(form)
    assert not any((ord(ch) < 0x20 and ch != "\n") or ch == "\x7f" for ch in stored[field])
    printed = Printed(typesetting.preview(kind, stored, "pdf"))
    assert not any(ord(ch) < 0x20 or ch == "\x7f" for ch in printed.text)
    printed.assert_clean(fonts)


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_characters_the_fonts_lack_are_refused_by_name(
    kind: str, fonts: FontSet, request_context: None
) -> None:
    field = TEXT_FIELD[kind]
    for ch in _outside(fonts):
        form = _notice_form(kind, {**SEEDS[kind], field: SEEDS[kind][field] + ch}, fonts)
        errors = form_errors(form)
        assert list(errors) == [field], (ch, errors)
        message = " ".join(str(m) for m in errors[field])
        assert ch in message and f"U+{ord(ch):04X}" in message


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_huge_input_is_refused_with_its_length(kind: str, fonts: FontSet, request_context: None) -> None:
    field = TEXT_FIELD[kind]
    form = _notice_form(kind, {**SEEDS[kind], field: HUGE}, fonts)
    errors = form_errors(form)
    assert list(errors) == [field]
    assert "20000" in " ".join(str(m) for m in errors[field])


# --- stories ---------------------------------------------------------------------------------------------


def _story_form(data: dict[str, str], fonts: FontSet) -> StoryForm:
    form = StoryForm(formdata=formdata_from_json(data), meta={"lang": "zh", "csrf": False, "fonts": fonts})
    form.validate()
    return form


STORY = {
    "headline": "政务微博上线运行",
    "byline": "本报10月21日讯（记者 李超）",
    "body": "淄博市人民政府新闻办公室官方微博今日正式上线。\n## 小标题\n各区县政务微博同步上线。",
}


def _story_pdf(
    form: StoryForm, geometry: PageGeometry, fonts: FontSet, composer: ComposeFn
) -> tuple[Any, bytes]:
    text = StoryText(
        headline=form.headline.data or "",
        deck=tuple(deck_lines(form.deck.data)),
        byline=form.byline.data or "",
        blocks=tuple((b["type"], b["text"]) for b in blocks_from_body(form.body.data or "")),
    )
    story = typeset_story(text, geometry, fonts, composer=composer)
    buf = io.BytesIO()
    canvas = new_canvas(buf, 1200, 1500, fonts)
    story.draw_headline(canvas, 40, 1450, story.columns)
    story.draw_body(canvas, 40, 1300, 0, min(story.body_lines, 60))
    return story, finish(canvas, buf)


def test_markup_in_a_story_prints_literally(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn, request_context: None
) -> None:
    data = {
        **STORY,
        "headline": STORY["headline"] + " " + FONT_TAG,
        "body": STORY["body"] + "\n" + MARKUP.strip() + " 以此为准",
    }
    form = _story_form(data, fonts)
    assert form_errors(form) == {}
    _, pdf = _story_pdf(form, geometry, fonts, composer)
    printed = Printed(pdf)
    assert printed.text.count(FONT_TAG) == 2
    assert IMG_TAG in printed.text and "&amp;" in printed.text
    printed.assert_clean(fonts)


def test_a_story_refuses_what_the_fonts_lack_and_cleans_control_characters(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn, request_context: None
) -> None:
    ch = _outside(fonts)[0]
    refused = _story_form({**STORY, "body": STORY["body"] + ch}, fonts)
    errors = form_errors(refused)
    assert list(errors) == ["body"] and f"U+{ord(ch):04X}" in " ".join(map(str, errors["body"]))
    cleaned = _story_form({**STORY, "headline": "\x00" + STORY["headline"] + CONTROLS}, fonts)
    assert form_errors(cleaned) == {}
    assert cleaned.headline.data == STORY["headline"]
    _, pdf = _story_pdf(cleaned, geometry, fonts, composer)
    assert not any(ord(c) < 0x20 for c in Printed(pdf).text)


def test_a_huge_story_is_refused_in_the_headline_and_sets_in_the_body(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn, request_context: None
) -> None:
    errors = form_errors(_story_form({**STORY, "headline": HUGE}, fonts))
    assert list(errors) == ["headline"] and "20000" in " ".join(map(str, errors["headline"]))
    # The body may be long (30,000 characters): 20,000 of them set without breaking anything.
    form = _story_form({**STORY, "body": HUGE[:19_990] + FONT_TAG}, fonts)
    assert form_errors(form) == {}
    story, pdf = _story_pdf(form, geometry, fonts, composer)
    assert story.body_lines > 1000
    assert FONT_TAG in story.body_text()
    Printed(pdf).assert_clean(fonts)


# --- ads and receipts --------------------------------------------------------------------------------------


def test_markup_in_an_ad_template_prints_literally(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn, request_context: None
) -> None:
    data = {
        "source": "template",
        "headline": "周末特惠 " + FONT_TAG,
        "sublines": "中国·邢台 " + IMG_TAG,
        "body": "景区推出特色餐" + MARKUP + "为准",
        "phones": "报名咨询电话：0533—2173002",
    }
    form = BookingForm(formdata=formdata_from_json(data), meta={"lang": "zh", "csrf": False, "fonts": fonts})
    form.validate()
    assert form_errors(form) == {}
    ad = AdText(
        headline=form.headline.data or "",
        sublines=lines_of(form.sublines.data),
        body=lines_of(form.body.data),
        phones=lines_of(form.phones.data),
        columns=2,
    )
    printed = Printed(render_ad_pdf(ad, geometry, fonts, composer=composer))
    assert printed.text.count(FONT_TAG) == 2 and IMG_TAG in printed.text
    printed.assert_clean(fonts)


def test_an_ad_template_refuses_what_the_fonts_lack(fonts: FontSet, request_context: None) -> None:
    ch = _outside(fonts, "heading")[0]
    form = BookingForm(
        formdata=formdata_from_json({"source": "template", "headline": "周末特惠" + ch}),
        meta={"lang": "zh", "csrf": False, "fonts": fonts},
    )
    form.validate()
    errors = form_errors(form)
    assert "headline" in errors and f"U+{ord(ch):04X}" in " ".join(map(str, errors["headline"]))


def test_markup_in_a_receipt_prints_literally(fonts: FontSet) -> None:
    receipt = Receipt(
        publisher="淄博晚报",
        reference="N1-1",
        organisation="淄博测试有限公司" + MARKUP,
        description="登报费 " + IMG_TAG,
        method="柜台现金",
        amount_fen=4500,
        paid_at=(TODAY - timedelta(days=1)).isoformat(),
    )
    printed = Printed(render_receipt(receipt, fonts))
    assert FONT_TAG in printed.text and IMG_TAG in printed.text
    printed.assert_clean(fonts)
