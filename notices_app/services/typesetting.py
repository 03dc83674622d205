"""From a notice's fields to what prints and what it costs: wording → composer/template → quote.

The preview, the quote and the printed page all come from `typeset()`, so the price charged is
computed from the same typeset result that prints.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from ads.money import format_fen
from ads.ratecard import Measure, Quote, RateCard, price_to_charge
from ads.ratecard import quote as make_quote
from notices_app.layout.geometry import PRESETS, PageGeometry
from notices_app.layout.types import AdText, Level, NoticeText
from notices_app.models import Notice, Publication, utcnow
from notices_app.rules.calendar import PublishingCalendar, deemed_served, format_date_zh
from notices_app.rules.counting import count_notice_zi
from notices_app.services.publication_context import current_publication, publication_calendar


def geometry_for(pub: Publication) -> PageGeometry:
    return PRESETS.get(pub.geometry_preset, PRESETS["broadsheet"])


def ad_text(content: dict[str, Any], cols: int) -> AdText:
    return AdText(
        headline=str(content.get("headline", "")),
        sublines=tuple(content.get("sublines") or ()),
        features=tuple(content.get("features") or ()),
        body=tuple(content.get("body") or ()),
        phones=tuple(content.get("phones") or ()),
        columns=cols,
    )


@lru_cache(maxsize=256)
def _typeset_cached(kind: str, fields_json: str, preset: str, level: str) -> tuple[NoticeText, Any]:
    from notices_app.rules.wording import notice_text
    from print.fonts import default_fonts
    from print.notices import typeset_notice

    text = notice_text(kind, json.loads(fields_json))
    ts = typeset_notice(text, PRESETS[preset], default_fonts(), Level(level))
    return text, ts


def typeset(
    kind: str, fields: dict[str, Any], preset: str = "broadsheet", level: str = "strict"
) -> tuple[NoticeText, Any]:
    """Typeset a notice (cached by content: the same fields always set the same way)."""
    return _typeset_cached(kind, json.dumps(fields, sort_keys=True, ensure_ascii=False), preset, level)


def measure_of(text: NoticeText, ts: Any) -> Measure:
    return Measure(
        zi=count_notice_zi(text), lines=ts.text_lines, columns=text.columns, height_cm=round(ts.height_cm, 2)
    )


def _validity() -> timedelta:
    from flask import current_app

    return timedelta(hours=int(current_app.config["QUOTE_VALIDITY_HOURS"]))


def quote_notice(kind: str, fields: dict[str, Any], runs: int, pub: Publication, now: datetime) -> Quote:
    """A fresh quote from the publication's current rate card for the notice as it will print."""
    text, ts = typeset(kind, fields, pub.geometry_preset, pub.clreq_level)
    card = RateCard.from_dict(pub.rate_card)
    return make_quote(card, kind, measure_of(text, ts), max(runs, 1), now=now, validity=_validity())


def quote_to_charge(notice: Notice, pub: Publication, now: datetime) -> Quote:
    """The stored quote while it is valid for this exact notice, else a fresh one (rate card may have changed)."""
    text, ts = typeset(notice.kind, notice.fields, pub.geometry_preset, pub.clreq_level)
    stored = Quote.from_dict(notice.quote) if notice.quote else None
    card = RateCard.from_dict(pub.rate_card)
    return price_to_charge(
        stored,
        card,
        notice.kind,
        measure_of(text, ts),
        max(len(notice.runs), 1),
        now=now,
        validity=_validity(),
    )


def preview(
    kind: str, fields: dict[str, Any], fmt: str, preset: str = "broadsheet", level: str = "strict"
) -> bytes:
    """The notice as it will print: PDF, or PNG rasterised from that same PDF."""
    return _preview_cached(kind, json.dumps(fields, sort_keys=True, ensure_ascii=False), fmt, preset, level)


@lru_cache(maxsize=64)
def _preview_cached(kind: str, fields_json: str, fmt: str, preset: str, level: str) -> bytes:
    from print.notices import render_typeset_pdf
    from print.raster import pdf_to_png

    text, ts = _typeset_cached(kind, fields_json, preset, level)
    pdf = render_typeset_pdf(ts, text.heading)
    return pdf if fmt == "pdf" else pdf_to_png(pdf, dpi=144)


def live_preview(kind: str, form: Any, runs: int) -> dict[str, Any]:
    """What the form shows while the filer types: the typeset image, the price, what is still wrong."""
    from flask import g

    from notices_app.forms import fields_from_form, form_errors

    lang = g.lang
    problems = [f"{field_label(k, lang)}:{m}" for k, ms in form_errors(form).items() for m in ms]
    try:
        fields = fields_from_form(form)
        pub = current_publication()
        text, ts = typeset(kind, fields, pub.geometry_preset, pub.clreq_level)
        png = preview(kind, fields, "png", pub.geometry_preset, pub.clreq_level)
        q = quote_notice(kind, fields, runs, pub, utcnow())
    except (ValueError, KeyError, TypeError) as err:
        return {
            "problems": problems or [str(err)],
            "status": "样稿暂不能生成" if lang == "zh" else "No proof yet",
        }
    m = measure_of(text, ts)
    summary = (
        f"{m.columns}栏 × {m.height_cm:.1f}厘米,{m.lines}行,{m.zi}字,刊登{max(runs, 1)}次"
        if lang == "zh"
        else f"{m.columns} col × {m.height_cm:.1f} cm, {m.lines} lines, {m.zi} zi, {max(runs, 1)} run(s)"
    )
    return {
        "png": "data:image/png;base64," + base64.b64encode(png).decode(),
        "price_fen": q.total_fen,
        "price_text": format_fen(q.total_fen, lang),
        "summary": summary,
        "problems": problems,
        "status": ("已更新" if lang == "zh" else "Updated")
        if not problems
        else ("仍有待更正的内容" if lang == "zh" else "Some fields still need attention"),
    }


