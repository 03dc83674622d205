from __future__ import annotations

import io

import pytest
from PIL import Image
from samples import LOST_LICENCE

from print.notices import render_notice_pdf
from print.raster import pdf_to_png


@pytest.fixture(scope="module")
def pdf(geometry, fonts, composer) -> bytes:
    return render_notice_pdf(LOST_LICENCE, geometry, fonts, composer=composer)


@pytest.mark.parametrize(("dpi", "max_width"), [(72, None), (144, None), (300, 200)])
def test_png_size_follows_dpi_and_cap(pdf: bytes, dpi: float, max_width: int | None) -> None:
    from pdfread import page_size

    w_pt, _ = page_size(pdf)
    image = Image.open(io.BytesIO(pdf_to_png(pdf, dpi=dpi, max_width_px=max_width)))
    assert image.format == "PNG"
    expected = w_pt * dpi / 72 if max_width is None else max_width
    assert abs(image.width - expected) <= 1


def test_preview_has_ink(pdf: bytes) -> None:
    image = Image.open(io.BytesIO(pdf_to_png(pdf))).convert("L")
    lo, hi = image.getextrema()
    assert lo < 64 and hi > 240  # black text on white paper


def test_bad_dpi(pdf: bytes) -> None:
    with pytest.raises(ValueError):
        pdf_to_png(pdf, dpi=0)
