"""The proof of publication PDF: what it states, the notice cut from the page as vectors and
clipped to its box, the hash, the URL and its QR code, print readiness and reproducible bytes."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pdfplumber
import pikepdf
import pypdfium2 as pdfium
import pytest
from pdfread import font_report, page_size, rects
from PIL import Image
from reportlab.graphics.barcode import qrencoder
from samples import LOST_LICENCE, TERMINATION

from notices_app.layout.geometry import MM, PageGeometry
from print.fonts import FontSet
from print.notices import typeset_notice
from print.pdfcanvas import BLACK, finish, new_canvas
from print.preflight import preflight
from print.proofs import (
    A4,
    Proof,
    ProofFacts,
    fit_crop,
    hash_lines,
    notice_source_box,
    qr_widget,
    render_proof,
)
from print.textflow import TextStyle, compose_paragraph, draw_lines

URL = "https://notices.example.cn/verify/Zx3-k9_QmPv7sLr2WcYt8bNa5HdE1uJf"
NEIGHBOUR = "邻栏新闻不应出现"
BAND = 40.0  # pt of solid black drawn around the notice on the page, from 2 pt outside its box
COL, LINE = 2, 40


def _page(geometry: PageGeometry, fonts: FontSet, text=LOST_LICENCE) -> tuple[bytes, list[float]]:
    """A one-notice page like the edition renderer makes (bleed, TrimBox), with black bands and a
    neighbour's text just outside the notice's box: all of it must be cut away on the proof.
    Returns the PDF and the notice's rect in % of the trim, as a build records it."""
    g = geometry
    bleed = g.bleed_mm * MM
    buf = io.BytesIO()
    canvas = new_canvas(buf, g.trim_w + 2 * bleed, g.trim_h + 2 * bleed, fonts, "page")
    canvas.setTrimBox((bleed, bleed, bleed + g.trim_w, bleed + g.trim_h))
    canvas.setBleedBox((0, 0, g.trim_w + 2 * bleed, g.trim_h + 2 * bleed))
    notice = typeset_notice(text, g, fonts)
    top_margin = g.trim_h - g.margin_bottom - g.type_h
    x0 = bleed + g.column_x(COL)
    y1 = bleed + g.trim_h - top_margin - LINE * g.leading_pt
    x1, y0 = x0 + notice.width_pt, y1 - notice.height_pt
    notice.draw(canvas, x0, y1)
    canvas.setFillColor(BLACK)
    for bx0, by0, bx1, by1 in (
        (x0 - BAND, y1 + 2, x1 + BAND, y1 + BAND),  # above
        (x0 - BAND, y0 - BAND, x1 + BAND, y0 - 2),  # below
        (x0 - BAND, y0 - 2, x0 - 2, y1 + 2),  # left
        (x1 + 2, y0 - 2, x1 + BAND, y1 + 2),  # right
    ):
        canvas.rect(bx0, by0, bx1 - bx0, by1 - by0, stroke=0, fill=1)
    style = TextStyle(size=9.0, leading=13.5, indent_em=0.0, align="left")
    line = compose_paragraph(NEIGHBOUR, style, 200, fonts)
    draw_lines(canvas, fonts, "body", 9.0, line, x1 + BAND + 6, y1 - 20, 13.5)
    pdf = finish(canvas, buf)
    rect = [
        100 * (x0 - bleed) / g.trim_w,
        100 * (top_margin + LINE * g.leading_pt) / g.trim_h,
        100 * notice.width_pt / g.trim_w,
        100 * notice.height_pt / g.trim_h,
    ]
    return pdf, rect


