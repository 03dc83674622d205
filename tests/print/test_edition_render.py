"""Whole pages: a hand-made layout drawn where the grid says, with print-ready PDF properties."""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, replace

import pdfplumber
import pikepdf
import pytest
from editionsamples import (
    INFO,
    column_left,
    content_operators,
    flow,
    grid_top,
    long_story,
    names_in_file,
    photo_bytes,
    seed_stories,
)
from pdfread import Glyph, font_report, read_lines
from samples import GENERAL, TERMINATION, TOURISM

from notices_app.layout.geometry import MM, PageGeometry
from notices_app.layout.page_types import (
    BodySegment,
    Box,
    EditionLayout,
    Overflow,
    PageLayout,
    Placement,
    StoryPlacement,
)
from notices_app.rules.messages import msg
from print.ads import TypesetAd, typeset_ad
from print.edition_pdf import (
    EditionOverflow,
    LayoutMismatch,
    PageContent,
    combine_pages,
    render_edition,
    render_page,
)
from print.fonts import FontSet
from print.notices import typeset_notice
from print.stories import typeset_story
from print.textflow import ComposeFn, TextStyle, baseline_offset

LEAD, SECOND = seed_stories()
CAPTION = "“淄博发布”新浪微博主页。记者 李超 摄"


@dataclass(frozen=True)
class Edition:
    layout: EditionLayout
    content: PageContent
    pages: tuple[bytes, ...]


@pytest.fixture(scope="module")
def edition(fonts: FontSet, geometry: PageGeometry, composer: ComposeFn) -> Edition:
    """Page 1: the lead story over 4 columns jumping to page 2, two notices and the tourism ad in
    columns 5-6. Page 2: the lead's continuation, the second story with a photo over 2 columns."""
    lead = typeset_story(LEAD, geometry, fonts, composer=composer)
    second = typeset_story(
        replace(SECOND, caption=CAPTION), geometry, fonts, photo=photo_bytes(), composer=composer
    )
    term = typeset_notice(TERMINATION, geometry, fonts, composer=composer)
    general = typeset_notice(GENERAL, geometry, fonts, composer=composer)
    ad = typeset_ad(TOURISM, geometry, fonts, composer=composer)
    rows = geometry.lines_per_column

    h4 = lead.headline(4).lines
    on_page_1 = 34
    segments_1 = [*flow(0, 30, 0, h4, 10), BodySegment(Box(3, 1, h4, 5), 30, 4, jump_to=2)]
    rest = lead.body_lines - on_page_1
    page1 = PageLayout(
        number=1,
        role="news",
        label="要闻",
        stories=(StoryPlacement("lead", 1, Box(0, 4, 0, h4), None, tuple(segments_1)),),
        blocks=(
            Placement("notice", "termination", 1, Box(4, 1, 0, term.total_lines)),
            Placement("notice", "general", 1, Box(4, 2, term.total_lines + 1, general.total_lines)),
            Placement("ad", "tourism", 1, Box(4, 2, rows - ad.total_lines, ad.total_lines)),
        ),
    )

    h3 = second.headline(3).lines
    f2 = second.figure(2).lines
    n = second.body_lines
    segments_2 = [
        BodySegment(Box(1, 1, h3, 20), 0, 20),
        BodySegment(Box(2, 1, h3 + f2, 11), 20, 11),
        BodySegment(Box(3, 1, h3 + f2, n - 31), 31, n - 31),
    ]
    page2 = PageLayout(
        number=2,
        role="mixed",
        label="城事",
        stories=(
            StoryPlacement("lead", 2, None, None, (BodySegment(Box(0, 1, 0, rest + 1), on_page_1, rest, 1),)),
            StoryPlacement("second", 2, Box(1, 3, 0, h3), Box(2, 2, h3, f2), tuple(segments_2)),
        ),
        blocks=(),
    )
    layout = EditionLayout(geometry.columns, rows, (page1, page2), ())
    content = PageContent(
        stories={"lead": lead, "second": second},
        notices={"termination": term, "general": general},
        ads={"tourism": ad},
    )
    return Edition(layout, content, render_edition(layout, content, geometry, fonts, INFO))


