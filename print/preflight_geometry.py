"""Preflight's geometry: PDF matrices and axis-aligned boxes in default user space (pt)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in default user space (pt)

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
EPS = 0.01  # pt: coordinates this close to a box edge count as on it


def mul(m: Matrix, n: Matrix) -> Matrix:
    """m × n in PDF's row-vector convention: apply m first, then n."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def bbox(points: Iterable[tuple[float, float]], m: Matrix) -> Box:
    """The bounding box of `points` mapped through `m`."""
    a, b, c, d, e, f = m
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        xs.append(x * a + y * c + e)
        ys.append(x * b + y * d + f)
    return (min(xs), min(ys), max(xs), max(ys))


def intersect(p: Box, q: Box) -> Box | None:
    box = (max(p[0], q[0]), max(p[1], q[1]), min(p[2], q[2]), min(p[3], q[3]))
    return box if box[0] < box[2] + EPS and box[1] < box[3] + EPS else None


def inside(p: Box, q: Box) -> bool:
    return p[0] >= q[0] - EPS and p[1] >= q[1] - EPS and p[2] <= q[2] + EPS and p[3] <= q[3] + EPS


def disjoint(p: Box, q: Box) -> bool:
    return p[2] <= q[0] + EPS or p[0] >= q[2] - EPS or p[3] <= q[1] + EPS or p[1] >= q[3] - EPS


def clip(current: Box, box: Box) -> Box:
    """`current` narrowed to `box`; an empty intersection becomes a zero-size box that hides everything."""
    return intersect(current, box) or (box[0], box[1], box[0], box[1])


def page_box(page: pikepdf.Dictionary, key: str) -> Box | None:
    """The page's box `key` (e.g. "/TrimBox"), normalised; None when the page has none."""
    node: Any = page
    while node is not None:  # MediaBox and CropBox are inheritable
        if key in node:
            x0, y0, x1, y1 = (float(v) for v in node[key])
            return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if key not in ("/MediaBox", "/CropBox"):
            return None
        node = node.get("/Parent")
    return None


def scale(m: Matrix) -> float:
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


def rounded(box: Box) -> tuple[float, ...]:
    return tuple(round(v, 2) for v in box)
