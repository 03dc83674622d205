"""The classified module's size on the rate card, its default, its price and the tallest module
a grid takes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ads.inventory import STACK_ROWS, GridSpec, max_module_cm, page_slots, rows_for_cm
from ads.ratecard import DEFAULT_MODULE_SIZE, DEMO_RATE_CARD, ModuleSize, RateCard, quote_slot

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BROADSHEET = GridSpec(columns=6, lines=102, column_width_pt=153.0, gutter_pt=14.8, leading_pt=13.5)


def _card(**changes: object) -> RateCard:
    data = copy.deepcopy(DEMO_RATE_CARD)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return RateCard.from_dict(data)


def test_the_demo_card_sells_two_by_five_modules_at_600_yuan() -> None:
    card = _card()
    assert card.module == ModuleSize(2, 5) == DEFAULT_MODULE_SIZE
    q = quote_slot(card, "module", "inside", now=NOW)  # one module of the card's size
    assert q.total_fen == 60_000 and q.measure.columns == 2 and q.measure.height_cm == 5
    assert q.items[0].label_zh == "刊登费（分类广告模块·内版，2栏×5厘米，600.00元/期 × 1期）"
    # An explicit size still wins (the counter's own measure).
    assert quote_slot(card, "module", "inside", cols=3, height_cm=4, now=NOW).total_fen == 72_000


def test_the_size_round_trips_and_old_cards_stay_as_they_were() -> None:
    card = _card(module_size={"cols": 1, "cm": 3})
    assert card.module == ModuleSize(1, 3)
    assert RateCard.from_dict(card.to_dict()) == card
    assert card.to_dict()["module_size"] == {"cols": 1, "cm": 3}
    old = _card(module_size=None)
    assert "module_size" not in old.to_dict()
    assert old.module == DEFAULT_MODULE_SIZE  # it prices modules, so it sells the default size
    no_modules = {k: v for k, v in DEMO_RATE_CARD["slots"].items() if k != "module"}
    assert _card(module_size=None, slots=no_modules).module is None
    assert (
        quote_slot(_card(module_size={"cols": 1, "cm": 3}), "module", "inside", now=NOW).total_fen == 30_000
    )


@pytest.mark.parametrize(
    "value",
    [
        {"cols": 0, "cm": 5},
        {"cols": 2, "cm": -1},
        {"cols": 2, "cm": 5.5},
        {"cols": "2", "cm": 5},
        {"cols": True, "cm": 5},
        {"cols": 2},
        {"cols": 2, "cm": 5, "rows": 1},
        [2, 5],
    ],
)
def test_bad_module_sizes_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        _card(module_size=value)


def test_the_tallest_module_fits_the_lower_half() -> None:
    assert max_module_cm(BROADSHEET) == 22
    tallest = [s for s in page_slots(BROADSHEET, 2, 4, 2, 22) if s.type_key == "module"]
    assert len(tallest) == 3  # one level of three, 8 rows
    assert not [s for s in page_slots(BROADSHEET, 2, 4, 2, 23) if s.type_key == "module"]


@given(
    columns=st.integers(1, 8),
    lines=st.integers(40, 160),
    leading=st.floats(9.0, 16.0),
)
def test_max_module_cm_is_the_boundary(columns: int, lines: int, leading: float) -> None:
    grid = GridSpec(columns=columns, lines=lines, column_width_pt=100.0, gutter_pt=10.0, leading_pt=leading)
    cm = max_module_cm(grid)
    if cm:
        assert rows_for_cm(grid, cm) <= STACK_ROWS
        assert [s for s in page_slots(grid, 2, 4, 1, cm) if s.type_key == "module"]
    assert rows_for_cm(grid, cm + 1) > STACK_ROWS
    assert not [s for s in page_slots(grid, 2, 4, 1, cm + 1) if s.type_key == "module"]
