import json
from datetime import UTC, datetime, timedelta

import pytest

from ads.money import format_fen, parse_yuan, percent_of
from ads.ratecard import (
    DEMO_RATE_CARD,
    KindRate,
    Measure,
    Quote,
    RateCard,
    price_to_charge,
    quote,
    withdrawal_refund_fen,
)
from notices_app.rules.messages import RuleError

NOW = datetime(2013, 10, 18, 9, 0, tzinfo=UTC)
CARD = RateCard.from_dict(DEMO_RATE_CARD)


@pytest.mark.parametrize(
    ("fen", "lang", "text"),
    [
        (4500, "zh", "45.00元"),
        (4500, "en", "¥45.00"),
        (5, "zh", "0.05元"),
        (0, "en", "¥0.00"),
        (123456, "en", "¥1,234.56"),
        (123456, "zh-CN", "1,234.56元"),
        (-450, "zh", "-4.50元"),
        (-450, "en-GB", "-¥4.50"),
    ],
)
def test_format_fen(fen: int, lang: str, text: str) -> None:
    assert format_fen(fen, lang) == text


@pytest.mark.parametrize(("text", "fen"), [("1.80", 180), ("45", 4500), ("1,234.5元", 123450), ("¥0.05", 5)])
def test_parse_yuan(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["1.805", "abc", "", "NaN", "Infinity"])
def test_parse_yuan_refuses(text: str) -> None:
    with pytest.raises(RuleError):
        parse_yuan(text)


@pytest.mark.parametrize(
    ("fen", "pct", "result"), [(1005, 30, 302), (1005, 10, 101), (33696, 10, 3370), (15, 10, 2)]
)
def test_percent_rounds_half_up(fen: int, pct: int, result: int) -> None:
    assert percent_of(fen, pct) == result


def total(kind: str, m: Measure, runs: int = 1, surcharges: tuple[str, ...] = ()) -> int:
    return quote(CARD, kind, m, runs, surcharges, now=NOW).total_fen


# Hand-computed against the demo card: lost_license 45 元 for 25 字 + 1.80 元/字; termination
# 50 元 per column·cm in 0.5 cm steps, minimum 200 元; general 12 元/行, minimum 60 元;
# fixed position +20 %, rush +30 %, colour +50 %; 3+ runs −10 %, 7+ runs −15 %.
@pytest.mark.parametrize(
    ("kind", "measure", "runs", "surcharges", "fen"),
    [
        ("lost_license", Measure(zi=20), 1, (), 4500),  # inside the first 25 字
        ("lost_license", Measure(zi=25), 1, (), 4500),
        ("lost_license", Measure(zi=26), 1, (), 4680),
        ("lost_license", Measure(zi=48), 1, (), 8640),  # 4500 + 23 × 180
        ("lost_license", Measure(zi=48), 2, (), 17280),
        # 3 × 8640 = 25920; rush 7776; (25920 + 7776) × 10 % = 3369.6 → 3370 off
        ("lost_license", Measure(zi=48), 3, ("rush",), 30326),
        ("termination", Measure(columns=1, height_cm=7.2), 1, (), 37500),  # 7.5 cm × 5000
        ("termination", Measure(columns=1, height_cm=7.2), 2, (), 75000),
        ("termination", Measure(columns=2, height_cm=7.0000001), 1, (), 70000),  # float noise ignored
        ("termination", Measure(columns=2, height_cm=7.01), 1, (), 75000),  # a real 0.1 mm over
        ("termination", Measure(columns=1, height_cm=3.0), 1, (), 20000),  # minimum
        # 7 runs × 37500 = 262500; fixed 52500; colour 131250; 446250 × 15 % = 66937.5 → 66938
        ("termination", Measure(columns=1, height_cm=7.5), 7, ("colour", "fixed_position"), 379312),
        ("general", Measure(lines=4), 1, (), 6000),  # minimum
        ("general", Measure(lines=9), 1, (), 10800),
        ("general", Measure(lines=9), 1, ("fixed_position",), 12960),
    ],
)
def test_quote_totals(kind: str, measure: Measure, runs: int, surcharges: tuple[str, ...], fen: int) -> None:
    assert total(kind, measure, runs, surcharges) == fen


def test_line_items_add_up_and_read_well() -> None:
    q = quote(CARD, "lost_license", Measure(zi=48), 3, ["rush", "rush"], now=NOW, validity=timedelta(days=2))
    assert [i.code for i in q.items] == ["base", "surcharge:rush", "discount"]
    assert [i.amount_fen for i in q.items] == [25920, 7776, -3370]
    assert q.total_fen == sum(i.amount_fen for i in q.items)
    assert q.items[0].label("zh") == "刊登费（48字，86.40元/期 × 3期）"
    assert q.items[0].label("en") == "Insertion (48 zi, ¥86.40/run × 3)"
    assert q.items[1].label_zh == "加急（+30%）"
    assert q.items[2].label_en == "3+ runs discount (-10%)"
    assert q.surcharges == ("rush",)
    assert q.card_version == "2013-demo-1"
    assert q.expires_at - q.issued_at == timedelta(days=2)


