"""Typesetting benchmark: body-text pages, notices and previews, with clreq violation counts.

Run from the repository root: `.venv/bin/python bench/typeset.py [--pages N] [--notices N]
[--previews N]`. Prints one compact table; nothing is written to disk.

Violations are counted exactly as tests/print/test_clreq_readback.py counts them (its helpers are
imported): each PDF is read back with pdfplumber, lines rebuilt by baseline per column, and checked
with notices_app.layout.clreq_check for rules 1-5, 7, 9 and 10.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "print")]

from reportlab.lib.enums import TA_JUSTIFY  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.platypus import Flowable, Paragraph  # noqa: E402
from test_clreq_readback import (  # noqa: E402
    BODY,
    CHECKED_RULES,
    page_violations,
    render_page,
    story_paragraphs,
)

from notices_app.layout.composer import compose  # noqa: E402
from notices_app.layout.geometry import BROADSHEET, PageGeometry  # noqa: E402
from notices_app.layout.types import NoticeText  # noqa: E402
from notices_app.rules.wording import notice_text  # noqa: E402
from notices_app.services.demo import lost_license_fields, termination_fields  # noqa: E402
from print.fonts import FontSet, default_fonts  # noqa: E402
from print.notices import render_notice_pdf, render_typeset_pdf, typeset_notice  # noqa: E402
from print.raster import pdf_to_png  # noqa: E402
from print.textflow import ComposedText, compose_paragraphs  # noqa: E402

TARGET_PAGES_PER_S = 12.0
TARGET_PREVIEW_P95_MS = 100.0
TARGET_300_NOTICES_S = 2.0
START = date(2013, 10, 22)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("鹏", "慧", "晓林", "建国", "丽娟", "志强", "海燕", "文博", "秀英", "德华", "春梅", "立平")
ORGS = (
    "淄博淄川峨庄乡村旅游专业合作社",
    "中航钛业有限公司",
    "淄博华光商贸有限公司",
    "山东齐都陶瓷琉璃制品有限责任公司",
    "张店区人民西路便民超市",
    "淄博市周村区丝绸之路文化传播有限公司",
)
GENERAL_SENTENCES = (
    "因经营需要，本公司营业场所自{d}起由淄博市张店区人民西路88号迁至淄博市张店区华光路166号（原址停止营业）。",
    "给您带来的不便，敬请谅解。",
    "咨询电话：0533—2173002，联系人：张先生。",
    "本公司注册资本由500万元减至300万元，减资比例为40%，请债权人自本公告刊登之日起四十五日内向本公司申报债权。",
    "经股东会决议，本公司自{d}起停止经营，并成立清算组，请债权人于四十五日内向清算组申报债权。",
)


def fill_page(paragraphs: Sequence[str], geometry: PageGeometry, fonts: FontSet) -> list[str]:
    """The story repeated, whole paragraphs only, as long as the six columns hold it."""
    capacity = geometry.columns * geometry.lines_per_column
    out: list[str] = []
    used = 0
    while True:
        for p in paragraphs:
            n = len(compose_paragraphs([p], BODY, geometry.column_width, fonts, compose))
            if used + n > capacity:
                return out
            out.append(p)
            used += n


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def person(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]


def termination(i: int, employees: int) -> NoticeText:
    fields = termination_fields(START + timedelta(days=i))
    base = fields["employees"]
    fields["employees"] = [
        {"name": person(i * 5 + k), "id_number": base[k % len(base)]["id_number"]} for k in range(employees)
    ]
    fields["employer_name"] = ORGS[i % len(ORGS)]
    return notice_text("termination", fields)


def mixed_notice(i: int) -> NoticeText:
    kind = i % 3
    if kind == 0:
        return termination(i, 1 + i % 5)
    if kind == 1:
        fields = lost_license_fields(START + timedelta(days=i))
        fields["org_name"] = ORGS[i % len(ORGS)]
        fields["copy"] = ("original", "duplicate", "both")[i % 3]
        fields["duplicate_no"] = f"{i:03d}" if i % 2 else ""
        return notice_text("lost_license", fields)
    d = (START + timedelta(days=i)).strftime("%Y年%-m月%-d日")
    n = 1 + i % len(GENERAL_SENTENCES)
    body = "\n".join(s.format(d=d) for s in GENERAL_SENTENCES[:n])
    fields = {
        "title": "公告",
        "body": body,
        "signer": ORGS[i % len(ORGS)],
        "signed_on": (START + timedelta(days=i)).isoformat(),
        "columns": 1 + i % 2,
    }
    return notice_text("general", fields)


def rl_paragraphs(paragraphs: Sequence[str], fonts: FontSet) -> list[Flowable]:
    """The same text as ReportLab Paragraphs with its CJK word wrap, justified, 2 em indent."""
    style = ParagraphStyle(
        "body",
        fontName=fonts.font_name("body"),
        fontSize=BODY.size,
        leading=BODY.leading,
        firstLineIndent=2 * BODY.size,
        alignment=TA_JUSTIFY,
        wordWrap="CJK",
    )
    return [Paragraph(escape(p), style) for p in paragraphs]


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--notices", type=int, default=300)
    ap.add_argument("--previews", type=int, default=100)
    args = ap.parse_args()

    g = BROADSHEET
    fonts = default_fonts()
    paragraphs = fill_page(story_paragraphs(), g, fonts)
    chars = sum(len(p) for p in paragraphs)
    rows: list[tuple[str, str, str]] = []

    # (a) our composer: compose (wrap fills the flowable's line cache), then flow, draw and save.
    compose_s: list[float] = []
    draw_s: list[float] = []
    pdf = b""
    for _ in range(args.pages + 1):
        t0 = time.perf_counter()
        flow = ComposedText(paragraphs, BODY, fonts, compose)
        flow.wrap(g.column_width, 1e9)
        t1 = time.perf_counter()
        pdf, left_over = render_page([flow], g, fonts)
        t2 = time.perf_counter()
        assert left_over == 0
        compose_s.append(t1 - t0)
        draw_s.append(t2 - t1)
    compose_s, draw_s = compose_s[1:], draw_s[1:]  # the first run warms font caches
    page_s = statistics.median(c + d for c, d in zip(compose_s, draw_s, strict=True))
    rows += [
        ("page: paragraphs / characters", f"{len(paragraphs)} / {chars}", ""),
        ("page: compose ms (median)", f"{1000 * statistics.median(compose_s):.1f}", ""),
        ("page: draw+save ms (median)", f"{1000 * statistics.median(draw_s):.1f}", ""),
        ("page: pages per second", f"{1 / page_s:.1f}", f"≥ {TARGET_PAGES_PER_S:g}"),
    ]
    composed = compose_paragraphs(paragraphs, BODY, g.column_width, fonts, compose)
    ours = Counter(v.rule for _, v in page_violations(pdf, paragraphs, g, composed))

    # (e) ReportLab's own CJK paragraph in the same frames.
    rl_times: list[float] = []
    rl_pdf = b""
    rl_left = 0
    for _ in range(max(3, args.pages // 4) + 1):
        dt, (rl_pdf, rl_left) = timed(lambda: render_page(rl_paragraphs(paragraphs, fonts), g, fonts))
        rl_times.append(dt)
    rl_page_s = statistics.median(rl_times[1:])
    theirs = Counter(v.rule for _, v in page_violations(rl_pdf, paragraphs, g, composed=None))
    rows.append(("ReportLab CJK Paragraph: pages per second", f"{1 / rl_page_s:.1f}", ""))
    if rl_left:
        rows.append(("ReportLab CJK Paragraph: paragraphs left over", str(rl_left), ""))

    # (b) 300 mixed notices: typeset and render each to PDF.
    texts = [mixed_notice(i) for i in range(args.notices)]
    render_notice_pdf(texts[0], g, fonts, composer=compose)
    total, _ = timed(
        lambda: [render_typeset_pdf(typeset_notice(t, g, fonts, composer=compose)) for t in texts]
    )
    rows += [
        (f"{args.notices} mixed notices: seconds", f"{total:.2f}", f"≤ {TARGET_300_NOTICES_S:g} (300)"),
        (f"{args.notices} mixed notices: per second", f"{args.notices / total:.0f}", ""),
    ]

    # (c) preview latency, warm, with different field values every run so no cache can answer.
    for i in range(5):
        pdf_to_png(render_notice_pdf(termination(10_000 + i, 3), g, fonts, composer=compose))
    lat: list[float] = []
    for i in range(args.previews):
        text = termination(i, 3)
        dt, _ = timed(lambda t=text: pdf_to_png(render_notice_pdf(t, g, fonts, composer=compose)))
        lat.append(1000 * dt)
    rows += [
        ("preview PDF+PNG ms p50", f"{pct(lat, 0.5):.1f}", ""),
        ("preview PDF+PNG ms p95", f"{pct(lat, 0.95):.1f}", f"≤ {TARGET_PREVIEW_P95_MS:g}"),
    ]

    # (d) memory: tracemalloc's peak for one page, then the process's peak RSS.
    tracemalloc.start()
    render_page([ComposedText(paragraphs, BODY, fonts, compose)], g, fonts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    rows += [
        ("memory: Python peak for one page MB", f"{peak / 2**20:.1f}", ""),
        ("memory: process max RSS MB", f"{rss_mb:.0f}", ""),
    ]

    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>12}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>12}  {target}")
    print()
    print(f"clreq violations on the {g.name} page, read back from the PDF (rules 1-5, 7, 9, 10)")
    print(f"{'rule':<6}{'composer':>10}{'ReportLab':>11}")
    for rule in sorted(CHECKED_RULES):
        print(f"{rule:<6}{ours[rule]:>10}{theirs[rule]:>11}")
    print(f"{'total':<6}{sum(ours.values()):>10}{sum(theirs.values()):>11}")


if __name__ == "__main__":
    main()
