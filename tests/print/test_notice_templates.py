"""Notices read back from real PDFs: placement, justification, grid, fonts, literal text."""

from __future__ import annotations

from itertools import pairwise

import pytest
from pdfread import Line, font_report, read_lines, rects
from samples import GENERAL, LOST_LICENCE, TERMINATION

from notices_app.layout.geometry import PageGeometry
from notices_app.layout.types import NoticeText
from print.fonts import FontSet
from print.notices import PREVIEW_MARGIN, TypesetNotice, render_typeset_pdf, typeset_notice
from print.textflow import ComposeFn, MissingGlyphs

TEMPLATES = {"termination": TERMINATION, "lost_licence": LOST_LICENCE, "general": GENERAL}
CLOSING_MARKS = set("、，。．；：！？）》〉」』】〕〗］｝”’")
TOL = 0.05


def _set(text: NoticeText, geometry: PageGeometry, fonts: FontSet, composer: ComposeFn):
    typeset = typeset_notice(text, geometry, fonts, composer=composer)
    return typeset, render_typeset_pdf(typeset)


def _split(typeset: TypesetNotice, lines: list[Line]) -> dict[str, list[Line]]:
    """PDF lines by block kind, in order (the PDF has exactly the typeset's text lines)."""
    assert len(lines) == typeset.text_lines
    out: dict[str, list[Line]] = {}
    it = iter(lines)
    for b in typeset.blocks:
        out[b.kind] = [next(it) for _ in b.lines]
    return out


@pytest.fixture(params=sorted(TEMPLATES), scope="module")
def rendered(request, geometry, fonts, composer):
    text = TEMPLATES[request.param]
    typeset, pdf = _set(text, geometry, fonts, composer)
    return text, typeset, pdf, _split(typeset, read_lines(pdf))


def test_every_font_is_embedded_truetype_and_no_helvetica(rendered) -> None:
    _, _, pdf, _ = rendered
    report = font_report(pdf)
    assert report, "no fonts found"
    for base, subtype, embedded in report:
        assert embedded, base
        assert subtype == "/TrueType", base
        assert "Helvetica" not in base
    assert b"Helvetica" not in pdf


def test_heading_is_centred(rendered, fonts) -> None:
    _, typeset, _, by_kind = rendered
    centre = PREVIEW_MARGIN + typeset.width_pt / 2
    for line in by_kind["heading"]:
        last = line.glyphs[-1]
        right = last.x0 + fonts.advance("heading")(last.text) * last.size
        assert (line.x0 + right) / 2 == pytest.approx(centre, abs=0.5)


def test_body_lines_are_justified_to_both_edges(rendered, fonts) -> None:
    text, typeset, _, by_kind = rendered
    left = PREVIEW_MARGIN + typeset.inset
    right = left + typeset.measure
    size = typeset.blocks[1].style.size
    adv = fonts.advance("body")
    body = by_kind["body"]
    firsts = {0}
    seen = 0
    for b_lines in _paragraph_line_counts(typeset, text):
        seen += b_lines
        firsts.add(seen)
    for i, line in enumerate(body):
        indent = 2 * size if i in firsts else 0.0
        # An opening bracket at a paragraph start may lose half an em (clreq rule 8).
        assert line.x0 == pytest.approx(left + indent, abs=max(TOL, 0.5 * size if i in firsts else 0))
        if i + 1 in firsts or i == len(body) - 1:
            assert line.glyphs[-1].x0 + adv(line.glyphs[-1].text) * size <= right + TOL
            continue
        last = line.glyphs[-1]
        room = right - last.x0
        natural = adv(last.text) * size
        allowed = [natural, natural / 2] if last.text in CLOSING_MARKS else [natural]
        assert any(abs(room - a) < TOL for a in allowed), (line.text, room, natural)
        assert all(a > 0 for a in line.advances())


