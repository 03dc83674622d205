"""News stories: grid metrics for the layout engine, and drawing exactly the lines it placed."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

import pikepdf
import pytest
from editionsamples import names_in_file, photo_bytes, seed_stories
from pdfread import Line, read_lines
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from notices_app.layout.geometry import BROADSHEET, PageGeometry
from notices_app.layout.page_types import Pin
from notices_app.layout.types import StoryText
from print.fonts import FontSet
from print.pdfcanvas import finish, new_canvas
from print.stories import StoryStyle, TypesetStory, jump_from_text, jump_to_text, typeset_story
from print.textflow import ComposeFn, MissingGlyphs, TextStyle, baseline_offset

LEAD, SECOND = seed_stories()
TOP = 1400.0  # top of the test column on a tall scratch page
X = 40.0


@pytest.fixture(scope="module")
def lead(fonts: FontSet, geometry: PageGeometry, composer: ComposeFn) -> TypesetStory:
    return typeset_story(LEAD, geometry, fonts, composer=composer)


@pytest.fixture(scope="module")
def second(fonts: FontSet, geometry: PageGeometry, composer: ComposeFn) -> TypesetStory:
    return typeset_story(SECOND, geometry, fonts, composer=composer)


def _draw(fonts: FontSet, draw: Callable[[Canvas], None]) -> bytes:
    buf = io.BytesIO()
    canvas = new_canvas(buf, 1200, 1500, fonts)
    draw(canvas)
    return finish(canvas, buf)


def _column(lines: list[Line], x0: float, x1: float) -> list[Line]:
    """The parts of baseline-grouped lines whose glyphs start within [x0, x1)."""
    out = []
    for ln in lines:
        glyphs = tuple(g for g in ln.glyphs if x0 <= g.x0 < x1)
        if glyphs:
            out.append(Line(ln.baseline, glyphs))
    return out


def _grid_index(line: Line, top: float, offset: float, leading: float) -> float:
    return (top - offset - line.baseline) / leading


def test_seed_story_metrics_cover_every_body_line(lead: TypesetStory, geometry: PageGeometry) -> None:
    m = lead.metrics("lead", Pin(1, "top"))
    assert m.id == "lead" and m.pin == Pin(1, "top")
    assert m.body_lines == sum(c.lines for c in m.body) == lead.body_lines == len(lead.body)
    # The lead story has no section heads: one chunk per paragraph, in order.
    assert [c.kind for c in m.body] == ["para"] * len(LEAD.blocks)
    assert len(m.headline_lines) == geometry.columns
    assert m.figure_lines == ()
    assert lead.body_text() == "".join(t for _, t in LEAD.blocks)


def test_section_heads_are_chunks_of_their_own(second: TypesetStory) -> None:
    m = second.metrics("second")
    assert [c.kind for c in m.body] == [kind for kind, _ in SECOND.blocks]
    assert all(c.lines == 1 for c in m.body if c.kind == "head")  # one grid line, no space above
    assert sum(c.lines for c in m.body) == second.body_lines


def test_head_space_line_is_inside_the_head_chunk(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn
) -> None:
    text = replace(SECOND, blocks=(("head", "开篇小标题"), *SECOND.blocks))
    story = typeset_story(text, geometry, fonts, style=StoryStyle(head_space_lines=1), composer=composer)
    heads = [c.lines for c in story.metrics("s").body if c.kind == "head"]
    assert heads == [1, 2, 2]  # never a blank line above a head that opens the body
    assert story.metrics("s").body_lines == story.body_lines


def test_headline_blocks_per_span_fit_two_lines_on_the_grid(
    lead: TypesetStory, geometry: PageGeometry
) -> None:
    sizes = []
    for k in range(1, geometry.columns + 1):
        hb = lead.headline(k)
        head = hb.block("headline")
        assert head is not None and len(head.lines) <= 2
        assert all(line.width <= geometry.span_width(k) + 1e-6 for b in hb.blocks for line in b.lines)
        # Everything stacks on whole grid lines, then one blank line under the block.
        assert hb.lines == sum(b.grid_lines for b in hb.blocks) + 1
        sizes.append(hb.size)
    assert sizes == sorted(sizes) and sizes[0] == 14 and 28 <= sizes[3] <= 36 and sizes[-1] == 36
    assert lead.headline(1).block("deck") is not None and lead.headline(1).block("byline") is not None


def test_long_headline_shrinks_to_two_lines(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn
) -> None:
    headline = "淄博市政务微博平台建设将常态化，各区县和市直部门将建立完善政务微博联动回复处置机制"
    text = StoryText(headline, blocks=(("para", "正文。"),))
    story = typeset_story(text, geometry, fonts, composer=composer)
    narrow = story.headline(2)
    head = narrow.block("headline")
    assert head is not None and len(head.lines) == 2
    assert narrow.size < 20
    assert story.headline(6).size == 36


def test_body_drawn_in_one_column_reads_back_on_the_grid(lead: TypesetStory, fonts: FontSet) -> None:
    pdf = _draw(fonts, lambda c: lead.draw_body(c, X, TOP, 0, lead.body_lines))
    lines = read_lines(pdf)
    assert "".join(ln.text for ln in lines) == lead.body_text()
    offset = baseline_offset(fonts, TextStyle(size=9.0, leading=13.5))
    assert [_grid_index(ln, TOP, offset, lead.leading) for ln in lines] == pytest.approx(
        list(range(lead.body_lines)), abs=0.01
    )
    for ln in lines:
        assert ln.x0 >= X - 0.01 and ln.glyphs[-1].x0 < X + lead.column_width
        assert ln.size == 9.0


def test_paragraph_split_across_columns_continues(lead: TypesetStory, fonts: FontSet) -> None:
    # Split inside the second paragraph: the second column starts with its next line, unindented.
    first_para = lead.chunks[0].lines
    cut = first_para + 2
    right = X + lead.column_width + 20

    def draw(c: Canvas) -> None:
        lead.draw_body(c, X, TOP, 0, cut)
        lead.draw_body(c, right, TOP, cut, lead.body_lines - cut)

    lines = read_lines(_draw(fonts, draw))
    left_col = _column(lines, X - 1, right - 1)
    right_col = _column(lines, right - 1, 2000)
    assert len(left_col) == cut and len(right_col) == lead.body_lines - cut
    assert "".join(ln.text for ln in left_col + right_col) == lead.body_text()
    assert right_col[0].x0 == pytest.approx(right, abs=0.01)  # no new first-line indent
    assert left_col[0].baseline == pytest.approx(right_col[0].baseline)


def test_section_heads_in_hei_centred(second: TypesetStory, fonts: FontSet) -> None:
    lines = read_lines(_draw(fonts, lambda c: second.draw_body(c, X, TOP, 0, second.body_lines)))
    heads = [t for kind, t in SECOND.blocks if kind == "head"]
    got = [ln for ln in lines if ln.text in heads]
    assert [ln.text for ln in got] == heads
    for ln in got:
        assert ln.size == 10.5 and "WenQuanYi" in ln.glyphs[0].fontname
        centre = (ln.x0 + ln.glyphs[-1].x0 + 10.5) / 2
        assert centre == pytest.approx(X + second.column_width / 2, abs=0.6)
    offset = baseline_offset(fonts, TextStyle(size=9.0, leading=13.5))
    body = [ln for ln in lines if ln.text not in heads]
    indices = [round(_grid_index(ln, TOP, offset, 13.5), 2) for ln in body]
    assert all(i == int(i) for i in indices)


def test_headline_block_draws_inside_its_span(
    lead: TypesetStory, fonts: FontSet, geometry: PageGeometry
) -> None:
    lines = read_lines(_draw(fonts, lambda c: lead.draw_headline(c, X, TOP, 4)))
    hb = lead.headline(4)
    width = geometry.span_width(4)
    assert [ln.text for ln in lines] == [LEAD.headline, *LEAD.deck, LEAD.byline]
    for ln in lines:
        assert ln.x0 >= X - 0.01 and ln.x1 <= X + width + 0.01
        assert TOP - hb.lines * lead.leading < ln.baseline < TOP
    assert lines[0].size == hb.size


def test_jump_lines_flush_right_and_left(lead: TypesetStory, fonts: FontSet) -> None:
    def draw(c: Canvas) -> None:
        lead.draw_jump(c, X, TOP, jump_to_text(2), "right")
        lead.draw_jump(c, X, TOP - 100, jump_from_text(1), "left")

    to, back = read_lines(_draw(fonts, draw))
    assert to.text == "（下转第2版）" and back.text == "（上接第1版）"
    assert to.size == back.size == 9.0
    assert back.x0 == pytest.approx(X, abs=0.01)
    # Flush right: the closing bracket, trimmed to half width at line end (clreq rule 6), ends
    # exactly at the column's edge.
    assert to.glyphs[-1].x0 + 4.5 == pytest.approx(X + lead.column_width, abs=0.01)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("headline", "淄博发布𠀀"),
        ("deck", ("副题𠀀",)),
        ("byline", "本报记者 𠀀"),
        ("blocks", (("para", "正文里有𠀀字。"),)),
        ("blocks", (("head", "小标题𠀀"), ("para", "正文。"))),
    ],
)
def test_missing_glyphs_refused(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn, field: str, value: object
) -> None:
    text = replace(StoryText("标题", blocks=(("para", "正文。"),)), **{field: value})
    with pytest.raises(MissingGlyphs) as exc:
        typeset_story(text, geometry, fonts, composer=composer)
    assert exc.value.chars == ["𠀀"]


def test_draw_body_refuses_lines_it_does_not_have(lead: TypesetStory, fonts: FontSet) -> None:
    with pytest.raises(ValueError, match="outside"):
        _draw(fonts, lambda c: lead.draw_body(c, X, TOP, lead.body_lines - 1, 2))


@pytest.mark.parametrize(("mode", "space"), [("cmyk", "/DeviceCMYK"), ("gray", "/DeviceGray")])
def test_photo_scaled_to_span_snapped_to_grid_never_rgb(
    fonts: FontSet, geometry: PageGeometry, composer: ComposeFn, mode: str, space: str
) -> None:
    text = replace(LEAD, caption="“淄博发布”新浪微博主页截图。记者 李超 摄")
    story = typeset_story(
        text,
        geometry,
        fonts,
        photo=photo_bytes(600, 400),
        style=StoryStyle(photo_mode="gray" if mode == "gray" else "cmyk"),
        composer=composer,
    )
    m = story.metrics("p")
    assert len(m.figure_lines) == geometry.columns
    assert list(m.figure_lines) == sorted(m.figure_lines)
    fig = story.figure(3)
    # 3:2 picture: height within one grid line of the span width's two thirds (cropped, not squashed).
    natural = geometry.span_width(3) * 400 / 600
    assert natural - geometry.leading_pt < fig.image_lines * geometry.leading_pt <= natural
    cap_lines = sum(b.grid_lines for b in fig.caption)
    assert m.figure_lines[2] == fig.image_lines + cap_lines + 1

    pdf = _draw(fonts, lambda c: story.draw_figure(c, X, TOP, 3))
    assert "/DeviceRGB" not in names_in_file(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        (image,) = doc.pages[0].images.values()
        assert str(image.ColorSpace) == space
        decoded = pikepdf.PdfImage(image).as_pil_image()
    if mode == "cmyk":
        # Grey component replacement keeps total ink within newsprint's limit (<= 240 %).
        assert max(sum(px) for px in decoded.getdata()) <= 2 * 255
    caption = read_lines(pdf)
    assert "".join(ln.text for ln in caption) == text.caption
    assert all(ln.size == 8.0 and "UKai" in ln.glyphs[0].fontname for ln in caption)
    first_caption_top = TOP - fig.image_lines * geometry.leading_pt
    assert caption[0].baseline < first_caption_top


def test_photo_must_be_jpeg_or_png(fonts: FontSet, composer: ComposeFn) -> None:
    with pytest.raises(ValueError, match="JPEG or PNG"):
        typeset_story(LEAD, BROADSHEET, fonts, photo=b"not an image", composer=composer)
    gif = io.BytesIO()
    Image.new("RGB", (20, 20)).save(gif, "GIF")
    with pytest.raises(ValueError, match="JPEG or PNG"):
        typeset_story(LEAD, BROADSHEET, fonts, photo=gif.getvalue(), composer=composer)


def test_png_with_transparency_is_flattened(fonts: FontSet, composer: ComposeFn) -> None:
    im = Image.new("RGBA", (300, 200), (255, 0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    story = typeset_story(LEAD, BROADSHEET, fonts, photo=buf.getvalue(), composer=composer)
    assert story.photo is not None and story.photo.mode == "CMYK"
    # Fully transparent pixels print as paper white, not as red.
    assert story.photo.getpixel((0, 0)) == (0, 0, 0, 0)
