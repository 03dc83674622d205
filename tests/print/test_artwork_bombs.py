"""Decompression bombs and oversized images are refused quickly and cheaply, before anything
decodes them; the bounded decoders and the operator counter agree with the real readers.

Each bomb is checked in a child process (artwork_bombs.measure) so its peak RSS is its own."""

from __future__ import annotations

import base64
import io
import threading
import time
import zlib

import pikepdf
import pytest
from artwork_bombs import CORPUS, SLOT_H, SLOT_W, Bomb, measure, one_page, png, stream
from PIL import Image

import print.artwork as artwork
from print.artwork import ArtworkLimits, check_artwork, place_artwork
from print.artwork_guard import StreamLimits, count_operators, decoded_chunks

MAX_SECONDS = 2.0
MAX_RSS_MB = 200.0


@pytest.mark.parametrize("bomb", CORPUS, ids=[b.name for b in CORPUS])
def test_a_bomb_is_refused_fast_and_small(bomb: Bomb) -> None:
    data = bomb.make()
    assert len(data) < 1024 * 1024  # small files: the point of a bomb
    result = measure(data, timeout=60)
    assert not result["timeout"], f"{bomb.name}: still checking after 60 s"
    assert result["ok"] is False and result["codes"], f"{bomb.name} was accepted"
    assert result["seconds"] < MAX_SECONDS, result
    assert result["rss_mb"] < MAX_RSS_MB, result
    # Chinese first, English on request, as every artwork message.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result["message_zh"])
    assert result["message_en"] and not any("\u4e00" <= ch <= "\u9fff" for ch in result["message_en"])


def test_the_strip_is_refused_for_its_proportions_with_the_size_needed() -> None:
    report = check_artwork(png(6_000, 100), SLOT_W, SLOT_H)
    assert "artwork.aspect_refused" in {m.code for m in report.errors}
    zh = next(m for m in report.errors if m.code == "artwork.aspect_refused").render("zh")
    en = next(m for m in report.errors if m.code == "artwork.aspect_refused").render("en")
    # The slot: 488.65 × 270 pt = 172 × 95 mm, 2037 × 1125 px at 300 ppi.
    assert "172×95 毫米" in zh and "2037×1125 像素" in zh
    assert "172 × 95 mm" in en and "2037 × 1125 pixels at 300 ppi" in en


def test_pixels_far_beyond_the_slot_are_refused_from_the_header() -> None:
    # 20 × what the slot needs at 300 ppi (1350 ppi), in the slot's proportions: 46 MP.
    started = time.perf_counter()
    report = check_artwork(png(round(SLOT_W / 72 * 1350), round(SLOT_H / 72 * 1350)), SLOT_W, SLOT_H)
    assert time.perf_counter() - started < 0.5  # nothing decoded
    assert {m.code for m in report.errors} == {"artwork.oversize"}
    assert report.pixels is not None and report.data is None
    # Under 16 times (1100 ppi) is still fine, and resampled to 300 ppi.
    w, h = SLOT_W / 2, SLOT_H / 2
    ok = check_artwork(png(round(w / 72 * 1100), round(h / 72 * 1100)), w, h)
    assert ok.ok and "artwork.resampled" in {m.code for m in ok.notes}


def test_an_ordinary_photo_fits_even_a_small_slot() -> None:
    photo = io.BytesIO()
    Image.new("RGB", (4000, 2250), (90, 120, 200)).save(photo, "JPEG", quality=80)
    report = check_artwork(photo.getvalue(), SLOT_W / 4, SLOT_H / 4)  # 0.14 MP at 300 ppi
    assert report.ok, [m.render("en") for m in report.errors]
    assert report.pixels == (4000, 2250) and report.drawn_pt is not None
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        # Decoded at 1/4 scale, then brought to exactly 300 ppi at the drawn size.
        assert abs(stored.width - report.drawn_pt[0] / 72 * 300) <= 1


def test_a_fine_progressive_jpeg_is_decoded_at_reduced_scale() -> None:
    photo = io.BytesIO()
    Image.new("RGB", (4074, 2250), (200, 30, 30)).save(photo, "JPEG", progressive=True)
    report = check_artwork(photo.getvalue(), SLOT_W, SLOT_H)
    assert report.ok and report.ppi is not None and 599 < report.ppi < 601
    with Image.open(io.BytesIO(report.data or b"")) as stored:
        assert abs(stored.width - 2036) <= 1


def test_a_turned_jpeg_is_judged_upright() -> None:
    # Stored 1125 × 2037 with EXIF orientation 6 (a quarter turn): upright it fits the slot.
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (1125, 2037), "white").save(buf, "JPEG", exif=exif)
    report = check_artwork(buf.getvalue(), SLOT_W, SLOT_H)
    assert report.ok, [m.render("en") for m in report.errors]
    assert report.pixels == (2037, 1125)


def test_a_complex_but_real_pdf_is_accepted_and_the_limit_counts() -> None:
    content = b"0 0 0 1 k 10 10 50 50 re f\n" * 3000  # 9,000 operators
    data = one_page(stream(zlib.compress(content)))
    assert check_artwork(data, SLOT_W, SLOT_H).ok
    tight = ArtworkLimits(streams=StreamLimits(max_operators=8_999))
    assert {m.code for m in check_artwork(data, SLOT_W, SLOT_H, tight).errors} == {"artwork.pdf_complex"}