def _glyphs(pdf: bytes, page: int = 0) -> list[Glyph]:
    return [g for line in read_lines(pdf, page) for g in line.glyphs]


def _rect(geometry: PageGeometry, box: Box, crop_marks: bool = False) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of a grid box in PDF coordinates."""
    top = grid_top(geometry, crop_marks) - box.line * geometry.leading_pt
    left = column_left(geometry, box.col, crop_marks)
    return left, top - box.lines * geometry.leading_pt, left + geometry.span_width(box.cols), top


def _inside(g: Glyph, rect: tuple[float, float, float, float]) -> bool:
    """The glyph's origin lies in the box (a line-end mark trimmed to half width keeps its full
    font width in x1, so x1 may pass the edge; clreq rule 4 is checked by the composer's tests)."""
    left, bottom, right, top = rect
    return left - 0.01 <= g.x0 < right - 0.01 and bottom < g.baseline < top


def _text_in(pdf: bytes, rect: tuple[float, float, float, float], page: int = 0) -> str:
    lines = read_lines(pdf, page)
    return "".join(g.text for ln in lines for g in ln.glyphs if _inside(g, rect))


def _body_offset(fonts: FontSet, geometry: PageGeometry) -> float:
    return baseline_offset(fonts, TextStyle(size=geometry.body_size_pt, leading=geometry.leading_pt))


def test_one_pdf_per_page_with_trim_and_bleed_boxes(edition: Edition, geometry: PageGeometry) -> None:
    assert len(edition.pages) == 2
    b = geometry.bleed_mm * MM
    w, h = geometry.trim_w, geometry.trim_h
    for pdf in edition.pages:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            (page,) = doc.pages
            assert [float(v) for v in page.MediaBox] == pytest.approx([0, 0, w + 2 * b, h + 2 * b])
            assert [float(v) for v in page.TrimBox] == pytest.approx([b, b, b + w, b + h])
            assert [float(v) for v in page.BleedBox] == pytest.approx([0, 0, w + 2 * b, h + 2 * b])


def test_headline_over_four_columns(edition: Edition, geometry: PageGeometry) -> None:
    lead = edition.content.stories["lead"]
    box = edition.layout.page(1).stories[0].headline
    assert box is not None
    expected = "".join(g.ch for b in lead.headline(4).blocks for ln in b.lines for g in ln.glyphs)
    assert _text_in(edition.pages[0], _rect(geometry, box)) == expected
    sizes = {g.size for g in _glyphs(edition.pages[0]) if g.text in LEAD.headline}
    assert lead.headline(4).size in sizes


def test_body_segments_on_the_grid_in_order_across_pages(
    edition: Edition, fonts: FontSet, geometry: PageGeometry
) -> None:
    lead = edition.content.stories["lead"]
    offset = _body_offset(fonts, geometry)
    read_back = ""
    for number, pdf in enumerate(edition.pages, start=1):
        (placement,) = [s for s in edition.layout.page(number).stories if s.story_id == "lead"]
        lines = read_lines(pdf)
        for seg in placement.segments:
            rect = _rect(geometry, seg.box)
            text_lines = [
                (ln.baseline, "".join(g.text for g in ln.glyphs if _inside(g, rect))) for ln in lines
            ]
            text_lines = [(base, t) for base, t in text_lines if t]
            assert len(text_lines) == seg.box.lines
            for i, (base, _) in enumerate(text_lines):
                grid = (grid_top(geometry) - offset - base) / geometry.leading_pt
                assert grid == pytest.approx(seg.box.line + i, abs=0.01)
            body = [t for _, t in text_lines]
            if seg.jump_from is not None:
                assert body.pop(0) == f"（上接第{seg.jump_from}版）"
            if seg.jump_to is not None:
                assert body.pop() == f"（下转第{seg.jump_to}版）"
            assert "".join(body) == lead.body_text(seg.first, seg.count)
            read_back += "".join(body)
    # Split over five segments on two pages: nothing lost, nothing repeated.
    assert read_back == lead.body_text() == "".join(t for _, t in LEAD.blocks)


