"""clreq rules hold in every column of a laid-out, rendered edition page (read back from the PDF)."""

from __future__ import annotations

import io
from datetime import date

import pikepdf
from test_clreq_readback import check_read_lines, read_columns

from notices_app.layout.geometry import BROADSHEET
from notices_app.layout.page_layout import lay_out
from notices_app.layout.page_types import EditionPlan, PagePlan
from notices_app.layout.types import StoryText
from notices_app.rules.story_text import parse_stories
from notices_app.rules.text import to_fullwidth_punct
from notices_app.services.demo import seed_text
from print.edition_pdf import EditionInfo, PageContent, render_page
from print.fonts import FontSet
from print.stories import typeset_story


def test_every_column_of_a_rendered_news_page_keeps_the_clreq_rules(fonts: FontSet) -> None:
    g = BROADSHEET
    drafts = parse_stories(seed_text().split("\n公告\n")[0])
    paragraphs = [to_fullwidth_punct(b["text"]) for d in drafts for b in d.blocks if b["type"] == "para"]
    story = StoryText(headline="政务微博上线运行", blocks=tuple(("para", p) for p in paragraphs))
    ts = typeset_story(story, g, fonts)
    layout = lay_out(
        EditionPlan((PagePlan(1, "news"),)), g.columns, g.lines_per_column, [ts.metrics("s")], [], []
    )
    assert not layout.overflow
    page = layout.page(1)
    columns_used = {seg.box.col for s in page.stories for seg in s.segments}
    assert len(columns_used) >= 3  # the body really flows column to column
    pdf = render_page(
        page, PageContent({"s": ts}, {}, {}), g, fonts, EditionInfo("淄博晚报", date(2013, 10, 22)), 1
    )
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        trim_left = float(doc.pages[0].obj.TrimBox[0])
    left = [trim_left + g.column_x(c) for c in range(g.columns)]
    read = read_columns(pdf, left, g.column_width)
    # Body lines only: the 9 pt text (the headline, folio and jump lines are other sizes or outside).
    body = [ln for ln in read if ln.glyphs and all(abs(gl.size - g.body_size_pt) < 0.01 for gl in ln.glyphs)]
    body = [ln for ln in body if not ln.text.startswith("淄博晚报")]
    assert sum(len(ln.glyphs) for ln in body) > 0.9 * sum(len(p) for p in paragraphs)
    found = check_read_lines(body, None, paragraphs, g.column_width, indent=2 * g.body_size_pt)
    assert found == [], found[:5]
