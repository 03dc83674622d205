"""Rate cards as data, and quotes computed from a typeset notice's measure.

Pricing order (each step is a line item rounded to whole 分, so the total always equals the
sum of the printed line items):

1. per-run price from the kind's unit (per_zi / per_line / per_notice / per_col_cm),
   raised to the kind's minimum;
2. × number of runs;
3. each surcharge: percent of (2);
4. the best frequency discount that applies: percent of (2) + (3), negative.

Ad slots (`quote_slot`) are priced the same way. The card's optional "slots" section gives, per
slot type (ads.inventory.SLOT_TYPES) and page class (front, inside, back), a price per
insertion in 分, or for the 中缝 a per-字 rate with its minimum and for classified modules a per
column·cm rate (the same shapes as a notice kind). Slots reuse the card's "surcharges" (colour,
fixed_position) and "frequency_discounts". A page class a type is missing from is not sold.

Classified modules are sold as one fixed size per publication, the card's optional
"module_size" ({"cols": 2, "cm": 5}: columns × whole cm, `ModuleSize`); a card that sells
modules without saying their size sells `DEFAULT_MODULE_SIZE` (2 栏 × 5 cm, the usual unit of
a 对开 broadsheet's classified pages). A module is billed per column·cm on that nominal size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, TypeAlias

from ads.inventory import PAGE_CLASS_NAMES, PAGE_CLASSES, SLOT_TYPES
from ads.money import format_fen, percent_of, round_fen
from notices_app.rules.messages import RuleError, msg

DEFAULT_QUOTE_VALIDITY = timedelta(days=7)
WITHDRAWAL_FEE_PERCENT = 30  # domain.md: withdrawal before the cut-off costs 30 %


class Unit(StrEnum):
    PER_ZI = "per_zi"
    PER_LINE = "per_line"
    PER_NOTICE = "per_notice"
    PER_COL_CM = "per_col_cm"


def _dec(value: Any) -> Decimal:
    # Floats are refused in card data: a rate of 0.1 must not become 0.1000000000000000055.
    if isinstance(value, float):
        raise ValueError(f"use a string or an int for decimal card values, not float {value!r}")
    return Decimal(str(value))


def _pct_text(p: Decimal) -> str:
    return f"{p.normalize():f}%"


@dataclass(frozen=True)
class KindRate:
    """How one notice kind is priced.

    per_zi: `base_fen` buys the first `base_zi` 字, each further 字 costs `unit_fen`.
    per_line: `unit_fen` per printed line. per_notice: `base_fen` flat per 则.
    per_col_cm: `unit_fen` per column × cm, the height rounded up to `cm_step` (1 or 0.5).
    """

    unit: Unit
    unit_fen: int = 0
    base_fen: int = 0
    base_zi: int = 0
    minimum_fen: int = 0
    cm_step: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if min(self.unit_fen, self.base_fen, self.base_zi, self.minimum_fen) < 0:
            raise ValueError("rates cannot be negative")
        if self.cm_step <= 0:
            raise ValueError("cm_step must be positive")

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.value,
            "unit_fen": self.unit_fen,
            "base_fen": self.base_fen,
            "base_zi": self.base_zi,
            "minimum_fen": self.minimum_fen,
            "cm_step": str(self.cm_step),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KindRate:
        return cls(
            unit=Unit(data["unit"]),
            unit_fen=int(data.get("unit_fen", 0)),
            base_fen=int(data.get("base_fen", 0)),
            base_zi=int(data.get("base_zi", 0)),
            minimum_fen=int(data.get("minimum_fen", 0)),
            cm_step=_dec(data.get("cm_step", "1")),
        )


# A slot's rate has the shape of a notice kind's: per_notice (a flat price per insertion) for the
# page fractions, bands and the ear, per_zi for the 中缝, per_col_cm for classified modules.
SlotRate: TypeAlias = KindRate
_SLOT_UNITS: dict[str, Unit] = {
    "full": Unit.PER_NOTICE,
    "bottom": Unit.PER_NOTICE,
    "ear": Unit.PER_NOTICE,
    "gutter": Unit.PER_ZI,
    "module": Unit.PER_COL_CM,
}


@dataclass(frozen=True)
class ModuleSize:
    """The size of a classified module: `cols` columns × `cm` whole centimetres."""

    cols: int
    cm: int

    def __post_init__(self) -> None:
        for name, value in (("cols", self.cols), ("cm", self.cm)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"module_size {name} must be a whole number of at least 1, not {value!r}")

    def to_dict(self) -> dict[str, int]:
        return {"cols": self.cols, "cm": self.cm}

    @classmethod
    def from_dict(cls, data: Any) -> ModuleSize:
        if not isinstance(data, Mapping) or set(data) != {"cols", "cm"}:
            raise ValueError('"module_size" is {"cols": columns, "cm": whole centimetres}')
        return cls(data["cols"], data["cm"])

    def label(self, lang: str = "zh") -> str:
        return f"{self.cols} col × {self.cm} cm" if lang.startswith("en") else f"{self.cols}栏×{self.cm}厘米"


DEFAULT_MODULE_SIZE = ModuleSize(2, 5)


@dataclass(frozen=True)
class Surcharge:
    percent: Decimal
    label_zh: str
    label_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"percent": str(self.percent), "label_zh": self.label_zh, "label_en": self.label_en}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Surcharge:
        return cls(_dec(data["percent"]), str(data["label_zh"]), str(data["label_en"]))


@dataclass(frozen=True)
class FrequencyDiscount:
    min_runs: int
    percent: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"min_runs": self.min_runs, "percent": str(self.percent)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrequencyDiscount:
        return cls(int(data["min_runs"]), _dec(data["percent"]))


@dataclass(frozen=True)
class RateCard:
    """One publication's prices from `effective_from` on; `version` is quoted on every Quote."""

    version: str
    effective_from: date
    kinds: Mapping[str, KindRate] = field(hash=False)
    surcharges: Mapping[str, Surcharge] = field(default_factory=dict, hash=False)
    frequency_discounts: tuple[FrequencyDiscount, ...] = ()
    # {slot type key: {page class: rate}}; empty on cards written before slots were sold.
    slots: Mapping[str, Mapping[str, SlotRate]] = field(default_factory=dict, hash=False)
    # The classified module's size; None: DEFAULT_MODULE_SIZE when the card sells modules.
    module_size: ModuleSize | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "kinds": {k: r.to_dict() for k, r in self.kinds.items()},
            "surcharges": {k: s.to_dict() for k, s in self.surcharges.items()},
            "frequency_discounts": [d.to_dict() for d in self.frequency_discounts],
        }
        if self.slots:  # an old card stays byte-for-byte what it was
            data["slots"] = {
                key: {cls: _slot_rate_to_data(rate) for cls, rate in by_class.items()}
                for key, by_class in self.slots.items()
            }
        if self.module_size is not None:
            data["module_size"] = self.module_size.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateCard:
        return cls(
            version=str(data["version"]),
            effective_from=date.fromisoformat(data["effective_from"]),
            kinds={k: KindRate.from_dict(v) for k, v in data["kinds"].items()},
            surcharges={k: Surcharge.from_dict(v) for k, v in data.get("surcharges", {}).items()},
            frequency_discounts=tuple(
                sorted(
                    (FrequencyDiscount.from_dict(d) for d in data.get("frequency_discounts", ())),
                    key=lambda d: d.min_runs,
                )
            ),
            slots=_slots_from_data(data.get("slots", {})),
            module_size=ModuleSize.from_dict(data["module_size"]) if "module_size" in data else None,
        )

    @property
    def module(self) -> ModuleSize | None:
        """The classified module sold on this card: its stated size, the default size when it
        prices modules without one, None when it sells no modules."""
        if self.module_size is not None:
            return self.module_size
        return DEFAULT_MODULE_SIZE if self.slots.get("module") else None

    def slot_rate(self, slot_type_key: str, page_class: str) -> SlotRate | None:
        """The rate of that slot type on that page class; None when the card does not sell it."""
        return self.slots.get(slot_type_key, {}).get(page_class)

    def discount_for(self, runs: int) -> FrequencyDiscount | None:
        """The largest discount whose threshold `runs` reaches."""
        best: FrequencyDiscount | None = None
        for d in self.frequency_discounts:
            if runs >= d.min_runs and (best is None or d.percent > best.percent):
                best = d
        return best


