"""Display-ad artwork supplied by the advertiser: intake checks, and drawing it into a booked slot.

Intake (`check_artwork`) trusts only the bytes: the type is sniffed (``%PDF-`` and pikepdf for
PDF, Pillow for PNG and JPEG), never taken from the file name or the browser's content type.
It refuses what is too big, unknown, a decompression bomb, over the pixel limit or too coarse
for print at the booked size, and PDFs that have more than one page, are encrypted, carry
JavaScript, use RGB or leave fonts unembedded (a PDF cannot be recoloured silently).

Cost: every refusal that protects the worker is made before the expensive part. An image is
judged from its header (size, EXIF orientation, mode): far more pixels than the slot needs at
300 ppi, proportions far from the slot's, or more memory to decode than `max_decode_bytes` are
refused without decoding a pixel; a JPEG finer than needed is decoded at 1/2, 1/4 or 1/8 scale
(libjpeg's DCT scaling, `draft`), and the CMYK conversion runs in bands. A PDF's streams are
measured by `print.artwork_guard` (bounded inflation, operator count) before qpdf or preflight
reads them. At most `CONCURRENT_CHECKS` uploads are checked at once per process, so a burst of
large uploads queues instead of multiplying the peak memory.

What is stored: images become a CMYK JPEG (resampled to `ArtworkLimits.target_ppi` at the
booked size when far finer); a PDF is kept as it is and drawn as vector. ReportLab cannot
import PDF pages, so `place_artwork` has qpdf (pikepdf) turn the page into a form XObject and
copies its objects into the ReportLab document (see `_FormCopier`): text stays text, CMYK and
spot colours stay exact, and the edition's preflight sees the artwork's real content. A PDF is
accepted only when that drawing, at the booked size, passes the same preflight.

Colour: Pillow's own ``convert("CMYK")`` sets K to zero, so black would print as 300 % CMY
(rich black, over newsprint's 240 % limit) and black text would blur across four plates.
Conversion here moves the grey component into K instead (full GCR, as news photos do), so
black stays 100 % K and no pixel carries more than 200 %.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import pikepdf
from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError
from reportlab.lib.colors import CMYKColor
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import (
    NoEncryption,
    PDFArray,
    PDFDictionary,
    PDFObject,
    PDFStream,
    xObjectName,
)
from reportlab.pdfbase.pdfdoc import format as pdf_format
from reportlab.pdfgen.canvas import Canvas

from notices_app.rules.messages import Message, msg
from print.artwork_guard import StreamLimits, StreamRefused, check_drawing, check_streams

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 60_000_000
# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; pin it to our own limit so
# that neither Pillow's default (89 MP) nor someone setting it to None can open a bomb here.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

PT_PER_INCH = 72.0
MM_PER_INCH = 25.4
CONCURRENT_CHECKS = 2
_CHECKS = threading.BoundedSemaphore(CONCURRENT_CHECKS)
_BAND_PIXELS = 1 << 20  # CMYK conversion in bands of about a megapixel (4 MB a band)
StoredKind = Literal["jpeg", "pdf"]
_WHITE = CMYKColor(0, 0, 0, 0)
_BLACK = CMYKColor(0, 0, 0, 1)


@dataclass(frozen=True)
class ArtworkLimits:
    """What intake accepts. Resolutions are effective: pixels per inch at the booked size."""

    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS
    min_ppi: float = 150.0  # below: refused
    warn_ppi: float = 200.0  # below: accepted with a warning
    target_ppi: float = 300.0  # finer images are resampled to this
    max_white_percent: float = 5.0  # more of the slot left empty by the fit: a warning
    # Proportions so far from the slot's that most of what is paid for would print white: refused
    # (a square in a quarter page leaves 45 %, an A4 page in a column strip 57 %: still warnings).
    max_white_refuse_percent: float = 60.0
    # Pixels beyond what the slot needs at target_ppi: up to this many times as many (1200 ppi),
    # and never fewer than min_pixel_allowance (an ordinary 12 MP photo fits any slot).
    max_oversize: float = 16.0
    min_pixel_allowance: int = 12_000_000
    max_decode_bytes: int = 100 * 1024 * 1024  # a full page at 300 ppi decodes to 94 MB
    streams: StreamLimits = field(default_factory=StreamLimits)  # a PDF's decoded streams and operators
    max_ink_percent: float = 240.0  # CMYK artwork over this (ISOnewspaper26v4): a warning
    jpeg_quality: int = 90


DEFAULT_LIMITS = ArtworkLimits()


@dataclass(frozen=True)
class ArtworkReport:
    """What intake found; `data` and `kind` (a CMYK JPEG, or the PDF as it is) are set only when
    nothing was refused."""

    source: str | None  # the sniffed type: pdf | png | jpeg; None when unknown
    errors: tuple[Message, ...] = ()
    warnings: tuple[Message, ...] = ()
    notes: tuple[Message, ...] = ()  # what was done to the file (colour conversion, resampling)
    data: bytes | None = field(default=None, repr=False)
    kind: StoredKind | None = None
    pixels: tuple[int, int] | None = None  # of an uploaded image
    ppi: float | None = None  # effective resolution at the booked size (a PDF: its coarsest image)
    drawn_pt: tuple[float, float] | None = None  # the artwork's size inside the slot
    white_percent: float = 0.0
    colour: str = ""  # what the colour was: cmyk, rgb→cmyk, grey→k …

    @property
    def ok(self) -> bool:
        return not self.errors and self.data is not None

    def info(self) -> dict[str, Any]:
        """JSON for the booking record (AdBooking.artwork_info)."""
        return {
            "source": self.source,
            "pixels": list(self.pixels) if self.pixels else None,
            "ppi": round(self.ppi, 1) if self.ppi is not None else None,
            "drawn_pt": [round(v, 2) for v in self.drawn_pt] if self.drawn_pt else None,
            "white_percent": round(self.white_percent, 1),
            "colour": self.colour,
            "warnings": [{"code": m.code, "zh": m.render("zh"), "en": m.render("en")} for m in self.warnings],
            "notes": [{"code": m.code, "zh": m.render("zh"), "en": m.render("en")} for m in self.notes],
        }


class _Refused(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


def _refuse(code: str, zh: str, en: str, **params: Any) -> _Refused:
    return _Refused(msg(code, zh, en, **params))


def fit(width: float, height: float, slot_w: float, slot_h: float) -> tuple[float, float]:
    """The size of a `width` × `height` picture scaled to fit the slot, aspect kept."""
    if width <= 0 or height <= 0:
        raise ValueError("artwork has no size")
    scale = min(slot_w / width, slot_h / height)
    return width * scale, height * scale


def check_artwork(
    data: bytes, width_pt: float, height_pt: float, limits: ArtworkLimits = DEFAULT_LIMITS
) -> ArtworkReport:
    """Check an upload for a slot of `width_pt` × `height_pt` and normalise it for print."""
    if width_pt <= 0 or height_pt <= 0:
        raise ValueError("the slot has no size")
    if len(data) > limits.max_bytes:
        return _too_large(data, limits)
    with _CHECKS:
        if data.startswith(b"%PDF-"):
            return _check_pdf(data, width_pt, height_pt, limits)
        return _check_image(data, width_pt, height_pt, limits)


def _too_large(data: bytes, limits: ArtworkLimits) -> ArtworkReport:
    return ArtworkReport(
        None,
        errors=(
            msg(
                "artwork.bytes",
                "文件过大：{size:.1f} MB，最大 {max} MB。",
                "The file is too large: {size:.1f} MB; at most {max} MB.",
                size=len(data) / 1024 / 1024,
                max=limits.max_bytes // (1024 * 1024),
            ),
        ),
    )


# --- images ----------------------------------------------------------------------------------


def _unknown_type() -> Message:
    return msg(
        "artwork.type",
        "无法识别文件类型：请上传 PDF、PNG 或 JPEG。",
        "Unknown file type: upload a PDF, PNG or JPEG.",
    )


def _too_many_pixels(size: str, limit: int) -> Message:
    return msg(
        "artwork.pixels",
        "图片像素过多（{size}），最多 {max} 百万像素。",
        "The image has too many pixels ({size}); at most {max} megapixels.",
        size=size,
        max=limit // 1_000_000,
    )


class _Judged(Exception):
    """Raised from an image's header: refused without decoding (errors, and what was found)."""

    def __init__(self, errors: list[Message], warned: list[Message], common: dict[str, Any]) -> None:
        super().__init__(errors[0].render("en"))
        self.errors = errors
        self.warned = warned
        self.common = common


