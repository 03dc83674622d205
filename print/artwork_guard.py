"""Bounds on an uploaded PDF before anything interprets it: decoded stream sizes and operator counts.

A few hundred kilobytes of Flate can inflate to gigabytes (zlib reaches about 1000:1 on a run of
spaces), and qpdf, preflight and pdfium all decode a stream whole. So the file is measured first,
in two passes, neither of which ever holds more than one `CHUNK` of inflated data per filter:

1. Raw bytes (`check_streams`): every ``stream … endstream`` body in the file, whatever object it
   belongs to, is decoded through its filters chunk by chunk (``zlib.decompressobj`` with
   ``max_length``) and only counted. This runs before qpdf opens the file, because qpdf inflates
   cross-reference streams on opening and a whole object stream as soon as one object in it is
   read; both are bodies this pass has already measured.
2. Drawing (`check_drawing`, on the opened file): the page's content streams and every form
   XObject, pattern and Type 3 glyph are decoded again (bounded) and counted with a tokenizer
   that stops at the limit. A form drawn n times costs n times its operators, so forms that draw
   forms ten times over (a "billion laughs") are refused too. Images are refused when their
   declared size is over the pixel limit; their pixels are never decoded here.

Image codecs (DCT, JPX, CCITT, JBIG2) end the decoding: what they hold is bounded by the image's
declared size, checked in pass 2. Known limits: a /Filter given as an indirect reference is read
as Flate in pass 1 (pass 2 reads it properly for content streams); predictors are not undone
(they change sizes by one byte a row); a tiling pattern is counted once, not per tile.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf

from notices_app.rules.messages import Message, msg

CHUNK = 1 << 20  # bytes inflated per step


@dataclass(frozen=True)
class StreamLimits:
    """What a PDF may hold once decoded. The defaults are far above any real ad (tens of
    thousands of operators, a few MB of content) and far below what costs seconds to read."""

    max_decoded_bytes: int = 160 * 1024 * 1024  # all streams together (a full-page CMYK image: 94 MB)
    max_content_bytes: int = 8 * 1024 * 1024  # content streams together (page, forms, glyphs)
    # As drawn: a form drawn n times counts n times. Preflight reads about 80,000 operators a second
    # on the 2-core machine, so the limit keeps an accepted file's check near a second.
    max_operators: int = 100_000
    max_image_pixels: int = 60_000_000


class StreamRefused(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}"


def _too_big(limit: int) -> StreamRefused:
    return StreamRefused(
        msg(
            "artwork.pdf_bomb",
            "PDF 中的压缩数据解压后超过 {max} MB（疑似“解压炸弹”），已拒收；请重新导出印刷用 PDF。",
            "The PDF's compressed data inflates to more than {max} MB (a decompression bomb); "
            "refused: export the print PDF again.",
            max=_mb(limit),
        )
    )


def _too_complex(what_zh: str, what_en: str, limit: str) -> StreamRefused:
    return StreamRefused(
        msg(
            "artwork.pdf_complex",
            "PDF 页面内容过于复杂（{what_zh}超过 {max}），无法检查和印刷；请合并图层或转为图片后重新导出。",
            "The PDF page is too complex to check and print ({what_en} over {max}); flatten it or "
            "export it as an image.",
            what_zh=what_zh,
            what_en=what_en,
            max=limit,
        )
    )


# --- decoding in bounded chunks ----------------------------------------------------------------


def _flate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    d = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = chunk
            while data and not d.eof:
                out = d.decompress(data, CHUNK)
                if out:
                    yield out
                data = d.unconsumed_tail
            if d.eof:
                return
        while not d.eof:  # input used up; what zlib still holds
            out = d.decompress(b"", CHUNK)
            if not out:
                break
            yield out
    except zlib.error:
        return  # damaged data: readers stop here too


_HEX_JUNK = re.compile(rb"[^0-9A-Fa-f]")


def _ascii_hex(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        end = chunk.find(b">")
        digits = carry + _HEX_JUNK.sub(b"", chunk if end < 0 else chunk[:end])
        even = len(digits) & ~1
        yield bytes.fromhex(digits[:even].decode())
        carry = digits[even:]
        if end >= 0:
            break
    if carry:
        yield bytes.fromhex((carry + b"0").decode())


_A85_JUNK = re.compile(rb"[^!-uz]")
_A85_GROUPS = re.compile(rb"(?:z|[!-u]{5})*")


def _ascii85(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        end = chunk.find(b"~")
        text = carry + _A85_JUNK.sub(b"", chunk if end < 0 else chunk[:end])
        # 'z' stands for a whole group: cut after whole groups only.
        cut = _A85_GROUPS.match(text).end()  # type: ignore[union-attr]
        try:
            yield base64.a85decode(text[:cut])
        except ValueError:
            return
        carry = text[cut:]
        if end >= 0:
            break
    if carry:
        try:
            yield base64.a85decode(carry + b"u" * (5 - len(carry) % 5))[: len(carry) - 1]
        except ValueError:
            return


def _run_length(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        out = bytearray()
        i = 0
        while i < len(data):
            n = data[i]
            if n == 128:
                yield bytes(out)
                return
            if n < 128:
                if i + 1 + n + 1 > len(data):
                    break
                out += data[i + 1 : i + 2 + n]
                i += n + 2
            else:
                if i + 1 >= len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        pending = data[i:]
        yield bytes(out)


def _lzw(chunks: Iterable[bytes], early: int = 1) -> Iterator[bytes]:
    table: list[bytes] = []
    prev = b""
    bits, value, width = 0, 0, 9
    out = bytearray()

    def reset() -> None:
        nonlocal table, prev, width
        table = [bytes((i,)) for i in range(256)] + [b"", b""]
        prev, width = b"", 9

    reset()
    for chunk in chunks:
        for byte in chunk:
            value = (value << 8) | byte
            bits += 8
            while bits >= width:
                bits -= width
                code = (value >> bits) & ((1 << width) - 1)
                value &= (1 << bits) - 1
                if code == 256:
                    reset()
                    continue
                if code == 257:
                    yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                elif prev:
                    entry = prev + prev[:1]
                else:
                    yield bytes(out)
                    return  # damaged
                out += entry
                if prev and len(table) < 4096:
                    table.append(prev + entry[:1])
                prev = entry
                if len(table) + early >= (1 << width) and width < 12:
                    width += 1
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
    yield bytes(out)


_DECODERS = {
    "/FlateDecode": _flate,
    "/Fl": _flate,
    "/ASCIIHexDecode": _ascii_hex,
    "/AHx": _ascii_hex,
    "/ASCII85Decode": _ascii85,
    "/A85": _ascii85,
    "/RunLengthDecode": _run_length,
    "/RL": _run_length,
    "/LZWDecode": _lzw,
    "/LZW": _lzw,
}


def _pieces(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]


def decoded_chunks(raw: bytes, filters: list[str]) -> Iterator[bytes]:
    """The stream's data through `filters`, a chunk at a time; an image codec (or any filter not
    known here) ends the chain and its input is what is yielded."""
    chunks: Iterable[bytes] = _pieces(raw)
    for name in filters:
        decoder = _DECODERS.get(name)
        if decoder is None:
            break
        chunks = decoder(chunks)
    yield from chunks


def _measure(chunks: Iterable[bytes], budget: int, limit: int) -> int:
    """Bytes in `chunks`, stopping (StreamRefused) as soon as they pass `budget`."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > budget:
            raise _too_big(limit)
    return total


