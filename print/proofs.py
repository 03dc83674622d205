"""The proof of publication (登报证明): an A4 certificate that a notice ran, and where.

It prints the newspaper, the edition date and page, what ran and for whom, the notice itself as
it appeared (the frozen page PDF's page placed as a Form XObject and clipped to the notice's box,
so it stays vector and is the very drawing the press received), the SHA-256 of that page PDF, the
verification URL and its QR code, and for a termination notice the date it counts as served.

ReportLab draws the certificate; it cannot import another PDF's page, so the page is placed
afterwards with pikepdf (a clip path and a `Do` appended to the page's content). The result is
identified as PDF/X like the pages themselves, and identical input gives identical bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

import pikepdf
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Rect
from reportlab.pdfgen.canvas import Canvas

from notices_app.layout.types import ComposedLine, PlacedGlyph
from notices_app.rules.calendar import DEEMED_SERVICE_DAYS, WEEKDAYS_EN, WEEKDAYS_ZH, format_date_zh
from notices_app.rules.wording import chinese_count
from print.fonts import FontSet, default_fonts
from print.pdfcanvas import BLACK, finish, new_canvas
from print.pdfx import make_pdfx
from print.textflow import (
    TextStyle,
    baseline_offset,
    check_covered,
    compose_paragraphs,
    draw_lines,
)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF user space (pt, origin bottom left)

A4 = (595.276, 841.89)


@dataclass(frozen=True)
class ProofFacts:
    """Everything the certificate states, as plain values (the service reads them from the database)."""

    newspaper: str
    edition_date: date
    page_number: int
    page_label: str  # the page's name in the edition plan (综合, 公告 …); may be empty
    kind_zh: str
    kind_en: str
    title: str  # the printed heading: 公告, 挂失 …
    org_name: str
    published_at: datetime  # in the publication's time zone (aware)
    page_sha256: str
    verify_url: str
    notice_rect: tuple[float, float, float, float]  # x, y, w, h in % of the TrimBox, from its top left
    credit_code: str | None = None
    reg_number: str | None = None
    deemed_served_on: date | None = None  # termination notices only


@dataclass(frozen=True)
class CropPlacement:
    """Where the notice's part of the page goes: `source` on the page PDF, `target` on the certificate."""

    source: Box
    target: Box
    scale: float

    @property
    def matrix(self) -> tuple[float, float, float, float, float, float]:
        """The `cm` that maps page coordinates onto the certificate."""
        s = self.scale
        return (s, 0.0, 0.0, s, self.target[0] - s * self.source[0], self.target[1] - s * self.source[1])

    def to_target(self, x: float, y: float) -> tuple[float, float]:
        """A point of the page PDF on the certificate."""
        a, _, _, d, e, f = self.matrix
        return (a * x + e, d * y + f)


@dataclass(frozen=True)
class Proof:
    """The rendered certificate and what the renderer decided, for checks and tests."""

    pdf: bytes
    crop: CropPlacement
    qr_box: Box  # the QR symbol with its quiet zone
    qr_value: str  # the string the QR widget encodes


# Text styles of the certificate (TextStyle is frozen: one instance serves every proof).
_TITLE_STYLE = TextStyle(role="heading", size=22.0, leading=28.0, indent_em=0.0, align="center")
_SUBTITLE_STYLE = TextStyle(role="body", size=10.0, leading=14.0, indent_em=0.0, align="center")
_LABEL_STYLE = TextStyle(role="body", size=8.0, leading=14.0, indent_em=0.0, align="left")
_VALUE_STYLE = TextStyle(role="body", size=10.0, leading=14.0, indent_em=0.0, align="left")
_NOTE_STYLE = TextStyle(role="body", size=8.0, leading=11.5, indent_em=0.0, align="left")
_SECTION_STYLE = TextStyle(role="heading", size=9.0, leading=14.0, indent_em=0.0, align="left")
_FOOTER_STYLE = TextStyle(role="body", size=7.0, leading=10.0, indent_em=0.0, align="justify")
_HASH_STYLE = TextStyle(role="body", size=9.5, leading=13.0, indent_em=0.0, align="left")
_URL_STYLE = TextStyle(role="body", size=8.0, leading=11.0, indent_em=0.0, align="left")