def test_jump_lines_flush_to_their_column_edges(edition: Edition, geometry: PageGeometry) -> None:
    (to,) = [ln for ln in read_lines(edition.pages[0]) if "下转" in ln.text]
    assert to.text.endswith("（下转第2版）")
    right = column_left(geometry, 3) + geometry.column_width
    assert to.glyphs[-1].x0 + geometry.body_size_pt / 2 == pytest.approx(right, abs=0.01)
    (back,) = [ln for ln in read_lines(edition.pages[1]) if "上接" in ln.text]
    assert back.glyphs[0].x0 == pytest.approx(column_left(geometry, 0), abs=0.01)


def test_notices_and_ad_inside_their_boxes(edition: Edition, geometry: PageGeometry) -> None:
    pdf = edition.pages[0]
    for block in edition.layout.page(1).blocks:
        if block.kind == "notice":
            blocks = edition.content.notices[block.id].blocks
        else:
            ad = edition.content.ads[block.id]
            assert isinstance(ad, TypesetAd)
            blocks = (*ad.blocks, ad.mark)
        printed = Counter(g.ch for b in blocks for ln in b.lines for g in ln.glyphs)
        # Every glyph of the block, and no other, inside the block's grid box.
        assert Counter(_text_in(pdf, _rect(geometry, block.box))) == printed, block.id


def test_second_story_photo_and_heads(edition: Edition, geometry: PageGeometry) -> None:
    pdf = edition.pages[1]
    (sp,) = [s for s in edition.layout.page(2).stories if s.story_id == "second"]
    assert sp.figure is not None
    left, bottom, right, top = _rect(geometry, sp.figure)
    image_h = edition.content.stories["second"].figure(2).image_lines * geometry.leading_pt
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        (image,) = page.images
        assert image["x0"] == pytest.approx(left, abs=0.01)
        assert image["x1"] == pytest.approx(right, abs=0.01)
        assert page.height - image["top"] == pytest.approx(top, abs=0.01)
        assert image["height"] == pytest.approx(image_h, abs=0.01)
    assert _text_in(pdf, (left, bottom, right, top - image_h)) == CAPTION
    heads = [t for kind, t in SECOND.blocks if kind == "head"]
    assert [ln.text for ln in read_lines(pdf) if ln.text in heads] == heads


def test_folio_names_paper_date_page_and_label(edition: Edition, geometry: PageGeometry) -> None:
    top = grid_top(geometry)
    for number, pdf in enumerate(edition.pages, start=1):
        folio = [ln for ln in read_lines(pdf) if ln.baseline > top]
        (line,) = folio
        text = line.text
        assert "淄博日报" in text and "2013年10月21日星期一" in text.replace(" ", "")
        assert f"第{number}版" in text
        assert line.baseline < top + 0.75 * (geometry.trim_h - geometry.type_h) / 2
        if number == 1:
            assert "要闻" in text and "今日2版" in text and "第9876期" in text
            assert text.startswith("淄博日报") and text.endswith("第1版")
        else:
            assert text.startswith("第2版") and text.endswith("淄博日报")
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            rules = [r for r in doc.pages[0].lines if r["y0"] > top]
        (rule,) = rules
        assert rule["x0"] == pytest.approx(column_left(geometry, 0), abs=0.01)
        assert rule["x1"] - rule["x0"] == pytest.approx(geometry.type_w, abs=0.01)
        assert 0.5 <= rule["linewidth"] <= 1.0
        assert tuple(rule["stroking_color"]) == (0, 0, 0, 1)


def test_fonts_embedded_subset_truetype(edition: Edition) -> None:
    for pdf in edition.pages:
        report = font_report(pdf)
        assert report
        for base, subtype, embedded in report:
            assert embedded and subtype == "/TrueType" and "Helvetica" not in base
            assert re.fullmatch(r"/[A-Z]{6}\+\S+", base), base


