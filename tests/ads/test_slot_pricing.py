import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ads.inventory import GridSpec, page_class, page_slots
from ads.ratecard import (
    DEMO_RATE_CARD,
    KindRate,
    Measure,
    Quote,
    RateCard,
    Unit,
    booking_refund_fen,
    quote,
    quote_slot,
    slot_quote_kind,
)
from notices_app.layout.geometry import BROADSHEET
from notices_app.rules.messages import RuleError

NOW = datetime(2013, 10, 18, 9, 0, tzinfo=UTC)
CARD = RateCard.from_dict(DEMO_RATE_CARD)


def demo_without_slots() -> dict[str, Any]:
    data = copy.deepcopy(DEMO_RATE_CARD)
    del data["slots"]
    return data


# Hand-computed against the demo card (分): full page inside 6,000,000 / back 8,000,000, quarter
# inside 1,650,000, eighth back 1,150,000, band front 1,200,000, half band inside 320,000, ear
# front 800,000; 中缝 4,500 for 25 字 + 180/字; modules 6,000 per column·cm in 0.5 cm steps,
# minimum 30,000; colour +50 %, fixed position +20 %; 3+ runs −10 %, 7+ runs −15 %.
@pytest.mark.parametrize(
    ("key", "cls", "kwargs", "items", "total"),
    [
        ("quarter", "inside", {}, [1_650_000], 1_650_000),
        ("eighth", "back", {}, [1_150_000], 1_150_000),
        ("half_band", "inside", {}, [320_000], 320_000),
        ("band", "front", {"colour": True}, [1_200_000, 600_000], 1_800_000),
        # 3 × 800,000 = 2,400,000; fixed 480,000; (2,880,000) × 10 % = 288,000 off
        ("ear", "front", {"fixed_position": True, "runs": 3}, [2_400_000, 480_000, -288_000], 2_592_000),
        # 7 × 8,000,000 = 56,000,000; colour 28,000,000; fixed 11,200,000; 95,200,000 × 15 % off
        (
            "full",
            "back",
            {"colour": True, "fixed_position": True, "runs": 7},
            [56_000_000, 28_000_000, 11_200_000, -14_280_000],
            80_920_000,
        ),
        ("full", "inside", {"runs": 2}, [12_000_000], 12_000_000),
        ("gutter", "inside", {"zi": 20}, [4_500], 4_500),  # inside the first 25 字
        ("gutter", "inside", {"zi": 48}, [8_640], 8_640),  # 4,500 + 23 × 180
        # 2 col × 4.2 cm → 4.5 cm billed: 2 × 4.5 × 6,000 = 54,000; × 3 runs = 162,000; −16,200
        ("module", "inside", {"cols": 2, "height_cm": 4.2, "runs": 3}, [162_000, -16_200], 145_800),
        ("module", "inside", {"cols": 1, "height_cm": 2}, [30_000], 30_000),  # 12,000 → minimum
    ],
)
def test_slot_quotes(key: str, cls: str, kwargs: dict[str, Any], items: list[int], total: int) -> None:
    q = quote_slot(CARD, key, cls, now=NOW, **kwargs)
    assert [i.amount_fen for i in q.items] == items
    assert q.total_fen == total == sum(i.amount_fen for i in q.items)
    assert q.kind == slot_quote_kind(key, cls) == f"slot:{key}:{cls}"
    assert q.card_version == "2013-demo-1"