# --- pass 1: every stream body in the raw file --------------------------------------------------

_STREAM = re.compile(rb">>[\x00\t\n\x0c\r ]*stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+obj\b")
_FILTER = re.compile(rb"/Filter[\x00\t\n\x0c\r ]*(\[[^\]]*\]|/[^\x00\t\n\x0c\r ()<>\[\]{}/%]+|\d+\s+\d+\s+R)")
_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
_LENGTH = re.compile(rb"/Length[\x00\t\n\x0c\r ]+(\d+)(?![\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R)")


_ENDSTREAM = re.compile(rb"endstream")
# Tried on every stream whatever its dictionary seems to say: a decoy /Filter in a nested
# dictionary, an indirect filter or a fake `endstream` in a string can hide a stream's real
# filter from this raw reading, and the bombs that matter inflate through Flate.
_ALWAYS_TRIED = (
    ("/FlateDecode",),
    ("/ASCIIHexDecode", "/FlateDecode"),
    ("/ASCII85Decode", "/FlateDecode"),
)


def _raw_filter_chains(window: bytes) -> list[tuple[str, ...]]:
    """The filter chains to measure a stream with (its size is the largest of them): each direct
    /Filter in `window`, the bytes since the stream before it, then the Flate-based ones."""
    chains: list[tuple[str, ...]] = []
    for m in _FILTER.finditer(window):
        if not m.group(1).endswith(b"R"):
            chains.append(tuple(n.decode("latin-1") for n in _NAME.findall(m.group(1))))
    return list(dict.fromkeys([*chains, *_ALWAYS_TRIED]))


