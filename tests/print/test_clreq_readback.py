"""clreq rules 1-5, 7, 9 and 10 checked on real PDFs: glyphs read back by pdfplumber, lines rebuilt
by baseline, and which lines end a paragraph taken from the composer rather than guessed.

The helpers here are also the benchmark's measuring stick (bench/typeset.py imports them), so the
figures it prints count violations exactly the way these tests do.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pdfplumber
import pytest
from pdfread import spec_char_spacing
from reportlab.platypus import Flowable, Frame

from notices_app.layout.clreq_check import CheckGlyph, CheckLine, Violation, check
from notices_app.layout.geometry import BROADSHEET, PageGeometry
from notices_app.layout.types import ComposedLine, NoticeText
from notices_app.rules.text import to_fullwidth_punct
from notices_app.rules.wording import notice_text
from notices_app.services.demo import lost_license_fields, seed_text, termination_fields
from print.fonts import FontSet
from print.notices import PREVIEW_MARGIN, render_typeset_pdf, typeset_notice
from print.pdfcanvas import finish, new_canvas
from print.textflow import ComposedText, ComposeFn, TextStyle, compose_paragraphs

CHECKED_RULES = frozenset({1, 2, 3, 4, 5, 7, 9, 10})
BODY = TextStyle(size=BROADSHEET.body_size_pt, leading=BROADSHEET.leading_pt)
TODAY = date(2013, 10, 22)


def story_paragraphs() -> list[str]:
    """The seed page's news story (everything above the first notice), one paragraph per line,
    with ASCII punctuation between Han characters made full-width (clreq rule 15)."""
    out: list[str] = []
    for raw in seed_text().splitlines():
        line = raw.strip()
        if line == "公告":
            break
        if line:
            out.append(to_fullwidth_punct(line))
    return out


def adversarial_paragraphs(chars_per_line: int = 17, indent: int = 2) -> list[str]:
    """Paragraphs that put a forbidden mark exactly where a greedy break would fall.

    The first line of a paragraph holds `chars_per_line - indent` characters; a mark placed right
    after them would start line two, an opening mark right before the break would end line one.
    """
    han = "淄博市人民政府新闻办公室官方微博上线运行各区县及首批市直部门单位政务同步"
    first = chars_per_line - indent

    def fill(n: int, offset: int = 0) -> str:
        return "".join(han[(offset + k) % len(han)] for k in range(n))

    out: list[str] = []
    for k, mark in enumerate(("，", "。", "”", "》", "、", "：", "！", "）")):
        out.append(fill(first, k) + mark + fill(12, k + 3) + "。")
    for k, mark in enumerate(("“", "《", "（")):
        closer = {"“": "”", "《": "》", "（": "）"}[mark]
        out.append(fill(first - 1, k) + mark + fill(4, k) + closer + fill(10, k) + "。")
    out += [
        fill(first - 1) + "——" + fill(14, 4) + "。",  # a dash split across the break
        fill(first - 1, 2) + "……" + fill(14, 6) + "。",
        fill(first - 2, 3) + "增长13.5%，" + fill(12, 5) + "。",  # a number straddling the break
        fill(first - 4, 4) + "电话0533—2173002，" + fill(10, 1) + "。",
        fill(first - 1, 5) + "”。" + fill(13, 2) + "。",  # two closing marks at the break
        fill(first - 2, 6) + "》，“" + fill(12, 3) + "”。",
        fill(first + chars_per_line, 7) + "。",  # one character left for the last line
        fill(first + chars_per_line - 1, 8) + "了。",
        fill(first - 1, 9) + "“" + fill(first, 2) + "。”" + fill(3, 4) + "。",
    ]
    return out


@dataclass(frozen=True)
class ReadLine:
    """One printed line of one column, glyphs left to right, x relative to the column's left edge."""

    column: int
    baseline: float
    glyphs: tuple[CheckGlyph, ...]

    @property
    def text(self) -> str:
        return "".join(g.ch for g in self.glyphs)