@dataclass(frozen=True)
class ProofStyle:
    """Sizes and distances of the certificate (pt). Text is one-colour black, so 6 pt is the
    press minimum; nothing here goes below 7 pt, and rules are at least 0.5 pt."""

    page_size: tuple[float, float] = A4
    margin_x: float = 48.0
    margin_top: float = 44.0
    margin_bottom: float = 36.0
    title: TextStyle = _TITLE_STYLE
    subtitle: TextStyle = _SUBTITLE_STYLE
    label: TextStyle = _LABEL_STYLE
    value: TextStyle = _VALUE_STYLE
    note: TextStyle = _NOTE_STYLE
    section: TextStyle = _SECTION_STYLE
    footer: TextStyle = _FOOTER_STYLE
    hash: TextStyle = _HASH_STYLE
    url: TextStyle = _URL_STYLE
    label_width: float = 132.0
    rule_width: float = 0.75
    frame_width: float = 0.5
    gap: float = 10.0  # between sections
    crop_pad: float = 1.0  # page pt kept around the notice's box, so its own box rule is whole
    crop_frame_gap: float = 5.0  # from the placed notice to the frame around it
    crop_max_scale: float = 1.6  # a one-column notice is enlarged at most this much
    qr_size: float = 84.0  # the symbol with its 4-module quiet zone (about 30 mm)
    qr_level: str = "M"
    hash_pitch_em: float = 0.62  # fixed character pitch of the hash and URL, in em
    hash_group: int = 4  # hex digits per group
    hash_groups_per_line: int = 8