def check_streams(data: bytes, limits: StreamLimits) -> int:
    """Decoded bytes of all stream bodies of a raw PDF file; StreamRefused over the limit."""
    total = 0
    for m in _STREAM.finditer(data):
        start = m.end()
        head_from = max(0, m.start() - 65536)
        heads = list(_OBJ.finditer(data, head_from, m.start()))
        head = data[heads[-1].end() if heads else head_from : m.start()]
        end = data.find(b"endstream", start)
        end = len(data) if end < 0 else end
        length = _LENGTH.search(head)
        if length is not None and start + int(length.group(1)) <= len(data):
            end = max(end, start + int(length.group(1)))  # the longer reading: an upper bound
        raw = data[start:end]
        before = [e.end() for e in _ENDSTREAM.finditer(data, head_from, m.start())]
        budget = limits.max_decoded_bytes - total
        size = max(
            _measure(decoded_chunks(raw, list(chain)), budget, limits.max_decoded_bytes)
            for chain in _raw_filter_chains(data[before[-1] if before else head_from : m.start()])
        )
        total += size
    return total


# --- pass 2: what the page draws --------------------------------------------------------------

_WS = rb"\x00\t\n\x0c\r "
_REGULAR = rb"[^" + _WS + rb"()<>\[\]{}/%]"
# One match per string, comment, dictionary opening, hex string, name or operator. Every match
# begins with one of a few characters, so the regex engine skips numbers, whitespace and array
# brackets by itself, without Python; lookbehinds then tell which kind the first character began.
_LEX = re.compile(
    rb"[(%</A-Za-z'\"]"
    rb"(?:(?<=\()((?:[^()\\]++|\\.)*+\))"  # 1: the rest of a string without nested parentheses
    rb"|(?<=\()()"  # 2: a string with nested ones
    rb"|(?<=%)[^\r\n]*+"  # a comment
    rb"|(?<=<)(?:<|[^<>]*+>)?"  # a dictionary opening or a hex string
    rb"|(?<=/)(" + _REGULAR + rb"*+)(?:[" + _WS + rb"]*+Do(?!" + _REGULAR + rb")())?"  # 3: a name, 4: Do
    rb"|(?<![^" + _WS + rb"()<>\[\]{}][A-Za-z'\"])(" + _REGULAR + rb"*+))"  # 5: an operator
)
_PAREN = re.compile(rb"(?:[^()\\]++|\\.)*+([()])", re.DOTALL)
_INLINE_DATA = re.compile(rb"[" + _WS + rb"]ID[" + _WS + rb"]")
_INLINE_END = re.compile(rb"[" + _WS + rb"]EI(?!" + _REGULAR + rb")")


@dataclass
class _Counted:
    operators: int
    forms: dict[str, int]  # /Name → times drawn with Do


def count_operators(data: bytes, limit: int) -> _Counted:
    """Operators in a content stream and the forms it draws; stops once past `limit`.

    Every string, name, comment and operator found costs one step, and no input gets more than
    4 × `limit` steps (a stream of nothing but empty strings is refused as too complex too).
    """
    ops = 0
    steps = 0
    max_steps = 4 * limit + 1000
    forms: dict[str, int] = {}
    pos = 0
    search = _LEX.search
    while steps <= max_steps:
        m = search(data, pos)
        if m is None:
            break
        pos = m.end()
        steps += 1
        group = m.lastindex
        if group == 5 or group == 4:
            ops += 1
            if ops > limit:
                break
            if group == 4:
                name = m.group(3).decode("latin-1")
                forms[name] = forms.get(name, 0) + 1
            elif m.group(0) == b"BI":
                start = _INLINE_DATA.search(data, pos - 1)
                end = _INLINE_END.search(data, start.end() - 1) if start else None
                pos = end.end() if end else len(data)
        elif group == 2:
            depth = 1
            while depth and steps <= max_steps:
                p = _PAREN.match(data, pos)
                if p is None:
                    pos = len(data)
                    break
                steps += 1
                pos = p.end()
                depth += 1 if data[pos - 1] == 0x28 else -1
    if steps > max_steps:
        ops = max(ops, limit + 1)
    return _Counted(ops, forms)


def _filters_of(stream: pikepdf.Object) -> list[str]:
    f = stream.get("/Filter")
    if isinstance(f, pikepdf.Name):
        return [str(f)]
    if isinstance(f, pikepdf.Array):
        return [str(v) for v in f if isinstance(v, pikepdf.Name)]
    return []