def test_slot_line_items_read_well() -> None:
    q = quote_slot(CARD, "ear", "front", colour=True, fixed_position=True, runs=3, now=NOW)
    assert [i.code for i in q.items] == ["base", "surcharge:colour", "surcharge:fixed_position", "discount"]
    assert q.items[0].label_zh == "刊登费（报眼·头版，8,000.00元/期 × 3期）"
    assert q.items[0].label_en == "Insertion (ear, front page, ¥8,000.00/run × 3)"
    assert q.items[1].label_zh == "套色（+50%）"
    assert q.items[3].label_en == "3+ runs discount (-10%)"
    assert q.surcharges == ("colour", "fixed_position")
    module = quote_slot(CARD, "module", "inside", cols=1, height_cm=2, now=NOW)
    assert module.items[0].label_zh == "刊登费（分类广告模块·内版，1栏×2厘米，按最低收费，300.00元/期 × 1期）"
    gutter = quote_slot(CARD, "gutter", "inside", zi=48, now=NOW)
    assert gutter.items[0].label_en == "Insertion (gutter strip, inside page, 48 zi, ¥86.40/run × 1)"


def test_rounding_to_whole_fen() -> None:
    data = demo_without_slots()
    data["slots"] = {
        "quarter": {"inside": 33_335},
        "module": {"inside": {"unit": "per_col_cm", "unit_fen": 333}},
    }
    card = RateCard.from_dict(data)
    q = quote_slot(card, "quarter", "inside", colour=True, runs=3, now=NOW)
    # 3 × 33,335 = 100,005; colour 50,002.5 → 50,003; 150,008 × 10 % = 15,000.8 → 15,001 off
    assert [i.amount_fen for i in q.items] == [100_005, 50_003, -15_001]
    assert q.total_fen == 135_007
    q = quote_slot(card, "module", "inside", cols=3, height_cm=1.5, fixed_position=True, now=NOW)
    # whole-cm steps: 1.5 → 2 cm; 3 × 2 × 333 = 1,998; fixed 399.6 → 400
    assert [i.amount_fen for i in q.items] == [1_998, 400]
    assert all(isinstance(i.amount_fen, int) for i in q.items)


def test_every_slot_the_inventory_offers_has_a_demo_price() -> None:
    grid = GridSpec.from_geometry(BROADSHEET)
    for pages in range(1, 9):
        for page in range(1, pages + 1):
            cls = page_class(page, pages)
            for slot in page_slots(grid, page, pages, module_cols=1, module_cm=3):
                assert CARD.slot_rate(slot.type_key, cls) is not None, (slot.label_en, cls)


def test_card_round_trips_with_its_slots() -> None:
    data = json.loads(json.dumps(CARD.to_dict()))
    assert data["slots"] == DEMO_RATE_CARD["slots"] | {
        "module": {
            "inside": {
                "unit": "per_col_cm",
                "unit_fen": 6000,
                "base_fen": 0,
                "base_zi": 0,
                "minimum_fen": 30000,
                "cm_step": "0.5",
            }
        },
        "gutter": {
            "inside": {
                "unit": "per_zi",
                "unit_fen": 180,
                "base_fen": 4500,
                "base_zi": 25,
                "minimum_fen": 0,
                "cm_step": "1",
            }
        },
    }
    assert data["slots"]["full"] == {"inside": 6_000_000, "back": 8_000_000}  # flat prices stay bare 分
    back = RateCard.from_dict(data)
    assert back == CARD
    assert back.slots == CARD.slots
    assert back.slot_rate("ear", "front") == KindRate(Unit.PER_NOTICE, base_fen=800_000)
    assert back.slot_rate("ear", "inside") is None
    q = quote_slot(CARD, "module", "inside", cols=2, height_cm=4.2, runs=3, colour=True, now=NOW)
    stored = Quote.from_dict(json.loads(json.dumps(q.to_dict())))
    assert stored == q
    assert stored.covers(
        slot_quote_kind("module", "inside"), Measure(columns=2, height_cm=4.2), 3, ["colour"]
    )


def test_an_old_card_without_slots_still_loads_and_prices_notices() -> None:
    data = demo_without_slots()
    card = RateCard.from_dict(data)
    assert card.slots == {}
    assert "slots" not in card.to_dict()
    assert card.to_dict() == RateCard.from_dict(json.loads(json.dumps(data))).to_dict()
    assert quote(card, "general", Measure(lines=9), 1, now=NOW).total_fen == 10800
    with pytest.raises(RuleError) as err:
        quote_slot(card, "quarter", "inside", now=NOW)
    m = err.value.message
    assert m.code == "quote.no_slot_rates"
    assert m.render("zh") == "价目表（2013-demo-1）没有广告版位价格：请管理员在价目表中加上“slots”一节"
    assert (
        m.render("en")
        == 'Rate card 2013-demo-1 has no ad slot prices: an administrator must add its "slots" section'
    )


