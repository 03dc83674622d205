"""Ad artwork intake: type sniffed from the bytes, bombs and bad PDFs refused, resolution at the
booked size, RGB converted to K-heavy CMYK, and the drawn page passes preflight."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable

import pikepdf
import pytest
from PIL import Image, ImageDraw
from reportlab.lib.colors import CMYKColor
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from notices_app.layout.geometry import BROADSHEET
from print.artwork import (
    ArtworkLimits,
    PlacedArtwork,
    check_artwork,
    place_artwork,
    proof_pdf,
)
from print.fonts import FontSet
from print.pdfcanvas import finish, new_canvas
from print.preflight import preflight

# A quarter-page-like slot: 3 columns × 20 grid lines (488.65 × 270 pt, 6.79 × 3.75 in).
SLOT_W = BROADSHEET.span_width(3)
SLOT_H = 20 * BROADSHEET.leading_pt


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _pixels_for(ppi: float, w_pt: float = SLOT_W, h_pt: float = SLOT_H) -> tuple[int, int]:
    return round(w_pt / 72 * ppi), round(h_pt / 72 * ppi)


def _rgb_artwork(ppi: float = 250) -> Image.Image:
    """Slot-shaped RGB art: black text-like bars on white, a red block."""
    w, h = _pixels_for(ppi)
    image = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((w // 10, h // 10, w // 2, h // 2), fill=(200, 20, 20))
    for i in range(5):
        y = h // 2 + 30 + i * 40
        draw.rectangle((w // 10, y, w * 8 // 10, y + 12), fill=(0, 0, 0))
    return image


def _codes(messages: tuple[object, ...]) -> set[str]:
    return {m.code for m in messages}  # type: ignore[attr-defined]


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims `width` × `height` RGB pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # One row of zeros, compressed: a real bomb would be a long run of these (~1:1000 in zlib).
    idat = zlib.compress(b"\0" * (1 + 3 * min(width, 4096)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- sniffing -------------------------------------------------------------------------------


def test_a_png_named_jpg_is_taken_for_what_it_is() -> None:
    # check_artwork is never told the file name or the browser's type: only the bytes count.
    report = check_artwork(_png(_rgb_artwork()), SLOT_W, SLOT_H)
    assert report.ok, [m.render("en") for m in report.errors]
    assert report.source == "png"
    assert report.kind == "jpeg"
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        assert stored.format == "JPEG" and stored.mode == "CMYK"


def test_a_text_file_named_png_is_refused() -> None:
    report = check_artwork(b"just some text, honestly a PNG\n" * 20, SLOT_W, SLOT_H)
    assert not report.ok
    assert report.data is None
    assert _codes(report.errors) == {"artwork.type"}
    assert "PDF、PNG 或 JPEG" in report.errors[0].render("zh")
    assert "PDF, PNG or JPEG" in report.errors[0].render("en")


def test_a_gif_is_an_unknown_type() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (600, 400)).save(buf, "GIF")
    assert _codes(check_artwork(buf.getvalue(), SLOT_W, SLOT_H).errors) == {"artwork.type"}


def test_more_than_20_mb_is_refused_before_reading() -> None:
    report = check_artwork(b"%PDF-1.7\n" + b"\0" * (20 * 1024 * 1024), SLOT_W, SLOT_H)
    assert _codes(report.errors) == {"artwork.bytes"}


def test_a_truncated_jpeg_is_unreadable() -> None:
    data = _jpeg(_rgb_artwork())
    report = check_artwork(data[: len(data) // 2], SLOT_W, SLOT_H)
    assert _codes(report.errors) == {"artwork.unreadable"}


# --- bombs and pixel limits -----------------------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = _png_header_claiming(50_000, 50_000)  # 2.5 gigapixels, 7.5 GB decoded
    assert len(bomb) < 200
    started = time.perf_counter()
    report = check_artwork(bomb, SLOT_W, SLOT_H)
    assert time.perf_counter() - started < 1.0  # refused from the header, nothing decoded
    assert _codes(report.errors) == {"artwork.bomb"}
    assert report.data is None


def test_pillows_warning_band_is_a_refusal_too() -> None:
    # 9000 × 9000 = 81 MP: above the 60 MP limit but under twice it, where Pillow only warns.
    report = check_artwork(_png_header_claiming(9000, 9000), SLOT_W, SLOT_H)
    assert _codes(report.errors) & {"artwork.bomb", "artwork.pixels"}


def test_the_pixel_limit_is_configurable() -> None:
    limits = ArtworkLimits(max_pixels=1_000_000)
    report = check_artwork(_png(_rgb_artwork(250)), SLOT_W, SLOT_H, limits)  # 1697 × 938
    assert _codes(report.errors) == {"artwork.pixels"}


# --- resolution at the booked size ------------------------------------------------------------


def test_low_resolution_at_the_booked_size_is_refused() -> None:
    report = check_artwork(_png(_rgb_artwork(100)), SLOT_W, SLOT_H)
    assert _codes(report.errors) == {"artwork.low_ppi"}
    assert report.ppi is not None and 99 < report.ppi < 101
    assert "100 ppi" in report.errors[0].render("en")


def test_the_same_image_is_fine_in_a_smaller_slot() -> None:
    art = _png(_rgb_artwork(100))  # 679 × 375 px
    report = check_artwork(art, SLOT_W / 3, SLOT_H / 3)
    assert report.ok and report.ppi is not None and report.ppi > 290


def test_between_150_and_200_ppi_is_accepted_with_a_warning() -> None:
    report = check_artwork(_png(_rgb_artwork(170)), SLOT_W, SLOT_H)
    assert report.ok
    assert "artwork.ppi_warning" in _codes(report.warnings)


def test_resolution_thresholds_are_configurable() -> None:
    strict = ArtworkLimits(min_ppi=200, warn_ppi=250)
    assert _codes(check_artwork(_png(_rgb_artwork(170)), SLOT_W, SLOT_H, strict).errors) == {
        "artwork.low_ppi"
    }


def test_a_much_finer_image_is_resampled_to_300_ppi() -> None:
    report = check_artwork(_jpeg(_rgb_artwork(600)), SLOT_W, SLOT_H)
    assert report.ok and "artwork.resampled" in _codes(report.notes)
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        assert abs(stored.width - _pixels_for(300)[0]) <= 1


def test_a_wrong_aspect_warns_about_white_space() -> None:
    _, h = _pixels_for(300)
    square = Image.new("RGB", (h, h), (0, 0, 0))
    report = check_artwork(_png(square), SLOT_W, SLOT_H)
    assert report.ok
    assert "artwork.aspect" in _codes(report.warnings)
    assert report.white_percent > 40
    assert report.drawn_pt is not None and abs(report.drawn_pt[1] - SLOT_H) < 0.01


def test_a_near_fit_does_not_warn() -> None:
    w, h = _pixels_for(300)
    report = check_artwork(_png(Image.new("RGB", (w, round(h * 0.97)), "white")), SLOT_W, SLOT_H)
    assert report.ok and "artwork.aspect" not in _codes(report.warnings)


# --- colour ---------------------------------------------------------------------------------


def test_rgb_is_converted_with_black_in_k_only() -> None:
    report = check_artwork(_png(_rgb_artwork()), SLOT_W, SLOT_H)
    assert report.colour == "rgb→cmyk"
    assert "artwork.converted_rgb" in _codes(report.notes)
    assert "K" in report.notes[0].render("zh")
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        stored.load()
        w, h = stored.size
        c, m, y, k = stored.getpixel((w // 2, h // 2 + 36))  # in a black bar
        assert k > 240 and max(c, m, y) < 15  # 100 % K, not 300 % CMY rich black
        # The red block (200, 20, 20): its grey component went to K, the rest is M + Y.
        c, m, y, k = stored.getpixel((w // 4, h // 4))
        assert c < 10 and 170 < m < 190 and 170 < y < 190 and 45 < k < 65


def test_grey_stays_in_k() -> None:
    report = check_artwork(_png(Image.new("L", _pixels_for(250), 128)), SLOT_W, SLOT_H)
    assert report.ok and report.colour == "grey→cmyk"
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        c, m, y, k = stored.getpixel((10, 10))
        assert max(c, m, y) < 5 and 110 < k < 145


def test_transparent_png_is_flattened_on_white() -> None:
    image = Image.new("RGBA", _pixels_for(250), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 50, 50), fill=(0, 0, 0, 255))
    report = check_artwork(_png(image), SLOT_W, SLOT_H)
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        assert max(stored.getpixel((300, 300))) < 5  # paper white
        assert stored.getpixel((10, 10))[3] > 240


def test_cmyk_jpeg_is_kept_and_heavy_ink_warned() -> None:
    heavy = Image.new("CMYK", _pixels_for(250), (255, 255, 255, 255))  # 400 % ink
    report = check_artwork(_jpeg(heavy), SLOT_W, SLOT_H)
    assert report.ok and report.colour == "cmyk"
    assert "artwork.ink" in _codes(report.warnings)
    assert not report.notes


def test_the_drawn_page_is_cmyk_only_and_passes_preflight(fonts: FontSet) -> None:
    report = check_artwork(_png(_rgb_artwork()), SLOT_W, SLOT_H)
    placed = place_artwork(report.data or b"", SLOT_W, SLOT_H, report.kind)
    assert isinstance(placed, PlacedArtwork)
    assert (placed.width_pt, placed.height_pt) == (SLOT_W, SLOT_H)
    g = BROADSHEET
    buf = io.BytesIO()
    canvas = new_canvas(buf, g.trim_w, g.trim_h, fonts)
    canvas.setTrimBox((0, 0, g.trim_w, g.trim_h))
    placed.draw(canvas, g.column_x(0), g.trim_h - g.margin_bottom)
    pdf = finish(canvas, buf)
    result = preflight(pdf)
    assert result.ok, result.lines("en")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        images = list(doc.pages[0].images.values())
        assert len(images) == 1
        assert images[0].ColorSpace == pikepdf.Name.DeviceCMYK
        assert pikepdf.Name.DCTDecode in list(images[0].Filter)
    assert "广告" in pdf_text(pdf)


def pdf_text(pdf: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[0].extract_text() or ""


def test_place_artwork_never_puts_rgb_on_the_page() -> None:
    # A stored file that is somehow RGB (an older upload) is still converted when drawn.
    placed = place_artwork(_png(_rgb_artwork()), SLOT_W, SLOT_H, "png")
    with Image.open(io.BytesIO(placed.data)) as im:
        assert im.mode == "CMYK"
    assert preflight(proof_pdf(placed)).ok


def test_place_artwork_refuses_garbage_with_value_error() -> None:
    with pytest.raises(ValueError):
        place_artwork(b"not an image", SLOT_W, SLOT_H, "jpeg")
    with pytest.raises(ValueError):
        place_artwork(_jpeg(_rgb_artwork()), SLOT_W, SLOT_H, "gif")


def test_artwork_is_centred_in_the_slot() -> None:
    _, h = _pixels_for(300)
    square = place_artwork(_jpeg(Image.new("RGB", (h, h), "black")), SLOT_W, SLOT_H, "jpeg")
    assert abs(square.image_h_pt - SLOT_H) < 0.01 and abs(square.image_w_pt - SLOT_H) < 0.01


# --- PDFs -----------------------------------------------------------------------------------


def _pdf(
    fonts: FontSet,
    draw: Callable[[Canvas], None],
    pages: int = 1,
    size: tuple[float, float] = (SLOT_W, SLOT_H),
    cmyk: bool = True,
) -> bytes:
    buf = io.BytesIO()
    canvas = new_canvas(buf, *size, fonts) if cmyk else Canvas(buf, pagesize=size, invariant=1)
    for n in range(pages):
        if n:
            canvas.showPage()
        draw(canvas)
    return finish(canvas, buf)


def _cmyk_ad(canvas: Canvas) -> None:
    canvas.setFillColor(CMYKColor(0, 1, 1, 0))
    canvas.rect(20, 20, 200, 100, stroke=0, fill=1)
    canvas.setFillColor(CMYKColor(0, 0, 0, 1))
    canvas.setFont(canvas._fontname, 24)
    canvas.drawString(20, 200, "淄博旅游 广告作品")


def test_a_cmyk_pdf_is_accepted_as_is_and_drawn_as_vector(fonts: FontSet) -> None:
    data = _pdf(fonts, _cmyk_ad)
    report = check_artwork(data, SLOT_W, SLOT_H)
    assert report.ok, [m.render("en") for m in report.errors]
    assert report.source == "pdf" and report.kind == "pdf"
    assert report.data == data  # stored as it is
    assert "artwork.pdf_vector" in _codes(report.notes)
    placed = place_artwork(data, SLOT_W, SLOT_H, "pdf")
    proof = proof_pdf(placed)
    assert preflight(proof).ok
    # Text is still text (in the artwork's own embedded font) and the red is still exactly M+Y.
    assert "淄博旅游" in pdf_text(proof)
    with pikepdf.open(io.BytesIO(proof)) as doc:
        forms = [x for _, x in doc.pages[0].Resources.XObject.items() if x.Subtype == pikepdf.Name.Form]
        assert len(forms) == 1
        assert b"0 1 1 0 k" in forms[0].read_bytes()


def test_a_rotated_pdf_page_is_placed_upright(fonts: FontSet) -> None:
    def tall(canvas: Canvas) -> None:
        canvas.setFillColor(CMYKColor(0, 0, 0, 1))
        canvas.rect(0, 0, 100, 20, stroke=0, fill=1)  # a bar along the unrotated page's bottom

    data = _pdf(fonts, tall, size=(100, 300))
    with pikepdf.open(io.BytesIO(data)) as doc:
        doc.pages[0].Rotate = 90
        out = io.BytesIO()
        doc.save(out)
    placed = place_artwork(out.getvalue(), 300, 100, "pdf", mark=False)
    # Shown rotated, the 100 × 300 page is 300 × 100: it fills the slot exactly.
    assert abs(placed.image_w_pt - 300) < 0.01 and abs(placed.image_h_pt - 100) < 0.01
    from print.raster import pdf_to_png

    with Image.open(io.BytesIO(pdf_to_png(proof_pdf(placed, margin_pt=0), dpi=72))) as im:
        grey = im.convert("L")
        assert grey.getpixel((10, 50)) < 60  # the bar now runs down the left edge
        assert grey.getpixel((150, 50)) > 200


def test_one_artwork_drawn_twice_is_embedded_once(fonts: FontSet) -> None:
    data = _pdf(fonts, _cmyk_ad)
    placed = place_artwork(data, SLOT_W, SLOT_H, "pdf")
    buf = io.BytesIO()
    canvas = new_canvas(buf, 2 * SLOT_W, 2 * SLOT_H, fonts)
    placed.draw(canvas, 0, 2 * SLOT_H)
    placed.draw(canvas, SLOT_W, SLOT_H)
    pdf = finish(canvas, buf)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages[0].Resources.XObject) == 1
    assert pdf_text(pdf).count("淄博旅游") == 2


def test_place_artwork_accepts_a_stored_pdf(fonts: FontSet) -> None:
    placed = place_artwork(_pdf(fonts, _cmyk_ad), SLOT_W, SLOT_H, "pdf")
    assert placed.kind == "pdf"
    assert (placed.width_pt, placed.height_pt) == (SLOT_W, SLOT_H)


def test_a_two_page_pdf_is_refused(fonts: FontSet) -> None:
    report = check_artwork(_pdf(fonts, _cmyk_ad, pages=2), SLOT_W, SLOT_H)
    assert _codes(report.errors) == {"artwork.pdf_pages"}
    assert "2" in report.errors[0].render("zh")


def test_an_encrypted_pdf_is_refused(fonts: FontSet) -> None:
    plain = _pdf(fonts, _cmyk_ad)
    for encryption in (
        pikepdf.Encryption(owner="owner", user="user"),  # cannot even be opened
        pikepdf.Encryption(owner="owner", user=""),  # opens, but is encrypted
    ):
        out = io.BytesIO()
        with pikepdf.open(io.BytesIO(plain)) as doc:
            doc.save(out, encryption=encryption)
        report = check_artwork(out.getvalue(), SLOT_W, SLOT_H)
        assert _codes(report.errors) == {"artwork.pdf_encrypted"}


def test_a_pdf_with_javascript_is_refused(fonts: FontSet) -> None:
    plain = _pdf(fonts, _cmyk_ad)
    variants = []
    with pikepdf.open(io.BytesIO(plain)) as doc:
        doc.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        out = io.BytesIO()
        doc.save(out)
        variants.append(out.getvalue())
    with pikepdf.open(io.BytesIO(plain)) as doc:
        action = doc.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x()")))
        doc.pages[0].obj.AA = pikepdf.Dictionary(O=action)  # page-open action, indirect
        out = io.BytesIO()
        doc.save(out)
        variants.append(out.getvalue())
    for data in variants:
        assert _codes(check_artwork(data, SLOT_W, SLOT_H).errors) == {"artwork.pdf_javascript"}


def test_an_rgb_pdf_is_refused_not_converted(fonts: FontSet) -> None:
    def rgb(canvas: Canvas) -> None:
        canvas.setFillColorRGB(1, 0, 0)
        canvas.rect(20, 20, 200, 100, stroke=0, fill=1)

    report = check_artwork(_pdf(fonts, rgb, cmyk=False), SLOT_W, SLOT_H)
    assert "artwork.pdf_rgb" in _codes(report.errors)
    assert report.data is None


def test_a_pdf_with_unembedded_fonts_is_refused(fonts: FontSet) -> None:
    def helvetica(canvas: Canvas) -> None:
        canvas.setFillColor(CMYKColor(0, 0, 0, 1))
        canvas.setFont("Helvetica", 20)
        canvas.drawString(20, 100, "Visit Zibo")

    report = check_artwork(_pdf(fonts, helvetica, cmyk=False), SLOT_W, SLOT_H)
    assert "artwork.pdf_fonts" in _codes(report.errors)
    assert "Helvetica" in report.errors[0].render("en")


def test_images_inside_a_pdf_are_judged_at_the_booked_size(fonts: FontSet) -> None:
    # A 100 × 55 pt PDF carrying a 1000 px wide photo: 720 ppi as drawn, but blown up to a
    # 488 pt slot it is only 147 ppi.
    photo = io.BytesIO()
    Image.new("CMYK", (1000, 550), (0, 80, 200, 0)).save(photo, "JPEG")

    def small(canvas: Canvas) -> None:
        canvas.drawImage(ImageReader(io.BytesIO(photo.getvalue())), 0, 0, 100, 55)

    data = _pdf(fonts, small, size=(100, 55))
    assert check_artwork(data, 100, 55).ok
    report = check_artwork(data, SLOT_W, SLOT_W * 0.55)
    assert _codes(report.errors) == {"artwork.low_ppi"}
    assert report.ppi is not None and 140 < report.ppi < 150


def test_small_text_in_a_pdf_shrunk_into_the_slot_is_refused(fonts: FontSet) -> None:
    def big_page(canvas: Canvas) -> None:
        canvas.setFillColor(CMYKColor(0, 0, 0, 1))
        canvas.setFont(canvas._fontname, 9)
        canvas.drawString(20, 20, "九磅的小字缩小后就看不清了")

    # A full A4-ish page (595 pt wide) squeezed into a 163 pt slot: 9 pt text becomes 2.5 pt.
    report = check_artwork(_pdf(fonts, big_page, size=(595, 842)), SLOT_W / 3, SLOT_H * 2)
    assert _codes(report.errors) == {"artwork.pdf_preflight"}
    assert "按所订尺寸" in report.errors[0].render("zh")


def test_a_damaged_pdf_is_refused() -> None:
    report = check_artwork(b"%PDF-1.7\n1 0 obj <</Type /Catalog>>\ntrailer garbage", SLOT_W, SLOT_H)
    assert not report.ok
    assert report.errors