class _Drawing:
    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self.content_bytes = 0
        self.counted: dict[tuple[int, int], _Counted] = {}
        self.cost: dict[tuple[tuple[int, int], tuple[int, int] | None], int] = {}

    def decoded(self, stream: pikepdf.Object) -> bytes:
        budget = self.limits.max_content_bytes - self.content_bytes
        parts: list[bytes] = []
        size = 0
        for chunk in decoded_chunks(stream.read_raw_bytes(), _filters_of(stream)):
            size += len(chunk)
            if size > budget:
                raise _too_complex("内容数据", "content data", f"{_mb(self.limits.max_content_bytes)} MB")
            parts.append(chunk)
        self.content_bytes += size
        return b"".join(parts)

    def count(self, stream: pikepdf.Object) -> _Counted:
        key = stream.objgen
        known = self.counted.get(key) if key != (0, 0) else None
        if known is None:
            known = count_operators(self.decoded(stream), self.limits.max_operators)
            if key != (0, 0):
                self.counted[key] = known
        return known

    def drawn(self, counted: _Counted, resources: Any, stack: tuple[tuple[int, int], ...]) -> int:
        """Operators run when `counted` is drawn with `resources`: its own, and each form's as often
        as it is drawn (saturating just above the limit)."""
        cap = self.limits.max_operators + 1
        total = counted.operators
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            return min(total, cap)
        for name, times in counted.forms.items():
            form = xobjects.get("/" + name)
            if not isinstance(form, pikepdf.Stream) or form.get("/Subtype") != pikepdf.Name.Form:
                continue
            if form.objgen in stack or len(stack) > 32:
                continue  # drawing itself: readers stop there
            inner = form.get("/Resources", resources)
            res_key = inner.objgen if isinstance(inner, pikepdf.Object) and inner.is_indirect else None
            key = (form.objgen, res_key)
            cost = self.cost.get(key)
            if cost is None:
                cost = self.drawn(self.count(form), inner, (*stack, form.objgen))
                self.cost[key] = cost
            total += times * cost
            if total >= cap:
                return cap
        return total


def _page_resources(page: pikepdf.Object) -> Any:
    node: Any = page
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if "/Resources" in node:
            return node.get("/Resources")
        node = node.get("/Parent")
    return None


def check_drawing(pdf: pikepdf.Pdf, limits: StreamLimits) -> int:
    """Operators the first page runs when drawn (forms counted each time they are drawn), plus
    those of patterns and Type 3 glyphs; StreamRefused over the limits. Images over the pixel
    limit are refused from their declared size."""
    drawing = _Drawing(limits)
    page = pdf.pages[0].obj
    contents = page.get("/Contents")
    streams = (
        [] if contents is None else list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    )
    ops = 0
    forms: dict[str, int] = {}
    for s in streams:
        if isinstance(s, pikepdf.Stream):
            counted = drawing.count(s)
            ops += counted.operators
            for name, n in counted.forms.items():
                forms[name] = forms.get(name, 0) + n
    total = drawing.drawn(_Counted(ops, forms), _page_resources(page), ())
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image:
            w, h = obj.get("/Width", 0), obj.get("/Height", 0)
            if isinstance(w, int) and isinstance(h, int) and w * h > limits.max_image_pixels:
                raise StreamRefused(
                    msg(
                        "artwork.pixels",
                        "图片像素过多（{size}），最多 {max} 百万像素。",
                        "The image has too many pixels ({size}); at most {max} megapixels.",
                        size=f"{w}×{h}",
                        max=limits.max_image_pixels // 1_000_000,
                    )
                )
        elif (obj.get("/Subtype") == pikepdf.Name.Form or obj.get("/PatternType") == 1) and (
            obj.objgen not in drawing.counted
        ):
            total += drawing.count(obj).operators  # forms the page does not draw, tiling cells
        if total > limits.max_operators:
            break
    for obj in pdf.objects:
        if total > limits.max_operators:
            break
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == pikepdf.Name.Type3:
            procs = obj.get("/CharProcs")
            if isinstance(procs, pikepdf.Dictionary):
                for _, proc in procs.items():
                    if isinstance(proc, pikepdf.Stream) and proc.objgen not in drawing.counted:
                        total += drawing.count(proc).operators
    if total > limits.max_operators:
        raise _too_complex("绘图指令", "drawing operators", f"{limits.max_operators:,}")
    return total