Prepare = Callable[[Image.Image, tuple[int, int], bool], None]


def _upright_swaps(im: Image.Image, fmt: str) -> bool:
    """Whether the EXIF orientation turns the image a quarter turn, read without decoding (a PNG's
    getexif() decodes the whole image when the eXIf chunk comes after the pixels)."""
    if fmt != "jpeg" and "exif" not in im.info:
        return False
    return im.getexif().get(0x0112, 1) in (5, 6, 7, 8)


def open_image(
    data: bytes, max_pixels: int = MAX_PIXELS, prepare: Prepare | None = None
) -> tuple[Image.Image, str]:
    """Decode PNG or JPEG bytes safely: (image upright per EXIF, "png" | "jpeg"); _Refused if not.

    `prepare(image, upright size, turned)` sees the opened, not yet decoded image: it may refuse
    (raise) or ask for a smaller decode with `draft`.
    """
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; a warning is a refusal here. The
            # explicit size check below refuses the same images should another thread have
            # changed the warning filters meanwhile (catch_warnings is process-wide).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))
        try:
            fmt = str(im.format).lower()
            w, h = im.size
            if w * h > max_pixels:
                raise _Refused(_too_many_pixels(f"{w}×{h}", max_pixels))
            if w < 1 or h < 1:
                raise _Refused(_unknown_type())
            if prepare is not None:
                turned = _upright_swaps(im, fmt)
                prepare(im, (h, w) if turned else (w, h), turned)
            im.load()
            # In place: exif_transpose would otherwise return a copy even of an upright image.
            image = ImageOps.exif_transpose(im, in_place=True) or im
        except BaseException:
            im.close()
            raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _Refused(
            msg(
                "artwork.bomb",
                "图片声明的像素数异常巨大（疑似“解压炸弹”），已拒收。",
                "The image claims an enormous number of pixels (a decompression bomb); refused.",
            )
        ) from err
    except UnidentifiedImageError as err:
        raise _Refused(_unknown_type()) from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise _refuse(
            "artwork.unreadable",
            "图片文件已损坏或不完整，无法读取。",
            "The image is damaged or incomplete and cannot be read.",
        ) from err
    return image, fmt


