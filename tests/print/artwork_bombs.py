"""Artwork decompression bombs, made small and fast, and a child process that times one check.

Each bomb is generated without ever holding its inflated form: a deflate block for one chunk is
made once and repeated (after a full flush a block does not depend on what came before), and
the zlib trailer's Adler-32 is carried over the repeats. So a 500 MB stream of spaces costs a
megabyte and a few milliseconds to write.

`measure(data, width_pt, height_pt)` runs `check_artwork` on the bytes in a fresh interpreter
(`python artwork_bombs.py FILE W H`) after a warm-up check, and reads the child's own peak RSS
(VmHWM, reset to the current RSS just before the check) so neither the generator nor the test
process's own memory is counted. `bench/artwork_bombs.py` runs the corpus through it.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# The quarter-page-like slot of test_artwork.py: 3 columns × 20 lines (488.65 × 270 pt).
SLOT_W = 488.6535433070866
SLOT_H = 270.0


def repeated_zlib(chunk: bytes, times: int, tail: bytes = b"") -> bytes:
    """zlib data that inflates to `chunk` × `times` + `tail`, built from one compressed block."""
    c = zlib.compressobj(9)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    rest = c.compress(tail) + c.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(times):
        adler = zlib.adler32(chunk, adler)
    adler = zlib.adler32(tail, adler)
    # b"\x03\x00": an empty final fixed-Huffman block, then the Adler-32 of everything.
    return first + block * (times - 1) + rest + b"\x03\x00" + struct.pack(">I", adler)


def pdf_file(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a classic cross-reference table; `objects[i]` is object i + 1."""
    out = bytearray(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def stream(body: bytes, extra: bytes = b"", flate: bool = True) -> bytes:
    f = b" /Filter /FlateDecode" if flate else b""
    return b"<< /Length %d%s %s >>\nstream\n" % (len(body), f, extra) + body + b"\nendstream"


def one_page(content: bytes, resources: bytes = b"<< >>", more: list[bytes] | None = None) -> bytes:
    """A one-page PDF of the slot's shape whose page draws `content` (already encoded)."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources %s /Contents 4 0 R >>" % (
        SLOT_W,
        SLOT_H,
        resources,
    )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            content,
            *(more or []),
        ]
    )


def content_bomb(megabytes: int = 46) -> bytes:
    """46 MB of ordinary CMYK drawing operators (black squares) in a ~50 KB file."""
    op = b"0 0 0 1 k 10 10 50 50 re f\n"
    chunk = op * ((1 << 20) // len(op))
    return one_page(stream(repeated_zlib(chunk, megabytes)))


def spaces_bomb(megabytes: int = 500) -> bytes:
    """One black square after 500 MB of spaces, in a ~500 KB file."""
    body = repeated_zlib(b" " * (1 << 20), megabytes, b"0 0 0 1 k 10 10 50 50 re f\n")
    return one_page(stream(body))


def form_bomb(levels: int = 8, fan: int = 10) -> bytes:
    """Forms that each draw the next one `fan` times: 10^8 squares from a 2 KB file."""
    objects = []
    first = 5
    for level in range(levels):
        n = first + level
        if level == levels - 1:
            body = b"0 0 0 1 k 10 10 50 50 re f\n" * fan
            res = b"<< >>"
        else:
            body = b"/F Do\n" * fan
            res = b"<< /XObject << /F %d 0 R >> >>" % (n + 1)
        extra = b"/Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Resources %s" % (SLOT_W, SLOT_H, res)
        objects.append(stream(body, extra, flate=False))
    return one_page(stream(b"/F Do\n", flate=False), b"<< /XObject << /F %d 0 R >> >>" % first, objects)


def image_bomb(width: int = 8000, height: int = 7000) -> bytes:
    """A CMYK image of 56 MP (under the 60 MP limit) whose zeros inflate to 224 MB."""
    row = b"\0" * (width * 4)
    data = repeated_zlib(row * 8, height // 8)
    image = stream(
        data,
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceCMYK /BitsPerComponent 8"
        % (width, height),
    )
    content = b"q %.2f 0 0 %.2f 0 0 cm /Im Do Q\n" % (SLOT_W, SLOT_H)
    return one_page(stream(content, flate=False), b"<< /XObject << /Im 5 0 R >> >>", [image])


def object_stream_bomb(megabytes: int = 300) -> bytes:
    """An object stream (qpdf inflates it whole as soon as any object in it is read) holding
    the document information dictionary after 300 MB of spaces."""
    # The offsets table "5 0 " comes first in the inflated data, then the spaces, then the object.
    data = _objstm_zlib(b"5 0 ", megabytes)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents 4 0 R >>" % (SLOT_W, SLOT_H),
        stream(b"0 0 0 1 k 10 10 50 50 re f\n", flate=False),
    ]
    return _with_xref_stream(objects, data)


def _objstm_zlib(first: bytes, megabytes: int) -> bytes:
    c = zlib.compressobj(9)
    head = c.compress(first) + c.flush(zlib.Z_FULL_FLUSH)
    chunk = b" " * (1 << 20)
    block0 = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = b"<< /Producer (x) >>"
    end = c.compress(tail) + c.flush(zlib.Z_FULL_FLUSH)
    adler = zlib.adler32(first)
    for _ in range(megabytes):
        adler = zlib.adler32(chunk, adler)
    adler = zlib.adler32(tail, adler)
    return head + block0 + block * (megabytes - 1) + end + b"\x03\x00" + struct.pack(">I", adler)


def _with_xref_stream(
    objects: list[bytes],
    objstm_data: bytes,
    objstm_filter: bytes = b"/Filter /FlateDecode",
    object_8: bytes | None = None,
) -> bytes:
    """Objects 1-4 in the body, object 5 inside object stream 6, a cross-reference stream 7
    (and object 8 after it, when given)."""
    out = bytearray(b"%PDF-1.6\n")
    offsets = {}
    for n, body in enumerate(objects, 1):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    offsets[6] = len(out)
    out += (
        b"6 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length %d %s >>\nstream\n"
        % (len(objstm_data), objstm_filter)
        + objstm_data
        + b"\nendstream\nendobj\n"
    )
    if object_8 is not None:
        offsets[8] = len(out)
        out += b"8 0 obj\n" + object_8 + b"\nendobj\n"
    size = 9 if object_8 is not None else 8
    offsets[7] = len(out)
    rows = struct.pack(">BIH", 0, 0, 65535)
    for n in range(1, size):
        rows += struct.pack(">BIH", 2, 6, 0) if n == 5 else struct.pack(">BIH", 1, offsets[n], 0)
    out += (
        b"7 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Info 5 0 R /Length %d >>\nstream\n"
        % (size, len(rows))
        + rows
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[7]
    )
    return bytes(out)


def _hidden_objstm_bomb(objstm_filter: bytes, object_8: bytes | None = None, megabytes: int = 200) -> bytes:
    """The object-stream bomb hex-encoded, its real filter hidden from a raw reading (review
    finding: a decoy /Filter in a nested dictionary, or an indirect one)."""
    data = _objstm_zlib(b"5 0 ", megabytes).hex().encode() + b">"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents 4 0 R >>" % (SLOT_W, SLOT_H),
        stream(b"0 0 0 1 k 10 10 50 50 re f\n", flate=False),
    ]
    return _with_xref_stream(objects, data, objstm_filter, object_8)


def decoy_filter_bomb() -> bytes:
    return _hidden_objstm_bomb(b"/X << /Filter /FlateDecode >> /Filter [/ASCIIHexDecode /FlateDecode]")


def indirect_filter_bomb() -> bytes:
    return _hidden_objstm_bomb(b"/Filter 8 0 R", b"[/ASCIIHexDecode /FlateDecode]")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, row: bytes | None = None) -> bytes:
    """A real RGB PNG of white rows (or `row`), every row stored, compressed as one block repeated."""
    row = row if row is not None else b"\0" + b"\xff" * (3 * width)
    idat = repeated_zlib(row, height)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    parts = [_png_chunk(b"IHDR", ihdr)]
    parts += [_png_chunk(b"IDAT", idat[i : i + (1 << 20)]) for i in range(0, len(idat), 1 << 20)]
    return b"\x89PNG\r\n\x1a\n" + b"".join(parts) + _png_chunk(b"IEND", b"")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` × `height` (only one row of data follows)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (1 + 3 * min(width, 4096)), 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def strip_png() -> bytes:
    """The 60,000 × 1,000 strip of the issue: exactly 60 MP, ~175 KB."""
    return png(60_000, 1_000)


def pixel_png() -> bytes:
    """Slot-shaped, 55 MP (under the 60 MP limit): 24 times what the slot needs at 300 ppi."""
    return png(10_000, 5_525)


@dataclass(frozen=True)
class Bomb:
    name: str
    make: Callable[[], bytes]
    what: str


CORPUS: tuple[Bomb, ...] = (
    Bomb("pdf_operators", content_bomb, "content stream inflating to 46 MB of operators"),
    Bomb("pdf_spaces", spaces_bomb, "content stream inflating to 500 MB of spaces"),
    Bomb("pdf_forms", form_bomb, "forms drawing forms: 10^8 operators as drawn"),
    Bomb("pdf_image", image_bomb, "8000×7000 CMYK image, 224 MB inflated"),
    Bomb("pdf_object_stream", object_stream_bomb, "object stream inflating to 300 MB"),
    Bomb("pdf_decoy_filter", decoy_filter_bomb, "object stream behind a decoy /Filter, 200 MB"),
    Bomb("pdf_indirect_filter", indirect_filter_bomb, "object stream behind an indirect /Filter, 200 MB"),
    Bomb("png_dimensions", lambda: png_claiming(100_000, 100_000), "PNG header claiming 10^10 pixels"),
    Bomb("png_strip", strip_png, "60,000 × 1,000 PNG strip"),
    Bomb("png_pixels", pixel_png, "10,000 × 5,525 PNG (55 MP) for a 2.3 MP slot"),
)


def measure(
    data: bytes, width_pt: float = SLOT_W, height_pt: float = SLOT_H, timeout: float = 120
) -> dict[str, Any]:
    """Run check_artwork on `data` in a fresh interpreter: seconds, RSS growth (MB), codes, ok.

    On timeout: {"timeout": True, "seconds": timeout}.
    """
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data)
        f.flush()
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, __file__, f.name, repr(width_pt), repr(height_pt)],
                capture_output=True,
                timeout=timeout,
                cwd=ROOT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"timeout": True, "seconds": timeout, "rss_mb": None, "codes": [], "ok": None}
        if done.returncode != 0:
            raise RuntimeError(f"check process failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        result["wall_seconds"] = time.perf_counter() - started
        result["timeout"] = False
        return result


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _child(path: str, width_pt: float, height_pt: float) -> None:
    sys.path.insert(0, str(ROOT))
    import warnings

    warnings.simplefilter("error")  # as the test suite runs
    from print.artwork import check_artwork

    data = Path(path).read_bytes()
    # Warm up: fonts, preflight and Pillow's plugins load on first use, not per upload.
    check_artwork(png(600, 332), width_pt, height_pt)
    check_artwork(one_page(stream(b"0 0 0 1 k 10 10 50 50 re f\n", flate=False)), width_pt, height_pt)
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        reset = True
    except OSError:
        reset = False
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    report = check_artwork(data, width_pt, height_pt)
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    out = {
        "seconds": seconds,
        "rss_mb": max(0, peak - before) / 1024,
        "hwm_reset": reset,
        "codes": sorted(m.code for m in report.errors),
        "ok": report.ok,
        "message_zh": report.errors[0].render("zh") if report.errors else "",
        "message_en": report.errors[0].render("en") if report.errors else "",
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
