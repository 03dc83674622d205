"""Preflight: read a produced print PDF back and list what would go wrong on a newsprint press.

Checks (domain.md, "Print readiness"): fonts not embedded, RGB (or Lab) colour anywhere, total
area coverage over the limit, text and rules under the minimum size for their number of inks,
anything crossing the TrimBox, a page without TrimBox, transparency (PDF/X-1a forbids it) and
images under the minimum effective resolution.

It has to be fast enough to run on every page of every edition, so it does not lay text out the
way pdfplumber does: it tokenizes each content stream once and interprets only the graphics
state a check needs (CTM, colours, line width, clip bounding box, text state and the advances
from the font's /Widths or /W). Content streams with inline images or deeply nested strings are
handed to pikepdf's parser instead. Known limits: the clip is tracked as a bounding box, curves
are bounded by their control points, tiling-pattern cells and Type 3 glyph procedures are not
entered, image pixels are not read (so an image's own ink coverage is not measured), and
vertical writing is measured as horizontal.

Printer's marks: anything that lies entirely outside the BleedBox (crop and registration marks,
slug text) is accepted as a mark and skips the size, width, ink and trim checks; anything else
has to lie inside the TrimBox.
"""

from __future__ import annotations

import io
import math
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pikepdf

from notices_app.rules.messages import Message, msg

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in default user space (pt)

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_EPS = 0.01  # pt: coordinates this close to a box edge count as on it
_INK_EPS = 0.001  # a separation below 0.1 % is no ink
_MAX_FORM_DEPTH = 12


@dataclass(frozen=True)
class PreflightLimits:
    """The printing condition's limits (domain.md; ISOnewspaper26v4 allows 240 % coverage)."""

    max_ink_percent: float = 240.0
    min_text_pt: float = 6.0  # one-colour text
    min_text_multi_pt: float = 10.0  # text in more than one ink, and reversed (no-ink) text
    min_rule_pt: float = 0.5  # one-colour strokes
    min_rule_multi_pt: float = 1.5
    min_image_ppi: float | None = 150.0  # None: do not check image resolution
    allow_bleed: bool = False  # fills and images may run from the trim into the bleed


NEWSPRINT_LIMITS = PreflightLimits()

# Every message the preflight can produce, zh and en; the report picks one per problem.
MESSAGES: dict[str, tuple[str, str]] = {
    "preflight.unreadable": (
        "文件无法读取：{error}",
        "The file cannot be read: {error}",
    ),
    "preflight.no_trimbox": (
        "第{page}页没有裁切框（TrimBox）",
        "Page {page} has no TrimBox",
    ),
    "preflight.font_not_embedded": (
        "第{page}页的字体 {font} 没有嵌入",
        "Font {font} on page {page} is not embedded",
    ),
    "preflight.rgb": (
        "第{page}页的{where_zh}使用了非CMYK颜色（{space}），印刷文件只能用CMYK、灰度或专色",
        "Page {page} uses non-CMYK colour ({space}) for {where_en}; print files must be CMYK, grey or spot only",
    ),
    "preflight.ink_coverage": (
        "第{page}页油墨总量 {coverage:.0f}% 超过上限 {limit:.0f}%",
        "Total ink coverage of {coverage:.0f}% on page {page} exceeds the limit of {limit:.0f}%",
    ),
    "preflight.text_too_small": (
        "第{page}页有 {size:.1f} 磅的{colour_zh}文字，最小应为 {minimum:g} 磅",
        "Page {page} has {colour_en} text of {size:.1f} pt; the minimum is {minimum:g} pt",
    ),
    "preflight.rule_too_thin": (
        "第{page}页有 {width:.2f} 磅的{colour_zh}线条，最细应为 {minimum:g} 磅",
        "Page {page} has a {colour_en} rule of {width:.2f} pt; the minimum is {minimum:g} pt",
    ),
    "preflight.outside_trim": (
        "第{page}页有{what_zh}超出裁切线",
        "Page {page}: {what_en} crosses the trim edge",
    ),
    "preflight.transparency": (
        "第{page}页使用了透明效果（{what}），PDF/X-1a 不允许透明",
        "Page {page} uses transparency ({what}), which PDF/X-1a does not allow",
    ),
    "preflight.image_resolution": (
        "第{page}页图片的有效分辨率只有 {ppi:.0f} ppi，最低应为 {minimum:.0f} ppi",
        "An image on page {page} has an effective resolution of {ppi:.0f} ppi; the minimum is {minimum:.0f} ppi",
    ),
}

_COLOUR_WORDS = {False: ("单色", "one-colour"), True: ("多色或反白", "multi-ink or reversed")}
_WHERE_WORDS = {
    "fill": ("填充色", "the fill colour"),
    "stroke": ("描边色", "the stroke colour"),
    "image": ("图片", "an image"),
    "shading": ("渐变", "a shading"),
}
_WHAT_WORDS = {
    "text": ("文字", "text"),
    "path": ("图形或线条", "a graphic or rule"),
    "image": ("图片", "an image"),
    "shading": ("渐变", "a shading"),
}


@dataclass(frozen=True)
class Problem:
    """One kind of problem on one page; `details` has the first occurrence and a `count`."""

    page: int  # 1-based; 0 for the file as a whole
    code: str
    message: Message
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PreflightReport:
    problems: tuple[Problem, ...]
    pages: int

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.problems)

    def lines(self, lang: str = "zh") -> list[str]:
        """Each problem as one line of text in `lang`."""
        return [p.message.render(lang) for p in self.problems]