def _cmyk_of(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greys: scale to 8 bits (a plain convert("L") clips instead).
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    c, m, y = ImageChops.invert(image.convert("RGB")).split()
    k = ImageChops.darker(ImageChops.darker(c, m), y)
    return Image.merge(
        "CMYK", (ImageChops.subtract(c, k), ImageChops.subtract(m, k), ImageChops.subtract(y, k), k)
    )


def to_cmyk(image: Image.Image) -> tuple[Image.Image, str]:
    """The image in CMYK with full grey component replacement, and what its colour was.

    Transparency is flattened on white paper. Grey stays in K alone. Every step works pixel by
    pixel, so a large image is converted in bands: the same result, with a dozen full-size
    intermediate images replaced by band-sized ones.
    """
    if image.mode == "CMYK":
        return image, "cmyk"
    source = "grey" if image.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F") else "rgb"
    w, h = image.size
    if w * h <= _BAND_PIXELS:
        return _cmyk_of(image), source
    out = Image.new("CMYK", image.size)
    rows = max(1, _BAND_PIXELS // w)
    for top in range(0, h, rows):
        out.paste(_cmyk_of(image.crop((0, top, w, min(h, top + rows)))), (0, top))
    return out, source


def ink_over(image: Image.Image, limit_percent: float, sample: int = 256) -> float:
    """Share (0–1) of a CMYK image's area whose total ink exceeds `limit_percent` (sampled)."""
    thumb = image
    if image.width > sample or image.height > sample:
        scale = min(sample / image.width, sample / image.height)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        thumb = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)  # no full-size copy
    limit = limit_percent / 100 * 255
    pixels = thumb.getdata()
    over = sum(1 for px in pixels if sum(px) > limit)
    return over / max(1, len(pixels))


def _colour_note(source: str) -> Message | None:
    if source == "rgb":
        return msg(
            "artwork.converted_rgb",
            "图片为RGB色彩，已转换为CMYK（灰色成分转入黑版K，黑色为单色黑而非四色黑）；屏幕上的鲜艳色彩印在新闻纸上会偏暗，请核对样稿。",
            "The image was RGB and has been converted to CMYK (grey moved into K, so black is "
            "100 % K, not rich black); bright screen colours print duller on newsprint: check the proof.",
        )
    if source == "grey":
        return msg(
            "artwork.grey", "灰度图片，只用黑版（K）印刷。", "Greyscale image: printed in black (K) only."
        )
    return None


def _resolution(ppi: float, limits: ArtworkLimits) -> tuple[list[Message], list[Message]]:
    errors: list[Message] = []
    warned: list[Message] = []
    if ppi < limits.min_ppi:
        errors.append(
            msg(
                "artwork.low_ppi",
                "按所订版位尺寸，图片的有效分辨率只有 {ppi:.0f} ppi，印刷至少需要 {min:.0f} ppi。",
                "At the booked size the image has only {ppi:.0f} ppi; print needs at least {min:.0f} ppi.",
                ppi=ppi,
                min=limits.min_ppi,
            )
        )
    elif ppi < limits.warn_ppi:
        warned.append(
            msg(
                "artwork.ppi_warning",
                "按所订版位尺寸，图片的有效分辨率为 {ppi:.0f} ppi，低于建议的 {good:.0f} ppi，印出来可能发虚。",
                "At the booked size the image has {ppi:.0f} ppi, under the recommended {good:.0f} ppi; "
                "it may print soft.",
                ppi=ppi,
                good=limits.warn_ppi,
            )
        )
    return errors, warned


def _white(drawn: tuple[float, float], width_pt: float, height_pt: float) -> float:
    return 100 * (1 - (drawn[0] * drawn[1]) / (width_pt * height_pt))


def _white_warning(white: float, limits: ArtworkLimits) -> list[Message]:
    if white <= limits.max_white_percent:
        return []
    return [
        msg(
            "artwork.aspect",
            "作品的长宽比与版位不同，按比例缩放后版位有 {white:.0f}% 留白。",
            "The artwork's proportions differ from the slot's: scaled to fit, it leaves {white:.0f}% of the slot white.",
            white=white,
        )
    ]


def _jpeg(image: Image.Image, ppi: float, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, subsampling=0, dpi=(round(ppi), round(ppi)))
    return out.getvalue()


def _sized(
    image: Image.Image, drawn: tuple[float, float], ppi: float, limits: ArtworkLimits, drafted: bool = False
) -> Image.Image:
    """Resample an image far finer than the press needs down to `target_ppi` (smaller PDFs); one
    already decoded at a reduced scale (`drafted`) is brought to exactly `target_ppi`."""
    if ppi <= limits.target_ppi * (1.0 if drafted else 1.1):
        return image
    w = max(1, round(drawn[0] / PT_PER_INCH * limits.target_ppi))
    h = max(1, round(drawn[1] / PT_PER_INCH * limits.target_ppi))
    return image.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _slot_size(width_pt: float, height_pt: float, limits: ArtworkLimits) -> dict[str, Any]:
    need_w, need_h = pixels_needed(width_pt, height_pt, limits.target_ppi)
    return {
        "mm_w": round(width_pt / PT_PER_INCH * MM_PER_INCH),
        "mm_h": round(height_pt / PT_PER_INCH * MM_PER_INCH),
        "need_w": need_w,
        "need_h": need_h,
        "ppi": round(limits.target_ppi),
    }


def _aspect_refused(white: float, size: str, slot: dict[str, Any]) -> Message:
    return msg(
        "artwork.aspect_refused",
        "作品的长宽比与版位相差太大（{size}），按比例缩放后版位有 {white:.0f}% 留白；"
        "版位为 {mm_w}×{mm_h} 毫米，按 {ppi} ppi 需 {need_w}×{need_h} 像素，请按此比例制作。",
        "The artwork's proportions are far from the slot's ({size}): scaled to fit, {white:.0f}% of "
        "the slot would print white. The slot is {mm_w} × {mm_h} mm, {need_w} × {need_h} pixels "
        "at {ppi} ppi: make the artwork in these proportions.",
        size=size,
        white=white,
        **slot,
    )


def _oversize(size: str, allowed: int, slot: dict[str, Any]) -> Message:
    return msg(
        "artwork.oversize",
        "图片像素远超所订版位的需要（{size}）：版位为 {mm_w}×{mm_h} 毫米，按 {ppi} ppi 只需 "
        "{need_w}×{need_h} 像素，最多接受 {max:.1f} 百万像素；请缩小后重新上传。",
        "The image has far more pixels than the booked slot needs ({size}): the slot is "
        "{mm_w} × {mm_h} mm, {need_w} × {need_h} pixels at {ppi} ppi; at most {max:.1f} "
        "megapixels are accepted. Scale it down and upload again.",
        size=size,
        max=allowed / 1_000_000,
        **slot,
    )


def _decoded_bytes(im: Image.Image, full: tuple[int, int]) -> int:
    """Memory Pillow takes for the decoded image (RGB is stored as 4 bytes a pixel), plus the
    coefficients libjpeg keeps for a whole progressive JPEG."""
    per_pixel = 1 if im.mode in ("1", "L", "P") else 2 if im.mode.startswith("I;16") else 4
    w, h = im.size
    total = w * h * per_pixel
    if im.format == "JPEG" and (im.info.get("progressive") or im.info.get("progression")):
        total += full[0] * full[1] * 2 * len(im.getbands())
    return total


def _judge_header(width_pt: float, height_pt: float, limits: ArtworkLimits, found: dict[str, Any]) -> Prepare:
    """The checks an image's header answers: refuse (_Judged) before decoding, or decode smaller."""

    def prepare(im: Image.Image, upright: tuple[int, int], turned: bool) -> None:
        w, h = upright
        slot = _slot_size(width_pt, height_pt, limits)
        drawn = fit(w, h, width_pt, height_pt)
        ppi = w / (drawn[0] / PT_PER_INCH)
        white = _white(drawn, width_pt, height_pt)
        common: dict[str, Any] = {"pixels": (w, h), "ppi": ppi, "drawn_pt": drawn, "white_percent": white}
        found.update(common, fmt=str(im.format).lower())
        errors, warned = _resolution(ppi, limits)
        size = f"{w}×{h}"
        need = slot["need_w"] * slot["need_h"]
        allowed = min(limits.max_pixels, max(int(limits.max_oversize * need), limits.min_pixel_allowance))
        if white > limits.max_white_refuse_percent:
            errors.append(_aspect_refused(white, size, slot))
        else:
            warned += _white_warning(white, limits)
        if w * h > allowed:
            errors.append(_oversize(size, allowed, slot))
        if errors:
            raise _Judged(errors, warned, common)
        full = im.size
        if im.format == "JPEG" and ppi > limits.target_ppi * 1.1:
            # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, never below the size asked for.
            want = (
                math.ceil(drawn[0] / PT_PER_INCH * limits.target_ppi),
                math.ceil(drawn[1] / PT_PER_INCH * limits.target_ppi),
            )
            im.draft(None, (want[1], want[0]) if turned else want)
            found["drafted"] = im.size != full
        if _decoded_bytes(im, full) > limits.max_decode_bytes:
            allowed = limits.max_decode_bytes // 4
            raise _Judged([_oversize(size, allowed, slot)], warned, common)

    return prepare


def _check_image(data: bytes, width_pt: float, height_pt: float, limits: ArtworkLimits) -> ArtworkReport:
    found: dict[str, Any] = {}
    try:
        image, fmt = open_image(data, limits.max_pixels, _judge_header(width_pt, height_pt, limits, found))
    except _Judged as judged:
        return ArtworkReport(
            found["fmt"], errors=tuple(judged.errors), warnings=tuple(judged.warned), **judged.common
        )
    except _Refused as err:
        source = None if err.message.code == "artwork.type" else "image"
        return ArtworkReport(source, errors=(err.message,))
    drawn = found["drawn_pt"]
    ppi = found["ppi"]
    drafted = bool(found.get("drafted"))
    warned = _resolution(ppi, limits)[1] + _white_warning(found["white_percent"], limits)
    common: dict[str, Any] = {k: found[k] for k in ("pixels", "ppi", "drawn_pt", "white_percent")}
    cmyk, colour = to_cmyk(image)
    del image  # the decoded original: only the CMYK copy is needed from here
    notes = [n for n in (_colour_note(colour),) if n is not None]
    if colour == "cmyk" and ink_over(cmyk, limits.max_ink_percent) > 0.005:
        warned.append(
            msg(
                "artwork.ink",
                "部分区域油墨总量超过 {limit:.0f}%，在新闻纸上可能透印或糊版。",
                "Parts of the artwork carry more than {limit:.0f}% total ink; on newsprint they may smear or show through.",
                limit=limits.max_ink_percent,
            )
        )
    out = _sized(cmyk, drawn, cmyk.width / (drawn[0] / PT_PER_INCH), limits, drafted)
    if out is not cmyk or drafted:
        notes.append(
            msg(
                "artwork.resampled",
                "图片精度远超印刷所需，已按 {ppi:.0f} ppi 缩小。",
                "The image was far finer than print needs and has been resampled to {ppi:.0f} ppi.",
                ppi=limits.target_ppi,
            )
        )
    del cmyk
    stored_ppi = out.size[0] / (drawn[0] / PT_PER_INCH)
    return ArtworkReport(
        fmt,
        warnings=tuple(warned),
        notes=tuple(notes),
        data=_jpeg(out, stored_ppi, limits.jpeg_quality),
        kind="jpeg",
        colour=f"{colour}→cmyk" if colour != "cmyk" else "cmyk",
        **common,
    )


# --- PDF -------------------------------------------------------------------------------------


def _has_javascript(pdf: pikepdf.Pdf) -> bool:
    """True when any object of the file is or names a JavaScript action."""
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        return True
    seen: set[tuple[int, int]] = set()

    def walk(obj: Any, depth: int) -> bool:
        if depth > 50 or not isinstance(obj, pikepdf.Object):
            return False
        if obj.is_indirect:
            key = obj.objgen
            if key in seen:
                return False
            seen.add(key)
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if "/JS" in obj or obj.get("/S") == pikepdf.Name.JavaScript:
                return True
            return any(walk(v, depth + 1) for k, v in obj.items() if k != "/Parent")
        if isinstance(obj, pikepdf.Array):
            return any(walk(v, depth + 1) for v in obj)
        return False

    return any(walk(obj, 0) for obj in pdf.objects)


def _encrypted() -> Message:
    return msg(
        "artwork.pdf_encrypted",
        "PDF 已加密或设有密码，无法用于印刷；请导出未加密的 PDF。",
        "The PDF is encrypted or password-protected; export it without encryption.",
    )


def _pdf_unreadable() -> Message:
    return msg(
        "artwork.pdf_unreadable", "PDF 文件已损坏，无法读取。", "The PDF is damaged and cannot be read."
    )


def _open_pdf(data: bytes, limits: StreamLimits) -> pikepdf.Pdf:
    """The artwork PDF, opened; _Refused unless it is one readable, unencrypted page without
    scripts whose streams and drawing stay within `limits` (measured before qpdf decodes any)."""
    try:
        check_streams(data, limits)
    except StreamRefused as err:
        raise _Refused(err.message) from err
    try:
        doc = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as err:
        raise _Refused(_encrypted()) from err
    except (pikepdf.PdfError, ValueError) as err:
        raise _Refused(_pdf_unreadable()) from err
    try:
        if doc.is_encrypted:
            raise _Refused(_encrypted())
        if len(doc.pages) != 1:
            raise _refuse(
                "artwork.pdf_pages",
                "PDF 应只有一页（广告作品），此文件有 {pages} 页。",
                "The PDF must have exactly one page (the ad); this one has {pages}.",
                pages=len(doc.pages),
            )
        try:
            check_drawing(doc, limits)
        except StreamRefused as err:
            raise _Refused(err.message) from err
        if _has_javascript(doc):
            raise _refuse(
                "artwork.pdf_javascript",
                "PDF 含有 JavaScript 脚本，出于安全原因拒收；请导出不含脚本的印刷用 PDF。",
                "The PDF contains JavaScript and is refused for safety; export a print PDF without scripts.",
            )
    except BaseException:
        doc.close()
        raise
    return doc


def _form_box(form: pikepdf.Object) -> tuple[float, float, float, float]:
    """Where a form XObject draws in its user space: its BBox through its /Matrix (x0, y0, w, h)."""
    x0, y0, x1, y1 = (float(v) for v in form.BBox)
    a, b, c, d, e, f = (float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0]))
    corners = ((x0, y0), (x1, y0), (x0, y1), (x1, y1))
    xs = [x * a + y * c + e for x, y in corners]
    ys = [x * b + y * d + f for x, y in corners]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _place_pdf(
    data: bytes, width_pt: float, height_pt: float, mark: bool, limits: StreamLimits
) -> PlacedArtwork:
    with _open_pdf(data, limits) as pdf:
        box = _form_box(pdf.pages[0].as_form_xobject(handle_transformations=True))
    if box[2] <= 0 or box[3] <= 0:
        raise _Refused(_pdf_unreadable())
    drawn = fit(box[2], box[3], width_pt, height_pt)
    return PlacedArtwork(width_pt, height_pt, "pdf", data, drawn[0], drawn[1], box, mark)


