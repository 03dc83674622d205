"""Receipts (one per payment, A5) and monthly statements (invoiced customers, A4) as PDF bytes.

Same embedded faces as the paper (print/fonts.py), CMYK 100 % K through `new_canvas`, money
formatted only by `ads.money.format_fen`. Every string, the customer's organisation name
included, is set by the line composer and drawn glyph by glyph: nothing goes through a markup
parser, so `<b>` in a company name prints as those characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

from ads.money import format_fen
from print.fonts import FontSet, default_fonts
from print.pdfcanvas import BLACK, new_canvas
from print.textflow import TextStyle, baseline_offset, compose_paragraphs, draw_lines

MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)
A4 = (210 * MM, 297 * MM)


@dataclass(frozen=True)
class ReceiptRefund:
    when: str
    amount_fen: int
    status: str  # label, e.g. "已退款 / Refunded"
    counts: bool  # True when the money has gone back (deducted from the net)


@dataclass(frozen=True)
class Receipt:
    publisher: str
    reference: str
    organisation: str
    description: str
    method: str
    amount_fen: int
    paid_at: str
    refunds: tuple[ReceiptRefund, ...] = ()
    contact: str = ""

    @property
    def net_fen(self) -> int:
        return self.amount_fen - sum(r.amount_fen for r in self.refunds if r.counts)


@dataclass(frozen=True)
class StatementEntry:
    day: str
    reference: str
    description: str
    amount_fen: int  # negative for a credit


@dataclass(frozen=True)
class Statement:
    publisher: str
    organisation: str
    month: str  # YYYY-MM
    issued_at: str
    entries: tuple[StatementEntry, ...] = ()
    contact: str = ""

    @property
    def total_fen(self) -> int:
        return sum(e.amount_fen for e in self.entries)


# TextStyle is frozen, so one instance can be every SheetStyle's default.
_PUBLISHER = TextStyle("heading", 13.0, 20.0, 0.0, "center")
_TITLE = TextStyle("heading", 16.0, 24.0, 0.0, "center")
_LABEL = TextStyle("heading", 9.0, 15.0, 0.0, "left")
_LABEL_RIGHT = TextStyle("heading", 9.0, 15.0, 0.0, "right")
_BODY = TextStyle("body", 9.5, 15.0, 0.0, "left")
_AMOUNT = TextStyle("heading", 9.5, 15.0, 0.0, "right")
_TOTAL = TextStyle("heading", 11.0, 18.0, 0.0, "right")
_SMALL = TextStyle("body", 7.5, 11.0, 0.0, "left")


@dataclass(frozen=True)
class SheetStyle:
    """Type and spacing of receipts and statements; sizes in pt."""

    publisher: TextStyle = _PUBLISHER
    title: TextStyle = _TITLE
    label: TextStyle = _LABEL
    label_right: TextStyle = _LABEL_RIGHT
    body: TextStyle = _BODY
    amount: TextStyle = _AMOUNT
    total: TextStyle = _TOTAL
    small: TextStyle = _SMALL
    margin: float = 15 * MM
    rule: float = 0.5  # one-colour rules >= 0.5 pt
    gap: float = 6.0  # white above and below a rule
    cell_pad: float = 6.0


@dataclass
class _Sheet:
    """A document filled top to bottom: page geometry as attributes, one cursor (`y`)."""

    size: tuple[float, float]
    fonts: FontSet
    title: str
    style: SheetStyle
    buf: BytesIO = field(default_factory=BytesIO)

    def __post_init__(self) -> None:
        self.canvas = new_canvas(self.buf, self.size[0], self.size[1], self.fonts, self.title)
        self.y = self.size[1] - self.style.margin
        self.pages = 1

    @property
    def left(self) -> float:
        return self.style.margin

    @property
    def measure(self) -> float:
        return self.size[0] - 2 * self.style.margin

    @property
    def room(self) -> float:
        return self.y - self.style.margin

    def printable(self, text: str, role: str) -> str:
        # A glyph missing from the face would print as a blank; a visible "?" is honest.
        return "".join(ch if self.fonts.covers(ch, role) else "?" for ch in text)

    def lines_of(self, text: str, style: TextStyle, measure: float) -> int:
        return len(compose_paragraphs([self.printable(text, style.role)], style, measure, self.fonts)) or 1

    def text(self, text: str, style: TextStyle, x: float = 0.0, measure: float | None = None) -> float:
        """Set `text` with its first line's top at the cursor; returns the height used (the
        cursor does not move: cells of a row share it)."""
        width = self.measure - x if measure is None else measure
        lines = compose_paragraphs([self.printable(text, style.role)], style, width, self.fonts)
        if lines:
            first = self.y - baseline_offset(self.fonts, style)
            draw_lines(
                self.canvas, self.fonts, style.role, style.size, lines, self.left + x, first, style.leading
            )
        return max(1, len(lines)) * style.leading

    def block(self, text: str, style: TextStyle) -> None:
        self.y -= self.text(text, style)

    def row(self, cells: Sequence[tuple[str, TextStyle, float, float]]) -> None:
        """Cells (text, style, x, width) side by side; the cursor moves by the tallest."""
        self.y -= max(self.text(text, st, x, width) for text, st, x, width in cells)

    def row_height(self, cells: Sequence[tuple[str, TextStyle, float, float]]) -> float:
        return max(self.lines_of(text, st, width) * st.leading for text, st, _, width in cells)

    def rule(self, weight: float | None = None) -> None:
        self.y -= self.style.gap
        self.canvas.saveState()
        self.canvas.setStrokeColor(BLACK)
        self.canvas.setLineWidth(weight or self.style.rule)
        self.canvas.line(self.left, self.y, self.left + self.measure, self.y)
        self.canvas.restoreState()
        self.y -= self.style.gap

    def new_page(self) -> None:
        self.canvas.showPage()
        self.y = self.size[1] - self.style.margin
        self.pages += 1

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buf.getvalue()


def _money(fen: int) -> str:
    return format_fen(fen, "zh")


def render_receipt(receipt: Receipt, fonts: FontSet | None = None, style: SheetStyle | None = None) -> bytes:
    """One A5 page: who paid what, when and how, the refunds made since, and the net."""
    st = style or SheetStyle()
    sheet = _Sheet(A5, fonts or default_fonts(), f"收款收据 {receipt.reference}", st)
    label_w = 34 * MM
    value_x = label_w + st.cell_pad
    value_w = sheet.measure - value_x

    sheet.block(receipt.publisher, st.publisher)
    sheet.block("收款收据 / Receipt", st.title)
    sheet.rule(1.0)
    facts = (
        ("收据编号 / Reference", receipt.reference),
        ("付款单位 / Paid by", receipt.organisation),
        ("项目 / Item", receipt.description),
        ("付款方式 / Method", receipt.method),
        ("付款时间 / Paid at", f"{receipt.paid_at}(北京时间 / Beijing time)"),
    )
    for label, value in facts:
        sheet.row(((label, st.label, 0.0, label_w), (value, st.body, value_x, value_w)))
    sheet.rule()
    sheet.row(
        (
            ("金额 / Amount", st.label, 0.0, label_w),
            (_money(receipt.amount_fen), st.total, value_x, value_w),
        )
    )
    if receipt.refunds:
        sheet.rule()
        sheet.block("退款 / Refunds", st.label)
        for r in receipt.refunds:
            sheet.row(
                (
                    (r.when, st.body, 0.0, label_w),
                    (r.status, st.body, value_x, value_w / 2),
                    (_money(-r.amount_fen), st.amount, value_x + value_w / 2, value_w / 2),
                )
            )
        sheet.rule()
        sheet.row(
            (
                ("实收净额 / Net received", st.label, 0.0, label_w + value_w / 2),
                (_money(receipt.net_fen), st.total, value_x, value_w),
            )
        )
    sheet.rule(1.0)
    sheet.block(
        "本收据由系统生成,凭付款编号查询。/ Computer-generated receipt; quote the reference.", st.small
    )
    if receipt.contact:
        sheet.block(f"{receipt.publisher} {receipt.contact}", st.small)
    return sheet.finish()


def render_statement(
    statement: Statement, fonts: FontSet | None = None, style: SheetStyle | None = None
) -> bytes:
    """A4 pages: the month's charges on account and credits, one line each, and the total due."""
    st = style or SheetStyle()
    sheet = _Sheet(A4, fonts or default_fonts(), f"月结对账单 {statement.organisation} {statement.month}", st)
    w = sheet.measure
    pad = st.cell_pad
    # Date | reference | item | amount, as fractions of the measure.
    cols = ((0.0, 0.16), (0.16, 0.2), (0.36, 0.44), (0.8, 0.2))
    x = [(a * w, b * w - pad) for a, b in cols]

    def header() -> None:
        head = ("日期 / Date", "编号 / Reference", "项目 / Item", "金额 / Amount")
        sheet.row(
            tuple(
                (text, st.label if i < 3 else st.label_right, x[i][0], x[i][1]) for i, text in enumerate(head)
            )
        )
        sheet.rule()

    sheet.block(statement.publisher, st.publisher)
    sheet.block("月结对账单 / Monthly statement", st.title)
    sheet.rule(1.0)
    for label, value in (
        ("客户 / Customer", statement.organisation),
        ("月份 / Month", statement.month),
        ("开具时间 / Issued", f"{statement.issued_at}(北京时间 / Beijing time)"),
    ):
        sheet.row(((label, st.label, 0.0, 36 * MM), (value, st.body, 36 * MM + pad, w - 36 * MM - pad)))
    sheet.rule(1.0)
    header()
    if not statement.entries:
        sheet.block("本月没有记账项目 / Nothing was charged on account this month.", st.body)
    footer_room = st.total.leading + 2 * st.gap + 3 * st.small.leading
    for e in statement.entries:
        cells = (
            (e.day, st.body, x[0][0], x[0][1]),
            (e.reference, st.body, x[1][0], x[1][1]),
            (e.description, st.body, x[2][0], x[2][1]),
            (_money(e.amount_fen), st.amount, x[3][0], x[3][1]),
        )
        if sheet.room < sheet.row_height(cells) + footer_room:
            sheet.block("(续下页 / continued overleaf)", st.small)
            sheet.new_page()
            sheet.block(f"{statement.organisation} · {statement.month}(续 / continued)", st.small)
            header()
        sheet.row(cells)
    sheet.rule(1.0)
    sheet.row(
        (
            ("合计应付 / Total due", st.label, 0.0, x[2][0] + x[2][1]),
            (_money(statement.total_fen), st.total, x[3][0], x[3][1]),
        )
    )
    sheet.rule()
    sheet.block("请于次月15日前付款。/ Please pay by the 15th of the following month.", st.small)
    if statement.contact:
        sheet.block(f"{statement.publisher} {statement.contact}", st.small)
    return sheet.finish()