def preflight(pdf: bytes, limits: PreflightLimits = NEWSPRINT_LIMITS) -> PreflightReport:
    """Check every page of `pdf` for print problems (see the module docstring)."""
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        problem = _problem(0, "preflight.unreadable", {"error": str(exc)}, {})
        return PreflightReport((problem,), 0)
    with doc:
        problems: list[Problem] = []
        for number, page in enumerate(doc.pages, start=1):
            problems.extend(_PageCheck(page.obj, number, limits).run())
        return PreflightReport(tuple(problems), len(doc.pages))


def _problem(page: int, code: str, params: dict[str, Any], details: dict[str, Any]) -> Problem:
    zh, en = MESSAGES[code]
    return Problem(page, code, msg(code, zh, en, page=page, **params), details)


# --- content stream tokenizer ----------------------------------------------------------------

_WS = rb"\x00\t\n\x0c\r "
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_TOKEN = re.compile(
    rb"%[^\r\n]*"
    # A literal string with at most one level of nested (balanced, unescaped) parentheses; a
    # deeper one leaves a lone "(" that sends the stream to pikepdf's parser.
    rb"|\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)"
    rb"|<<|>>|<[0-9A-Fa-f" + _WS + rb"]*>"
    rb"|[\[\]{}()]"
    rb"|/?" + _REGULAR + rb"+",
    re.S,
)
_ESCAPE = re.compile(rb"\\(?:[0-7]{1,3}|\r\n|.)", re.S)


def _escape_table() -> dict[bytes, bytes]:
    table = {b"\\" + bytes((c,)): bytes((c,)) for c in range(256)}  # unknown escapes: the char
    table.update({b"\\n": b"\n", b"\\r": b"\r", b"\\t": b"\t", b"\\b": b"\b", b"\\f": b"\f"})
    table.update({b"\\\r\n": b"", b"\\\r": b"", b"\\\n": b""})  # a line continuation
    for width in (1, 2, 3):
        for n in range(8**width):
            table[b"\\" + f"{n:0{width}o}".encode()] = bytes((n & 0xFF,))
    return table


_ESCAPES = _escape_table()
_KEYWORDS: dict[bytes, object] = {b"true": True, b"false": False, b"null": None}
_NUMBER_START = frozenset(b"0123456789+-.")
_OPERATOR_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'\"")
# Operators and names decoded so far: a page repeats a few dozen of them thousands of times.
_OPERATORS: dict[bytes, str] = {}
_NAMES: dict[bytes, str] = {}
_CACHE_LIMIT = 4096

Instruction = tuple[str, list[Any]]


class _Unparsable(Exception):
    """The fast tokenizer met syntax it leaves to pikepdf (inline images, deep nesting)."""


def _unescape(m: re.Match[bytes]) -> bytes:
    return _ESCAPES[m[0]]


def _name(tok: bytes) -> str:
    name = _NAMES.get(tok)
    if name is None:
        raw = tok
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m.group(1).decode()), raw)
        name = raw.decode("latin-1")
        if len(_NAMES) < _CACHE_LIMIT:
            _NAMES[tok] = name
    return name