def _check_pdf(data: bytes, width_pt: float, height_pt: float, limits: ArtworkLimits) -> ArtworkReport:
    from print.preflight import PreflightLimits, preflight

    try:
        placed = _place_pdf(data, width_pt, height_pt, True, limits.streams)
    except _Refused as err:
        return ArtworkReport("pdf", errors=(err.message,))
    drawn = (placed.image_w_pt, placed.image_h_pt)
    white = _white(drawn, width_pt, height_pt)
    if white > limits.max_white_refuse_percent:
        box = placed.form_box
        size = f"{box[2] / PT_PER_INCH * MM_PER_INCH:.0f}×{box[3] / PT_PER_INCH * MM_PER_INCH:.0f} mm"
        return ArtworkReport(
            "pdf",
            errors=(_aspect_refused(white, size, _slot_size(width_pt, height_pt, limits)),),
            drawn_pt=drawn,
            white_percent=white,
        )
    # The artwork is checked as it will print: drawn at the booked size on a page whose trim is
    # the slot, with the limits the edition's preflight applies (text size, rule width, ink and
    # image resolution all change with the scale).
    proof = proof_pdf(placed, margin_pt=0)
    report = preflight(proof, PreflightLimits(min_image_ppi=limits.warn_ppi))
    errors: list[Message] = []
    warned: list[Message] = []
    worst_ppi: float | None = None
    for problem in report.problems:
        code = problem.code
        if code == "preflight.rgb":
            errors.append(
                msg(
                    "artwork.pdf_rgb",
                    "PDF 使用了 RGB 等非 CMYK 颜色（{detail}）；PDF 无法自动转换，请导出为 CMYK 或灰度。",
                    "The PDF uses RGB or other non-CMYK colour ({detail}); a PDF cannot be converted "
                    "here: export it in CMYK or grey.",
                    detail=problem.message.params.get("space", ""),
                )
            )
        elif code == "preflight.font_not_embedded":
            errors.append(
                msg(
                    "artwork.pdf_fonts",
                    "PDF 中的字体 {font} 没有嵌入；请嵌入全部字体或转为曲线后重新导出。",
                    "Font {font} is not embedded in the PDF; embed all fonts or convert text to outlines.",
                    font=problem.message.params.get("font", ""),
                )
            )
        elif code == "preflight.image_resolution":
            ppi = float(problem.message.params.get("ppi", 0))
            worst_ppi = ppi if worst_ppi is None else min(worst_ppi, ppi)
        elif code != "preflight.no_trimbox":
            # Anything else would fail the edition's preflight too (ink, small text, thin
            # rules, transparency …): refused now, with preflight's own words.
            errors.append(
                msg(
                    "artwork.pdf_preflight",
                    "按所订尺寸检查：{text_zh}",
                    "Checked at the booked size: {text_en}",
                    text_zh=problem.message.render("zh"),
                    text_en=problem.message.render("en"),
                )
            )
    if worst_ppi is not None:
        e, w = _resolution(worst_ppi, limits)
        errors += e
        warned += w
    warned += _white_warning(white, limits)
    common: dict[str, Any] = {"ppi": worst_ppi, "drawn_pt": drawn, "white_percent": white}
    if errors:
        return ArtworkReport("pdf", errors=tuple(errors), warnings=tuple(warned), **common)
    note = msg(
        "artwork.pdf_vector",
        "PDF 按原样（矢量、原有CMYK/专色）缩放后印刷。",
        "The PDF prints as it is (vector, its own CMYK or spot colours), scaled to the slot.",
    )
    return ArtworkReport(
        "pdf",
        warnings=tuple(warned),
        notes=(note,),
        data=data,
        kind="pdf",
        colour="cmyk",
        **common,
    )