class ProofRenderer:
    """Draws one certificate. Geometry and styles are attributes; each part is a hook."""

    style = ProofStyle()

    def __init__(self, fonts: FontSet | None = None) -> None:
        self.fonts = fonts or default_fonts()
        w, h = self.style.page_size
        self.width, self.height = w, h
        self.left = self.style.margin_x
        self.right = w - self.style.margin_x
        self.measure = self.right - self.left

    # --- the whole ----------------------------------------------------------------------------

    def render(self, facts: ProofFacts, page_pdf: bytes) -> Proof:
        """The certificate for `facts`, with the notice cut from `page_pdf` (the frozen page)."""
        trim = page_trim_box(page_pdf)
        source = notice_source_box(trim, facts.notice_rect, self.style.crop_pad)
        buf = BytesIO()
        title = f"登报证明 {facts.newspaper} {facts.edition_date.isoformat()} 第{facts.page_number}版"
        canvas = new_canvas(buf, self.width, self.height, self.fonts, title)
        canvas.setTrimBox((0, 0, self.width, self.height))
        top = self.height - self.style.margin_top
        top = self.draw_header(canvas, top)
        top = self.draw_facts(canvas, facts, top)
        bottom = self.style.margin_bottom
        bottom = self.draw_footer(canvas, bottom)
        bottom, qr_box, qr_value = self.draw_verification(canvas, facts, bottom)
        crop = self.draw_notice_frame(canvas, facts, source, top, bottom)
        pdf = place_page_crop(finish(canvas, buf), page_pdf, crop)
        return Proof(make_pdfx(pdf, title=title), crop, qr_box, qr_value)

    # --- hooks --------------------------------------------------------------------------------

    def draw_header(self, canvas: Canvas, top: float) -> float:
        st = self.style
        top = self.text(canvas, "登报证明", st.title, self.left, top, self.measure)
        top = self.text(canvas, "Proof of publication", st.subtitle, self.left, top, self.measure)
        top -= st.gap / 2
        self.rule(canvas, top, st.rule_width)
        return top - st.gap

    def fact_rows(self, facts: ProofFacts) -> list[tuple[str, str]]:
        """(label, value) rows, Chinese first."""
        d = facts.edition_date
        weekday = d.isoweekday() - 1
        page = f"第{facts.page_number}版" + (f" {facts.page_label}" if facts.page_label else "")
        rows = [
            ("报纸 / Newspaper", facts.newspaper),
            (
                "刊登日期 / Edition date",
                f"{format_date_zh(d)} {WEEKDAYS_ZH[weekday]} · {d.isoformat()}, {WEEKDAYS_EN[weekday]}",
            ),
            ("版次 / Page", f"{page} · page {facts.page_number}"),
            ("公告类型 / Kind", f"{facts.kind_zh} · {facts.kind_en}"),
            ("标题 / Heading", facts.title),
            ("登报单位 / Organisation", facts.org_name),
        ]
        if facts.credit_code:
            rows.append(("统一社会信用代码 / Credit code", facts.credit_code))
        if facts.reg_number:
            rows.append(("注册号 / Registration no.", facts.reg_number))
        at = facts.published_at
        offset = at.strftime("%z")
        zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
        rows.append(("网络发布时间 / Published at", f"{at:%Y-%m-%d %H:%M}({zone})"))
        return rows

    def draw_facts(self, canvas: Canvas, facts: ProofFacts, top: float) -> float:
        st = self.style
        value_x = self.left + st.label_width
        value_w = self.right - value_x
        rows = self.fact_rows(facts)
        for label, value in rows:
            top = self.row(canvas, label, value, top)
        if facts.deemed_served_on is not None:
            top = self.row(
                canvas, "视为送达日期 / Deemed served", format_date_zh(facts.deemed_served_on), top
            )
            days = chinese_count(DEEMED_SERVICE_DAYS)
            note = (
                f"本公告以登报方式送达，自最后一次刊登之日起经过{days}日，即视为送达。"
                f"Served by publication: deemed served {DEEMED_SERVICE_DAYS} days after the last run."
            )
            top = self.text(canvas, note, st.note, value_x, top, value_w)
        return top - st.gap / 2

    def draw_notice_frame(
        self, canvas: Canvas, facts: ProofFacts, source: Box, top: float, bottom: float
    ) -> CropPlacement:
        """The caption, the frame, and where the page's crop goes (placed later by pikepdf)."""
        st = self.style
        caption = (
            f"见报原样（从第{facts.page_number}版版面 PDF 矢量裁切）"
            f" · The notice as printed, cut as vectors from the page PDF"
        )
        top = self.text(canvas, caption, st.section, self.left, top, self.measure)
        top -= st.crop_frame_gap
        inner = st.crop_frame_gap + st.frame_width
        area = (self.left + inner, bottom + inner, self.right - inner, top - inner)
        crop = fit_crop(source, area, st.crop_max_scale)
        x0, y0, x1, y1 = crop.target
        g = st.crop_frame_gap
        canvas.saveState()
        canvas.setStrokeColor(BLACK)
        canvas.setLineWidth(st.frame_width)
        canvas.rect(x0 - g, y0 - g, x1 - x0 + 2 * g, y1 - y0 + 2 * g, stroke=1, fill=0)
        canvas.restoreState()
        return crop

    def draw_verification(self, canvas: Canvas, facts: ProofFacts, bottom: float) -> tuple[float, Box, str]:
        """Hash and URL beside the QR code, in a band above the footer; returns the band's top,
        the QR symbol's box and the value its widget encodes."""
        st = self.style
        size = st.qr_size
        qr_x0 = self.right - size
        text_w = qr_x0 - st.gap - self.left
        digest = hash_lines(facts.page_sha256, st.hash_group, st.hash_groups_per_line)
        per_line = max(1, math.floor(text_w / (st.url.size * st.hash_pitch_em)))
        url = facts.verify_url
        url_lines = [url[i : i + per_line] for i in range(0, len(url), per_line)]
        text_h = (
            2 * st.label.leading
            + len(digest) * st.hash.leading
            + st.gap / 2
            + len(url_lines) * st.url.leading
        )
        band_top = bottom + max(size, text_h)
        widget = qr_widget(url, size, st.qr_level)
        draw_qr(canvas, widget, qr_x0, band_top - size)
        top = self.text(
            canvas, "版面 PDF 文件的 SHA-256 / SHA-256 of the page PDF", st.label, self.left, band_top, text_w
        )
        top = self.fixed_pitch(canvas, digest, st.hash, top)
        top -= st.gap / 2
        top = self.text(canvas, "核验网址 / Verify at", st.label, self.left, top, text_w)
        self.fixed_pitch(canvas, url_lines, st.url, top)
        rule_y = band_top + st.gap
        self.rule(canvas, rule_y, st.frame_width)
        qr_box = (qr_x0, band_top - size, qr_x0 + size, band_top)
        return rule_y + st.gap, qr_box, str(widget.value)

    def footer_paragraphs(self) -> list[str]:
        return [
            "核验方法：扫描二维码或打开上方网址，可查看本公告的刊登记录；在该页面上传版面 PDF 文件，"
            "系统计算其 SHA-256 值并与登记值比对，一致即证明文件为当日刊登的版面原件。"
            "也可自行计算（如 sha256sum 命令）后与本证明所印数值逐位核对。",
            "How to verify: scan the QR code or open the URL above to see the publication record. "
            "Upload the page PDF there: the site computes its SHA-256 and compares it with the registered "
            "value; a match shows the file is the page as published. You can also compute the hash "
            "yourself (e.g. sha256sum) and compare it digit by digit with the value printed here.",
        ]

    def draw_footer(self, canvas: Canvas, bottom: float) -> float:
        """The footer sits on the bottom margin; returns its top."""
        st = self.style
        paras = self.footer_paragraphs()
        check_covered(self.fonts, st.footer.role, paras)
        lines = compose_paragraphs(paras, st.footer, self.measure, self.fonts)
        top = bottom + len(lines) * st.footer.leading
        first = top - baseline_offset(self.fonts, st.footer)
        draw_lines(
            canvas, self.fonts, st.footer.role, st.footer.size, lines, self.left, first, st.footer.leading
        )
        self.rule(canvas, top + st.gap / 2, st.frame_width)
        return top + st.gap

    # --- drawing helpers ----------------------------------------------------------------------

    def text(
        self, canvas: Canvas, text: str, style: TextStyle, x: float, top: float, measure: float
    ) -> float:
        """Compose and draw `text` from `top` down; returns the top of the next line."""
        check_covered(self.fonts, style.role, [text])
        lines = compose_paragraphs([text], style, measure, self.fonts)
        first = top - baseline_offset(self.fonts, style)
        draw_lines(canvas, self.fonts, style.role, style.size, lines, x, first, style.leading)
        return top - len(lines) * style.leading

    def row(self, canvas: Canvas, label: str, value: str, top: float) -> float:
        """A label and its value on one baseline (the value may wrap under itself)."""
        st = self.style
        value_x = self.left + st.label_width
        check_covered(self.fonts, st.value.role, [label, value])
        values = compose_paragraphs([value], st.value, self.right - value_x, self.fonts)
        labels = compose_paragraphs([label], st.label, st.label_width - 6, self.fonts)
        baseline = top - baseline_offset(self.fonts, st.value)
        draw_lines(
            canvas,
            self.fonts,
            st.label.role,
            st.label.size,
            labels[:1],
            self.left,
            baseline,
            st.label.leading,
        )
        draw_lines(
            canvas, self.fonts, st.value.role, st.value.size, values, value_x, baseline, st.value.leading
        )
        return top - max(1, len(values)) * st.value.leading

    def fixed_pitch(self, canvas: Canvas, rows: Sequence[str], style: TextStyle, top: float) -> float:
        """Lines at a fixed character pitch (a monospace look from the body face): each glyph is
        centred in its cell, a space leaves its cell empty."""
        check_covered(self.fonts, style.role, rows)
        pitch = style.size * self.style.hash_pitch_em
        advance = self.fonts.advance(style.role)
        lines = []
        for row in rows:
            glyphs = tuple(
                PlacedGlyph(ch, i * pitch + (pitch - advance(ch) * style.size) / 2, pitch)
                for i, ch in enumerate(row)
                if ch != " "
            )
            lines.append(ComposedLine(glyphs, len(row) * pitch, True))
        first = top - baseline_offset(self.fonts, style)
        draw_lines(canvas, self.fonts, style.role, style.size, lines, self.left, first, style.leading)
        return top - len(lines) * style.leading

    def rule(self, canvas: Canvas, y: float, width: float) -> None:
        canvas.saveState()
        canvas.setStrokeColor(BLACK)
        canvas.setLineWidth(width)
        canvas.line(self.left, y, self.right, y)
        canvas.restoreState()