@pytest.mark.parametrize(
    ("key", "cls", "kwargs", "code", "en"),
    [
        ("billboard", "inside", {}, "quote.unknown_slot", "No such ad slot type: billboard"),
        ("full", "front", {}, "quote.slot_not_sold", "The full page is not sold on the front page"),
        ("quarter", "middle", {}, "quote.unknown_page_class", "Unknown page class: middle"),
        ("quarter", "inside", {"runs": 0}, "quote.no_runs", "Choose at least one run date"),
        ("module", "inside", {"cols": 2}, "quote.no_size", "The notice has no valid size (columns, height)"),
        ("gutter", "inside", {}, "quote.no_text", "The notice has no chargeable text"),
    ],
)
def test_slot_quote_refusals(key: str, cls: str, kwargs: dict[str, Any], code: str, en: str) -> None:
    with pytest.raises(RuleError) as err:
        quote_slot(CARD, key, cls, now=NOW, **kwargs)
    assert err.value.message.code == code
    assert err.value.message.render("en") == en
    assert err.value.message.render("zh")


def test_slot_not_sold_reads_in_chinese() -> None:
    with pytest.raises(RuleError) as err:
        quote_slot(CARD, "full", "front", now=NOW)
    assert err.value.message.render("zh") == "头版不出售整版"


def test_surcharge_missing_from_the_card() -> None:
    data = copy.deepcopy(DEMO_RATE_CARD)
    del data["surcharges"]["colour"]
    with pytest.raises(RuleError) as err:
        quote_slot(RateCard.from_dict(data), "band", "front", colour=True, now=NOW)
    assert err.value.message.code == "quote.unknown_surcharge"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        quote_slot(CARD, "band", "front", now=datetime(2013, 10, 18))


@pytest.mark.parametrize(
    ("slots", "error"),
    [
        ({"billboard": {"inside": 100}}, "unknown slot type 'billboard'"),
        ({"quarter": {"middle": 100}}, "unknown page class 'middle'"),
        ({"ear": {"inside": 100}}, "'ear' is never offered on the inside page"),
        ({"quarter": {"front": 100}}, "'quarter' is never offered on the front page"),
        ({"gutter": {"inside": 4500}}, "'gutter' is priced per_zi, not per_notice"),
        ({"module": {"inside": {"unit": "per_line", "unit_fen": 5}}}, "priced per_col_cm"),
        ({"band": {"front": 1200.0}}, "an int"),
        ({"band": {"front": True}}, "an int"),
        ({"band": {"front": -1}}, "negative"),
        ({"band": 100}, "page class"),
        ([], '"slots"'),
    ],
)
def test_bad_slot_sections_are_refused(slots: Any, error: str) -> None:
    data = demo_without_slots()
    data["slots"] = slots
    with pytest.raises(ValueError, match=error):
        RateCard.from_dict(data)


@pytest.mark.parametrize(
    ("paid", "before", "refund"),
    [(1_650_000, True, 1_155_000), (1_650_000, False, 0), (8641, True, 6049), (5, True, 3), (0, True, 0)],
)
def test_booking_refund(paid: int, before: bool, refund: int) -> None:
    assert booking_refund_fen(paid, before) == refund


def test_quote_validity() -> None:
    q = quote_slot(CARD, "band", "inside", now=NOW, validity=timedelta(minutes=30))
    assert q.expires_at - q.issued_at == timedelta(minutes=30)
    assert q.is_valid(NOW + timedelta(minutes=29)) and not q.is_valid(NOW + timedelta(minutes=30))