def test_a_stored_bomb_fails_the_build_quickly_instead_of_taking_every_build_down() -> None:
    bomb = next(b for b in CORPUS if b.name == "pdf_operators").make()
    started = time.perf_counter()
    with pytest.raises(ValueError, match="too complex"):
        place_artwork(bomb, SLOT_W, SLOT_H, "pdf")
    assert time.perf_counter() - started < MAX_SECONDS


def test_no_more_than_two_checks_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_check(*_: object) -> artwork.ArtworkReport:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return artwork.ArtworkReport(None)

    monkeypatch.setattr(artwork, "_check_image", slow_check)
    threads = [threading.Thread(target=check_artwork, args=(b"x", SLOT_W, SLOT_H)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == artwork.CONCURRENT_CHECKS == 2


# --- the bounded decoders and the counter --------------------------------------------------


def _lzw(data: bytes) -> bytes:
    """PDF LZW (EarlyChange 1), for the decoder test."""
    table = {bytes((i,)): i for i in range(256)}
    out, bits, width, prev = 0, 0, 9, b""
    codes: list[tuple[int, int]] = [(256, 9)]
    for byte in data:
        cur = prev + bytes((byte,))
        if cur in table:
            prev = cur
            continue
        codes.append((table[prev], width))
        table[cur] = len(table) + 2
        # The reader adds its entry one code later, and widens once next + 1 reaches 2^width.
        if len(table) + 2 >= (1 << width) and width < 12:
            width += 1
        if len(table) + 2 >= 4093:  # table nearly full: start again
            codes.append((256, width))
            table = {bytes((i,)): i for i in range(256)}
            width = 9
        prev = bytes((byte,))
    codes.append((table[prev], width))
    if len(table) + 3 >= (1 << width) and width < 12:
        width += 1
    codes.append((257, width))
    buf = bytearray()
    for code, w in codes:
        out = (out << w) | code
        bits += w
        while bits >= 8:
            bits -= 8
            buf.append((out >> bits) & 0xFF)
    if bits:
        buf.append((out << (8 - bits)) & 0xFF)
    return bytes(buf)


@pytest.mark.parametrize(
    ("filters", "encode"),
    [
        (["/FlateDecode"], zlib.compress),
        (["/ASCIIHexDecode"], lambda d: d.hex().encode() + b">"),
        (["/ASCII85Decode"], lambda d: base64.a85encode(d) + b"~>"),
        (["/ASCII85Decode", "/FlateDecode"], lambda d: base64.a85encode(zlib.compress(d)) + b"~>"),
        (["/LZWDecode"], _lzw),
    ],
    ids=["flate", "hex", "a85", "a85+flate", "lzw"],
)
def test_bounded_decoders_read_what_qpdf_reads(filters: list[str], encode: object) -> None:
    data = b"".join(b"%d 0 0 1 k %d %d 10 10 re f\n" % (i % 2, i, i * 7 % 300) for i in range(6_000))
    raw = encode(data)  # type: ignore[operator]
    pdf = pikepdf.new()
    s = pikepdf.Stream(pdf, raw)
    s.Filter = pikepdf.Array([pikepdf.Name(f) for f in filters])
    assert s.read_bytes() == data  # qpdf agrees the encoding is right
    assert b"".join(decoded_chunks(raw, filters)) == data


def test_run_length_decodes() -> None:
    raw = bytes([2]) + b"abc" + bytes([256 - 4]) + b"z" + bytes([128])
    assert b"".join(decoded_chunks(raw, ["/RunLengthDecode"])) == b"abczzzzz"


def test_the_counter_skips_strings_comments_and_inline_images() -> None:
    content = (
        b"q 1 0 0 1 0 0 cm (a(b)c) Tj [(x) -20 (y)] TJ <41 42> Tj % q q q\n"
        b"/F1 12 Tf /Im0 Do /Im0 Do (with % and \\) inside) Tj\n"
        b"BI /W 2 /H 2 /BPC 8 /CS /G ID \x00q Q\x05 EI Q\n"
        b"<< /MCID 0 >> BDC EMC (nested (deep (deeper)) % no comment) Tj T* d0"
    )
    counted = count_operators(content, 1000)
    pdf = pikepdf.new()
    ops = pikepdf.parse_content_stream(pikepdf.Stream(pdf, content))
    assert counted.operators == len(ops) == 16  # qpdf's parser: BI … EI is one instruction
    assert counted.forms == {"Im0": 2}


@pytest.mark.parametrize(
    "content",
    [b"1 " * (4 << 20), b"()" * (4 << 20), b"(" * (8 << 20), b"/a" * (4 << 20), b"(" + b"\\(" * (4 << 20)],
    ids=["numbers", "empty strings", "open parentheses", "names", "escapes"],
)
def test_the_counter_is_quick_on_any_input(content: bytes) -> None:
    started = time.perf_counter()
    count_operators(content, 100_000)
    assert time.perf_counter() - started < 1.0
