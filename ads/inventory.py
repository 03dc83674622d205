"""Ad inventory: the places on a page an advertiser can book, as cells of the page's grid.

A page's type area is cut into `ROWS_PER_PAGE` (16) ad rows of `lines // 16` grid lines each,
counted from the foot (row 0 is the bottom row). The lines left over sit at the top, above every
row; only the full page and the ear reach into them. A cell is one ad row of one column:
`cell = row * columns + col`. Every slot lists the cells its box touches, so two slots whose
boxes overlap share a cell and two that do not share none: claiming a booking's cells in the
database (unique per edition, page and cell) makes double-selling impossible whichever
overlapping alternatives were booked. The 中缝 strips lie outside the type area; their cells
live in their own range from `GUTTER_CELL_BASE` on.

Sizes come from the reference card (domain.md, one county daily's card in cm). A width becomes
the number of columns whose span comes closest to it. A height is a share of that card's full
page (48 cm) and becomes the same share of the 16 ad rows, rounded up: measured in cm on our
grid, whose rows are 2.86 cm, a "1/16 page" of 3 cm would round up to 2 rows (an eighth of the
page) and a half page of 24 cm to 9 rows, so the fractions would neither tile nor be the share
of the page they are sold as. The 8 cm band and ear take 3 rows either way (8 cm ≈ 17 lines →
3 rows of 6). Classified modules are not on the card: their cm are measured on the grid (lines
rounded up, then whole rows).

Boxes are in grid units from the top of the type area, like the layout engine's `Box`. A slot
that another slot can sit on leaves the top `gap_lines` of its rows white: the layout engine
keeps that many white lines between stacked blocks, and refuses a fixed ad that touches one
above or below it, so without the gap two adjacent bookings could not both print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ROWS_PER_PAGE = 16
STACK_ROWS = ROWS_PER_PAGE // 2  # stacked fractions and modules fill at most the lower half
CARD_PAGE_HEIGHT_CM = 48.0  # the reference card's full page (35 × 48 cm)
GUTTER_CELL_BASE = 100_000  # 中缝 cells: outside the type area, so outside its cell numbers
PT_PER_CM = 72 / 2.54
_EPS = 1e-9  # float noise in cm → rows must not cost a whole extra row

Anchor = Literal["full", "bottom", "ear", "gutter", "module"]
# any: every page; front: page 1; inside: 2 … n-1; not_front: 2 … n; spread: the left page p of
# an inside spread p | p+1 (p even, p+1 ≤ n-1), which owns the 中缝 between the two pages.
PagesRule = Literal["any", "front", "inside", "not_front", "spread"]
PageClass = Literal["front", "inside", "back"]
# "full", "ear" and "bottom" are the layout engine's AdPosition; "gutter" is outside the type
# area, which the engine does not lay out.
SlotPosition = Literal["full", "ear", "bottom", "gutter"]

PAGE_CLASSES: tuple[PageClass, ...] = ("front", "inside", "back")
PAGE_CLASS_NAMES: dict[str, tuple[str, str]] = {
    "front": ("头版", "front page"),
    "inside": ("内版", "inside page"),
    "back": ("末版", "back page"),
}
_RULE_CLASSES: dict[str, frozenset[PageClass]] = {
    "any": frozenset(PAGE_CLASSES),
    "front": frozenset({"front"}),
    "inside": frozenset({"inside"}),
    "not_front": frozenset({"inside", "back"}),
    "spread": frozenset({"inside"}),
}


@dataclass(frozen=True)
class SlotType:
    """A kind of place sold on the page: its nominal size on the reference card and its pages.

    `width_cm` is None for classified modules (their width is the publication's module columns);
    `height_cm` is None for modules (the publication's module cm) and the 中缝 (sold per 字 in
    segments one ad row high). `stacks`: more of this type may sit one above the other in the
    lower half of the page (fractions, modules); the others sit on the foot only.
    """

    key: str
    name_zh: str
    name_en: str
    width_cm: float | None
    height_cm: float | None
    anchor: Anchor
    pages: PagesRule
    stacks: bool = False

    def allowed_on(self, page: int, page_count: int) -> bool:
        """True when this type may be sold on `page` of a `page_count`-page edition."""
        _check_page(page, page_count)
        if self.pages == "any":
            return True
        if self.pages == "front":
            return page == 1
        if self.pages == "inside":
            return 1 < page < page_count
        if self.pages == "not_front":
            return page > 1
        return page % 2 == 0 and page + 1 <= page_count - 1

    @property
    def page_classes(self) -> frozenset[PageClass]:
        """The page classes this type can ever appear on (what a rate card may price it for)."""
        return _RULE_CLASSES[self.pages]


# Page eligibility follows the usual shape of a Chinese daily's card: the front page sells only
# the ear, the bottom band (头版通栏) and half bands, never a page fraction (news leads the
# front); bands and half bands are also sold on inside pages and the back page (内版通栏,
# 末版通栏); the full page and the fractions on any page but the front.
SLOT_TYPES: dict[str, SlotType] = {
    t.key: t
    for t in (
        SlotType("full", "整版", "full page", 35.0, 48.0, "full", "not_front"),
        SlotType("half", "1/2版", "half page", 35.0, 24.0, "bottom", "not_front", stacks=True),
        SlotType("quarter", "1/4版", "quarter page", 35.0, 12.0, "bottom", "not_front", stacks=True),
        SlotType("eighth", "1/8版", "eighth page", 35.0, 6.0, "bottom", "not_front", stacks=True),
        SlotType("sixteenth", "1/16版", "sixteenth page", 35.0, 3.0, "bottom", "not_front", stacks=True),
        SlotType("band", "通栏", "bottom band", 35.0, 8.0, "bottom", "any"),
        SlotType("half_band", "半通栏", "half band", 17.0, 8.0, "bottom", "any"),
        SlotType("ear", "报眼", "ear", 17.0, 8.0, "ear", "front"),
        # The 中缝 between two broadsheet pages: twice the 20 mm trim margin, about 3 cm printable.
        SlotType("gutter", "中缝", "gutter strip", 3.0, None, "gutter", "spread"),
        SlotType("module", "分类广告模块", "classified module", None, None, "module", "inside", stacks=True),
    )
}


class GeometryLike(Protocol):
    """What `GridSpec.from_geometry` reads (notices_app.layout.geometry.PageGeometry has it)."""

    @property
    def columns(self) -> int: ...
    @property
    def lines_per_column(self) -> int: ...
    @property
    def column_width(self) -> float: ...
    @property
    def gutter_actual(self) -> float: ...
    @property
    def leading_pt(self) -> float: ...


@dataclass(frozen=True)
class GridSpec:
    """A page's column and baseline grid as plain numbers (ads/ may not import the layout).

    `gutter_pt` is the gutter actually set between columns (PageGeometry.gutter_actual);
    `gap_lines` the white lines the layout engine keeps between stacked blocks (its default 1).
    """

    columns: int
    lines: int
    column_width_pt: float
    gutter_pt: float
    leading_pt: float
    gap_lines: int = 1

    def __post_init__(self) -> None:
        if self.columns < 1:
            raise ValueError("a grid needs at least one column")
        if self.column_width_pt <= 0 or self.leading_pt <= 0 or self.gutter_pt < 0:
            raise ValueError("column width and leading must be positive, the gutter not negative")
        if self.gap_lines < 0:
            raise ValueError("gap_lines cannot be negative")
        if self.lines // ROWS_PER_PAGE <= self.gap_lines:
            raise ValueError(
                f"{self.lines} lines make ad rows of {self.lines // ROWS_PER_PAGE} lines: "
                f"too few to hold more than the {self.gap_lines}-line gap"
            )

    @classmethod
    def from_geometry(cls, geometry: GeometryLike, gap_lines: int = 1) -> GridSpec:
        """The grid of a PageGeometry (or anything shaped like one)."""
        return cls(
            columns=geometry.columns,
            lines=geometry.lines_per_column,
            column_width_pt=geometry.column_width,
            gutter_pt=geometry.gutter_actual,
            leading_pt=geometry.leading_pt,
            gap_lines=gap_lines,
        )

    @property
    def row_lines(self) -> int:
        """Grid lines per ad row."""
        return self.lines // ROWS_PER_PAGE

    def row_top(self, row: int) -> int:
        """Top grid line of ad row `row` (0 = the bottom row)."""
        return self.lines - (row + 1) * self.row_lines

    def span_pt(self, cols: int) -> float:
        """Width of `cols` whole columns with the gutters between them."""
        return cols * self.column_width_pt + (cols - 1) * self.gutter_pt

    def rows_touched(self, line: int, lines: int) -> range:
        """The ad rows that grid lines [line, line + lines) reach into (the top spare is no row)."""
        if lines < 1:
            return range(0)
        lowest = (self.lines - (line + lines)) // self.row_lines
        highest = min(ROWS_PER_PAGE - 1, (self.lines - 1 - line) // self.row_lines)
        return range(max(0, lowest), highest + 1)

    def cells(self, col: int, cols: int, line: int, lines: int) -> frozenset[int]:
        """Cells of a box in the type area: every (ad row, column) it touches."""
        return frozenset(
            row * self.columns + c for row in self.rows_touched(line, lines) for c in range(col, col + cols)
        )


def columns_for_width(grid: GridSpec, width_cm: float) -> int:
    """Columns whose span comes closest to `width_cm` (never more than the page has)."""
    target = width_cm * PT_PER_CM
    return min(range(1, grid.columns + 1), key=lambda k: (abs(grid.span_pt(k) - target), k))


def rows_for_card_height(height_cm: float) -> int:
    """Ad rows for a height on the reference card: the same share of the page, rounded up."""
    share = height_cm * ROWS_PER_PAGE / CARD_PAGE_HEIGHT_CM
    return max(1, min(ROWS_PER_PAGE, math.ceil(share - _EPS)))


def lines_for_cm(grid: GridSpec, height_cm: float) -> int:
    """Grid lines a height measured on the grid needs (rounded up)."""
    return max(1, math.ceil(height_cm * PT_PER_CM / grid.leading_pt - _EPS))


def rows_for_cm(grid: GridSpec, height_cm: float) -> int:
    """Ad rows a height measured on the grid needs (lines rounded up, then whole rows)."""
    return math.ceil(lines_for_cm(grid, height_cm) / grid.row_lines)


def max_module_cm(grid: GridSpec) -> int:
    """The tallest module in whole cm that still fits the lower half of the page (0: none)."""
    cm = 0
    while rows_for_cm(grid, cm + 1) <= STACK_ROWS:
        cm += 1
    return cm


def page_class(page: int, page_count: int) -> PageClass:
    """front (page 1), back (the last page of a paper with more than one) or inside."""
    _check_page(page, page_count)
    if page == 1:
        return "front"
    return "back" if page == page_count else "inside"


@dataclass(frozen=True)
class Slot:
    """One sellable place on one page: a box on the grid and the cells it claims.

    `col`/`cols` are columns, `line`/`lines` grid lines from the top of the type area (the
    layout engine's Box). A gutter slot's `col` is -1 (odd, right-hand pages: the 中缝 is on
    their left) or `columns` (even pages): outside the type area, so no layout box.
    """

    type_key: str
    index: int
    page: int
    col: int
    cols: int
    line: int
    lines: int
    cells: frozenset[int]
    position: SlotPosition
    label_zh: str
    label_en: str

    @property
    def end_col(self) -> int:
        return self.col + self.cols

    @property
    def end_line(self) -> int:
        return self.line + self.lines

    @property
    def in_type_area(self) -> bool:
        return self.position != "gutter"

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang.startswith("en") else self.label_zh

    def overlaps(self, other: Slot) -> bool:
        """True when both boxes share a grid place on the same page."""
        return (
            self.page == other.page
            and self.col < other.end_col
            and other.col < self.end_col
            and self.line < other.end_line
            and other.line < self.end_line
        )


def page_slots(
    grid: GridSpec, page: int, page_count: int, module_cols: int = 1, module_cm: int = 0
) -> list[Slot]:
    """Every sellable place on `page` of a `page_count`-page edition, overlapping alternatives
    included (a full page, its half, the quarters inside that half …).

    Bottom slots stack up from the foot (index 0 on the foot) and, when several fit side by
    side, are flush right like the layout engine's bottom ads (index 0 the leftmost). Classified
    modules of `module_cols` columns × `module_cm` cm are offered on inside pages when
    `module_cm` > 0.
    """
    _check_page(page, page_count)
    if module_cm < 0 or not 1 <= module_cols <= grid.columns:
        raise ValueError(f"a module spans 1 to {grid.columns} columns and a positive height")
    out: list[Slot] = []
    for t in SLOT_TYPES.values():
        if not t.allowed_on(page, page_count):
            continue
        if t.anchor == "full":
            out.append(_full(grid, t, page))
        elif t.anchor == "ear":
            out.append(_ear(grid, t, page))
        elif t.anchor == "gutter":
            out += _gutter(grid, t, page)
        elif t.anchor == "module":
            if module_cm > 0:
                name = (
                    f"{t.name_zh} {module_cols}栏×{module_cm}厘米",
                    f"{t.name_en} {module_cols} col × {module_cm} cm",
                )
                out += _bottom(grid, t, page, module_cols, rows_for_cm(grid, module_cm), name)
        else:
            assert t.width_cm is not None and t.height_cm is not None
            cols = columns_for_width(grid, t.width_cm)
            out += _bottom(grid, t, page, cols, rows_for_card_height(t.height_cm), (t.name_zh, t.name_en))
    return out


def find_slot(slots: Sequence[Slot], type_key: str, index: int) -> Slot | None:
    """The slot of that type and index, e.g. to rebuild a booking's slot from its record."""
    return next((s for s in slots if s.type_key == type_key and s.index == index), None)


def slot_size_pt(grid: GridSpec, slot: Slot) -> tuple[float, float]:
    """Width and height of the slot's box in points (what artwork must fill)."""
    height = slot.lines * grid.leading_pt
    if not slot.in_type_area:
        width_cm = SLOT_TYPES[slot.type_key].width_cm
        assert width_cm is not None
        return width_cm * PT_PER_CM, height
    return grid.span_pt(slot.cols), height


# Builders -----------------------------------------------------------------------------------------


def _check_page(page: int, page_count: int) -> None:
    if page_count < 1 or not 1 <= page <= page_count:
        raise ValueError(f"page {page} is not in an edition of {page_count} pages")


def _full(grid: GridSpec, t: SlotType, page: int) -> Slot:
    return Slot(
        t.key,
        0,
        page,
        0,
        grid.columns,
        0,
        grid.lines,
        grid.cells(0, grid.columns, 0, grid.lines),
        "full",
        f"第{page}版 {t.name_zh}",
        f"Page {page} {t.name_en}",
    )


def _ear(grid: GridSpec, t: SlotType, page: int) -> Slot:
    # Beside the masthead at the very top of the type area, where the layout engine puts an ear;
    # its box reaches from the spare lines into the highest rows, which are its cells.
    assert t.width_cm is not None and t.height_cm is not None
    cols = columns_for_width(grid, t.width_cm)
    lines = rows_for_card_height(t.height_cm) * grid.row_lines
    col = grid.columns - cols
    return Slot(
        t.key,
        0,
        page,
        col,
        cols,
        0,
        lines,
        grid.cells(col, cols, 0, lines),
        "ear",
        f"第{page}版 {t.name_zh}",
        f"Page {page} {t.name_en} (top right)",
    )


def _bottom(
    grid: GridSpec, t: SlotType, page: int, cols: int, rows: int, name: tuple[str, str]
) -> list[Slot]:
    per_level = grid.columns // cols
    levels = STACK_ROWS // rows if t.stacks else 1
    first_col = grid.columns - per_level * cols  # flush right: spare columns stay on the left
    out: list[Slot] = []
    for level in range(levels):
        top = grid.row_top(level * rows + rows - 1)
        line = top + grid.gap_lines
        lines = rows * grid.row_lines - grid.gap_lines
        for i in range(per_level):
            col = first_col + i * cols
            zh, en = _where(level, levels, ("自下", "层", "from the foot"), ("下", "上"), ("lower", "upper"))
            side_zh, side_en = _where(
                i, per_level, ("左起", "格", "from the left"), ("左", "右"), ("left", "right")
            )
            if side_zh:
                zh = f"{zh}，{side_zh}" if zh else side_zh
                en = f"{en}, {side_en}" if en else side_en
            out.append(
                Slot(
                    t.key,
                    len(out),
                    page,
                    col,
                    cols,
                    line,
                    lines,
                    grid.cells(col, cols, line, lines),
                    "bottom",
                    f"第{page}版 {name[0]}" + (f"({zh})" if zh else ""),
                    f"Page {page} {name[1]}" + (f" ({en})" if en else ""),
                )
            )
    return out


def _gutter(grid: GridSpec, t: SlotType, page: int) -> list[Slot]:
    # Even pages are left-hand pages: the 中缝 is to the right of their type area.
    col = grid.columns if page % 2 == 0 else -1
    out: list[Slot] = []
    for row in range(ROWS_PER_PAGE):
        zh, en = _where(row, ROWS_PER_PAGE, ("自下", "格", "from the foot"), ("下", "上"), ("lower", "upper"))
        out.append(
            Slot(
                t.key,
                row,
                page,
                col,
                1,
                grid.row_top(row) + grid.gap_lines,
                grid.row_lines - grid.gap_lines,
                frozenset({GUTTER_CELL_BASE + row}),
                "gutter",
                f"第{page}、{page + 1}版{t.name_zh}({zh})",
                f"{t.name_en.capitalize()} between pages {page} and {page + 1} ({en})",
            )
        )
    return out


def _where(
    i: int, count: int, counted: tuple[str, str, str], pair_zh: tuple[str, str], pair_en: tuple[str, str]
) -> tuple[str, str]:
    """zh/en words for the i-th of `count` places: none for one, the pair's names for two, else
    counted (`counted` = zh start, zh unit, en direction: 自下第3层 / 3rd from the foot)."""
    if count == 1:
        return "", ""
    if count == 2:
        return pair_zh[i], pair_en[i]
    start_zh, unit_zh, from_en = counted
    return f"{start_zh}第{i + 1}{unit_zh}", f"{_ordinal(i + 1)} {from_en}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
