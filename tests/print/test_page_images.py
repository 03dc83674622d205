"""Page images: PNG at each width, cropped to the TrimBox, not blank."""

from __future__ import annotations

import io
from typing import Any

import badpages
import pytest
from PIL import Image
from reportlab.lib.colors import CMYKColor

from print.fonts import FontSet
from print.raster import page_images
from print.textflow import ComposeFn

BLACK_BLEED = CMYKColor(0, 0, 0, 1)


@pytest.fixture(scope="module")
def page(fonts: FontSet, composer: ComposeFn) -> bytes:
    """The good page with a black band over the whole bleed: only a crop that misses the trim shows it."""
    notices = badpages.notice_page(fonts, composer)

    def draw(c: Any, trim: badpages.Trim) -> None:
        c.saveState()
        c.setFillColor(BLACK_BLEED)
        b = badpages.BLEED
        c.rect(trim.x - b, trim.y - b, trim.w + 2 * b, b, stroke=0, fill=1)  # bottom
        c.rect(trim.x - b, trim.top, trim.w + 2 * b, b, stroke=0, fill=1)  # top
        c.rect(trim.x - b, trim.y, b, trim.h, stroke=0, fill=1)  # left
        c.rect(trim.right, trim.y, b, trim.h, stroke=0, fill=1)  # right
        c.restoreState()
        notices(c, trim)

    return badpages.build_page(fonts, draw)


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_one_png_per_width_with_the_trim_aspect(page: bytes) -> None:
    trim_w, trim_h = 148 * badpages.MM, 210 * badpages.MM
    pngs = page_images(page)
    assert len(pngs) == 2
    for png, width in zip(pngs, (1200, 240), strict=True):
        image = _open(png)
        assert image.size == (width, round(trim_h * width / trim_w))


def test_cropped_to_the_trim(page: bytes) -> None:
    (png,) = page_images(page, widths=(600,))
    gray = _open(png).convert("L")
    w, h = gray.size
    strip = 4  # px, about 1 mm: the black bleed band is 3 mm wide, the notices start 12 mm in
    for box in ((0, 0, w, strip), (0, h - strip, w, h), (0, 0, strip, h), (w - strip, 0, w, h)):
        lo, _ = gray.crop(box).getextrema()
        assert lo > 200, box


@pytest.mark.parametrize("width", [1200, 240])
def test_not_blank(page: bytes, width: int) -> None:
    (png,) = page_images(page, widths=(width,))
    lo, hi = _open(png).convert("L").getextrema()
    assert lo < 128 and hi > 240  # black text and rules on white paper


def test_order_follows_the_request(page: bytes) -> None:
    small, large = page_images(page, widths=(100, 300))
    assert _open(small).width == 100
    assert _open(large).width == 300


def test_bad_widths(page: bytes) -> None:
    with pytest.raises(ValueError):
        page_images(page, widths=())
    with pytest.raises(ValueError):
        page_images(page, widths=(0, 200))