# --- a PDF page as a form XObject of the ReportLab document -----------------------------------
#
# ReportLab cannot import PDF pages. qpdf (through pikepdf) turns the page into a form XObject
# in the source file (content, resources, /Matrix for /Rotate); its objects are then re-created
# in the ReportLab document: streams with their raw, still-encoded bytes and their /Filter,
# every other value as the exact PDF syntax pikepdf writes for it. Shared objects (a font used
# twice) are written once; the form is registered under a name derived from the file's hash so
# one artwork drawn twice in a document is embedded once.


class _Raw(PDFObject):
    """A PDF value already in PDF syntax (names, strings, numbers)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


class _Dict(PDFObject):
    """A dictionary whose keys keep their exact PDF names."""

    def __init__(self) -> None:
        self.items: list[tuple[bytes, Any]] = []

    def format(self, document: Any) -> bytes:
        body = b" ".join(key + b" " + pdf_format(value, document) for key, value in self.items)
        return b"<< " + body + b" >>"


class _FormCopier:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.memo: dict[tuple[int, int], Any] = {}

    def copy(self, obj: Any, depth: int = 0) -> Any:
        if depth > 100:
            raise ValueError("artwork PDF nested too deeply")
        if isinstance(obj, bool):
            return _Raw(b"true" if obj else b"false")
        if obj is None:
            return _Raw(b"null")
        if isinstance(obj, int):
            return _Raw(str(obj).encode())
        if isinstance(obj, Decimal):
            return _Raw(f"{obj:f}".encode())
        if isinstance(obj, float):
            return _Raw(f"{obj:.6f}".encode())
        if not isinstance(obj, pikepdf.Object):
            raise ValueError(f"unexpected PDF value {obj!r}")
        if obj.is_indirect and obj.objgen != (0, 0):
            known = self.memo.get(obj.objgen)
            if known is not None:
                return known
        if isinstance(obj, pikepdf.Stream):
            stream = PDFStream(PDFDictionary(), obj.read_raw_bytes())
            ref = self.document.Reference(stream)
            if obj.is_indirect:
                self.memo[obj.objgen] = ref
            for key, value in obj.items():
                if key != "/Length":
                    stream.dictionary[str(key)[1:]] = self.copy(value, depth + 1)
            return ref
        if isinstance(obj, pikepdf.Dictionary):
            d = _Dict()
            result: Any = d
            if obj.is_indirect:
                # Registered before its values are copied: a cycle (a /P back to a page) ends here.
                result = self.memo[obj.objgen] = self.document.Reference(d)
            for key, value in obj.items():
                if key == "/Parent":  # the page tree is not ours to copy
                    continue
                d.items.append((pikepdf.Name(key).unparse(), self.copy(value, depth + 1)))
            return result
        if isinstance(obj, pikepdf.Array):
            arr = PDFArray([])
            result = arr
            if obj.is_indirect:
                result = self.memo[obj.objgen] = self.document.Reference(arr)
            arr.sequence = [self.copy(v, depth + 1) for v in obj]
            return result
        return _Raw(obj.unparse())


def _form_name(data: bytes) -> str:
    return "artwork" + hashlib.sha256(data).hexdigest()[:20]


def _register_form(canvas: Canvas, data: bytes) -> str:
    """The name of the artwork PDF's page as a form XObject of `canvas`'s document."""
    name = _form_name(data)
    document = canvas._doc
    if document.hasForm(name):
        return name
    if not isinstance(document.encrypt, NoEncryption):
        raise ValueError("artwork cannot be copied into an encrypted document")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        form = pdf.pages[0].as_form_xobject(handle_transformations=True)
        copier = _FormCopier(document)
        stream = PDFStream(PDFDictionary(), form.read_raw_bytes())
        for key, value in form.items():
            if key != "/Length":
                stream.dictionary[str(key)[1:]] = copier.copy(value)
        document.Reference(stream, xObjectName(name))
    return name


# --- drawing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedArtwork:
    """Artwork ready to draw in its slot: centred, scaled to fit, with the 「广告」 mark.

    `kind` "jpeg": `data` is a CMYK JPEG drawn as an image; "pdf": `data` is a one-page PDF drawn
    as a form XObject (vector), `form_box` where its page draws in its own space (x0, y0, w, h).
    """

    width_pt: float
    height_pt: float
    kind: StoredKind
    data: bytes = field(repr=False)
    image_w_pt: float
    image_h_pt: float
    form_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    mark: bool = True

    def draw(self, canvas: Canvas, x: float, y_top: float) -> None:
        """Draw with the slot's top-left corner at (x, y_top)."""
        ix = x + (self.width_pt - self.image_w_pt) / 2
        iy = y_top - (self.height_pt - self.image_h_pt) / 2 - self.image_h_pt
        if self.kind == "pdf":
            name = _register_form(canvas, self.data)
            x0, y0, form_w, _ = self.form_box
            scale = self.image_w_pt / form_w
            canvas.saveState()
            canvas.transform(scale, 0, 0, scale, ix - x0 * scale, iy - y0 * scale)
            canvas.doForm(name)
            canvas.restoreState()
        else:
            canvas.drawImage(ImageReader(io.BytesIO(self.data)), ix, iy, self.image_w_pt, self.image_h_pt)
        if self.mark:
            _draw_mark(canvas, x + self.width_pt, y_top)


