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

This module is the entry point; the work is split by responsibility: `preflight_tokens` (content
stream → instructions), `preflight_interpreter` (operators → what is painted, and where),
`preflight_checks` (the graphics state the checks read, and the checks of what is painted),
`preflight_resources` (fonts and named resources), `preflight_colour` (colour spaces and ink),
`preflight_geometry` (matrices and boxes) and `preflight_report` (limits, messages, the report).
"""

from __future__ import annotations

import io
from typing import Any

import pikepdf

from print.preflight_checks import GraphicsState, PageChecks
from print.preflight_geometry import Box, Matrix
from print.preflight_interpreter import Interpreter
from print.preflight_report import (
    MESSAGES,
    NEWSPRINT_LIMITS,
    PreflightLimits,
    PreflightReport,
    Problem,
    problem,
)
from print.preflight_resources import Resources
from print.preflight_tokens import Instruction, read_instructions
from print.preflight_tokens import from_pikepdf as _from_pikepdf
from print.preflight_tokens import tokenize as _tokenize

# The `type: ignore`s in this module are pikepdf 10's stubs: they type Object.get's default as
# None and Object.__iter__ as returning an Iterable, not an Iterator.

# What other code imports from here (the tests read the tokenizer under its old private names).
__all__ = [
    "MESSAGES",
    "NEWSPRINT_LIMITS",
    "Box",
    "Instruction",
    "Matrix",
    "PreflightLimits",
    "PreflightReport",
    "Problem",
    "_from_pikepdf",
    "_tokenize",
    "preflight",
]


def preflight(pdf: bytes, limits: PreflightLimits = NEWSPRINT_LIMITS) -> PreflightReport:
    """Check every page of `pdf` for print problems (see the module docstring)."""
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        unreadable = problem(0, "preflight.unreadable", {"error": str(exc)}, {})
        return PreflightReport((unreadable,), 0)
    with doc:
        problems: list[Problem] = []
        for number, page in enumerate(doc.pages, start=1):
            problems.extend(_check_page(page.obj, number, limits))
        return PreflightReport(tuple(problems), len(doc.pages))


def _check_page(page: pikepdf.Dictionary, number: int, limits: PreflightLimits) -> list[Problem]:
    """The problems of one page (`number` is 1-based): its boxes, its fonts, then what it draws."""
    checks = PageChecks(page, number, limits)
    contents = page.get("/Contents")
    streams: list[Any] = []
    if isinstance(contents, pikepdf.Array):
        streams = list(contents)  # type: ignore[call-overload]
    elif contents is not None:
        streams = [contents]
    data = b"\n".join(s.read_bytes() for s in streams)
    source = page if len(streams) != 1 else streams[0]
    resources = Resources(checks, page.get("/Resources"))
    resources.check_fonts()
    Interpreter(checks, resources, GraphicsState(checks.visible), []).run(read_instructions(source, data))
    return checks.problems()