def _facts(page: bytes, rect: list[float], **kw: object) -> ProofFacts:
    base = ProofFacts(
        newspaper="淄博晚报",
        edition_date=date(2026, 11, 28),
        page_number=3,
        page_label="公告",
        kind_zh="遗失声明",
        kind_en="Lost-licence declaration",
        title="挂失",
        org_name="淄博淄川峨庄乡村旅游专业合作社",
        published_at=datetime(2026, 11, 28, 6, 30, tzinfo=timezone(timedelta(hours=8))),
        page_sha256=hashlib.sha256(page).hexdigest(),
        verify_url=URL,
        notice_rect=(rect[0], rect[1], rect[2], rect[3]),
        reg_number="370302NA000215",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def made(geometry: PageGeometry, fonts: FontSet) -> tuple[bytes, list[float], Proof]:
    page, rect = _page(geometry, fonts)
    return page, rect, render_proof(_facts(page, rect), page, fonts)


def _chars(pdf: bytes) -> list[dict[str, object]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return list(doc.pages[0].chars)


def _text(pdf: bytes) -> str:
    return "".join(str(c["text"]) for c in _chars(pdf))


def _render(pdf: bytes, scale: float) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
        page.close()
    finally:
        doc.close()
    return image


def _inside(c: dict[str, object], box: tuple[float, float, float, float], height: float) -> bool:
    """A pdfplumber char (top-left origin) inside a PDF box (bottom-left origin)."""
    x0, y0, x1, y1 = box
    return (
        x0 - 0.5 <= float(c["x0"])  # type: ignore[arg-type]
        and float(c["x1"]) <= x1 + 0.5  # type: ignore[arg-type]
        and height - y1 - 0.5 <= float(c["top"])  # type: ignore[arg-type]
        and float(c["bottom"]) <= height - y0 + 0.5  # type: ignore[arg-type]
    )


def test_the_certificate_states_newspaper_date_page_kind_hash_and_url(made) -> None:
    page, _, proof = made
    text = _text(proof.pdf)
    assert page_size(proof.pdf) == pytest.approx(A4, abs=0.01)
    for needle in (
        "登报证明",
        "Proof of publication",
        "淄博晚报",
        "2026年11月28日",
        "星期六",
        "Saturday",
        "第3版",
        "遗失声明",
        "Lost-licence declaration",
        "淄博淄川峨庄乡村旅游专业合作社",
        "370302NA000215",
        "2026-11-28 06:30(UTC+08:00)",
    ):
        assert needle in text, needle
    digest = hashlib.sha256(page).hexdigest()
    assert digest in text.replace(" ", "")  # the whole hash, printed in groups of four
    assert URL in text
    assert "视为送达" not in text  # only termination notices have a deemed-served date


def test_the_hash_is_printed_in_groups_at_a_fixed_pitch(made) -> None:
    page, _, proof = made
    digest = hashlib.sha256(page).hexdigest()
    rows = hash_lines(digest)
    assert rows == [" ".join(digest[i : i + 4] for i in range(j, j + 32, 4)) for j in (0, 32)]
    chars = [c for c in _chars(proof.pdf) if c["size"] == pytest.approx(9.5)]
    first = sorted((c for c in chars if c["top"] == min(x["top"] for x in chars)), key=lambda c: c["x0"])
    assert "".join(str(c["text"]) for c in first) == digest[:32]
    # Cells of equal width, one empty cell between groups: the digit origins sit on a fixed pitch.
    centres = [(float(c["x0"]) + float(c["x1"])) / 2 for c in first]  # type: ignore[arg-type]
    pitch = (centres[3] - centres[0]) / 3
    for i, centre in enumerate(centres):
        cell = i + i // 4  # the group gap is one cell
        assert centre == pytest.approx(centres[0] + cell * pitch, abs=0.05)


def test_deemed_served_date_and_wording_for_a_termination_notice(geometry, fonts) -> None:
    page, rect = _page(geometry, fonts, TERMINATION)
    facts = _facts(
        page,
        rect,
        kind_zh="解除劳动关系公告",
        kind_en="Termination notice",
        title="公告",
        org_name="中航钛业有限公司",
        reg_number=None,
        credit_code="91370300MA3C4XYW0X",
        deemed_served_on=date(2026, 12, 28),
    )
    text = _text(render_proof(facts, page, fonts).pdf)
    assert "视为送达日期" in text and "2026年12月28日" in text
    assert "经过三十日，即视为送达" in text
    assert "91370300MA3C4XYW0X" in text


def test_the_notice_is_the_page_itself_placed_as_a_vector_form_and_clipped(made) -> None:
    _, _, proof = made
    with pikepdf.open(io.BytesIO(proof.pdf)) as doc:
        cert = doc.pages[0]
        forms = [x for _, x in cert.Resources.XObject.items() if x.Subtype == "/Form"]
        assert len(forms) == 1
        # The page's font subsets keep their glyphs but not ReportLab's tags, which the
        # certificate's own subsets also use (AAAAAA+…): one name, one subset.
        names = [
            str(f.BaseFont)
            for f in doc.objects
            if isinstance(f, pikepdf.Dictionary) and f.get("/Type") == "/Font"
        ]
        assert len(names) == len(set(names))
        assert not [x for x in doc.objects if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == "/Image"]
        # The form's /BBox is the notice's box on the page: it clips everything else.
        assert [float(v) for v in forms[0].BBox] == pytest.approx(list(proof.crop.source))
        ops = [str(op) for _, op in pikepdf.parse_content_stream(cert)]
        do = ops.index("Do")
        assert ops[do - 4 : do] == ["re", "W", "n", "cm"]  # clip path, then the placement
    # Glyphs drawn by the page's content: the notice's inside the placed rectangle; the
    # neighbour's text is in the form too (clipping does not remove it) but lies outside.
    height = A4[1]
    chars = _chars(proof.pdf)
    heading_size = 14.0 * proof.crop.scale  # the notice's 14 pt Hei heading, scaled with the page
    heading = [c for c in chars if c["text"] in "挂失" and float(c["size"]) == pytest.approx(heading_size)]  # type: ignore[arg-type]
    assert len(heading) == 2 and all(_inside(c, proof.crop.target, height) for c in heading)
    body = "".join(str(c["text"]) for c in chars if _inside(c, proof.crop.target, height))
    assert "营业执照正本注册号370302NA000215" in body and "声明作废" in body
    neighbour = [c for c in chars if c["text"] in NEIGHBOUR]
    assert neighbour and not any(_inside(c, proof.crop.target, height) for c in neighbour)


def test_everything_outside_the_notice_box_is_clipped_away(made) -> None:
    page, _, proof = made
    crop = proof.crop
    scale = 4.0  # px per pt
    cert = _render(proof.pdf, scale)
    x0, y0, x1, y1 = crop.target
    h = A4[1]

    def px(x: float, y: float) -> tuple[int, int]:
        return round(x * scale), round((h - y) * scale)

    # A ring from 1.5 to 4 pt outside the placed notice (the frame is 5 pt out): on the page
    # that is solid black band; on the certificate it must be white paper.
    ring: list[tuple[int, int]] = []
    for d in (1.5, 2.5, 3.5):
        for i in range(41):
            t = i / 40
            for x, y in ((x0 + t * (x1 - x0), y1 + d), (x0 + t * (x1 - x0), y0 - d)):
                ring.append(px(x, y))
            for x, y in ((x0 - d, y0 + t * (y1 - y0)), (x1 + d, y0 + t * (y1 - y0))):
                ring.append(px(x, y))
    assert all(cert.getpixel(p) >= 250 for p in ring)
    # The same places on the page (mapped back) are ink: the clip, not an empty page, made them white.
    src = _render(page, 1.0)
    with pikepdf.open(io.BytesIO(page)) as doc:
        media_top = float(doc.pages[0].MediaBox[3])
    s = crop.scale
    inked = 0
    for d in (2.5, 3.5):
        for x, y in ((x0 - d, (y0 + y1) / 2), (x1 + d, (y0 + y1) / 2), ((x0 + x1) / 2, y1 + d)):
            sx = (x - crop.matrix[4]) / s
            sy = (y - crop.matrix[5]) / s
            inked += src.getpixel((round(sx), round(media_top - sy))) < 80
    assert inked == 6
    # And the notice itself is there: ink inside the placed rectangle.
    inside = cert.crop(
        (round(x0 * scale), round((h - y1) * scale), round(x1 * scale), round((h - y0) * scale))
    )
    assert inside.getextrema()[0] < 50


def test_the_qr_code_encodes_the_url_in_solid_black_modules(made) -> None:
    _, _, proof = made
    assert proof.qr_value == URL
    assert qr_widget(URL, 84).value == URL
    qx0, qy0, qx1, qy1 = proof.qr_box
    h = A4[1]
    modules = [
        r
        for r in rects(proof.pdf)
        if qx0 - 0.01 <= r["x0"]
        and r["x1"] <= qx1 + 0.01
        and h - qy1 - 0.01 <= r["top"]
        and r["bottom"] <= h - qy0 + 0.01
    ]
    assert len(modules) > 150  # one filled rectangle per run of dark modules
    with pikepdf.open(io.BytesIO(proof.pdf)) as doc:
        ops = [
            (str(op), [float(v) for v in operands])
            for operands, op in pikepdf.parse_content_stream(doc.pages[0])
            if str(op) in ("k", "K", "rg", "RG", "g", "G")
        ]
    assert all(op in ("k", "K") for op, _ in ops)
    # What a scanner would read: the module grid sampled from the rendered page equals the grid
    # of an independent encoding of the URL.
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(URL)
    code.make()
    n = code.getModuleCount()
    box = (qx1 - qx0) / (n + 8)
    scale = 6.0
    image = _render(proof.pdf, scale)
    for r in range(n):
        for c in range(n):
            x = qx0 + (4 + c + 0.5) * box
            y = qy1 - (4 + r + 0.5) * box
            dark = image.getpixel((round(x * scale), round((h - y) * scale))) < 128
            assert dark == bool(code.isDark(r, c)), (r, c)
    # The quiet zone is white.
    assert image.getpixel((round((qx0 + box) * scale), round((h - qy1 + box) * scale))) > 250


def test_print_ready_fonts_embedded_text_and_rules_above_the_minimum(made) -> None:
    _, _, proof = made
    report = font_report(proof.pdf)
    assert report and all(embedded for _, _, embedded in report)
    assert preflight(proof.pdf).ok, preflight(proof.pdf).lines("en")
    # The certificate's own text (outside the placed page) is 7 pt or more.
    own = [c for c in _chars(proof.pdf) if not _inside(c, proof.crop.target, A4[1])]
    assert min(float(c["size"]) for c in own) >= 7.0  # type: ignore[arg-type]
    with pikepdf.open(io.BytesIO(proof.pdf)) as doc:
        assert [float(v) for v in doc.pages[0].TrimBox] == pytest.approx([0, 0, *A4], abs=0.01)
        assert str(doc.trailer.Info.GTS_PDFXVersion) == "PDF/X-1a:2003"


def test_same_input_same_bytes(made, fonts) -> None:
    page, rect, proof = made
    assert render_proof(_facts(page, rect), page, fonts).pdf == proof.pdf
    other = render_proof(_facts(page, rect, verify_url=URL + "x"), page, fonts)
    assert other.pdf != proof.pdf


def test_published_at_is_printed_in_its_own_zone(made, fonts) -> None:
    page, rect, _ = made
    utc = render_proof(
        _facts(page, rect, published_at=datetime(2026, 11, 27, 22, 30, tzinfo=UTC)), page, fonts
    )
    assert "2026-11-27 22:30(UTC+00:00)" in _text(utc.pdf)


@pytest.mark.parametrize(
    ("rect", "pad", "box"),
    [
        ((0, 0, 100, 100), 0, (10, 20, 110, 220)),  # the whole trim
        ((0, 0, 50, 25), 0, (10, 170, 60, 220)),  # top left: half the width, a quarter of the height
        ((50, 50, 50, 50), 0, (60, 20, 110, 120)),  # bottom right
        ((10, 10, 20, 20), 1, (19, 159, 41, 201)),  # padded by 1 pt
        ((0, 0, 10, 10), 5, (10, 195, 25, 220)),  # padding stops at the trim
    ],
)
def test_notice_rect_in_percent_of_the_trim_to_page_points(rect, pad, box) -> None:
    trim = (10.0, 20.0, 110.0, 220.0)  # 100 × 200 pt
    assert notice_source_box(trim, rect, pad) == pytest.approx(box)


@pytest.mark.parametrize("rect", [(0, 0, 0, 10), (10, 10, 10, -1), (120, 0, 10, 10)])
def test_an_empty_or_off_page_rect_is_refused(rect) -> None:
    with pytest.raises(ValueError):
        notice_source_box((0.0, 0.0, 100.0, 100.0), rect)


def test_fit_crop_scales_within_the_area_and_caps_enlargement() -> None:
    tall = fit_crop((0, 0, 100, 400), (0, 0, 500, 200), 1.6)
    assert tall.scale == pytest.approx(0.5) and tall.target == pytest.approx((225, 0, 275, 200))
    small = fit_crop((50, 50, 60, 60), (0, 0, 500, 200), 1.6)
    assert small.scale == pytest.approx(1.6) and small.target[3] == pytest.approx(200)
    assert small.to_target(50, 60) == pytest.approx((small.target[0], small.target[3]))