def _draw_mark(canvas: Canvas, right: float, top: float) -> None:
    """「广告」 in a small white box in the slot's top-right corner (广告法 Art. 14)."""
    from print.fonts import default_fonts

    fonts = default_fonts()
    role = "heading" if fonts.has_role("heading") else "body"
    size = 7.0  # one-colour text on newsprint must be >= 6 pt
    pad = size * 0.3
    text = "广告"
    text_w = sum(fonts.advance(role)(ch) for ch in text) * size
    box_w, box_h = text_w + 2 * pad, size + 2 * pad
    inset = 0.25  # half the box's rule, so the rule stays inside the slot
    canvas.saveState()
    canvas.setFillColor(_WHITE)
    canvas.setStrokeColor(_BLACK)
    canvas.setLineWidth(0.5)
    canvas.rect(right - box_w - inset, top - box_h - inset, box_w, box_h, stroke=1, fill=1)
    canvas.setFillColor(_BLACK)
    canvas.setFont(fonts.font_name(role), size)
    baseline = top - inset - pad - size * fonts.ascent(role)
    canvas.drawString(right - box_w - inset + pad, baseline, text)
    canvas.restoreState()


def place_artwork(
    data: bytes,
    width_pt: float,
    height_pt: float,
    kind: str | None,
    mark: bool = True,
    limits: ArtworkLimits = DEFAULT_LIMITS,
) -> PlacedArtwork:
    """Stored artwork (`kind` "pdf" or "jpeg") as a block of the slot's size, ready to draw.

    ValueError when the bytes are not usable artwork (the edition build lists it as overflow).
    A stored image that is not a CMYK JPEG is converted here, so no RGB reaches the page.
    """
    if width_pt <= 0 or height_pt <= 0:
        raise ValueError("the slot has no size")
    if kind == "pdf" or data.startswith(b"%PDF-"):
        try:
            return _place_pdf(data, width_pt, height_pt, mark, limits.streams)
        except _Refused as err:
            raise ValueError(err.message.render("en")) from err
    if kind not in ("jpeg", "png", None):
        raise ValueError(f"unknown artwork kind {kind!r}")
    try:
        image, fmt = open_image(data, limits.max_pixels)
    except _Refused as err:
        raise ValueError(err.message.render("en")) from err
    drawn = fit(image.width, image.height, width_pt, height_pt)
    if fmt != "jpeg" or image.mode != "CMYK":
        cmyk, _ = to_cmyk(image)
        ppi = image.width / (drawn[0] / PT_PER_INCH)
        data = _jpeg(_sized(cmyk, drawn, ppi, limits), min(ppi, limits.target_ppi), limits.jpeg_quality)
    return PlacedArtwork(width_pt, height_pt, "jpeg", data, drawn[0], drawn[1], mark=mark)