# --- pure geometry ------------------------------------------------------------------------------


def notice_source_box(trim: Box, rect_pct: Sequence[float], pad: float = 0.0) -> Box:
    """The notice's box on the page PDF: `rect_pct` (x, y, w, h in % of the trim, measured from its
    top left, as the edition build records it) in page coordinates, grown by `pad` and kept
    inside the trim (the bleed is not part of what a reader saw)."""
    x, y, w, h = (float(v) for v in rect_pct)
    if w <= 0 or h <= 0:
        raise ValueError(f"empty notice rectangle {list(rect_pct)}")
    tx0, ty0, tx1, ty1 = trim
    tw, th = tx1 - tx0, ty1 - ty0
    x0 = tx0 + x / 100 * tw
    y1 = ty1 - y / 100 * th
    x1 = x0 + w / 100 * tw
    y0 = y1 - h / 100 * th
    box = (max(tx0, x0 - pad), max(ty0, y0 - pad), min(tx1, x1 + pad), min(ty1, y1 + pad))
    if box[0] >= box[2] or box[1] >= box[3]:
        raise ValueError(f"notice rectangle {list(rect_pct)} lies outside the page")
    return box


def fit_crop(source: Box, area: Box, max_scale: float) -> CropPlacement:
    """Scale `source` to fit `area` (never above `max_scale`), centred across, at the area's top."""
    sw, sh = source[2] - source[0], source[3] - source[1]
    aw, ah = area[2] - area[0], area[3] - area[1]
    if aw <= 0 or ah <= 0:
        raise ValueError("no room left on the certificate for the notice")
    scale = min(aw / sw, ah / sh, max_scale)
    w, h = sw * scale, sh * scale
    x0 = area[0] + (aw - w) / 2
    y1 = area[3]
    return CropPlacement(source, (x0, y1 - h, x0 + w, y1), scale)


