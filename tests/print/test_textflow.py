"""The composed-text flowable: grid heights, splitting between lines, exact glyph positions."""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest
from pdfread import read_lines
from reportlab.platypus import Frame
from samples import TERMINATION

from print.fonts import FontSet
from print.pdfcanvas import finish, new_canvas
from print.textflow import ComposedText, ComposeFn, MissingGlyphs, TextStyle, compose_paragraphs

STYLE = TextStyle(size=9.0, leading=13.5)
MEASURE = 153.0  # 17 characters
PARAS = [
    *TERMINATION.paragraphs,
    "各区县及首批32个市直部门、单位政务微博同步上线，此后，淄博政务信息发布渠道将更加多样化。",
]


def _frame(x: float, y: float, w: float, h: float) -> Frame:
    # Frames pad 6 pt on every side by default; text must use the whole column measure.
    return Frame(x, y, w, h, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


def test_height_is_lines_times_leading(fonts: FontSet, composer: ComposeFn) -> None:
    flow = ComposedText(PARAS, STYLE, fonts, composer)
    lines = compose_paragraphs(PARAS, STYLE, MEASURE, fonts, composer)
    assert flow.wrap(MEASURE, 1000) == (MEASURE, len(lines) * STYLE.leading)


def test_split_between_lines_flows_column_to_column(fonts: FontSet, composer: ComposeFn) -> None:
    flow = ComposedText(PARAS, STYLE, fonts, composer)
    _, height = flow.wrap(MEASURE, 1000)
    total = round(height / STYLE.leading)
    head, tail = flow.split(MEASURE, 3.5 * STYLE.leading)
    assert head.wrap(MEASURE, 1000)[1] == 3 * STYLE.leading
    assert tail.wrap(MEASURE, 1000)[1] == (total - 3) * STYLE.leading
    assert flow.split(MEASURE, STYLE.leading * 0.9) == []
    assert flow.split(MEASURE, height) == [flow]

    buf = io.BytesIO()
    canvas = new_canvas(buf, 400, 300, fonts)
    left, right = _frame(20, 20, MEASURE, 100), _frame(200, 20, MEASURE, 260)
    assert left.add(head, canvas) and right.add(tail, canvas)
    lines = read_lines(finish(canvas, buf))
    printed = "".join(ln.text for ln in sorted(lines, key=lambda ln: (ln.x0 > 150, -ln.baseline)))
    assert printed == "".join(PARAS)
    tops = {ln.x0 > 150: ln.baseline for ln in sorted(lines, key=lambda ln: ln.baseline)}
    # The first baselines of both columns sit the same distance below their frame tops.
    assert 120 - tops[False] == pytest.approx(280 - tops[True], abs=0.01)


def test_tail_recomposed_at_another_width_has_no_indent(fonts: FontSet, composer: ComposeFn) -> None:
    flow = ComposedText(PARAS, STYLE, fonts, composer)
    flow.wrap(MEASURE, 1000)
    _, tail = flow.split(MEASURE, 2 * STYLE.leading)
    narrow = 9 * 12
    tail.wrap(narrow, 1000)
    first = tail._lines(narrow)[0]
    assert first.glyphs[0].x == pytest.approx(0.0)


def test_glyphs_land_exactly_where_composed(fonts: FontSet, composer: ComposeFn) -> None:
    lines = compose_paragraphs(PARAS, STYLE, MEASURE, fonts, composer)
    flow = ComposedText(PARAS, STYLE, fonts, composer)
    buf = io.BytesIO()
    canvas = new_canvas(buf, 200, 400, fonts)
    assert _frame(10, 10, MEASURE, 380).add(flow, canvas)
    pdf = finish(canvas, buf)
    read = read_lines(pdf)
    assert len(read) == len(lines)
    for composed, got in zip(lines, read, strict=True):
        assert [g.text for g in got.glyphs] == [g.ch for g in composed.glyphs]
        for want, have in zip(composed.glyphs, got.glyphs, strict=True):
            assert have.x0 == pytest.approx(10 + want.x, abs=0.01)
    # One TJ/Tj per line and font subset, not one per glyph.
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        stream = doc.pages[0].Contents.read_bytes()
    stream = stream if b"BT" in stream else zlib.decompress(stream)
    shows = stream.count(b" TJ") + stream.count(b" Tj")
    assert shows <= 2 * len(lines)
    assert stream.count(b"BT") == 1


def test_text_is_100_percent_black(fonts: FontSet, composer: ComposeFn) -> None:
    buf = io.BytesIO()
    canvas = new_canvas(buf, 200, 100, fonts)
    _frame(10, 10, MEASURE, 80).add(ComposedText(["黑色文字"], STYLE, fonts, composer), canvas)
    with pikepdf.open(io.BytesIO(finish(canvas, buf))) as doc:
        stream = doc.pages[0].Contents.read_bytes()
    assert b"0 0 0 1 k" in stream
    assert b" rg" not in stream and b" g\n" not in stream


def test_missing_glyph_refused(fonts: FontSet, composer: ComposeFn) -> None:
    with pytest.raises(MissingGlyphs):
        ComposedText(["王\ue000"], STYLE, fonts, composer)
