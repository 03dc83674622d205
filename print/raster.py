"""PDF → PNG previews via pdfium (the same PDF that prints, rasterised)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from io import BytesIO

import pypdfium2 as pdfium
from PIL import Image

# pdfium is not thread-safe; pypdfium2 documents that concurrent use of the library needs a lock.
_PDFIUM_LOCK = threading.Lock()


def pdf_to_png(pdf: bytes, dpi: float = 144, max_width_px: int | None = None, page: int = 0) -> bytes:
    """Render one page of `pdf` to PNG bytes at `dpi`, scaled down to `max_width_px` if given."""
    if dpi <= 0:
        raise ValueError("dpi must be positive")
    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            pg = doc[page]
            scale = dpi / 72
            if max_width_px is not None:
                scale = min(scale, max_width_px / pg.get_width())
            bitmap = pg.render(scale=scale, grayscale=False)
            image = bitmap.to_pil()
            pg.close()
        finally:
            doc.close()
    out = BytesIO()
    # Level 1 zlib: previews are regenerated often; a few extra KB beat tens of ms of deflate.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def page_images(pdf: bytes, widths: Sequence[int] = (1200, 240), page: int = 0) -> list[bytes]:
    """PNG images of one page cropped to its TrimBox, one per pixel width in `widths`, in order.

    The page is rendered once, at the largest width, and scaled down with Pillow for the others
    (a reduce-then-Lanczos resize costs about what a second pdfium pass does on a text page, and
    far less on a page with images). Heights keep the trim's aspect ratio. A page without TrimBox
    is shown whole (pdfium falls back to the CropBox). Pages are assumed unrotated (/Rotate 0).
    """
    if not widths or min(widths) <= 0:
        raise ValueError("widths must be positive pixel counts")
    largest = max(widths)
    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            pg = doc[page]
            left, _, _, top = pg.get_bbox()  # what pdfium renders: MediaBox ∩ CropBox
            t_left, t_bottom, t_right, t_top = pg.get_trimbox()
            trim_w, trim_h = t_right - t_left, t_top - t_bottom
            scale = largest / trim_w
            # The whole page, cropped by Pillow: pdfium's own crop rounds each edge up separately,
            # which leaves the image a pixel short of the width asked for.
            rendered = pg.render(scale=scale, grayscale=False).to_pil()
            pg.close()
        finally:
            doc.close()
    x0, y0 = round((t_left - left) * scale), round((top - t_top) * scale)
    image = rendered.crop((x0, y0, x0 + largest, y0 + max(1, round(trim_h * scale))))
    out: list[bytes] = []
    for width in widths:
        height = max(1, round(trim_h * width / trim_w))
        sized = image
        if image.size != (width, height):
            sized = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
        buf = BytesIO()
        sized.save(buf, format="PNG", compress_level=1)
        out.append(buf.getvalue())
    return out