def hash_lines(digest: str, group: int = 4, groups_per_line: int = 8) -> list[str]:
    """A hex digest in groups for reading aloud and comparing: 64 digits → 2 lines of 8 × 4."""
    groups = [digest[i : i + group] for i in range(0, len(digest), group)]
    return [" ".join(groups[i : i + groups_per_line]) for i in range(0, len(groups), groups_per_line)]


def qr_widget(value: str, size: float, level: str = "M") -> QrCodeWidget:
    """ReportLab's QR widget in solid 100 % K (rich black would misregister on newsprint)."""
    return QrCodeWidget(
        value,
        barWidth=size,
        barHeight=size,
        barBorder=4,  # the quiet zone the QR specification asks for
        barLevel=level,
        barFillColor=BLACK,
    )


def draw_qr(canvas: Canvas, widget: QrCodeWidget, x: float, y: float) -> int:
    """Draw the widget's dark modules as filled rectangles with (x, y) at its bottom left; returns
    how many. renderPDF would do the same but first sets an unembedded Times-Roman as the
    drawing's default font, which a print PDF must not contain."""
    count = 0
    canvas.saveState()
    canvas.setFillColor(BLACK)
    for shape in widget.draw().contents:
        if isinstance(shape, Rect) and shape.fillColor is not None:
            canvas.rect(x + shape.x, y + shape.y, shape.width, shape.height, stroke=0, fill=1)
            count += 1
    canvas.restoreState()
    return count


# --- the page crop -------------------------------------------------------------------------------