def test_no_rgb_anywhere_and_text_is_pure_black(edition: Edition) -> None:
    for pdf in edition.pages:
        ops = content_operators(pdf)
        assert not ops & {"rg", "RG", "sc", "scn", "SC", "SCN"}
        assert "/DeviceRGB" not in names_in_file(pdf)
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            stream = doc.pages[0].Contents.read_bytes()
        fills = set(re.findall(rb"\n([\d. ]+) k\n", stream))
        assert fills == {b"0 0 0 1"}


def test_identical_input_gives_identical_bytes(
    edition: Edition, fonts: FontSet, geometry: PageGeometry
) -> None:
    again = render_edition(edition.layout, edition.content, geometry, fonts, INFO)
    assert again == edition.pages
    assert render_page(edition.layout.page(1), edition.content, geometry, fonts, INFO, 2) == edition.pages[0]
    assert combine_pages(edition.pages) == combine_pages(again)


def test_combined_edition_keeps_pages_and_boxes(edition: Edition) -> None:
    combined = combine_pages(edition.pages)
    with pikepdf.open(io.BytesIO(combined)) as doc:
        assert len(doc.pages) == 2
        for page, single in zip(doc.pages, edition.pages, strict=True):
            with pikepdf.open(io.BytesIO(single)) as one:
                assert list(page.TrimBox) == list(one.pages[0].TrimBox)
                assert list(page.BleedBox) == list(one.pages[0].BleedBox)
        assert "/ID" in doc.trailer
        assert "/CreationDate" not in doc.docinfo and "/ModDate" not in doc.docinfo
    assert [ln.text for ln in read_lines(combined, 1)] == [ln.text for ln in read_lines(edition.pages[1])]


def test_crop_marks_only_outside_the_trim(edition: Edition, fonts: FontSet, geometry: PageGeometry) -> None:
    pdf = render_page(edition.layout.page(1), edition.content, geometry, fonts, INFO, 2, crop_marks=True)
    slug, b = 12 * MM, geometry.bleed_mm * MM
    w, h = geometry.trim_w, geometry.trim_h
    trim = (slug, slug, slug + w, slug + h)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        assert [float(v) for v in page.MediaBox] == pytest.approx([0, 0, w + 2 * slug, h + 2 * slug])
        assert [float(v) for v in page.TrimBox] == pytest.approx(list(trim))
        assert [float(v) for v in page.BleedBox] == pytest.approx(
            [slug - b, slug - b, slug + w + b, slug + h + b]
        )
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        p = doc.pages[0]
        lines = [(ln["x0"], ln["x1"], p.height - ln["top"], p.height - ln["bottom"], ln) for ln in p.lines]
    marks = [ln for ln in lines if tuple(ln[4]["stroking_color"]) == (1, 1, 1, 1)]
    assert len(marks) == 8  # two per corner, one along each trim line
    for x0, x1, y_top, y_bottom, _ in marks:
        outside_bleed = (
            x1 <= trim[0] - b + 0.01
            or x0 >= trim[2] + b - 0.01
            or y_top <= trim[1] - b + 0.01
            or y_bottom >= trim[3] + b - 0.01
        )
        assert outside_bleed and min(x0, y_bottom) >= 0
    # Everything else (text, rules, boxes) stays inside the trim, and moved with it.
    for x0, x1, y_top, y_bottom, _ in lines:
        if (x0, x1, y_top, y_bottom) not in [m[:4] for m in marks]:
            assert trim[0] <= x0 and x1 <= trim[2] and trim[1] <= y_bottom and y_top <= trim[3]
    assert all(trim[0] <= g.x0 and g.x1 <= trim[2] and trim[1] < g.baseline < trim[3] for g in _glyphs(pdf))
    off = slug - b
    # Coordinates are written with 3 decimals, so the shifted page may round differently.
    assert [g.x0 - off for g in _glyphs(pdf)] == pytest.approx(
        [g.x0 for g in _glyphs(edition.pages[0])], abs=0.002
    )