def _paragraph_line_counts(typeset: TypesetNotice, text: NoticeText) -> list[int]:
    """Line count of each body paragraph, by composing each alone at the same measure."""
    from print.textflow import compose_paragraph

    block = typeset.block("body")
    assert block is not None
    return [len(compose_paragraph(p, block.style, typeset.measure, typeset.fonts)) for p in text.paragraphs]


def test_signature_is_flush_right(rendered, fonts) -> None:
    _, typeset, _, by_kind = rendered
    right = PREVIEW_MARGIN + typeset.inset + typeset.measure
    adv = fonts.advance("body")
    for line in by_kind.get("signature", []):
        last = line.glyphs[-1]
        assert last.x0 + adv(last.text) * last.size == pytest.approx(right, abs=TOL)


def test_baseline_pitch_is_constant_on_the_grid(rendered) -> None:
    _, typeset, _, by_kind = rendered
    small = [ln for kind in ("body", "closing", "signature") for ln in by_kind.get(kind, [])]
    pitches = {round(a.baseline - b.baseline, 2) for a, b in pairwise(small)}
    assert pitches == {typeset.leading} or (len(small) == 1 and not pitches)
    # The heading takes whole grid lines, so the body baselines stay on the block's grid.
    top = PREVIEW_MARGIN + typeset.height_pt
    offsets = {round((top - ln.baseline) % typeset.leading, 2) for ln in small}
    assert len(offsets) == 1


def test_height_is_whole_grid_lines_and_box_matches(rendered) -> None:
    _, typeset, pdf, _ = rendered
    assert typeset.height_pt == pytest.approx(typeset.total_lines * typeset.leading)
    assert typeset.measure % typeset.blocks[-1].style.size == pytest.approx(0, abs=1e-6)
    (box,) = rects(pdf)
    assert box["x1"] - box["x0"] + box["linewidth"] == pytest.approx(typeset.width_pt, abs=0.01)
    assert box["bottom"] - box["top"] + box["linewidth"] == pytest.approx(typeset.height_pt, abs=0.01)
    assert box["linewidth"] >= 0.5  # newsprint minimum for one-colour rules


def test_output_bytes_are_reproducible(geometry, fonts, composer) -> None:
    a = render_typeset_pdf(typeset_notice(TERMINATION, geometry, fonts, composer=composer))
    b = render_typeset_pdf(typeset_notice(TERMINATION, geometry, fonts, composer=composer))
    assert a == b


def test_markup_in_text_prints_literally(geometry, fonts, composer) -> None:
    tricky = '<font name="x">王鹏</font><img src="y"/>&amp;<b>'
    text = NoticeText("公告", (f"本公司职工{tricky}私自离职。",), signature=("<i>中航钛业</i>",))
    _, pdf = _set(text, geometry, fonts, composer)
    printed = "".join(ln.text for ln in read_lines(pdf))
    assert tricky in printed
    assert "<i>中航钛业</i>" in printed


def test_termination_counts_for_pricing(geometry, fonts, composer) -> None:
    typeset = typeset_notice(TERMINATION, geometry, fonts, composer=composer)
    assert typeset.text_lines == typeset.body_lines + 1 + 1 + 2  # heading, closing, signature
    assert typeset.total_lines > typeset.text_lines  # the heading takes two grid lines, plus padding
    assert typeset.height_cm == pytest.approx(typeset.height_pt / 72 * 2.54)


@pytest.mark.parametrize("columns", [1, 2, 3])
def test_width_is_whole_columns(geometry, fonts, composer, columns: int) -> None:
    text = NoticeText(LOST_LICENCE.heading, LOST_LICENCE.paragraphs, columns=columns)
    typeset = typeset_notice(text, geometry, fonts, composer=composer)
    assert typeset.width_pt == pytest.approx(geometry.span_width(columns))


def test_missing_glyph_is_refused_not_blank(geometry, fonts, composer) -> None:
    text = NoticeText("公告", ("职工王\U0001f600离职。",))
    with pytest.raises(MissingGlyphs) as err:
        typeset_notice(text, geometry, fonts, composer=composer)
    assert err.value.chars == ["\U0001f600"]
