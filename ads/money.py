"""Money is integer 分 everywhere; this is the one place that turns it into text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from notices_app.rules.messages import RuleError, msg

FEN_PER_YUAN = 100


def format_fen(fen: int, lang: str = "zh") -> str:
    """45_00 → "45.00元" (zh) or "¥45.00" (en); thousands separated by commas."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), FEN_PER_YUAN)
    amount = f"{yuan:,}.{rest:02d}"
    if lang.startswith("en"):
        return f"{sign}¥{amount}"
    return f"{sign}{amount}元"


def round_fen(value: Decimal) -> int:
    """Whole 分, halves away from zero (the rounding customers and the tax office expect)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(fen: int, percent: Decimal | int) -> int:
    """`percent` % of `fen`, rounded to whole 分."""
    return round_fen(Decimal(fen) * Decimal(percent) / Decimal(100))


def parse_yuan(text: str) -> int:
    """ "1.80" / "45" / "1,234.5" (yuan, as typed by staff) → 分; more than 2 decimals is refused."""
    cleaned = text.strip().replace(",", "").removesuffix("元").removeprefix("¥").strip()
    try:
        value = Decimal(cleaned)
        exact = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:  # not a number, or more digits than the decimal context holds
        exact = False
    if not exact:
        raise RuleError(
            msg("money.invalid", "金额格式无效：{value}", "Not an amount in yuan: {value}", value=text)
        )
    return int(value * FEN_PER_YUAN)