def test_dense_page_full_of_body_text(fonts: FontSet, geometry: PageGeometry, composer: ComposeFn) -> None:
    story = typeset_story(long_story(300), geometry, fonts, composer=composer)
    h = story.headline(6).lines
    per = geometry.lines_per_column - h
    assert story.body_lines >= 6 * per
    page = PageLayout(
        1,
        "news",
        "要闻",
        (StoryPlacement("s", 1, Box(0, 6, 0, h), None, tuple(flow(0, 6 * per, 0, h, per))),),
        (),
    )
    pdf = render_page(page, PageContent({"s": story}, {}, {}), geometry, fonts, INFO, 1)
    body = "".join(
        "".join(
            g.text
            for ln in read_lines(pdf)
            for g in ln.glyphs
            if _inside(g, _rect(geometry, Box(c, 1, h, per)))
        )
        for c in range(6)
    )
    assert body == story.body_text(0, 6 * per)


@pytest.mark.parametrize(
    "bad",
    [
        "notice_box_wider_than_notice",
        "segment_box_without_jump_line",
        "headline_box_too_short",
        "unknown_story",
        "box_below_the_grid",
        "jump_to_missing_page",
    ],
)
def test_layout_that_disagrees_with_content_is_refused(
    edition: Edition, fonts: FontSet, geometry: PageGeometry, bad: str
) -> None:
    page = edition.layout.page(1)
    story = page.stories[0]
    seg = story.segments[-1]
    headline = story.headline
    assert headline is not None
    if bad == "notice_box_wider_than_notice":
        term = page.blocks[0]
        page = replace(page, blocks=(replace(term, box=replace(term.box, cols=2)), *page.blocks[1:]))
    elif bad == "segment_box_without_jump_line":
        page = replace(
            page, stories=(replace(story, segments=(*story.segments[:-1], replace(seg, jump_to=None))),)
        )
    elif bad == "headline_box_too_short":
        page = replace(page, stories=(replace(story, headline=replace(headline, lines=headline.lines - 1)),))
    elif bad == "unknown_story":
        page = replace(page, stories=(replace(story, story_id="nope"),))
    elif bad == "box_below_the_grid":
        ad = page.blocks[-1]
        page = replace(
            page, blocks=(*page.blocks[:-1], replace(ad, box=replace(ad.box, line=ad.box.line + 1)))
        )
    elif bad == "jump_to_missing_page":
        page = replace(
            page, stories=(replace(story, segments=(*story.segments[:-1], replace(seg, jump_to=3))),)
        )
    with pytest.raises(LayoutMismatch):
        render_page(page, edition.content, geometry, fonts, INFO, 2)


def test_edition_with_overflow_is_not_built(edition: Edition, fonts: FontSet, geometry: PageGeometry) -> None:
    reason = msg("layout.no_room", "版面放不下", "no room on the page")
    layout = replace(edition.layout, overflow=(Overflow("notice", "n9", reason),))
    with pytest.raises(EditionOverflow, match="no room") as exc:
        render_edition(layout, edition.content, geometry, fonts, INFO)
    assert exc.value.overflow == layout.overflow


def test_the_edition_file_gives_every_page_its_own_font_subset_names() -> None:
    import io as _io

    import pikepdf as _pikepdf

    from print.edition_pdf import combine_pages

    def one_page(text: str) -> bytes:
        from print.fonts import default_fonts
        from print.pdfcanvas import finish, new_canvas

        buf = _io.BytesIO()
        canvas = new_canvas(buf, 200, 200, default_fonts())
        canvas.setFont(default_fonts().font_name("body"), 9)
        canvas.drawString(10, 100, text)
        return finish(canvas, buf)

    whole = combine_pages([one_page("淄博发布"), one_page("政务微博")])
    names: list[str] = []
    with _pikepdf.open(_io.BytesIO(whole)) as doc:
        for page in doc.pages:
            for _, font in page.obj.Resources.Font.items():
                names.append(str(font.BaseFont))
                assert str(font.FontDescriptor.FontName) == str(font.BaseFont)
    assert len(names) == 2 and len(set(names)) == 2
    assert all(n.split("+")[1] == names[0].split("+")[1] for n in names)
