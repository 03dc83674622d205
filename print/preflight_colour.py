"""Preflight's colour: PDF colour spaces and the ink a colour puts on newsprint.

A colour is measured as its total area coverage (%), the number of separations it inks, and the
non-CMYK space it is in, if any (RGB and Lab are refused; grey, CMYK and spot colours print).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pikepdf

# The `type: ignore`s in this module are pikepdf 10's stubs: they type Object.get's default as
# None and Object.__iter__ as returning an Iterable, not an Iterator.

_INK_EPS = 0.001  # a separation below 0.1 % is no ink


@dataclass(frozen=True)
class Colour:
    coverage: float  # total area coverage, %
    inks: int  # separations with ink
    foreign: str | None = None  # the non-CMYK colour space, if any


BLACK = Colour(100.0, 1)


@dataclass(frozen=True)
class Space:
    family: str  # gray, cmyk, rgb, lab, separation, devicen, indexed, pattern
    label: str
    names: tuple[str, ...] = ()  # separation / DeviceN colorants
    base: Space | None = None  # Indexed base
    lookup: bytes = b""

    @property
    def foreign(self) -> str | None:
        if self.family in ("rgb", "lab"):
            return self.label
        if self.base is not None:
            return self.base.foreign
        return None


GRAY = Space("gray", "DeviceGray")
CMYK = Space("cmyk", "DeviceCMYK")
RGB = Space("rgb", "DeviceRGB")
PATTERN = Space("pattern", "Pattern")
_DEVICE_SPACES = {
    "/DeviceGray": GRAY,
    "/G": GRAY,
    "/DeviceCMYK": CMYK,
    "/CMYK": CMYK,
    "/DeviceRGB": RGB,
    "/RGB": RGB,
    "/Pattern": PATTERN,
}
_PROCESS_INKS = 4


def space_from(obj: Any, resolve: Callable[[str], Any], depth: int = 0) -> Space:
    """A colour space from its PDF object (a name or an array), resource names resolved by `resolve`."""
    if depth > 4:  # a resource name that (indirectly) names itself
        return GRAY
    if isinstance(obj, pikepdf.Name):
        obj = str(obj)
    if isinstance(obj, str):
        if obj in _DEVICE_SPACES:
            return _DEVICE_SPACES[obj]
        target = resolve(obj)
        return GRAY if target is None else space_from(target, resolve, depth + 1)
    if isinstance(obj, pikepdf.Array) and len(obj) > 0:
        family = str(obj[0])
        if family == "/ICCBased":
            n = int(obj[1].get("/N", 0))  # type: ignore[arg-type]
            return {1: Space("gray", "ICCBased N=1"), 3: Space("rgb", "ICCBased N=3")}.get(
                n, Space("cmyk", f"ICCBased N={n}")
            )
        if family == "/CalRGB":
            return Space("rgb", "CalRGB")
        if family == "/CalGray":
            return Space("gray", "CalGray")
        if family == "/Lab":
            return Space("lab", "Lab")
        if family == "/Separation":
            name = str(obj[1])
            return Space("separation", f"Separation {name}", (name,))
        if family == "/DeviceN":
            names = tuple(str(n) for n in obj[1])  # type: ignore[attr-defined]
            return Space("devicen", "DeviceN", names)
        if family in ("/Indexed", "/I"):
            base = space_from(obj[1], resolve, depth + 1)
            table = obj[3]
            lookup = table.read_bytes() if isinstance(table, pikepdf.Stream) else bytes(table)
            return Space("indexed", f"Indexed {base.label}", base=base, lookup=lookup)
        if family == "/Pattern":
            return PATTERN
        return space_from(obj[0], resolve, depth + 1)
    return GRAY


@lru_cache(maxsize=1024)
def colour_of(space: Space, values: tuple[Any, ...]) -> Colour:
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
        return colour_of(base, entry)
    elif family in ("rgb", "lab"):
        return Colour(0.0, 3, space.label)
    else:  # pattern, or too few operands: nothing measurable
        return Colour(0.0, 1)
    inks = [max(0.0, min(1.0, v)) for v in inks]
    return Colour(sum(inks) * 100, sum(1 for v in inks if v > _INK_EPS))


def initial_colour(space: Space) -> list[Any]:
    """The colour `cs`/`CS` selects before any `sc` (PDF 32000, 8.6.5 and 8.6.6)."""
    family = space.family
    if family == "cmyk":
        return [0.0, 0.0, 0.0, 1.0]
    if family in ("separation", "devicen"):
        return [1.0] * max(1, len(space.names))
    return [0.0, 0.0, 0.0]  # black in gray and RGB, index 0 of an Indexed space
