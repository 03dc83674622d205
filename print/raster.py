"""PDF → PNG previews via pdfium (the same PDF that prints, rasterised)."""

from __future__ import annotations

import threading
from io import BytesIO

import pypdfium2 as pdfium

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