def proof_pdf(placed: Any, fonts: Any = None, margin_pt: float = 6.0) -> bytes:
    """A one-page PDF of a drawable block (placed artwork or template ad) for proofs and checks.

    The TrimBox is the block itself; with a margin, a dashed 30 % grey outline shows the slot.
    """
    from print.fonts import default_fonts
    from print.pdfcanvas import finish, new_canvas

    buf = io.BytesIO()
    w = placed.width_pt + 2 * margin_pt
    h = placed.height_pt + 2 * margin_pt
    canvas = new_canvas(buf, w, h, fonts or default_fonts(), "proof")
    box = (margin_pt, margin_pt, margin_pt + placed.width_pt, margin_pt + placed.height_pt)
    canvas.setTrimBox(box)
    canvas.setBleedBox(box)  # the outline outside it is a mark, not part of the ad
    placed.draw(canvas, margin_pt, h - margin_pt)
    if margin_pt > 2:
        canvas.setStrokeColor(CMYKColor(0, 0, 0, 0.3))
        canvas.setLineWidth(0.5)
        canvas.setDash(2, 2)
        x0, y0, x1, y1 = box[0] - 1.5, box[1] - 1.5, box[2] + 1.5, box[3] + 1.5
        # Four separate lines: each lies wholly outside the bleed, so preflight takes it as a mark.
        canvas.lines([(x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)])
    return finish(canvas, buf)


def pixels_needed(width_pt: float, height_pt: float, ppi: float) -> tuple[int, int]:
    """Pixels an image needs to fill a slot at `ppi` (the booking form's help text)."""
    return math.ceil(width_pt / PT_PER_INCH * ppi), math.ceil(height_pt / PT_PER_INCH * ppi)
