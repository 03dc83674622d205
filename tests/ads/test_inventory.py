import random
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ads.inventory import (
    GUTTER_CELL_BASE,
    ROWS_PER_PAGE,
    SLOT_TYPES,
    GridSpec,
    Slot,
    columns_for_width,
    find_slot,
    lines_for_cm,
    page_class,
    page_slots,
    rows_for_card_height,
    rows_for_cm,
    slot_size_pt,
)
from notices_app.layout.geometry import BROADSHEET, MM, TABLOID
from notices_app.layout.page_layout import lay_out
from notices_app.layout.page_types import AdRequest, Box, EditionPlan, PagePlan

GRID = GridSpec.from_geometry(BROADSHEET)
TAB = GridSpec.from_geometry(TABLOID)


def keyed(slots: list[Slot]) -> dict[tuple[str, int], Slot]:
    return {(s.type_key, s.index): s for s in slots}


def rows_of(s: Slot, grid: GridSpec = GRID) -> set[int]:
    return {c // grid.columns for c in s.cells if c < GUTTER_CELL_BASE}


# Sizes -------------------------------------------------------------------------------------------


def test_broadsheet_grid_numbers() -> None:
    # 6 columns of 17 body characters (153 pt), 102 lines of 13.5 pt: ad rows of 6 lines.
    assert GridSpec(6, 102, 153.0, BROADSHEET.gutter_actual, 13.5, gap_lines=1) == GRID
    assert GRID.row_lines == 6
    assert GRID.row_top(0) == 96 and GRID.row_top(15) == 6  # 6 spare lines above row 15
    assert GRID.span_pt(6) == pytest.approx(350 * MM)
    assert TAB.row_lines == 4  # 73 lines → rows of 4, 9 spare


@pytest.mark.parametrize(
    ("width_cm", "cols"),
    [
        (35, 6),  # 350 mm: the whole type area
        (50, 6),  # never wider than the page
        (17, 3),  # 3 columns span 172.4 mm, 2 span 113.2 mm
        (11, 2),
        (8, 1),  # 1 column is 54.0 mm, 2 are 113.2 mm: 80 mm is nearer the one
        (9, 2),
        (3, 1),
    ],
)
def test_width_to_columns(width_cm: float, cols: int) -> None:
    assert columns_for_width(GRID, width_cm) == cols


@pytest.mark.parametrize(
    ("height_cm", "rows"),
    [(48, 16), (24, 8), (12, 4), (6, 2), (3, 1), (8, 3), (6.0000000001, 2), (6.1, 3), (0.5, 1), (60, 16)],
)
def test_card_height_to_rows(height_cm: float, rows: int) -> None:
    assert rows_for_card_height(height_cm) == rows


@pytest.mark.parametrize(
    ("height_cm", "lines", "rows"),
    [
        (8, 17, 3),  # 226.8 pt / 13.5 = 16.8 lines → 17 → 3 rows of 6
        (5, 11, 2),
        (6 * 13.5 / 72 * 2.54, 6, 1),  # exactly one row; float noise does not add one
        (2.9, 7, 2),
        (0.1, 1, 1),
    ],
)
def test_grid_cm_to_lines_and_rows(height_cm: float, lines: int, rows: int) -> None:
    assert lines_for_cm(GRID, height_cm) == lines
    assert rows_for_cm(GRID, height_cm) == rows


# Every slot type on the broadsheet: (page, of pages) → columns, ad rows, how many, box lines.
@pytest.mark.parametrize(
    ("key", "page", "cols", "rows", "count", "box_lines"),
    [
        ("full", 2, 6, 16, 1, 102),  # the whole type area, spare lines included
        ("half", 2, 6, 8, 1, 47),  # rows × 6 lines less the white gap line on top
        ("quarter", 2, 6, 4, 2, 23),
        ("eighth", 2, 6, 2, 4, 11),
        ("sixteenth", 2, 6, 1, 8, 5),
        ("band", 1, 6, 3, 1, 17),
        ("band", 3, 6, 3, 1, 17),
        ("half_band", 1, 3, 3, 2, 17),
        ("ear", 1, 3, 2, 1, 18),  # 18 lines from the top: the spare 6 and rows 15, 14
        ("gutter", 2, 1, 1, 16, 5),
        ("module", 2, 2, 2, 12, 11),  # 2 col × 5 cm: 11 lines → 2 rows; 3 side by side × 4 levels
    ],
)
def test_slot_sizes_on_the_broadsheet(
    key: str, page: int, cols: int, rows: int, count: int, box_lines: int
) -> None:
    slots = [s for s in page_slots(GRID, page, 4, module_cols=2, module_cm=5) if s.type_key == key]
    assert len(slots) == count
    assert [s.index for s in slots] == list(range(count))
    for s in slots:
        assert (s.cols, s.lines) == (cols, box_lines)
        if key == "gutter":
            assert len(s.cells) == 1
        else:
            assert len(rows_of(s)) == rows
            assert len(s.cells) == rows * cols


def test_places_on_the_page() -> None:
    inside = keyed(page_slots(GRID, 3, 8))
    assert inside["quarter", 0].line + inside["quarter", 0].lines == 102  # on the foot
    assert rows_of(inside["quarter", 0]) == {0, 1, 2, 3}
    assert rows_of(inside["quarter", 1]) == {4, 5, 6, 7}  # stacked above
    assert inside["quarter", 1].end_line == inside["quarter", 0].line - 1  # one white line between
    assert [inside["half_band", i].col for i in (0, 1)] == [0, 3]
    assert inside["full", 0].position == "full"
    assert {s.position for k, s in inside.items() if k[0] != "full"} == {"bottom"}

    front = keyed(page_slots(GRID, 1, 8))
    ear = front["ear", 0]
    assert (ear.col, ear.cols, ear.line, ear.lines, ear.position) == (3, 3, 0, 18, "ear")
    assert rows_of(ear) == {14, 15}  # the highest rows: top right
    assert ear.cells == frozenset(r * 6 + c for r in (14, 15) for c in (3, 4, 5))

    # The 中缝 of spread 2 | 3 belongs to page 2 and lies right of its type area.
    gutter = keyed(page_slots(GRID, 2, 8))["gutter", 0]
    assert (gutter.col, gutter.position, gutter.in_type_area) == (6, "gutter", False)
    assert gutter.cells == frozenset({GUTTER_CELL_BASE})


def test_labels() -> None:
    slots = keyed(page_slots(GRID, 3, 8, module_cols=2, module_cm=5))
    assert slots["quarter", 0].label("zh") == "第3版 1/4版(下)"
    assert slots["quarter", 1].label("en") == "Page 3 quarter page (upper)"
    assert slots["eighth", 2].label_zh == "第3版 1/8版(自下第3层)"
    assert slots["eighth", 2].label_en == "Page 3 eighth page (3rd from the foot)"
    assert slots["half_band", 1].label_zh == "第3版 半通栏(右)"
    assert slots["full", 0].label_en == "Page 3 full page"
    assert slots["module", 4].label_zh == "第3版 分类广告模块 2栏×5厘米(自下第2层，左起第2格)"
    assert slots["module", 4].label_en == (
        "Page 3 classified module 2 col × 5 cm (2nd from the foot, 2nd from the left)"
    )
    assert keyed(page_slots(GRID, 1, 8))["ear", 0].label_zh == "第1版 报眼"
    gutter = keyed(page_slots(GRID, 4, 8))["gutter", 11]
    assert gutter.label_zh == "第4、5版中缝(自下第12格)"
    assert gutter.label_en == "Gutter strip between pages 4 and 5 (12th from the foot)"


def test_sizes_in_points() -> None:
    slots = keyed(page_slots(GRID, 2, 4))
    w, h = slot_size_pt(GRID, slots["quarter", 0])
    assert w == pytest.approx(350 * MM)
    assert h == 23 * 13.5
    assert slot_size_pt(GRID, slots["half_band", 0])[0] == pytest.approx(BROADSHEET.span_width(3))
    assert slot_size_pt(GRID, slots["gutter", 0]) == pytest.approx((3 * 10 * MM, 5 * 13.5))


# Pages -------------------------------------------------------------------------------------------

FRACTIONS = {"full", "half", "quarter", "eighth", "sixteenth"}
BANDS = {"band", "half_band"}


@pytest.mark.parametrize(
    ("page", "pages", "types"),
    [
        (1, 1, BANDS | {"ear"}),
        (1, 8, BANDS | {"ear"}),
        (2, 2, FRACTIONS | BANDS),  # the back page of a two-page paper: no 中缝, no modules
        (2, 3, FRACTIONS | BANDS | {"module"}),  # inside, but page 3 is the back page: no spread
        (2, 4, FRACTIONS | BANDS | {"module", "gutter"}),
        (3, 4, FRACTIONS | BANDS | {"module"}),  # the 中缝 of 2 | 3 is sold once, with page 2
        (4, 4, FRACTIONS | BANDS),
        (6, 8, FRACTIONS | BANDS | {"module", "gutter"}),
        (7, 8, FRACTIONS | BANDS | {"module"}),
        (8, 8, FRACTIONS | BANDS),
    ],
)
def test_page_eligibility(page: int, pages: int, types: set[str]) -> None:
    assert {s.type_key for s in page_slots(GRID, page, pages, module_cols=1, module_cm=4)} == types
    assert all(SLOT_TYPES[k].allowed_on(page, pages) for k in types)


def test_modules_only_when_the_publication_has_them() -> None:
    assert "module" not in {s.type_key for s in page_slots(GRID, 2, 4)}
    # A module taller than the lower half of the page is not offered.
    assert "module" not in {s.type_key for s in page_slots(GRID, 2, 4, module_cols=1, module_cm=30)}


@pytest.mark.parametrize(
    ("page", "pages", "cls"),
    [(1, 1, "front"), (1, 4, "front"), (2, 2, "back"), (2, 4, "inside"), (3, 4, "inside"), (4, 4, "back")],
)
def test_page_class(page: int, pages: int, cls: str) -> None:
    assert page_class(page, pages) == cls


@pytest.mark.parametrize(("page", "pages"), [(0, 4), (5, 4), (1, 0)])
def test_pages_outside_the_edition_are_refused(page: int, pages: int) -> None:
    with pytest.raises(ValueError, match="not in an edition"):
        page_slots(GRID, page, pages)
    with pytest.raises(ValueError, match="not in an edition"):
        page_class(page, pages)


def test_bad_grids_and_modules_are_refused() -> None:
    with pytest.raises(ValueError, match="ad rows"):
        GridSpec(6, 31, 153.0, 14.8, 13.5)  # rows of 1 line: nothing left beside the gap
    with pytest.raises(ValueError, match="module"):
        page_slots(GRID, 2, 4, module_cols=7, module_cm=5)


# Cells -------------------------------------------------------------------------------------------

editions = st.tuples(
    st.sampled_from([GRID, TAB]),
    st.integers(1, 12).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
    st.integers(1, 5),
    st.integers(0, 20),
)


@settings(max_examples=150, deadline=None)
@given(editions)
def test_overlapping_slots_share_cells_and_disjoint_ones_do_not(
    edition: tuple[GridSpec, tuple[int, int], int, int],
) -> None:
    grid, (page, pages), module_cols, module_cm = edition
    slots = page_slots(grid, page, pages, module_cols, module_cm)
    assert len({(s.type_key, s.index) for s in slots}) == len(slots)
    for a, b in combinations(slots, 2):
        assert a.overlaps(b) == bool(a.cells & b.cells), (a.label_en, b.label_en)
        if not a.cells & b.cells and a.col < b.end_col and b.col < a.end_col:
            # One above the other: the layout engine's white line between stacked blocks fits.
            assert a.end_line + grid.gap_lines <= b.line or b.end_line + grid.gap_lines <= a.line


@settings(max_examples=100, deadline=None)
@given(editions, st.data())
def test_a_drawn_pair_of_slots(
    edition: tuple[GridSpec, tuple[int, int], int, int], data: st.DataObject
) -> None:
    grid, (page, pages), module_cols, module_cm = edition
    slots = page_slots(grid, page, pages, module_cols, module_cm)
    a, b = data.draw(st.sampled_from(slots)), data.draw(st.sampled_from(slots))
    assert a.overlaps(b) == bool(a.cells & b.cells)
    assert a.overlaps(a) and a.cells


@settings(max_examples=100, deadline=None)
@given(editions)
def test_slot_boxes_lie_in_the_type_area(edition: tuple[GridSpec, tuple[int, int], int, int]) -> None:
    grid, (page, pages), module_cols, module_cm = edition
    for s in page_slots(grid, page, pages, module_cols, module_cm):
        assert s.page == page and s.cols >= 1 and s.lines >= 1
        if s.in_type_area:
            assert Box(s.col, s.cols, s.line, s.lines).inside(grid.columns, grid.lines)
            assert all(0 <= c < ROWS_PER_PAGE * grid.columns for c in s.cells)
        else:
            assert s.col in (-1, grid.columns) and s.line >= 0 and s.end_line <= grid.lines
            assert all(c >= GUTTER_CELL_BASE for c in s.cells)


def test_booking_the_lower_quarter() -> None:
    slots = page_slots(GRID, 2, 4, module_cols=2, module_cm=5)
    quarter = find_slot(slots, "quarter", 0)
    assert quarter is not None
    # What stays free is what shares no cell with it (services/bookings marks the rest taken).
    free = {(s.type_key, s.index) for s in slots if s.cells.isdisjoint(quarter.cells)}
    assert free == (
        {("quarter", 1), ("eighth", 2), ("eighth", 3)}
        | {("sixteenth", i) for i in range(4, 8)}
        | {("module", i) for i in range(6, 12)}  # levels 3 and 4 of 2-row modules
        | {("gutter", i) for i in range(16)}
    )
    assert find_slot(slots, "quarter", 2) is None


@settings(max_examples=60, deadline=None)
@given(editions, st.randoms(use_true_random=False))
def test_the_layout_engine_prints_any_set_of_cell_disjoint_bookings(
    edition: tuple[GridSpec, tuple[int, int], int, int], rnd: random.Random
) -> None:
    grid, (page, pages), module_cols, module_cm = edition
    slots = [s for s in page_slots(grid, page, pages, module_cols, module_cm) if s.in_type_area]
    rnd.shuffle(slots)
    taken: set[int] = set()
    booked: list[Slot] = []
    for s in slots:  # book greedily in random order, as advertisers would
        if s.cells.isdisjoint(taken):
            booked.append(s)
            taken |= s.cells
    plan = EditionPlan(tuple(PagePlan(n, "mixed") for n in range(1, pages + 1)))
    ads = [
        AdRequest(
            f"{s.type_key}{s.index}", page, s.position, s.cols, s.lines, Box(s.col, s.cols, s.line, s.lines)
        )
        for s in booked
        if s.position != "gutter"
    ]
    layout = lay_out(plan, grid.columns, grid.lines, [], [], ads)
    assert layout.overflow == ()
    placed = {b.id: b.box for b in layout.pages[page - 1].blocks}
    assert placed == {a.id: a.at for a in ads}
