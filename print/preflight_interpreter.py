"""Preflight's operator interpreter: runs a content stream and hands what it paints to the checks.

It interprets only the graphics state a check needs (CTM, colours, line width, clip bounding box,
text state and the advances from the font's /Widths or /W). Known limits: the clip is tracked as
a bounding box, curves are bounded by their control points, tiling-pattern cells and Type 3 glyph
procedures are not entered, image pixels are not read, and vertical writing is measured as
horizontal.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Any

import pikepdf

from print.preflight_checks import GraphicsState, PageChecks
from print.preflight_colour import CMYK, GRAY, RGB, colour_of, initial_colour, space_from
from print.preflight_geometry import IDENTITY, Matrix, bbox, clip, mul
from print.preflight_resources import Resources
from print.preflight_tokens import InlineImage, Instruction, read_instructions

# The `type: ignore`s in this module are pikepdf 10's stubs: they type Object.get's default as
# None and Object.__iter__ as returning an Iterable, not an Iterator.

MAX_FORM_DEPTH = 12

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


class Interpreter:
    """One run of one content stream (a page's, or a form's inside it), one method per operator group.

    `forms` is the chain of form XObjects being drawn, shared with the runs of nested forms.
    """

    def __init__(self, checks: PageChecks, res: Resources, gs: GraphicsState, forms: list[Any]) -> None:
        self.checks = checks
        self.res = res
        self.gs = gs
        self.forms = forms
        self.stack: list[GraphicsState] = []
        self.tm: Matrix = IDENTITY  # text matrix
        self.tlm: Matrix = IDENTITY  # text line matrix
        # Device-space bounding boxes [x0, y0, x1, y1] of the current path's subpaths, kept apart
        # so that crop marks drawn as one path of eight segments are still eight marks.
        self.path: list[list[float]] = []
        self.clip_pending = False

    def run(self, instructions: list[Instruction]) -> None:
        """Track the state the checks need and check what the stream paints."""
        handlers = _HANDLERS
        for op, ops in instructions:
            handler = handlers.get(op)
            if handler is None:
                continue
            try:
                handler(self, op, ops)
            except (TypeError, ValueError, IndexError, AttributeError):
                # Malformed operands: a viewer skips such an operator, and so does the check.
                continue

    # text

    def show_text(self, op: str, ops: list[Any]) -> None:
        """TJ, Tj, ' and "."""
        if op == "TJ":
            if ops and isinstance(ops[-1], list):
                self._show(ops[-1])
            return
        gs = self.gs
        if op == '"':
            gs.tw, gs.tc = ops[0], ops[1]
        if op != "Tj":
            self._next_line(0.0, -gs.tl)
        self._show(ops[-1:])

    def text_position(self, op: str, ops: list[Any]) -> None:
        """Tm, Td, TD, T* and BT."""
        if op == "Tm":
            a, b, c, d, e, f = ops
            self.tm = self.tlm = (a, b, c, d, e, f)
        elif op == "Td":
            self._next_line(ops[0], ops[1])
        elif op == "T*":
            self._next_line(0.0, -self.gs.tl)
        elif op == "TD":
            self.gs.tl = -ops[1]
            self._next_line(ops[0], ops[1])
        else:  # BT
            self.tm = self.tlm = IDENTITY

    def text_state(self, op: str, ops: list[Any]) -> None:
        """Tf, Tc, TL, Tw, Tz, Ts and Tr."""
        gs = self.gs
        if op == "Tf":
            gs.font, gs.size = self.res.font(ops[0]), ops[1]
        elif op == "Tc":
            gs.tc = ops[0]
        elif op == "TL":
            gs.tl = ops[0]
        elif op == "Tw":
            gs.tw = ops[0]
        elif op == "Tz":
            gs.th = ops[0] / 100
        elif op == "Ts":
            gs.rise = ops[0]
        else:  # Tr
            gs.tr = int(ops[0])

    def _next_line(self, tx: float, ty: float) -> None:
        a, b, c, d, e, f = self.tlm
        self.tlm = self.tm = (a, b, c, d, tx * a + ty * c + e, tx * b + ty * d + f)

    def _show(self, items: list[Any]) -> None:
        gs = self.gs
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
            a, b, c, d, e, f = mul(self.tm, gs.ctm)
            y0 = gs.rise + font.descent * size
            y1 = gs.rise + font.ascent * size
            if b == 0.0 and c == 0.0:  # upright text: the usual case, kept cheap
                xa, xb, ya, yb = lo * a + e, hi * a + e, y0 * d + f, y1 * d + f
                box = (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))
                effective = size * abs(d)
            else:
                box = bbox(((lo, y0), (hi, y0), (lo, y1), (hi, y1)), (a, b, c, d, e, f))
                effective = size * math.hypot(c, d)
            self.checks.text(box, effective, gs, font)
        a, b, c, d, e, f = self.tm
        self.tm = (a, b, c, d, e + x * a, f + x * b)

    # graphics state

    def graphics_state(self, op: str, ops: list[Any]) -> None:
        """q, Q, cm, w, J and gs."""
        if op == "q":
            self.stack.append(self.gs)
            self.gs = self.gs.copy()
        elif op == "Q":
            if self.stack:
                self.gs = self.stack.pop()
        elif op == "cm":
            a, b, c, d, e, f = ops
            self.gs.ctm = mul((a, b, c, d, e, f), self.gs.ctm)
        elif op == "w":
            self.gs.lw = ops[0]
        elif op == "J":
            self.gs.cap = int(ops[0])
        else:  # gs
            self._ext_gstate(ops[0])

    def _ext_gstate(self, name: str) -> None:
        egs = self.res.get("/ExtGState", name)
        if not isinstance(egs, pikepdf.Dictionary):
            return
        gs, add = self.gs, self.checks.add
        if "/LW" in egs:
            gs.lw = float(egs.LW)
        for key in ("/CA", "/ca"):
            if key in egs and float(egs[key]) < 1:
                what = f"{key[1:]} {float(egs[key]):g}"
                add("preflight.transparency", ("alpha",), {"what": what}, {})
        smask = egs.get("/SMask")
        if smask is not None and smask != pikepdf.Name("/None"):
            add("preflight.transparency", ("smask",), {"what": "SMask"}, {})
        bm = egs.get("/BM")
        if isinstance(bm, pikepdf.Array):
            bm = bm[0] if len(bm) else None
        if bm is not None and str(bm) not in ("/Normal", "/Compatible"):
            add("preflight.transparency", ("blend",), {"what": f"blend mode {str(bm)[1:]}"}, {})
        font = egs.get("/Font")
        if isinstance(font, pikepdf.Array) and len(font) == 2:
            gs.font, gs.size = self.checks.font(font[0]), float(font[1])

    # paths

    def path_segment(self, op: str, ops: list[Any]) -> None:
        """m, l, c, v, y and re."""
        if op == "re":
            x, y, w, h = ops
            self._extend([x, y, x + w, y, x, y + h, x + w, y + h], True)
        else:
            self._extend(ops, op == "m")

    def _extend(self, points: list[Any], new_subpath: bool) -> None:
        path = self.path
        a, b, c, d, e, f = self.gs.ctm
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

    def path_end(self, op: str, ops: list[Any]) -> None:
        """The painting operators (f, S, B, n …) and the clipping ones (W, W*)."""
        if op in ("W", "W*"):
            self.clip_pending = True
            return
        fill, stroke = _PAINT[op]
        path, gs = self.path, self.gs
        if path:
            if fill or stroke:
                for x0, y0, x1, y1 in path:
                    self.checks.paint((x0, y0, x1, y1), gs, fill, stroke)
            # W takes effect after the operator that ends the path (PDF 32000, 8.5.4).
            if self.clip_pending:
                whole = (
                    min(p[0] for p in path),
                    min(p[1] for p in path),
                    max(p[2] for p in path),
                    max(p[3] for p in path),
                )
                gs.clip = clip(gs.clip, whole)
            path.clear()
        self.clip_pending = False

    # colour

    def set_colour(self, op: str, ops: list[Any]) -> None:
        """k, K, g, G, rg, RG, cs, CS, sc, scn, SC and SCN."""
        gs = self.gs
        stroke = op[0].isupper()
        if op in ("k", "K"):
            space = CMYK
        elif op in ("g", "G"):
            space = GRAY
        elif op in ("rg", "RG"):
            space = RGB
        elif op in ("cs", "CS"):
            space = self.res.space(ops[0])
            ops = initial_colour(space)
        else:  # sc, scn, SC, SCN: in the current space
            space = gs.stroke_space if stroke else gs.fill_space
            if space.family == "pattern":
                self._pattern(ops)
        colour = colour_of(space, tuple(ops))
        if colour.foreign:
            self.checks.foreign(colour.foreign, "stroke" if stroke else "fill", op)
        if stroke:
            gs.stroke_space, gs.stroke = space, colour
        else:
            gs.fill_space, gs.fill = space, colour

    def _pattern(self, ops: list[Any]) -> None:
        # Shading patterns are checked for their colour space; tiling cells are not entered.
        pattern = self.res.get("/Pattern", ops[-1]) if ops and isinstance(ops[-1], str) else None
        if isinstance(pattern, pikepdf.Object) and "/Shading" in pattern:
            self._shading(pattern.Shading)

    def _shading(self, obj: Any) -> None:
        if isinstance(obj, pikepdf.Dictionary):
            cs = obj.get("/ColorSpace", "/DeviceGray")  # type: ignore[arg-type]
            space = space_from(cs, self.res.named_space)
            if space.foreign:
                self.checks.foreign(space.foreign, "shading")

    # XObjects, inline images and shadings

    def draw_object(self, op: str, ops: list[Any]) -> None:
        """Do, sh and BI (an inline image, as `read_instructions` gives it)."""
        if op == "Do":
            self._xobject(ops[0])
        elif op == "sh":
            self._shading(self.res.get("/Shading", ops[0]))
            shown = self.checks.placed(self.gs.clip, self.gs)  # a shading fills the clip
            if shown is not None:
                self.checks.outside_trim(shown, "shading", self.checks.limits.allow_bleed)
        else:  # BI
            self._inline_image(ops[0])

    def _xobject(self, name: str) -> None:
        xobj = self.res.get("/XObject", name)
        if not isinstance(xobj, pikepdf.Stream):
            return
        subtype = xobj.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            mask = bool(xobj.get("/ImageMask", False))  # type: ignore[arg-type]
            cs = xobj.get("/ColorSpace")
            space = None if mask or cs is None else space_from(cs, self.res.named_space)
            if "/SMask" in xobj:
                self.checks.add("preflight.transparency", ("smask",), {"what": "SMask"}, {})
            width = float(xobj.get("/Width", 0))  # type: ignore[arg-type]
            height = float(xobj.get("/Height", 0))  # type: ignore[arg-type]
            self.checks.image(self.gs, width, height, space, mask)
        elif subtype == pikepdf.Name.Form:
            self._form(xobj)

    def _form(self, xobj: pikepdf.Stream) -> None:
        key = xobj.objgen
        if len(self.forms) >= MAX_FORM_DEPTH or key in self.forms:
            return  # a form that draws itself, or nesting no renderer writes
        inner = self.gs.copy()
        if "/Matrix" in xobj:
            a, b, c, d, e, f = (float(v) for v in xobj.Matrix)  # type: ignore[attr-defined]
            inner.ctm = mul((a, b, c, d, e, f), self.gs.ctm)
        if "/BBox" in xobj:
            x0, y0, x1, y1 = (float(v) for v in xobj.BBox)  # type: ignore[attr-defined]
            inner.clip = clip(inner.clip, bbox(((x0, y0), (x1, y0), (x0, y1), (x1, y1)), inner.ctm))
        group = xobj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name.Transparency:
            self.checks.add("preflight.transparency", ("group",), {"what": "transparency group"}, {})
        inner_res = self.res
        if "/Resources" in xobj:
            inner_res = Resources(self.checks, xobj.Resources)
            inner_res.check_fonts()
        self.forms.append(key)
        try:
            Interpreter(self.checks, inner_res, inner, self.forms).run(
                read_instructions(xobj, xobj.read_bytes())
            )
        finally:
            self.forms.pop()

    def _inline_image(self, inline: InlineImage) -> None:
        cs = inline.obj.get("/CS", inline.obj.get("/ColorSpace"))
        mask = bool(inline.obj.get("/IM", inline.obj.get("/ImageMask", False)))  # type: ignore[arg-type]
        space = None if mask or cs is None else space_from(cs, self.res.named_space)
        self.checks.image(self.gs, float(inline.width), float(inline.height), space, mask)


def _handlers() -> dict[str, Callable[[Interpreter, str, list[Any]], None]]:
    groups: dict[Callable[[Interpreter, str, list[Any]], None], tuple[str, ...]] = {
        Interpreter.show_text: ("TJ", "Tj", "'", '"'),
        Interpreter.text_position: ("Tm", "Td", "TD", "T*", "BT"),
        Interpreter.text_state: ("Tf", "Tc", "TL", "Tw", "Tz", "Ts", "Tr"),
        Interpreter.graphics_state: ("q", "Q", "cm", "w", "J", "gs"),
        Interpreter.path_segment: ("m", "l", "c", "v", "y", "re"),
        Interpreter.path_end: (*_PAINT, "W", "W*"),
        Interpreter.set_colour: ("k", "K", "g", "G", "rg", "RG", "cs", "CS", "sc", "scn", "SC", "SCN"),
        Interpreter.draw_object: ("Do", "sh", "BI"),
    }
    return {op: method for method, ops in groups.items() for op in ops}


# Operator → the method of its group; operators no check needs (BDC, d, ri …) are skipped.
_HANDLERS = _handlers()