def page_trim_box(page_pdf: bytes) -> Box:
    """The first page's TrimBox (falling back to CropBox, then MediaBox)."""
    with pikepdf.open(BytesIO(page_pdf)) as doc:
        page = doc.pages[0]
        box: Any = page.obj.get("/TrimBox") or page.cropbox
        x0, y0, x1, y1 = (float(v) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _num(v: float) -> str:
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


_SUBSET = re.compile(r"^/?([A-Z]{6})\+(.*)$")
_MAX_DEPTH = 8


def _fonts_in(resources: Any, depth: int = 0, seen: set[tuple[int, int]] | None = None) -> list[Any]:
    """Font dictionaries of a resource dictionary and of the forms it holds, descendants
    included, each once (fonts are usually shared indirect objects)."""
    seen = set() if seen is None else seen
    out: list[Any] = []
    if not isinstance(resources, pikepdf.Dictionary) or depth > _MAX_DEPTH:
        return out

    def add(font: Any) -> None:
        key = font.objgen
        if key == (0, 0) or key not in seen:
            seen.add(key)
            out.append(font)

    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for key in sorted(fonts.keys()):
            font = fonts[key]
            if not isinstance(font, pikepdf.Dictionary):
                continue
            add(font)
            descendants = font.get("/DescendantFonts")
            if isinstance(descendants, pikepdf.Array):
                for desc in descendants:  # type: ignore[attr-defined]  # pikepdf stubs: Array is iterable
                    if isinstance(desc, pikepdf.Dictionary):
                        add(desc)
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for key in sorted(xobjects.keys()):
            xobj = xobjects[key]
            if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == pikepdf.Name.Form:
                out.extend(_fonts_in(xobj.get("/Resources"), depth + 1, seen))
    return out


def _subset_tags(resources: Any) -> set[str]:
    tags: set[str] = set()
    for font in _fonts_in(resources):
        m = _SUBSET.match(str(font.get("/BaseFont", "")))
        if m:
            tags.add(m.group(1))
    return tags


def _retag_subset_fonts(form: Any, used: set[str]) -> None:
    """Give the page's subset fonts tags the certificate does not use.

    ReportLab tags every document's first subset AAAAAA; the page's UMing subset and the
    certificate's would share the name /AAAAAA+UMingCN-0 with different glyphs, which the PDF
    specification forbids and some RIPs resolve by using one subset for both.
    """
    renamed: dict[str, str] = {}
    for font in _fonts_in(form.get("/Resources")):
        name = str(font.get("/BaseFont", ""))
        m = _SUBSET.match(name)
        if not m:
            continue
        new = renamed.get(name)
        if new is None:
            n = len(renamed)
            while True:
                tag = "PG" + "".join(chr(65 + (n // 26**i) % 26) for i in (3, 2, 1, 0))
                n += 1
                if tag not in used:
                    break
            used.add(tag)
            new = renamed[name] = f"/{tag}+{m.group(2)}"
        font.BaseFont = pikepdf.Name(new)
        desc = font.get("/FontDescriptor")
        if isinstance(desc, pikepdf.Dictionary) and "/FontName" in desc:
            desc.FontName = pikepdf.Name(new)


def place_page_crop(certificate: bytes, page_pdf: bytes, crop: CropPlacement) -> bytes:
    """Draw `page_pdf`'s first page on the certificate, clipped to `crop.source` and mapped onto
    `crop.target`, as a Form XObject (vector; its fonts and resources come along).

    The form's /BBox is the notice's box, which already clips it; the explicit clip path says the
    same thing for readers that look only at the page's content stream.
    """
    out = BytesIO()
    with pikepdf.open(BytesIO(certificate)) as doc, pikepdf.open(BytesIO(page_pdf)) as src:
        form = src.pages[0].as_form_xobject()
        form.BBox = pikepdf.Array([float(v) for v in crop.source])
        local = doc.copy_foreign(form)
        page = doc.pages[0]
        _retag_subset_fonts(local, _subset_tags(page.obj.get("/Resources")))
        # A fixed name (pikepdf's prefix= adds a random suffix, which would change the bytes).
        name = page.add_resource(
            local, pikepdf.Name.XObject, pikepdf.Name("/NoticePage"), replace_existing=False
        )
        x0, y0, x1, y1 = crop.target
        cm = " ".join(_num(v) for v in crop.matrix)
        ops = f"q {_num(x0)} {_num(y0)} {_num(x1 - x0)} {_num(y1 - y0)} re W n {cm} cm {name} Do Q"
        page.contents_add(pikepdf.Stream(doc, ops.encode("ascii")), prepend=False)
        doc.save(
            out,
            # PDF/X-1a is built on PDF 1.4: no object or cross-reference streams.
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            compress_streams=True,
            deterministic_id=True,
        )
    return out.getvalue()


def render_proof(facts: ProofFacts, page_pdf: bytes, fonts: FontSet | None = None) -> Proof:
    """The certificate of `facts` with the notice cut from `page_pdf` (see the module docstring).
    Raises ValueError when the notice's rectangle is empty or off the page, and MissingGlyphs when
    a name has a character the fonts cannot print."""
    return ProofRenderer(fonts).render(facts, page_pdf)
