"""Edition benchmark: a 16-page 对开 edition with 40 stories, 300 notices and 20 ads, generated from
the seed page, through typesetting, layout, rendering, PDF/X, preflight and page images.

Run from the repository root: `.venv/bin/python bench/edition.py [--pages 16] [--stories 40]
[--notices 300] [--ads 20] [--no-weasyprint]`. Prints seconds per stage, pages per second and
peak memory; then renders page 1's content with WeasyPrint from equivalent HTML/CSS (six CSS
columns, the same fonts and sizes) and prints both times. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import gc
import html
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from typeset import mixed_notice  # noqa: E402

from notices_app.layout.geometry import BROADSHEET, PageGeometry  # noqa: E402
from notices_app.layout.page_layout import lay_out  # noqa: E402
from notices_app.layout.page_types import (  # noqa: E402
    AdRequest,
    EditionLayout,
    EditionPlan,
    NoticeMetrics,
    PagePlan,
    StoryMetrics,
)
from notices_app.layout.types import AdText, StoryText  # noqa: E402
from notices_app.rules.story_text import parse_stories  # noqa: E402
from notices_app.rules.text import to_fullwidth_punct  # noqa: E402
from notices_app.services.demo import TOURISM_AD, seed_text  # noqa: E402
from print.ads import TypesetAd, typeset_ad  # noqa: E402
from print.edition_pdf import EditionInfo, PageContent, combine_pages, render_page  # noqa: E402
from print.fonts import FontSet, default_fonts  # noqa: E402
from print.notices import TypesetNotice, typeset_notice  # noqa: E402
from print.pdfx import make_pdfx  # noqa: E402
from print.preflight import preflight  # noqa: E402
from print.raster import page_images  # noqa: E402
from print.stories import TypesetStory, typeset_story  # noqa: E402

TARGET_EDITION_S = 4.0
KIND_OF = {0: "termination", 1: "lost_license", 2: "general"}


def seed_stories() -> list[StoryText]:
    body = seed_text().split("\n公告\n")[0]
    out = []
    for d in parse_stories(body):
        out.append(
            StoryText(
                headline=to_fullwidth_punct(d.headline),
                deck=tuple(to_fullwidth_punct(x) for x in d.deck),
                byline=to_fullwidth_punct(d.byline or ""),
                blocks=tuple((b["type"], to_fullwidth_punct(b["text"])) for b in d.blocks),
            )
        )
    return out


def story(i: int, seeds: list[StoryText]) -> StoryText:
    """Story i: a seed story (700-1,500 字), numbered so no two are alike; every fifth one runs
    twice as long, so some stories jump to another page."""
    s = seeds[i % len(seeds)]
    reps = 2 if i % 5 == 4 else 1
    blocks = tuple(b for _ in range(reps) for b in s.blocks)
    return StoryText(f"{s.headline}({i + 1})", s.deck, s.byline, blocks)


def plan(pages: int) -> EditionPlan:
    """A third news, two mixed pages, the rest classifieds (300 notices fill ~9 pages)."""
    news = max(1, pages // 3)
    mixed = min(2, pages - news)
    out = []
    for n in range(1, pages + 1):
        role = "news" if n <= news else "mixed" if n <= news + mixed else "classifieds"
        label = {"news": "要闻" if n == 1 else "新闻", "mixed": "综合", "classifieds": "分类广告"}[role]
        out.append(PagePlan(n, role, label))  # type: ignore[arg-type]
    return EditionPlan(tuple(out))


def ad_specs(count: int, pages: int) -> list[tuple[int, str, int]]:
    """(page, position, columns): an ear on page 1, then bands and boxes on the news pages."""
    specs: list[tuple[int, str, int]] = [(1, "ear", 2)]
    shapes = [6, 3, 2, 4]
    k = 0
    while len(specs) < count:
        page = 1 + k % max(1, pages // 4 + 2)
        specs.append((page, "bottom", shapes[k % len(shapes)]))
        k += 1
    return specs


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def weasyprint_html(layout: EditionLayout, stories: dict[str, StoryText], g: PageGeometry) -> str:
    """Page 1's stories as HTML with six CSS columns at the same sizes and fonts."""
    parts = []
    for sp in layout.page(1).stories:
        st = stories[sp.story_id]
        parts.append(f"<h1>{html.escape(st.headline)}</h1>")
        parts += [f"<h2>{html.escape(d)}</h2>" for d in st.deck]
        if st.byline:
            parts.append(f'<p class="by">{html.escape(st.byline)}</p>')
        for kind, text in st.blocks:
            tag = "h3" if kind == "head" else "p"
            parts.append(f"<{tag}>{html.escape(text)}</{tag}>")
    margin_x = (g.trim_w_mm - g.type_w_mm) / 2
    margin_y = (g.trim_h_mm - g.type_h_mm) / 2
    css = f"""
      @page {{ size: {g.trim_w_mm}mm {g.trim_h_mm}mm; margin: {margin_y}mm {margin_x}mm; }}
      body {{ font-family: 'AR PL UMing CN', serif; font-size: {g.body_size_pt}pt;
              line-height: {g.leading_pt}pt; columns: {g.columns}; column-gap: {g.gutter_mm}mm;
              text-align: justify; line-break: strict; }}
      p {{ text-indent: 2em; margin: 0; }} p.by {{ text-indent: 0; }}
      h1, h2, h3 {{ font-family: 'WenQuanYi Zen Hei', sans-serif; margin: 0; }}
      h1 {{ font-size: 28pt; line-height: 40.5pt; column-span: all; }}
      h2 {{ font-size: 13pt; line-height: 27pt; }} h3 {{ font-size: 10.5pt; text-align: center; }}
    """
    return f"<html><head><style>{css}</style></head><body>{''.join(parts)}</body></html>"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--stories", type=int, default=40)
    ap.add_argument("--notices", type=int, default=300)
    ap.add_argument("--ads", type=int, default=20)
    ap.add_argument("--no-weasyprint", action="store_true")
    args = ap.parse_args()

    g = BROADSHEET
    fonts: FontSet = default_fonts()
    seeds = seed_stories()
    story_texts = {f"s{i}": story(i, seeds) for i in range(args.stories)}
    notice_texts = [mixed_notice(i) for i in range(args.notices)]
    # Warm the fonts and the composer once, as a long-running server would be.
    typeset_notice(notice_texts[0], g, fonts)
    typeset_story(story_texts["s0"], g, fonts)
    gc.collect()

    rows: list[tuple[str, str, str]] = []
    t_start = time.perf_counter()

    def typeset_all() -> tuple[dict[str, TypesetStory], dict[str, TypesetNotice], dict[str, TypesetAd], list]:
        ts_stories = {k: typeset_story(v, g, fonts) for k, v in story_texts.items()}
        ts_notices = {f"n{i}": typeset_notice(t, g, fonts) for i, t in enumerate(notice_texts)}
        ts_ads: dict[str, TypesetAd] = {}
        requests: list[AdRequest] = []
        for i, (page, position, cols) in enumerate(ad_specs(args.ads, args.pages)):
            text = AdText(
                **{
                    **TOURISM_AD,
                    "columns": cols,
                    "sublines": tuple(TOURISM_AD["sublines"]),  # type: ignore[arg-type]
                    "features": tuple(TOURISM_AD["features"]),
                    "body": tuple(TOURISM_AD["body"]),
                    "phones": tuple(TOURISM_AD["phones"]),
                }
            )
            ad = typeset_ad(text, g, fonts)
            ts_ads[f"a{i}"] = ad
            requests.append(AdRequest(f"a{i}", page, position, cols, ad.total_lines))  # type: ignore[arg-type]
        return ts_stories, ts_notices, ts_ads, requests

    t_typeset, (ts_stories, ts_notices, ts_ads, ad_requests) = timed(typeset_all)
    story_metrics: list[StoryMetrics] = [ts.metrics(k) for k, ts in ts_stories.items()]
    notice_metrics = [
        NoticeMetrics(k, KIND_OF[i % 3], notice_texts[i].columns, ts.total_lines)
        for i, (k, ts) in enumerate(ts_notices.items())
    ]
    edition_plan = plan(args.pages)
    t_layout, layout = timed(
        lambda: lay_out(
            edition_plan, g.columns, g.lines_per_column, story_metrics, notice_metrics, ad_requests
        )
    )
    content = PageContent(stories=ts_stories, notices=ts_notices, ads=ts_ads)
    info = EditionInfo(newspaper="淄博晚报", date=date(2013, 10, 22))
    t_render, raw_pages = timed(
        lambda: [render_page(p, content, g, fonts, info, len(layout.pages)) for p in layout.pages]
    )
    t_pdfx, pages = timed(lambda: [make_pdfx(p, title=f"第{i + 1}版") for i, p in enumerate(raw_pages)])
    t_combine, whole = timed(lambda: make_pdfx(combine_pages(pages), title="淄博晚报"))
    t_preflight, reports = timed(lambda: [preflight(p) for p in pages])
    t_total = time.perf_counter() - t_start
    t_images, _ = timed(lambda: [page_images(p, (1200, 240)) for p in pages])

    placed_notices = sum(1 for p in layout.pages for b in p.blocks if b.kind == "notice")
    placed_ads = sum(1 for p in layout.pages for b in p.blocks if b.kind == "ad")
    placed_stories = len({s.story_id for p in layout.pages for s in p.stories})
    problems = sum(len(r.problems) for r in reports)
    n = len(layout.pages)
    rows += [
        ("content: stories / notices / ads", f"{args.stories} / {args.notices} / {args.ads}", ""),
        ("placed: stories / notices / ads", f"{placed_stories} / {placed_notices} / {placed_ads}", ""),
        ("overflow (listed, build would fail)", str(len(layout.overflow)), "0"),
        ("typeset s (stories, notices, ads)", f"{t_typeset:.2f}", ""),
        ("layout s", f"{t_layout:.3f}", ""),
        ("render s (ReportLab, one PDF per page)", f"{t_render:.2f}", ""),
        ("PDF/X s (pages + edition file)", f"{t_pdfx + t_combine:.2f}", ""),
        ("preflight s", f"{t_preflight:.2f}", ""),
        ("preflight problems", str(problems), "0"),
        ("whole edition s (all of the above)", f"{t_total:.2f}", f"≤ {TARGET_EDITION_S:g}"),
        ("pages per second", f"{n / t_total:.1f}", ""),
        ("page images s (1200 px + 240 px, web)", f"{t_images:.2f}", ""),
        ("edition PDF MB", f"{len(whole) / 1e6:.1f}", ""),
        (
            "peak memory: process max RSS MB",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}",
            "",
        ),
    ]

    if not args.no_weasyprint:
        try:
            import weasyprint  # type: ignore[import-untyped]
        except ImportError:
            rows.append(("WeasyPrint", "not installed (pip install -r bench/requirements.txt)", ""))
        else:
            page1 = layout.page(1)
            doc = weasyprint_html(layout, story_texts, g)
            weasyprint.HTML(string=doc).write_pdf()  # warm fonts
            t_ours, _ = timed(lambda: render_page(page1, content, g, fonts, info, n))
            t_weasy, _ = timed(lambda: weasyprint.HTML(string=doc).write_pdf())
            rows += [
                ("page 1 stories: ours (typeset once, render) ms", f"{t_ours * 1000:.0f}", ""),
                ("page 1 stories: WeasyPrint 6-column HTML ms", f"{t_weasy * 1000:.0f}", ""),
            ]

    width = max(len(r[0]) for r in rows) + 2
    print(f"{'figure':<{width}}{'value':>14}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}{value:>14}  {target}")
    for o in layout.overflow[:10]:
        print(f"  overflow {o.kind} {o.id}: {o.reason.render('en')}")
    for r in reports:
        for p in r.problems[:3]:
            print(f"  preflight page {p.page}: {p.code} {p.message.render('en')} {p.details}")


if __name__ == "__main__":
    main()
