"""The tourism display ad read back from its PDF."""

from __future__ import annotations

import pytest
from pdfread import font_report, page_size, read_lines, rects
from samples import TOURISM

from print.ads import BULLET, render_ad_pdf, typeset_ad

MARGIN = 6.0


@pytest.fixture(scope="module")
def ad_pdf(geometry, fonts, composer):
    typeset = typeset_ad(TOURISM, geometry, fonts, composer=composer)
    return typeset, render_ad_pdf(TOURISM, geometry, fonts, composer=composer)


def test_fonts_embedded_no_helvetica(ad_pdf) -> None:
    _, pdf = ad_pdf
    assert all(embedded and "Helvetica" not in base for base, _, embedded in font_report(pdf))
    assert b"Helvetica" not in pdf


def test_ad_mark_sits_in_the_top_right_corner(ad_pdf) -> None:
    typeset, pdf = ad_pdf
    _, height = page_size(pdf)
    lines = read_lines(pdf)
    mark = lines[0]
    assert mark.text == "广告"
    assert mark.size >= 6  # one-colour text minimum on newsprint
    assert mark.x0 > MARGIN + typeset.width_pt * 0.75
    assert mark.x1 <= MARGIN + typeset.width_pt
    assert mark.baseline > height - MARGIN - 2 * typeset.leading


def test_content_in_print_order_and_phones_unbroken(ad_pdf) -> None:
    _, pdf = ad_pdf
    text = "\n".join(ln.text for ln in read_lines(pdf))
    order = [TOURISM.headline, *TOURISM.sublines, *(BULLET + f for f in TOURISM.features), *TOURISM.phones]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "0533—2173002" in text.splitlines()[-1]


def test_headline_is_big_and_centred(ad_pdf, fonts) -> None:
    typeset, pdf = ad_pdf
    headline = next(ln for ln in read_lines(pdf) if ln.text == TOURISM.headline)
    assert headline.size >= 14
    last = headline.glyphs[-1]
    right = last.x0 + fonts.advance("heading")(last.text) * last.size
    assert (headline.x0 + right) / 2 == pytest.approx(MARGIN + typeset.width_pt / 2, abs=0.5)


def test_border_box_is_the_ad_size(ad_pdf) -> None:
    typeset, pdf = ad_pdf
    box = max(rects(pdf), key=lambda r: r["x1"] - r["x0"])
    assert box["x1"] - box["x0"] + box["linewidth"] == pytest.approx(typeset.width_pt, abs=0.01)
    assert box["linewidth"] >= 0.5


def test_bought_height_is_kept_and_overflow_refused(geometry, fonts, composer) -> None:
    natural = typeset_ad(TOURISM, geometry, fonts, composer=composer)
    tall = typeset_ad(TOURISM, geometry, fonts, height_pt=natural.height_pt + 100, composer=composer)
    assert tall.height_pt == natural.height_pt + 100
    with pytest.raises(ValueError, match="cm"):
        typeset_ad(TOURISM, geometry, fonts, height_pt=natural.height_pt - 20, composer=composer)


def test_reproducible(geometry, fonts, composer) -> None:
    assert render_ad_pdf(TOURISM, geometry, fonts, composer=composer) == render_ad_pdf(
        TOURISM, geometry, fonts, composer=composer
    )