def notice_facts(notice: Notice) -> dict[str, Any]:
    """Derived facts shown with a notice: deemed-served date, cut-off, quote lines, warnings."""
    from flask import g

    lang = getattr(g, "lang", "zh")
    runs = notice.run_dates
    pub = notice_publication(notice)
    cal = publication_calendar(pub)
    served = deemed_served(max(runs)) if runs and notice.kind == "termination" else None
    quote = Quote.from_dict(notice.quote) if notice.quote else None
    return {
        "deemed_served_on": served.isoformat() if served else None,
        "cutoff": cal.cutoff_for(min(runs)).strftime("%Y-%m-%d %H:%M") if runs else None,
        "quote_items": [{"label": i.label(lang), "amount_fen": i.amount_fen} for i in quote.items]
        if quote
        else [],
        "quote_expires": quote.expires_at.astimezone(cal.tz).strftime("%Y-%m-%d %H:%M") if quote else None,
        "warnings": {},
        "field_rows": _field_rows(notice.fields, lang),
    }


def notice_publication(notice: Notice) -> Publication:
    from notices_app.extensions import db

    pub = db.session.get(Publication, notice.publication_id)
    assert pub is not None
    return pub


FIELD_LABELS = {
    "org_name": ("单位名称", "Organisation"),
    "employer_name": ("用人单位", "Employer"),
    "credit_code": ("统一社会信用代码", "Unified social credit code"),
    "reg_number": ("注册号", "Registration number"),
    "document": ("遗失证件", "Document lost"),
    "document_other": ("其他证件名称", "Other document"),
    "copy": ("正本/副本", "Original/duplicate"),
    "duplicate_no": ("副本编号", "Duplicate number"),
    "declared_on": ("声明日期", "Declared on"),
    "contact_name": ("联系人", "Contact"),
    "contact_phone": ("联系电话", "Contact phone"),
    "contact_address": ("联系地址", "Contact address"),
    "employees": ("职工", "Employees"),
    "absent_since": ("旷工起始日", "Absent since"),
    "legal_basis": ("事实与依据", "Facts and legal basis"),
    "effective_on": ("解除日期", "Effective on"),
    "report_by": ("限期报到日", "Report by"),
    "instructions": ("办理事项", "Instructions"),
    "signed_on": ("落款日期", "Signed on"),
    "service_attempts": ("送达记录", "Service attempts"),
    "title": ("标题", "Title"),
    "body": ("正文", "Body"),
    "signer": ("落款单位", "Signer"),
    "heading": ("标题", "Heading"),
    "run_dates": ("刊登日期", "Run dates"),
    "confirm_warnings": ("确认提示", "Warnings confirmed"),
    "reason": ("原因", "Reason"),
    "_": ("", ""),
}


def field_label(key: str, lang: str) -> str:
    head = key.split(".")[0]
    zh, en = FIELD_LABELS.get(head, (key, key))
    label = en if lang == "en" else zh
    rest = key[len(head) :]
    return label + rest if label else rest.lstrip(".")


def _choice_labels(lang: str) -> dict[str, dict[str, str]]:
    """Stored choice codes by field (business_license, original, postal …) → the form's label."""
    from notices_app.forms.notices import COPIES, DOCUMENTS, SERVICE_METHODS

    column = 2 if lang == "en" else 1
    return {
        key: {choice[0]: choice[column] for choice in choices}
        for key, choices in (("document", DOCUMENTS), ("copy", COPIES), ("method", SERVICE_METHODS))
    }


def _field_rows(fields: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The notice's fields as the desk reads them: labels for choice codes, 是/否 for flags."""
    labels = _choice_labels(lang)

    def shown(key: str, value: Any) -> str:
        if isinstance(value, bool):
            return ("Yes" if value else "No") if lang == "en" else ("是" if value else "否")
        return labels.get(key, {}).get(str(value), str(value))

    rows = []
    for key, value in fields.items():
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ";".join(
                "、".join(shown(k, v) for k, v in item.items()) if isinstance(item, dict) else str(item)
                for item in value
            )
        rows.append((field_label(key, lang), shown(key, value)))
    return rows


def run_date_choices(
    pub: Publication, now: datetime | None = None, count: int = 12
) -> list[tuple[str, str, str]]:
    """Publishable dates still open for filing, with their cut-off, for the run-date picker."""
    cal = PublishingCalendar.from_dict(pub.calendar)
    now = now or utcnow()
    start = cal.first_open_date(now)
    out = []
    for d in cal.publishing_dates(start, count):
        out.append((d.isoformat(), format_date_zh(d), cal.cutoff_for(d).strftime("%m-%d %H:%M")))
    return out


def edition_listing(
    pub: Publication, start: date, end: date, now: datetime | None = None
) -> list[dict[str, Any]]:
    cal = PublishingCalendar.from_dict(pub.calendar)
    now = now or utcnow()
    out = []
    for d in cal.publishing_dates_between(start, end):
        cutoff = cal.cutoff_for(d)
        out.append(
            {
                "date": d.isoformat(),
                "cutoff": cutoff.isoformat(),
                "status": "open" if now < cutoff else "closed",
            }
        )
    return out
