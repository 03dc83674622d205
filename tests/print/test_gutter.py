"""The 中缝 column: where it runs beside the spine, what a segment holds, and a page drawn with
entries read back (text in the margin, inside the trim, preflight clean)."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest
from pdfread import read_lines

from notices_app.layout.geometry import BROADSHEET, MM, TABLOID, PageGeometry
from notices_app.layout.page_types import PageLayout
from print.edition_pdf import EditionInfo, LayoutMismatch, PageContent, render_page
from print.fonts import FontSet
from print.gutter import (
    GutterEntryTooLong,
    entry_lines,
    gutter_column,
    typeset_gutter_entry,
)
from print.preflight import preflight
from print.textflow import ComposeFn, MissingGlyphs

INFO = EditionInfo(newspaper="淄博晚报", date=datetime.date(2026, 12, 4))
SEGMENT = 5 * 13.5  # an ad row of 6 grid lines less the 1-line gap (ads.inventory)
LOST = "遗失淄博青年旅行社营业执照副本一份，注册号370302200012345，声明作废。"
HIRE = "招聘：某餐饮公司诚聘厨师2名、服务员5名，待遇面议。电话：0533-2173002"


@pytest.mark.parametrize("geometry", [BROADSHEET, TABLOID], ids=["broadsheet", "tabloid"])
def test_the_column_sits_in_the_inner_margin_with_white_on_both_sides(geometry: PageGeometry) -> None:
    left = gutter_column(geometry, 2)  # a left-hand page: the spine is on its right
    right = gutter_column(geometry, 3)
    type_right = geometry.margin_left + geometry.type_w
    assert left.x - type_right >= 3 * MM - 1e-6
    assert geometry.trim_w - (left.x + left.measure) >= 3 * MM - 1e-6
    assert right.x >= 3 * MM - 1e-6 and geometry.margin_left - (right.x + right.measure) >= 3 * MM - 1e-6
    assert left.measure == right.measure == left.chars * 6.5
    assert left.chars == 6  # 20 mm margins: 14 mm of 6.5 pt type
    assert entry_lines(SEGMENT) == 7


def test_a_margin_too_narrow_for_a_column_is_refused() -> None:
    narrow = replace(BROADSHEET, trim_w_mm=362)  # 6 mm margins
    with pytest.raises(ValueError, match="too narrow"):
        gutter_column(narrow, 2)


def test_an_entry_longer_than_its_segment_says_how_much_fits(fonts: FontSet, composer: ComposeFn) -> None:
    with pytest.raises(GutterEntryTooLong) as err:
        typeset_gutter_entry("本公司" * 20, BROADSHEET, fonts, page=2, line=7, height_pt=SEGMENT)
    assert (err.value.needed, err.value.available, err.value.chars_per_line) == (10, 7, 6)
    with pytest.raises(MissingGlyphs):
        typeset_gutter_entry("遗失\U0001f600一枚", BROADSHEET, fonts, page=2, line=7, height_pt=SEGMENT)
    with pytest.raises(ValueError):
        typeset_gutter_entry(" \n ", BROADSHEET, fonts, page=2, line=7, height_pt=SEGMENT)


def _page(number: int) -> PageLayout:
    return PageLayout(number, "classifieds", "", (), ())


def test_entries_print_beside_the_spine_inside_the_trim(fonts: FontSet, composer: ComposeFn) -> None:
    g = BROADSHEET
    entries = {
        "1": typeset_gutter_entry(LOST, g, fonts, page=2, line=85, height_pt=SEGMENT),
        "2": typeset_gutter_entry(HIRE, g, fonts, page=2, line=7, height_pt=SEGMENT),
        "3": typeset_gutter_entry(HIRE, g, fonts, page=4, line=7, height_pt=SEGMENT),  # another page
    }
    content = PageContent(stories={}, notices={}, ads=entries)
    pdf = render_page(_page(2), content, g, fonts, INFO, 8)
    assert preflight(pdf).ok, preflight(pdf).lines("en")

    bleed = g.bleed_mm * MM
    column = gutter_column(g, 2)
    x0 = bleed + column.x
    lines = [ln for ln in read_lines(pdf) if ln.x0 >= bleed + g.margin_left + g.type_w]
    texts = [ln.text for ln in lines]
    assert texts[0] == "广告"  # the mark heads the strip
    assert "".join(texts[1:]) == HIRE + LOST  # top to bottom; page 4's entry is not on page 2
    for ln in lines[1:]:
        assert ln.x0 == pytest.approx(x0, abs=0.01)  # flush left on the column
        assert ln.size == 6.5
        assert ln.glyphs[-1].x0 < x0 + column.measure
    # Each entry starts in the first text line of its segment, top to bottom.
    top = bleed + g.margin_bottom + g.type_h
    first_of = {ln.text[:2]: ln.baseline for ln in lines}
    assert top - 7 * g.leading_pt - 9.0 < first_of["招聘"] < top - 7 * g.leading_pt
    assert top - 85 * g.leading_pt - 9.0 < first_of["遗失"] < top - 85 * g.leading_pt

    empty = render_page(_page(2), PageContent(stories={}, notices={}, ads={}), g, fonts, INFO, 8)
    assert "广告" not in "".join(ln.text for ln in read_lines(empty))  # no entries, no mark


def test_the_renderer_refuses_entries_that_would_collide(fonts: FontSet, composer: ComposeFn) -> None:
    g = BROADSHEET
    a = typeset_gutter_entry(HIRE, g, fonts, page=2, line=7, height_pt=SEGMENT)
    b = typeset_gutter_entry(LOST, g, fonts, page=2, line=9, height_pt=SEGMENT)  # overlaps a
    with pytest.raises(LayoutMismatch, match="overlaps"):
        render_page(_page(2), PageContent({}, {}, {"a": a, "b": b}), g, fonts, INFO, 8)
    wide = typeset_gutter_entry(HIRE, g, fonts, page=2, line=7, height_pt=SEGMENT)
    narrow_geometry = replace(g, trim_w_mm=382)  # 16 mm margins: a column of 4 字, not 6
    with pytest.raises(LayoutMismatch, match="column"):
        render_page(_page(2), PageContent({}, {}, {"w": wide}), narrow_geometry, fonts, INFO, 8)