def _tokenize(data: bytes) -> list[Instruction]:
    """Content stream operators with operands as Python values (float, str '/Name', bytes, list, dict)."""
    out: list[Instruction] = []
    operands: list[Any] = []
    push = operands.append
    outer: list[tuple[list[Any], bool]] = []  # enclosing operand lists; True for a dictionary
    operators = _OPERATORS
    for tok in _TOKEN.findall(data):
        c = tok[0]
        if c in _NUMBER_START:
            try:
                push(float(tok))
            except ValueError:
                raise _Unparsable(tok) from None
        elif c == 0x28:  # (
            if len(tok) == 1:
                raise _Unparsable("nested string")
            body = tok[1:-1]
            push(_ESCAPE.sub(_unescape, body) if b"\\" in body else body)
        elif c == 0x2F:  # /
            push(_name(tok))
        elif c in _OPERATOR_START:
            op = operators.get(tok)
            if op is None:
                if tok in _KEYWORDS:
                    push(_KEYWORDS[tok])
                    continue
                if tok == b"BI":
                    raise _Unparsable("inline image")
                op = tok.decode("latin-1")
                if len(operators) < _CACHE_LIMIT:
                    operators[tok] = op
            if outer:
                raise _Unparsable("operator inside an array")
            out.append((op, operands))
            operands = []
            push = operands.append
        elif tok == b"[":
            outer.append((operands, False))
            operands = []
            push = operands.append
        elif tok == b"]" or tok == b">>":
            if not outer:
                raise _Unparsable("unbalanced " + tok.decode())
            inner = operands
            operands, is_dict = outer.pop()
            push = operands.append
            push(dict(zip(inner[::2], inner[1::2], strict=False)) if is_dict else inner)
        elif tok == b"<<":
            outer.append((operands, True))
            operands = []
            push = operands.append
        elif c == 0x3C:  # < hex string >
            digits = re.sub(rb"[" + _WS + rb"]", b"", tok[1:-1])
            push(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif c == 0x25:  # % comment
            continue
        else:
            raise _Unparsable(tok.decode("latin-1"))
    return out


def _from_pikepdf(value: Any) -> Any:
    if isinstance(value, pikepdf.Name):
        return str(value)
    if isinstance(value, pikepdf.String):
        return bytes(value)
    if isinstance(value, pikepdf.Array):
        return [_from_pikepdf(v) for v in value]
    if isinstance(value, pikepdf.Dictionary):
        return {str(k): _from_pikepdf(v) for k, v in value.items()}
    if isinstance(value, bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _instructions(stream: pikepdf.Object, data: bytes) -> list[Instruction]:
    try:
        return _tokenize(data)
    except _Unparsable:
        pass
    out: list[Instruction] = []
    for inst in pikepdf.parse_content_stream(stream):
        if isinstance(inst, pikepdf.ContentStreamInlineImage):
            image = inst.iimage
            out.append(("BI", [_InlineImage(image.width, image.height, image.obj)]))
        else:
            out.append((str(inst.operator), [_from_pikepdf(v) for v in inst.operands]))
    return out


@dataclass(frozen=True)
class _InlineImage:
    width: int
    height: int
    obj: pikepdf.Dictionary


# --- geometry ------------------------------------------------------------------------------------


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m × n in PDF's row-vector convention: apply m first, then n."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _bbox(points: Iterable[tuple[float, float]], m: Matrix) -> Box:
    a, b, c, d, e, f = m
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        xs.append(x * a + y * c + e)
        ys.append(x * b + y * d + f)
    return (min(xs), min(ys), max(xs), max(ys))


def _intersect(p: Box, q: Box) -> Box | None:
    box = (max(p[0], q[0]), max(p[1], q[1]), min(p[2], q[2]), min(p[3], q[3]))
    return box if box[0] < box[2] + _EPS and box[1] < box[3] + _EPS else None


def _inside(p: Box, q: Box) -> bool:
    return p[0] >= q[0] - _EPS and p[1] >= q[1] - _EPS and p[2] <= q[2] + _EPS and p[3] <= q[3] + _EPS


def _disjoint(p: Box, q: Box) -> bool:
    return p[2] <= q[0] + _EPS or p[0] >= q[2] - _EPS or p[3] <= q[1] + _EPS or p[1] >= q[3] - _EPS


def _page_box(page: pikepdf.Dictionary, key: str) -> Box | None:
    node: Any = page
    while node is not None:  # MediaBox and CropBox are inheritable
        if key in node:
            x0, y0, x1, y1 = (float(v) for v in node[key])
            return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if key not in ("/MediaBox", "/CropBox"):
            return None
        node = node.get("/Parent")
    return None


def _scale(m: Matrix) -> float:
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


# --- colour --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Colour:
    coverage: float  # total area coverage, %
    inks: int  # separations with ink
    foreign: str | None = None  # the non-CMYK colour space, if any


_BLACK = _Colour(100.0, 1)


@dataclass(frozen=True)
class _Space:
    family: str  # gray, cmyk, rgb, lab, separation, devicen, indexed, pattern
    label: str
    names: tuple[str, ...] = ()  # separation / DeviceN colorants
    base: _Space | None = None  # Indexed base
    lookup: bytes = b""

    @property
    def foreign(self) -> str | None:
        if self.family in ("rgb", "lab"):
            return self.label
        if self.base is not None:
            return self.base.foreign
        return None


_GRAY = _Space("gray", "DeviceGray")
_CMYK = _Space("cmyk", "DeviceCMYK")
_RGB = _Space("rgb", "DeviceRGB")
_PATTERN = _Space("pattern", "Pattern")
_DEVICE_SPACES = {
    "/DeviceGray": _GRAY,
    "/G": _GRAY,
    "/DeviceCMYK": _CMYK,
    "/CMYK": _CMYK,
    "/DeviceRGB": _RGB,
    "/RGB": _RGB,
    "/Pattern": _PATTERN,
}
_PROCESS_INKS = 4


def _space_from(obj: Any, resolve: Callable[[str], Any], depth: int = 0) -> _Space:
    """A colour space from its PDF object (a name or an array), resource names resolved by `resolve`."""
    if depth > 4:  # a resource name that (indirectly) names itself
        return _GRAY
    if isinstance(obj, pikepdf.Name):
        obj = str(obj)
    if isinstance(obj, str):
        if obj in _DEVICE_SPACES:
            return _DEVICE_SPACES[obj]
        target = resolve(obj)
        return _GRAY if target is None else _space_from(target, resolve, depth + 1)
    if isinstance(obj, pikepdf.Array) and len(obj) > 0:
        family = str(obj[0])
        if family == "/ICCBased":
            n = int(obj[1].get("/N", 0))
            return {1: _Space("gray", "ICCBased N=1"), 3: _Space("rgb", "ICCBased N=3")}.get(
                n, _Space("cmyk", f"ICCBased N={n}")
            )
        if family == "/CalRGB":
            return _Space("rgb", "CalRGB")
        if family == "/CalGray":
            return _Space("gray", "CalGray")
        if family == "/Lab":
            return _Space("lab", "Lab")
        if family == "/Separation":
            name = str(obj[1])
            return _Space("separation", f"Separation {name}", (name,))
        if family == "/DeviceN":
            names = tuple(str(n) for n in obj[1])
            return _Space("devicen", "DeviceN", names)
        if family in ("/Indexed", "/I"):
            base = _space_from(obj[1], resolve, depth + 1)
            table = obj[3]
            lookup = table.read_bytes() if isinstance(table, pikepdf.Stream) else bytes(table)
            return _Space("indexed", f"Indexed {base.label}", base=base, lookup=lookup)
        if family == "/Pattern":
            return _PATTERN
        return _space_from(obj[0], resolve, depth + 1)
    return _GRAY


@lru_cache(maxsize=1024)
def _colour(space: _Space, values: tuple[Any, ...]) -> _Colour:
    """Ink of a colour; a page sets the same few colours thousands of times, hence the cache."""
    comps = [v for v in values if isinstance(v, float)]
    family = space.family
    if family == "cmyk" and len(comps) >= 4:
        inks = comps[:4]
    elif family == "gray" and comps:
        inks = [1.0 - comps[0]]
    elif family == "separation" and comps:
        name = space.names[0] if space.names else ""
        if name == "/None":
            inks = []
        elif name == "/All":
            inks = [comps[0]] * _PROCESS_INKS  # registration colour prints in every separation
        else:
            inks = [comps[0]]
    elif family == "devicen":
        inks = [v for n, v in zip(space.names, comps, strict=False) if n != "/None"]
    elif family == "indexed" and space.base is not None and comps:
        base = space.base
        n = {"cmyk": 4, "gray": 1, "rgb": 3, "lab": 3}.get(base.family, 1)
        start = int(comps[0]) * n
        entry = tuple(b / 255 for b in space.lookup[start : start + n])
        return _colour(base, entry)
    elif family in ("rgb", "lab"):
        return _Colour(0.0, 3, space.label)
    else:  # pattern, or too few operands: nothing measurable
        return _Colour(0.0, 1)
    inks = [max(0.0, min(1.0, v)) for v in inks]
    return _Colour(sum(inks) * 100, sum(1 for v in inks if v > _INK_EPS))


def _initial(space: _Space) -> list[Any]:
    """The colour `cs`/`CS` selects before any `sc` (PDF 32000, 8.6.5 and 8.6.6)."""
    family = space.family
    if family == "cmyk":
        return [0.0, 0.0, 0.0, 1.0]
    if family in ("separation", "devicen"):
        return [1.0] * max(1, len(space.names))
    return [0.0, 0.0, 0.0]  # black in gray and RGB, index 0 of an Indexed space


# --- fonts ---------------------------------------------------------------------------------------


@dataclass
class _Font:
    name: str
    embedded: bool
    two_byte: bool
    widths: list[float] | dict[int, float]  # em; by code (simple) or CID (Type0)
    default: float  # em
    ascent: float  # em
    descent: float  # em, negative


def _has_font_file(descriptor: Any) -> bool:
    return isinstance(descriptor, pikepdf.Dictionary) and any(
        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def _font_from(font: pikepdf.Dictionary) -> _Font:
    subtype = str(font.get("/Subtype", ""))
    name = str(font.get("/BaseFont", font.get("/Name", "?")))
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cid = descendants[0] if descendants is not None and len(descendants) else pikepdf.Dictionary()
        descriptor = cid.get("/FontDescriptor")
        widths: dict[int, float] = {}
        w = list(cid.get("/W", []))
        i = 0
        while i + 1 < len(w):  # [c [w1 w2 …]] or [c_first c_last w]
            first = int(w[i])
            if isinstance(w[i + 1], pikepdf.Array):
                for k, v in enumerate(w[i + 1]):
                    widths[first + k] = float(v) / 1000
                i += 2
            elif i + 2 < len(w):
                for c in range(first, int(w[i + 1]) + 1):
                    widths[c] = float(w[i + 2]) / 1000
                i += 3
            else:
                break
        ascent, descent = _vertical_metrics(descriptor)
        return _Font(
            name,
            _has_font_file(descriptor),
            True,
            widths,
            float(cid.get("/DW", 1000)) / 1000,
            ascent,
            descent,
        )
    descriptor = font.get("/FontDescriptor")
    # Type 3 glyphs are content streams in the file: nothing to embed. Widths are in glyph space.
    scale = float(font.FontMatrix[0]) if subtype == "/Type3" and "/FontMatrix" in font else 0.001
    missing = float(descriptor.get("/MissingWidth", 0)) if isinstance(descriptor, pikepdf.Dictionary) else 0.0
    table = [missing * scale] * 256
    if "/Widths" in font:
        first = int(font.get("/FirstChar", 0))
        for k, v in enumerate(font.Widths):
            if 0 <= first + k < 256:
                table[first + k] = float(v) * scale
    else:  # a standard 14 font without metrics: an average Latin advance is close enough here
        table = [0.5] * 256
    ascent, descent = _vertical_metrics(descriptor)
    embedded = subtype == "/Type3" or _has_font_file(descriptor)
    return _Font(name, embedded, False, table, missing * scale, ascent, descent)


def _vertical_metrics(descriptor: Any) -> tuple[float, float]:
    if isinstance(descriptor, pikepdf.Dictionary):
        ascent = float(descriptor.get("/Ascent", 0)) / 1000
        descent = float(descriptor.get("/Descent", 0)) / 1000
        if ascent > 0:
            return ascent, min(descent, 0.0)
        if "/FontBBox" in descriptor:
            bbox = [float(v) / 1000 for v in descriptor.FontBBox]
            return bbox[3], min(bbox[1], 0.0)
    return 0.9, -0.2


_MISSING_FONT = _Font("?", False, False, [0.5] * 256, 0.5, 0.9, -0.2)


# --- the page interpreter ------------------------------------------------------------------------


class _State:
    """The part of the graphics state the checks read (copied on q, restored on Q)."""

    __slots__ = (
        "cap",
        "clip",
        "ctm",
        "fill",
        "fill_space",
        "font",
        "lw",
        "rise",
        "size",
        "stroke",
        "stroke_space",
        "tc",
        "th",
        "tl",
        "tr",
        "tw",
    )

    def __init__(self, clip: Box) -> None:
        self.ctm = _IDENTITY
        self.clip = clip
        self.fill = self.stroke = _BLACK
        self.fill_space = self.stroke_space = _GRAY
        self.lw = 1.0
        self.cap = 0
        self.font = _MISSING_FONT
        self.size = 0.0
        self.tc = 0.0
        self.tw = 0.0
        self.th = 1.0
        self.tl = 0.0
        self.rise = 0.0
        self.tr = 0

    def copy(self) -> _State:
        other = _State.__new__(_State)
        for slot in _State.__slots__:
            setattr(other, slot, getattr(self, slot))
        return other


class _Resources:
    """A resource dictionary with per-name caches (lookups through pikepdf cost microseconds)."""

    def __init__(self, check: _PageCheck, res: Any) -> None:
        self.check = check
        self.res = res if isinstance(res, pikepdf.Dictionary) else pikepdf.Dictionary()
        self._fonts: dict[str, _Font] = {}
        self._spaces: dict[str, _Space] = {}

    def get(self, category: str, name: str) -> Any:
        group = self.res.get(category)
        return None if group is None else group.get(name)

    def font(self, name: str) -> _Font:
        font = self._fonts.get(name)
        if font is None:
            obj = self.get("/Font", name)
            font = _MISSING_FONT if obj is None else self.check.font(obj)
            if obj is None:
                self.check.add("preflight.font_not_embedded", (name,), {"font": name}, {})
            self._fonts[name] = font
        return font

    def named_space(self, name: str) -> Any:
        return self.get("/ColorSpace", name)

    def space(self, name: str) -> _Space:
        space = self._spaces.get(name)
        if space is None:
            space = self._spaces[name] = _space_from(name, self.named_space)
        return space

    def check_fonts(self) -> None:
        fonts = self.res.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            for _, obj in fonts.items():
                self.check.font(obj)


class _PageCheck:
    def __init__(self, page: pikepdf.Dictionary, number: int, limits: PreflightLimits) -> None:
        self.page = page
        self.number = number
        self.limits = limits
        self._found: dict[tuple[Any, ...], Problem] = {}
        self._counts: dict[tuple[Any, ...], int] = {}
        self._fonts: dict[Any, _Font] = {}
        media = _page_box(page, "/MediaBox") or (0.0, 0.0, 612.0, 792.0)
        crop = _page_box(page, "/CropBox")
        self.visible = (_intersect(media, crop) or media) if crop else media
        trim = _page_box(page, "/TrimBox")
        if trim is None:
            self.add("preflight.no_trimbox", (), {}, {})
        self.trim = trim or self.visible
        self.bleed = _page_box(page, "/BleedBox") or self.visible
        self._forms: list[Any] = []

    # findings

    def add(self, code: str, key: tuple[Any, ...], params: dict[str, Any], details: dict[str, Any]) -> None:
        k = (code, *key)
        if k in self._found:
            self._counts[k] += 1
            return
        self._counts[k] = 1
        self._found[k] = _problem(self.number, code, params, details)

    def run(self) -> list[Problem]:
        contents = self.page.get("/Contents")
        streams = (
            [] if contents is None else list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        )
        data = b"\n".join(s.read_bytes() for s in streams)
        source = self.page if len(streams) != 1 else streams[0]
        resources = _Resources(self, self.page.get("/Resources"))
        resources.check_fonts()
        self.interpret(_instructions(source, data), resources, _State(self.visible))
        out = []
        for k, problem in self._found.items():
            details = {**problem.details, "count": self._counts[k]}
            out.append(Problem(problem.page, problem.code, problem.message, details))
        return out

    def font(self, obj: Any) -> _Font:
        key = obj.objgen if obj.objgen != (0, 0) else id(obj)
        font = self._fonts.get(key)
        if font is None:
            font = self._fonts[key] = _font_from(obj)
            if not font.embedded:
                self.add("preflight.font_not_embedded", (font.name,), {"font": font.name.lstrip("/")}, {})
        return font

    # checks shared by text, paths and images

    def _placed(self, box: Box, gs: _State) -> Box | None:
        """The visible part of `box`, or None when clipped away or a printer's mark."""
        shown = _intersect(box, gs.clip)
        if shown is None or _disjoint(shown, self.bleed):
            return None
        return shown

    def _trim(self, box: Box, what: str, bleed_ok: bool = False) -> None:
        if _inside(box, self.trim) or (bleed_ok and _inside(box, self.bleed)):
            return
        zh, en = _WHAT_WORDS[what]
        details = {"bbox": _rounded(box), "trim": self.trim}
        self.add("preflight.outside_trim", (what,), {"what_zh": zh, "what_en": en}, details)

    def _text(self, box: Box, size: float, gs: _State, font: _Font) -> None:
        """Checks of one text-showing operator; `size` is the effective (rendered) size in pt."""
        trim, clip = self.trim, gs.clip
        if not (_inside(box, trim) and _inside(box, clip)):
            shown = self._placed(box, gs)
            if shown is None:
                return
            self._trim(shown, "text")
        colour = gs.stroke if gs.tr in (1, 5) else gs.fill
        multi = colour.inks != 1
        limits = self.limits
        minimum = limits.min_text_multi_pt if multi else limits.min_text_pt
        if size < minimum - 1e-6:
            zh, en = _COLOUR_WORDS[multi]
            params = {"size": size, "minimum": minimum, "colour_zh": zh, "colour_en": en}
            details = {"font": font.name, "bbox": _rounded(box)}
            self.add("preflight.text_too_small", (round(size, 2), multi), params, details)
        self._ink(colour, box)
        if gs.tr in (2, 6):
            self._ink(gs.stroke, box)

    def _ink(self, colour: _Colour, box: Box) -> None:
        if colour.coverage > self.limits.max_ink_percent + 0.5:
            coverage = round(colour.coverage)
            params = {"coverage": coverage, "limit": self.limits.max_ink_percent}
            self.add("preflight.ink_coverage", (coverage,), params, {"bbox": _rounded(box)})

    def _foreign(self, space: str, where: str, op: str = "") -> None:
        zh, en = _WHERE_WORDS[where]
        params = {"space": space, "where_zh": zh, "where_en": en}
        self.add("preflight.rgb", (space, where), params, {"operator": op} if op else {})

    # painting operators

    def _paint(self, box: Box, gs: _State, fill: bool, stroke: bool) -> None:
        limits = self.limits
        if stroke and gs.stroke.coverage > 0:
            width = gs.lw * _scale(gs.ctm)
            hx = hy = width / 2
            if gs.cap == 0:
                # Butt caps end at the end points: a horizontal or vertical line grows only across
                # its direction, so a crop mark drawn up to the bleed edge stays outside the bleed.
                if box[1] == box[3]:
                    hx = 0.0
                elif box[0] == box[2]:
                    hy = 0.0
            sbox = (box[0] - hx, box[1] - hy, box[2] + hx, box[3] + hy)
            shown = self._placed(sbox, gs)
            if shown is not None:
                multi = gs.stroke.inks != 1
                minimum = limits.min_rule_multi_pt if multi else limits.min_rule_pt
                if width < minimum - 1e-6:
                    zh, en = _COLOUR_WORDS[multi]
                    params = {"width": width, "minimum": minimum, "colour_zh": zh, "colour_en": en}
                    self.add(
                        "preflight.rule_too_thin", (round(width, 3), multi), params, {"bbox": _rounded(sbox)}
                    )
                self._ink(gs.stroke, sbox)
                self._trim(shown, "path")
        # Paper-white fills print nothing, so they may sit anywhere.
        if fill and gs.fill.coverage > 0:
            shown = self._placed(box, gs)
            if shown is not None:
                self._ink(gs.fill, box)
                self._trim(shown, "path", limits.allow_bleed)

    def _image(self, gs: _State, width: float, height: float, space: _Space | None, mask: bool) -> None:
        box = _bbox(((0, 0), (1, 0), (0, 1), (1, 1)), gs.ctm)  # images fill the unit square
        if space is not None and space.foreign:
            self._foreign(space.foreign, "image")
        shown = self._placed(box, gs)
        if shown is None:
            return
        if mask:  # a stencil mask paints in the fill colour
            self._ink(gs.fill, box)
        self._trim(shown, "image", self.limits.allow_bleed)
        minimum = self.limits.min_image_ppi
        a, b, c, d, _, _ = gs.ctm
        w_in, h_in = math.hypot(a, b) / 72, math.hypot(c, d) / 72
        if minimum and w_in > 0 and h_in > 0:
            ppi = min(width / w_in, height / h_in)
            if ppi < minimum - 0.5:
                params = {"ppi": ppi, "minimum": minimum}
                self.add("preflight.image_resolution", (round(ppi),), params, {"bbox": _rounded(box)})

    def _shading(self, obj: Any, res: _Resources) -> None:
        if isinstance(obj, pikepdf.Dictionary):
            space = _space_from(obj.get("/ColorSpace", "/DeviceGray"), res.named_space)
            if space.foreign:
                self._foreign(space.foreign, "shading")

    def _pattern(self, ops: list[Any], res: _Resources) -> None:
        # Shading patterns are checked for their colour space; tiling cells are not entered.
        pattern = res.get("/Pattern", ops[-1]) if ops and isinstance(ops[-1], str) else None
        if isinstance(pattern, pikepdf.Object) and "/Shading" in pattern:
            self._shading(pattern.Shading, res)

    def _xobject(self, name: str, gs: _State, res: _Resources) -> None:
        xobj = res.get("/XObject", name)
        if not isinstance(xobj, pikepdf.Stream):
            return
        subtype = xobj.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            mask = bool(xobj.get("/ImageMask", False))
            cs = xobj.get("/ColorSpace")
            space = None if mask or cs is None else _space_from(cs, res.named_space)
            if "/SMask" in xobj:
                self.add("preflight.transparency", ("smask",), {"what": "SMask"}, {})
            self._image(gs, float(xobj.get("/Width", 0)), float(xobj.get("/Height", 0)), space, mask)
        elif subtype == pikepdf.Name.Form:
            self._form(xobj, gs, res)

    def _form(self, xobj: pikepdf.Stream, gs: _State, res: _Resources) -> None:
        key = xobj.objgen
        if len(self._forms) >= _MAX_FORM_DEPTH or key in self._forms:
            return  # a form that draws itself, or nesting no renderer writes
        inner = gs.copy()
        if "/Matrix" in xobj:
            a, b, c, d, e, f = (float(v) for v in xobj.Matrix)
            inner.ctm = _mul((a, b, c, d, e, f), gs.ctm)
        if "/BBox" in xobj:
            x0, y0, x1, y1 = (float(v) for v in xobj.BBox)
            inner.clip = _clip(inner.clip, _bbox(((x0, y0), (x1, y0), (x0, y1), (x1, y1)), inner.ctm))
        group = xobj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency:
            self.add("preflight.transparency", ("group",), {"what": "transparency group"}, {})
        inner_res = res
        if "/Resources" in xobj:
            inner_res = _Resources(self, xobj.Resources)
            inner_res.check_fonts()
        self._forms.append(key)
        try:
            self.interpret(_instructions(xobj, xobj.read_bytes()), inner_res, inner)
        finally:
            self._forms.pop()

    def _ext_gstate(self, name: str, gs: _State, res: _Resources) -> None:
        egs = res.get("/ExtGState", name)
        if not isinstance(egs, pikepdf.Dictionary):
            return
        if "/LW" in egs:
            gs.lw = float(egs.LW)
        for key in ("/CA", "/ca"):
            if key in egs and float(egs[key]) < 1:
                what = f"{key[1:]} {float(egs[key]):g}"
                self.add("preflight.transparency", ("alpha",), {"what": what}, {})
        smask = egs.get("/SMask")
        if smask is not None and smask != pikepdf.Name("/None"):
            self.add("preflight.transparency", ("smask",), {"what": "SMask"}, {})
        bm = egs.get("/BM")
        if isinstance(bm, pikepdf.Array):
            bm = bm[0] if len(bm) else None
        if bm is not None and str(bm) not in ("/Normal", "/Compatible"):
            self.add("preflight.transparency", ("blend",), {"what": f"blend mode {str(bm)[1:]}"}, {})
        font = egs.get("/Font")
        if isinstance(font, pikepdf.Array) and len(font) == 2:
            gs.font, gs.size = self.font(font[0]), float(font[1])

    def _inline_image(self, inline: _InlineImage, gs: _State, res: _Resources) -> None:
        cs = inline.obj.get("/CS", inline.obj.get("/ColorSpace"))
        mask = bool(inline.obj.get("/IM", inline.obj.get("/ImageMask", False)))
        space = None if mask or cs is None else _space_from(cs, res.named_space)
        self._image(gs, float(inline.width), float(inline.height), space, mask)

    # the interpreter

    def interpret(self, instructions: list[Instruction], res: _Resources, gs: _State) -> None:
        """Run one content stream: track the state the checks need and check what it paints."""
        stack: list[_State] = []
        tm = tlm = _IDENTITY  # text matrix and text line matrix
        # Device-space bounding boxes [x0, y0, x1, y1] of the current path's subpaths, kept apart
        # so that crop marks drawn as one path of eight segments are still eight marks.
        path: list[list[float]] = []
        clip_pending = False

        def extend(points: list[Any], new_subpath: bool) -> None:
            a, b, c, d, e, f = gs.ctm
            for i in range(0, len(points) - 1, 2):
                x, y = points[i], points[i + 1]
                px, py = x * a + y * c + e, x * b + y * d + f
                if new_subpath or not path:
                    path.append([px, py, px, py])
                    new_subpath = False
                else:
                    box = path[-1]
                    box[0], box[1] = min(box[0], px), min(box[1], py)
                    box[2], box[3] = max(box[2], px), max(box[3], py)

        def end_path(fill: bool, stroke: bool) -> None:
            nonlocal clip_pending
            if path:
                if fill or stroke:
                    for x0, y0, x1, y1 in path:
                        self._paint((x0, y0, x1, y1), gs, fill, stroke)
                # W takes effect after the operator that ends the path (PDF 32000, 8.5.4).
                if clip_pending:
                    whole = (
                        min(p[0] for p in path),
                        min(p[1] for p in path),
                        max(p[2] for p in path),
                        max(p[3] for p in path),
                    )
                    gs.clip = _clip(gs.clip, whole)
                path.clear()
            clip_pending = False

        def show(items: list[Any]) -> None:
            nonlocal tm
            font, size, th, tc, tw = gs.font, gs.size, gs.th, gs.tc, gs.tw
            x = lo = hi = 0.0  # pen position and extent along the baseline, in text space
            for item in items:
                kind = type(item)
                if kind is bytes:
                    if font.two_byte:
                        cids = array("H", item[: len(item) // 2 * 2])
                        cids.byteswap()  # big-endian codes, read as CIDs (Identity-H)
                        get, default = font.widths.get, font.default  # type: ignore[union-attr]
                        ems = sum(get(cid, default) for cid in cids)
                        x += (ems * size + tc * len(cids)) * th
                    else:
                        ems = sum(map(font.widths.__getitem__, item))
                        # Tw applies to the single-byte code 32 only (PDF 32000, 9.3.3).
                        x += (ems * size + tc * len(item) + tw * item.count(32)) * th
                elif kind is float:
                    x -= item / 1000 * size * th
                if x < lo:
                    lo = x
                elif x > hi:
                    hi = x
            if gs.tr not in (3, 7) and hi > lo:  # 3 and 7 draw nothing (an OCR layer, a clip)
                a, b, c, d, e, f = _mul(tm, gs.ctm)
                y0 = gs.rise + font.descent * size
                y1 = gs.rise + font.ascent * size
                if b == 0.0 and c == 0.0:  # upright text: the usual case, kept cheap
                    xa, xb, ya, yb = lo * a + e, hi * a + e, y0 * d + f, y1 * d + f
                    box = (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))
                    effective = size * abs(d)
                else:
                    box = _bbox(((lo, y0), (hi, y0), (lo, y1), (hi, y1)), (a, b, c, d, e, f))
                    effective = size * math.hypot(c, d)
                self._text(box, effective, gs, font)
            a, b, c, d, e, f = tm
            tm = (a, b, c, d, e + x * a, f + x * b)

        def next_line(tx: float, ty: float) -> None:
            nonlocal tm, tlm
            a, b, c, d, e, f = tlm
            tlm = tm = (a, b, c, d, tx * a + ty * c + e, tx * b + ty * d + f)

        for op, ops in instructions:
            try:
                if op == "TJ":
                    if ops and isinstance(ops[-1], list):
                        show(ops[-1])
                elif op == "Tj":
                    show(ops[-1:])
                elif op == "Tm":
                    a, b, c, d, e, f = ops
                    tm = tlm = (a, b, c, d, e, f)
                elif op == "Tf":
                    gs.font, gs.size = res.font(ops[0]), ops[1]
                elif op == "Tc":
                    gs.tc = ops[0]
                elif op == "Td":
                    next_line(ops[0], ops[1])
                elif op == "T*":
                    next_line(0.0, -gs.tl)
                elif op == "TL":
                    gs.tl = ops[0]
                elif op == "TD":
                    gs.tl = -ops[1]
                    next_line(ops[0], ops[1])
                elif op == "'":
                    next_line(0.0, -gs.tl)
                    show(ops[-1:])
                elif op == '"':
                    gs.tw, gs.tc = ops[0], ops[1]
                    next_line(0.0, -gs.tl)
                    show(ops[-1:])
                elif op == "Tw":
                    gs.tw = ops[0]
                elif op == "Tz":
                    gs.th = ops[0] / 100
                elif op == "Ts":
                    gs.rise = ops[0]
                elif op == "Tr":
                    gs.tr = int(ops[0])
                elif op == "BT":
                    tm = tlm = _IDENTITY
                elif op == "q":
                    stack.append(gs)
                    gs = gs.copy()
                elif op == "Q":
                    if stack:
                        gs = stack.pop()
                elif op == "cm":
                    a, b, c, d, e, f = ops
                    gs.ctm = _mul((a, b, c, d, e, f), gs.ctm)
                elif op in ("l", "c", "v", "y"):
                    extend(ops, False)
                elif op == "m":
                    extend(ops, True)
                elif op == "re":
                    x, y, w, h = ops
                    extend([x, y, x + w, y, x, y + h, x + w, y + h], True)
                elif op in _PAINT:
                    fill, stroke = _PAINT[op]
                    end_path(fill, stroke)
                elif op in ("W", "W*"):
                    clip_pending = True
                elif op == "w":
                    gs.lw = ops[0]
                elif op == "J":
                    gs.cap = int(ops[0])
                elif op in _SET_COLOUR:
                    self._colour_op(op, ops, gs, res)
                elif op == "Do":
                    self._xobject(ops[0], gs, res)
                elif op == "gs":
                    self._ext_gstate(ops[0], gs, res)
                elif op == "sh":
                    self._shading(res.get("/Shading", ops[0]), res)
                    shown = self._placed(gs.clip, gs)  # a shading fills the clip
                    if shown is not None:
                        self._trim(shown, "shading", self.limits.allow_bleed)
                elif op == "BI":
                    self._inline_image(ops[0], gs, res)
            except (TypeError, ValueError, IndexError, AttributeError):
                # Malformed operands: a viewer skips such an operator, and so does the check.
                continue

    def _colour_op(self, op: str, ops: list[Any], gs: _State, res: _Resources) -> None:
        stroke = op[0].isupper()
        if op in ("k", "K"):
            space = _CMYK
        elif op in ("g", "G"):
            space = _GRAY
        elif op in ("rg", "RG"):
            space = _RGB
        elif op in ("cs", "CS"):
            space = res.space(ops[0])
            ops = _initial(space)
        else:  # sc, scn, SC, SCN: in the current space
            space = gs.stroke_space if stroke else gs.fill_space
            if space.family == "pattern":
                self._pattern(ops, res)
        colour = _colour(space, tuple(ops))
        if colour.foreign:
            self._foreign(colour.foreign, "stroke" if stroke else "fill", op)
        if stroke:
            gs.stroke_space, gs.stroke = space, colour
        else:
            gs.fill_space, gs.fill = space, colour


# Path-ending operators: (fills, strokes).
_PAINT = {
    "f": (True, False),
    "F": (True, False),
    "f*": (True, False),
    "S": (False, True),
    "s": (False, True),
    "B": (True, True),
    "B*": (True, True),
    "b": (True, True),
    "b*": (True, True),
    "n": (False, False),
}
_SET_COLOUR = frozenset(("k", "K", "g", "G", "rg", "RG", "cs", "CS", "sc", "scn", "SC", "SCN"))


def _clip(clip: Box, box: Box) -> Box:
    """`clip` narrowed to `box`; an empty intersection becomes a zero-size box that hides everything."""
    return _intersect(clip, box) or (box[0], box[1], box[0], box[1])


def _rounded(box: Box) -> tuple[float, ...]:
    return tuple(round(v, 2) for v in box)