@dataclass(frozen=True)
class Measure:
    """What the typeset notice occupies; produced by the composer for the preview that prints."""

    zi: int = 0
    lines: int = 0
    columns: int = 1
    height_cm: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"zi": self.zi, "lines": self.lines, "columns": self.columns, "height_cm": self.height_cm}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measure:
        return cls(int(data["zi"]), int(data["lines"]), int(data["columns"]), float(data["height_cm"]))


@dataclass(frozen=True)
class LineItem:
    code: str  # base | surcharge:<key> | discount
    label_zh: str
    label_en: str
    amount_fen: int

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang.startswith("en") else self.label_zh

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "amount_fen": self.amount_fen,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineItem:
        return cls(str(data["code"]), str(data["label_zh"]), str(data["label_en"]), int(data["amount_fen"]))


@dataclass(frozen=True)
class Quote:
    """A price promise: honoured until `expires_at` for the same kind, measure, runs and surcharges."""

    kind: str
    measure: Measure
    runs: int
    surcharges: tuple[str, ...]
    items: tuple[LineItem, ...]
    total_fen: int
    card_version: str
    issued_at: datetime
    expires_at: datetime

    def is_valid(self, now: datetime) -> bool:
        return self.issued_at <= now < self.expires_at

    def covers(self, kind: str, measure: Measure, runs: int, surcharges: Sequence[str]) -> bool:
        """True when the quote was made for exactly this order."""
        return (
            self.kind == kind
            and self.measure == measure
            and self.runs == runs
            and self.surcharges == _norm_surcharges(surcharges)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "measure": self.measure.to_dict(),
            "runs": self.runs,
            "surcharges": list(self.surcharges),
            "items": [i.to_dict() for i in self.items],
            "total_fen": self.total_fen,
            "total": {"zh": format_fen(self.total_fen, "zh"), "en": format_fen(self.total_fen, "en")},
            "card_version": self.card_version,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quote:
        items = tuple(LineItem.from_dict(i) for i in data["items"])
        total = int(data["total_fen"])
        if total != sum(i.amount_fen for i in items):
            raise ValueError("stored quote total does not match its line items")
        return cls(
            kind=str(data["kind"]),
            measure=Measure.from_dict(data["measure"]),
            runs=int(data["runs"]),
            surcharges=tuple(data["surcharges"]),
            items=items,
            total_fen=total,
            card_version=str(data["card_version"]),
            issued_at=datetime.fromisoformat(data["issued_at"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
        )


def _norm_surcharges(keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(set(keys)))


def _slot_rate_to_data(rate: SlotRate) -> int | dict[str, Any]:
    # A flat price is written as the bare number of 分, the way staff read a card.
    if rate == KindRate(Unit.PER_NOTICE, base_fen=rate.base_fen):
        return rate.base_fen
    return rate.to_dict()


def _slot_rate_from_data(key: str, page_class: str, value: Any) -> SlotRate:
    if isinstance(value, Mapping):
        return KindRate.from_dict(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return KindRate(Unit.PER_NOTICE, base_fen=value)
    raise ValueError(
        f"slot {key!r} on the {page_class} page: give a price in 分 (an int) or a rate, not {value!r}"
    )


def _slots_from_data(data: Any) -> dict[str, dict[str, SlotRate]]:
    """The card's "slots" section, checked against the inventory so a typo fails on saving."""
    if not isinstance(data, Mapping):
        raise ValueError('"slots" maps slot types to {page class: price}')
    out: dict[str, dict[str, SlotRate]] = {}
    for key, by_class in data.items():
        slot_type = SLOT_TYPES.get(key)
        if slot_type is None:
            raise ValueError(f"unknown slot type {key!r}; the types are {', '.join(SLOT_TYPES)}")
        if not isinstance(by_class, Mapping):
            raise ValueError(f"slot {key!r}: give {{page class: price}}")
        rates: dict[str, SlotRate] = {}
        for page_class, value in by_class.items():
            if page_class not in PAGE_CLASSES:
                raise ValueError(
                    f"slot {key!r}: unknown page class {page_class!r}; use {', '.join(PAGE_CLASSES)}"
                )
            if page_class not in slot_type.page_classes:
                raise ValueError(f"slot {key!r} is never offered on the {page_class} page")
            rate = _slot_rate_from_data(key, page_class, value)
            expected = _SLOT_UNITS[slot_type.anchor]
            if rate.unit is not expected:
                raise ValueError(f"slot {key!r} is priced {expected.value}, not {rate.unit.value}")
            rates[page_class] = rate
        out[key] = rates
    return out


def _billed_height(height_cm: float, step: Decimal) -> Decimal:
    # The composer's height is a float sum of line advances; round it to 0.1 mm first so that
    # float noise (7.000000001 cm) does not cost the customer a whole extra step.
    h = Decimal(str(height_cm)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (h / step).to_integral_value(rounding=ROUND_CEILING) * step


def _per_run(rate: KindRate, m: Measure) -> tuple[int, str, str]:
    """Price of one run and the zh/en description of what was measured."""
    if rate.unit is Unit.PER_ZI:
        if m.zi <= 0:
            raise RuleError(msg("quote.no_text", "稿件没有可计费的文字", "The notice has no chargeable text"))
        extra = max(0, m.zi - rate.base_zi)
        return rate.base_fen + extra * rate.unit_fen, f"{m.zi}字", f"{m.zi} zi"
    if rate.unit is Unit.PER_LINE:
        if m.lines <= 0:
            raise RuleError(msg("quote.no_text", "稿件没有可计费的文字", "The notice has no chargeable text"))
        return m.lines * rate.unit_fen, f"{m.lines}行", f"{m.lines} lines"
    if rate.unit is Unit.PER_NOTICE:
        return rate.base_fen, "1则", "1 notice"
    if m.columns < 1 or m.height_cm <= 0:
        raise RuleError(
            msg(
                "quote.no_size",
                "稿件尺寸无效（栏数或高度）",
                "The notice has no valid size (columns, height)",
            )
        )
    h = _billed_height(m.height_cm, rate.cm_step)
    h_text = f"{h.normalize():f}"
    return (
        round_fen(Decimal(m.columns) * h * rate.unit_fen),
        f"{m.columns}栏×{h_text}厘米",
        f"{m.columns} col × {h_text} cm",
    )


def quote(
    card: RateCard,
    kind: str,
    measure: Measure,
    runs: int,
    surcharges: Sequence[str] = (),
    *,
    now: datetime,
    validity: timedelta = DEFAULT_QUOTE_VALIDITY,
) -> Quote:
    """Price `runs` insertions of a notice of `kind` measuring `measure` on `card`."""
    _check_now(now)
    rate = card.kinds.get(kind)
    if rate is None:
        raise RuleError(
            msg(
                "quote.unknown_kind",
                "价目表中没有此类稿件：{kind}",
                "No rate for notice kind {kind}",
                kind=kind,
            )
        )
    return _priced(card, kind, rate, measure, runs, surcharges, None, now, validity)


def _check_now(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")


def _priced(
    card: RateCard,
    kind: str,
    rate: KindRate,
    measure: Measure,
    runs: int,
    surcharges: Sequence[str],
    subject: tuple[str, str] | None,
    now: datetime,
    validity: timedelta,
) -> Quote:
    """The quote in the module docstring's order; `subject` (zh, en) names an ad slot."""
    if runs < 1:
        raise RuleError(msg("quote.no_runs", "请至少选择一个刊登日期", "Choose at least one run date"))
    keys = _norm_surcharges(surcharges)
    unknown = [k for k in keys if k not in card.surcharges]
    if unknown:
        raise RuleError(
            msg(
                "quote.unknown_surcharge",
                "未知的附加项目：{keys}",
                "Unknown surcharge: {keys}",
                keys=", ".join(unknown),
            )
        )

    per_run, what_zh, what_en = _per_run(rate, measure)
    if subject is not None:
        if rate.unit is Unit.PER_NOTICE:  # "1则" says nothing about a slot
            what_zh, what_en = subject
        else:
            what_zh, what_en = f"{subject[0]}，{what_zh}", f"{subject[1]}, {what_en}"
    minimum_zh = minimum_en = ""
    if per_run < rate.minimum_fen:
        per_run = rate.minimum_fen
        minimum_zh, minimum_en = "，按最低收费", ", minimum charge"
    base = per_run * runs
    items = [
        LineItem(
            "base",
            f"刊登费（{what_zh}{minimum_zh}，{format_fen(per_run, 'zh')}/期 × {runs}期）",
            f"Insertion ({what_en}{minimum_en}, {format_fen(per_run, 'en')}/run × {runs})",
            base,
        )
    ]
    for key in keys:
        s = card.surcharges[key]
        items.append(
            LineItem(
                f"surcharge:{key}",
                f"{s.label_zh}（+{_pct_text(s.percent)}）",
                f"{s.label_en} (+{_pct_text(s.percent)})",
                percent_of(base, s.percent),
            )
        )
    discount = card.discount_for(runs)
    if discount is not None and discount.percent > 0:
        subtotal = sum(i.amount_fen for i in items)
        items.append(
            LineItem(
                "discount",
                f"连登{discount.min_runs}期及以上优惠（-{_pct_text(discount.percent)}）",
                f"{discount.min_runs}+ runs discount (-{_pct_text(discount.percent)})",
                -percent_of(subtotal, discount.percent),
            )
        )
    return Quote(
        kind=kind,
        measure=measure,
        runs=runs,
        surcharges=keys,
        items=tuple(items),
        total_fen=sum(i.amount_fen for i in items),
        card_version=card.version,
        issued_at=now,
        expires_at=now + validity,
    )


def slot_quote_kind(slot_type_key: str, page_class: str) -> str:
    """`Quote.kind` of a slot quote, e.g. "slot:quarter:inside" (for `Quote.covers`)."""
    return f"slot:{slot_type_key}:{page_class}"


def quote_slot(
    card: RateCard,
    slot_type_key: str,
    page_class: str,
    *,
    colour: bool = False,
    fixed_position: bool = False,
    runs: int = 1,
    cols: int | None = None,
    height_cm: float | None = None,
    zi: int | None = None,
    now: datetime,
    validity: timedelta = DEFAULT_QUOTE_VALIDITY,
) -> Quote:
    """Price `runs` insertions of an ad in a slot of type `slot_type_key` on a `page_class` page.

    Classified modules are billed per column·cm on `cols` × `height_cm`, by default one module
    of the card's size (`RateCard.module`); the 中缝 needs `zi` (billed per 字); the other
    types have one price per insertion. Colour and fixed position are
    the card's "colour" and "fixed_position" surcharges. Raises RuleError when the card has no
    slot prices at all (a card from before slots were sold) or does not sell this slot there.
    """
    _check_now(now)
    if not card.slots:
        raise RuleError(
            msg(
                "quote.no_slot_rates",
                "价目表（{version}）没有广告版位价格：请管理员在价目表中加上“slots”一节",
                'Rate card {version} has no ad slot prices: an administrator must add its "slots" section',
                version=card.version,
            )
        )
    slot_type = SLOT_TYPES.get(slot_type_key)
    if slot_type is None:
        raise RuleError(
            msg(
                "quote.unknown_slot",
                "没有这种广告版位：{key}",
                "No such ad slot type: {key}",
                key=slot_type_key,
            )
        )
    if page_class not in PAGE_CLASS_NAMES:
        raise RuleError(
            msg(
                "quote.unknown_page_class",
                "未知的版面类别：{page_class}",
                "Unknown page class: {page_class}",
                page_class=page_class,
            )
        )
    class_zh, class_en = PAGE_CLASS_NAMES[page_class]
    rate = card.slot_rate(slot_type_key, page_class)
    if rate is None:
        raise RuleError(
            msg(
                "quote.slot_not_sold",
                "{page_class_zh}不出售{slot_zh}",
                "The {slot_en} is not sold on the {page_class_en}",
                slot_zh=slot_type.name_zh,
                slot_en=slot_type.name_en,
                page_class_zh=class_zh,
                page_class_en=class_en,
            )
        )
    if slot_type.anchor == "module":
        module = card.module
        if cols is None and height_cm is None and module is not None:  # one module of the card's size
            cols, height_cm = module.cols, module.cm
        measure = Measure(columns=cols or 0, height_cm=height_cm or 0.0)
    elif slot_type.anchor == "gutter":
        measure = Measure(zi=zi or 0)
    else:
        measure = Measure()
    surcharges = [k for k, on in (("colour", colour), ("fixed_position", fixed_position)) if on]
    subject = (f"{slot_type.name_zh}·{class_zh}", f"{slot_type.name_en}, {class_en}")
    return _priced(
        card,
        slot_quote_kind(slot_type_key, page_class),
        rate,
        measure,
        runs,
        surcharges,
        subject,
        now,
        validity,
    )


def price_to_charge(
    stored: Quote | None,
    card: RateCard,
    kind: str,
    measure: Measure,
    runs: int,
    surcharges: Sequence[str] = (),
    *,
    now: datetime,
    validity: timedelta = DEFAULT_QUOTE_VALIDITY,
) -> Quote:
    """The quote to charge: the stored one while it is valid and covers this order, else a fresh one.

    A card change after the quote was shown does not change what the filer pays until the quote
    expires; a change to the notice itself (new measure, runs or surcharges) needs a new quote.
    """
    if stored is not None and stored.is_valid(now) and stored.covers(kind, measure, runs, surcharges):
        return stored
    return quote(card, kind, measure, runs, surcharges, now=now, validity=validity)


def withdrawal_refund_fen(
    paid_fen: int, before_cutoff: bool, fee_percent: int = WITHDRAWAL_FEE_PERCENT
) -> int:
    """Refund on withdrawal: paid minus a 30 % fee before the cut-off, nothing after it."""
    if paid_fen < 0:
        raise ValueError("paid_fen cannot be negative")
    if not before_cutoff:
        return 0
    return paid_fen - percent_of(paid_fen, fee_percent)


def booking_refund_fen(paid_fen: int, before_deadline: bool) -> int:
    """Refund on cancelling an ad booking: the withdrawal rule (30 % fee before the deadline)."""
    return withdrawal_refund_fen(paid_fen, before_deadline)


# The seed publication's card (淄博, 2013 demo). Values in 分; percentages as strings.
DEMO_RATE_CARD: dict[str, Any] = {
    "version": "2013-demo-1",
    "effective_from": "2013-01-01",
    "kinds": {
        # 中缝 classifieds: 45 元 buys 25 字, then 1.80 元 per 字.
        "lost_license": {"unit": "per_zi", "base_fen": 4500, "base_zi": 25, "unit_fen": 180},
        # Termination notices are set in a boxed column module: 50 元 per column·cm, half-cm steps.
        "termination": {"unit": "per_col_cm", "unit_fen": 5000, "cm_step": "0.5", "minimum_fen": 20000},
        # Generic 公告: 12 元 per printed line, at least 5 lines' worth.
        "general": {"unit": "per_line", "unit_fen": 1200, "minimum_fen": 6000},
    },
    "surcharges": {
        "fixed_position": {"percent": "20", "label_zh": "指定版位", "label_en": "Fixed position"},
        "rush": {"percent": "30", "label_zh": "加急", "label_en": "Rush"},
        "colour": {"percent": "50", "label_zh": "套色", "label_en": "Colour"},
    },
    "frequency_discounts": [{"min_runs": 3, "percent": "10"}, {"min_runs": 7, "percent": "15"}],
    # Display ad slots, 分 per insertion. The front page sells no page fraction; smaller sizes
    # cost a little more per area, the back page about a third more than an inside page.
    "slots": {
        "full": {"inside": 6_000_000, "back": 8_000_000},
        "half": {"inside": 3_200_000, "back": 4_200_000},
        "quarter": {"inside": 1_650_000, "back": 2_200_000},
        "eighth": {"inside": 850_000, "back": 1_150_000},
        "sixteenth": {"inside": 450_000, "back": 600_000},
        "band": {"front": 1_200_000, "inside": 600_000, "back": 800_000},
        "half_band": {"front": 650_000, "inside": 320_000, "back": 430_000},
        "ear": {"front": 800_000},
        # 中缝 entries as the lost-licence kind: 45 元 for the first 25 字, then 1.80 元 per 字.
        "gutter": {"inside": {"unit": "per_zi", "base_fen": 4500, "base_zi": 25, "unit_fen": 180}},
        # Classified modules: 60 元 per column·cm in half-cm steps, at least 300 元.
        "module": {
            "inside": {"unit": "per_col_cm", "unit_fen": 6000, "cm_step": "0.5", "minimum_fen": 30000}
        },
    },
    # One module is 2 columns × 5 cm: 2 × 5 × 60 元 = 600 元 an insertion.
    "module_size": {"cols": 2, "cm": 5},
}