def read_columns(pdf: bytes, left: Sequence[float], width: float) -> list[ReadLine]:
    """The page's lines column by column, each top to bottom, grouped by baseline (`matrix[5]`).

    A glyph belongs to the column whose box (extended by half the gutter) holds its origin, so an
    opening mark pulled ½ em into the gutter stays with its line. Advances come from origins;
    `x1 - x0` is only the glyph's own font width (the checker trims a line-end mark itself).
    """
    rows: dict[tuple[int, float], list[CheckGlyph]] = {}
    with spec_char_spacing(), pdfplumber.open(io.BytesIO(pdf)) as doc:
        for c in doc.pages[0].chars:
            ch = c["text"]
            if not ch or ch.isspace():
                continue
            x0 = float(c["x0"])
            # Column i owns everything from the middle of the gutter before it.
            col = sum(1 for k in range(1, len(left)) if x0 >= (left[k - 1] + width + left[k]) / 2)
            base = round(float(c["matrix"][5]), 2)
            g = CheckGlyph(ch, x0 - left[col], float(c["size"]), float(c["x1"]) - x0)
            rows.setdefault((col, base), []).append(g)
    ordered = sorted(rows.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
    return [ReadLine(col, base, tuple(sorted(gs, key=lambda g: g.x))) for (col, base), gs in ordered]


def _plain(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def check_read_lines(
    read: Sequence[ReadLine],
    composed: Sequence[ComposedLine] | None,
    sources: Sequence[str],
    measure: float,
    indent: float,
) -> list[tuple[int, Violation]]:
    """Check lines read back from a PDF as one flow; returns (column, violation) pairs.

    Paragraph-last lines come from `composed` (the layout's own lines, whose text must match what
    was printed); without it they are found by walking the source paragraphs, which is how a
    foreign typesetter's output (ReportLab's Paragraph) is judged.
    """
    if composed is not None:
        printed = [ln.text for ln in read]
        expected = [
            _plain("".join(g.ch for g in ln.glyphs))
            for ln in composed
            if _plain("".join(g.ch for g in ln.glyphs))
        ]
        assert printed == expected, "the PDF does not show the composed lines"
        lasts = [ln.last for ln in composed if _plain("".join(g.ch for g in ln.glyphs))]
    else:
        lasts = _lasts_from_sources([ln.text for ln in read], sources)
    lines = [CheckLine(ln.glyphs, last) for ln, last in zip(read, lasts, strict=True)]
    found = check(lines, 0.0, measure, indent=indent, sources=[_plain(s) for s in sources])
    return [(read[v.line_index].column, v) for v in found if v.rule in CHECKED_RULES]


def _lasts_from_sources(texts: Sequence[str], sources: Sequence[str]) -> list[bool]:
    lasts: list[bool] = []
    paras = iter(_plain(s) for s in sources)
    remaining = next(paras, "")
    for text in texts:
        remaining = remaining[len(text) :] if remaining.startswith(text) else remaining
        end = not remaining
        lasts.append(end)
        if end:
            remaining = next(paras, "")
    return lasts


def column_frames(geometry: PageGeometry) -> list[Frame]:
    """One frame per column of the type area; no padding, the text uses the full measure."""
    return [
        Frame(
            geometry.column_x(i),
            geometry.margin_bottom,
            geometry.column_width,
            geometry.type_h,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            showBoundary=0,
        )
        for i in range(geometry.columns)
    ]


def render_page(flowables: list[Flowable], geometry: PageGeometry, fonts: FontSet) -> tuple[bytes, int]:
    """Flow `flowables` through the page's columns; returns the PDF and how many did not fit."""
    buf = io.BytesIO()
    canvas = new_canvas(buf, geometry.trim_w, geometry.trim_h, fonts)
    story = list(flowables)
    for frame in column_frames(geometry):
        # Frame.addFromList never splits a flowable; flowing text column to column needs split().
        while story:
            if frame.add(story[0], canvas, trySplit=0):
                story.pop(0)
                continue
            parts = frame.split(story[0], canvas)
            if parts and frame.add(parts[0], canvas, trySplit=0):
                story[0:1] = parts[1:]
            break
        if not story:
            break
    return finish(canvas, buf), len(story)


def page_violations(
    pdf: bytes, paragraphs: Sequence[str], geometry: PageGeometry, composed: Sequence[ComposedLine] | None
) -> list[tuple[int, Violation]]:
    """Rule violations of a body-text page, read back from its PDF."""
    left = [geometry.column_x(i) for i in range(geometry.columns)]
    read = read_columns(pdf, left, geometry.column_width)
    return check_read_lines(read, composed, paragraphs, geometry.column_width, 2 * geometry.body_size_pt)


def composed_page(
    paragraphs: Sequence[str], geometry: PageGeometry, fonts: FontSet, composer: ComposeFn
) -> tuple[bytes, list[ComposedLine]]:
    """The page as ComposedText in column frames, plus the composer's lines for the same text."""
    pdf, left_over = render_page([ComposedText(paragraphs, BODY, fonts, composer)], geometry, fonts)
    assert left_over == 0, "the text does not fit the page"
    return pdf, compose_paragraphs(paragraphs, BODY, geometry.column_width, fonts, composer)


def notice_violations(
    text: NoticeText, geometry: PageGeometry, fonts: FontSet, composer: ComposeFn
) -> list[tuple[int, Violation]]:
    """Rule violations of a typeset notice, read back from its preview PDF."""
    notice = typeset_notice(text, geometry, fonts, composer=composer)
    pdf = render_typeset_pdf(notice)
    left = PREVIEW_MARGIN + notice.inset
    read = read_columns(pdf, [left], notice.measure)
    composed = [ln for b in notice.blocks for ln in b.lines]
    sources = [p for p in (text.heading, *text.paragraphs, *text.closing, *text.signature) if p.strip()]
    return check_read_lines(read, composed, sources, notice.measure, 2 * geometry.body_size_pt)


def general_fields() -> dict[str, object]:
    return {
        "title": "关于变更营业场所的公告",
        "body": "因经营需要，本公司营业场所自2013年11月1日起由淄博市张店区人民西路88号迁至"
        "淄博市张店区华光路166号（原址停止营业）。给您带来的不便，敬请谅解。\n"
        "咨询电话：0533—2173002，联系人：张先生。",
        "signer": "淄博华光商贸有限公司",
        "signed_on": TODAY.isoformat(),
        "columns": 2,
    }


def _fmt(found: Sequence[tuple[int, Violation]]) -> list[str]:
    return [f"column {col}: rule {v.rule}: {v.detail}" for col, v in found]


def test_story_page_has_no_violations(fonts: FontSet, composer: ComposeFn) -> None:
    paragraphs = story_paragraphs()
    assert len(paragraphs) > 20 and all("," not in p for p in paragraphs)
    pdf, composed = composed_page(paragraphs, BROADSHEET, fonts, composer)
    read = read_columns(pdf, [BROADSHEET.column_x(i) for i in range(6)], BROADSHEET.column_width)
    assert len({ln.column for ln in read}) >= 2, "the story should flow over more than one column"
    assert _fmt(page_violations(pdf, paragraphs, BROADSHEET, composed)) == []


def test_adversarial_paragraphs_have_no_violations(fonts: FontSet, composer: ComposeFn) -> None:
    paragraphs = adversarial_paragraphs(int(BROADSHEET.column_width // BROADSHEET.body_size_pt))
    pdf, composed = composed_page(paragraphs, BROADSHEET, fonts, composer)
    assert _fmt(page_violations(pdf, paragraphs, BROADSHEET, composed)) == []


@pytest.mark.parametrize(
    "kind",
    ["termination", "lost_license", "general"],
)
def test_notice_templates_have_no_violations(kind: str, fonts: FontSet, composer: ComposeFn) -> None:
    fields = {
        "termination": termination_fields(TODAY),
        "lost_license": lost_license_fields(TODAY),
        "general": general_fields(),
    }[kind]
    text = notice_text(kind, fields)
    assert _fmt(notice_violations(text, BROADSHEET, fonts, composer)) == []


def test_checker_finds_a_line_starting_with_a_comma(fonts: FontSet) -> None:
    """The read-back procedure can fail: a hand-drawn paragraph whose second line starts with '，'."""
    g = BROADSHEET
    buf = io.BytesIO()
    canvas = new_canvas(buf, g.trim_w, g.trim_h, fonts)
    canvas.setFont(fonts.font_name("body"), g.body_size_pt)
    top = g.margin_bottom + g.type_h - g.leading_pt
    first = "各区县及首批市直部门单位政务微博同步上线"[:15]
    second = "，此后淄博政务信息发布渠道将更加多样化。"
    canvas.drawString(g.column_x(0) + 2 * g.body_size_pt, top, first)
    canvas.drawString(g.column_x(0), top - g.leading_pt, second)
    pdf = finish(canvas, buf)
    found = page_violations(pdf, [first + second], g, composed=None)
    assert (0, 1) in {(col, v.rule) for col, v in found}, _fmt(found)