def test_minimum_and_module_labels() -> None:
    q = quote(CARD, "termination", Measure(columns=1, height_cm=3.0), 1, now=NOW)
    assert "按最低收费" in q.items[0].label_zh
    q = quote(CARD, "termination", Measure(columns=2, height_cm=7.2), 1, now=NOW)
    assert "2栏×7.5厘米" in q.items[0].label_zh


def test_per_notice_unit_and_whole_cm_step() -> None:
    card = RateCard.from_dict(
        {
            "version": "t",
            "effective_from": "2013-01-01",
            "kinds": {
                "flat": {"unit": "per_notice", "base_fen": 1005},
                "box": {"unit": "per_col_cm", "unit_fen": 333, "cm_step": "1"},
            },
            "surcharges": {"rush": {"percent": "30", "label_zh": "加急", "label_en": "Rush"}},
        }
    )
    assert quote(card, "flat", Measure(), 1, ["rush"], now=NOW).total_fen == 1005 + 302
    assert quote(card, "box", Measure(columns=3, height_cm=4.2), 1, now=NOW).total_fen == 3 * 5 * 333


@pytest.mark.parametrize(
    ("kind", "measure", "runs", "surcharges", "code"),
    [
        ("ad", Measure(zi=5), 1, (), "quote.unknown_kind"),
        ("lost_license", Measure(zi=5), 0, (), "quote.no_runs"),
        ("lost_license", Measure(zi=5), 1, ("gold_ink",), "quote.unknown_surcharge"),
        ("lost_license", Measure(zi=0), 1, (), "quote.no_text"),
        ("general", Measure(lines=0), 1, (), "quote.no_text"),
        ("termination", Measure(columns=1, height_cm=0), 1, (), "quote.no_size"),
    ],
)
def test_quote_refusals(
    kind: str, measure: Measure, runs: int, surcharges: tuple[str, ...], code: str
) -> None:
    with pytest.raises(RuleError) as err:
        quote(CARD, kind, measure, runs, surcharges, now=NOW)
    assert err.value.message.code == code


def test_card_and_quote_round_trip_through_json() -> None:
    assert RateCard.from_dict(json.loads(json.dumps(CARD.to_dict()))) == CARD
    q = quote(CARD, "termination", Measure(columns=1, height_cm=7.2, lines=12, zi=180), 3, ["rush"], now=NOW)
    stored = json.loads(json.dumps(q.to_dict()))
    assert stored["total"] == {"zh": format_fen(q.total_fen, "zh"), "en": format_fen(q.total_fen, "en")}
    assert Quote.from_dict(stored) == q


def test_tampered_quote_is_refused() -> None:
    data = quote(CARD, "general", Measure(lines=9), 1, now=NOW).to_dict()
    data["total_fen"] = 1
    with pytest.raises(ValueError, match="line items"):
        Quote.from_dict(data)


def test_float_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="float"):
        KindRate.from_dict({"unit": "per_col_cm", "unit_fen": 100, "cm_step": 0.5})


def test_stored_quote_is_honoured_until_it_expires() -> None:
    m = Measure(zi=48)
    stored = Quote.from_dict(quote(CARD, "lost_license", m, 1, now=NOW, validity=timedelta(days=7)).to_dict())
    dearer_data = json.loads(json.dumps(DEMO_RATE_CARD))
    dearer_data["version"] = "2014-1"
    dearer_data["kinds"]["lost_license"]["unit_fen"] = 200
    dearer = RateCard.from_dict(dearer_data)

    kept = price_to_charge(stored, dearer, "lost_license", m, 1, now=NOW + timedelta(days=6))
    assert kept is stored
    assert kept.total_fen == 8640

    fresh = price_to_charge(stored, dearer, "lost_license", m, 1, now=NOW + timedelta(days=7))
    assert fresh.total_fen == 4500 + 23 * 200
    assert fresh.card_version == "2014-1"

    changed = price_to_charge(stored, dearer, "lost_license", Measure(zi=49), 1, now=NOW)
    assert changed.total_fen == 4500 + 24 * 200
    assert price_to_charge(None, CARD, "lost_license", m, 2, now=NOW).total_fen == 17280


@pytest.mark.parametrize(
    ("paid", "before_cutoff", "refund"),
    [(10000, True, 7000), (10000, False, 0), (8641, True, 6049), (5, True, 3), (0, True, 0)],
)
def test_withdrawal_refund(paid: int, before_cutoff: bool, refund: int) -> None:
    assert withdrawal_refund_fen(paid, before_cutoff) == refund


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        quote(CARD, "general", Measure(lines=9), 1, now=datetime(2013, 10, 18))
