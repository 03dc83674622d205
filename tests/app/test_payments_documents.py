"""Receipts and monthly statements, read back from the PDF: text, amounts, embedded fonts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pdfplumber
import pikepdf
import pytest
from apphelpers import first_run_date, login
from flask import Flask
from flask.testing import FlaskClient
from paymenthelpers import awaiting_notice, checkout, deliver, stripe_configured
from stripefake import FakeStripe

from ads.money import format_fen
from notices_app.extensions import db
from notices_app.models import Organisation, Payment, utcnow
from notices_app.services import notices as svc
from notices_app.services import payments
from print.receipts import Receipt, Statement, StatementEntry, render_receipt, render_statement

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def stripe(app: Flask) -> Iterator[FakeStripe]:
    with stripe_configured(app) as fake:
        yield fake


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _pages(pdf: bytes) -> int:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


def _fonts(pdf: bytes) -> list[tuple[str, bool]]:
    out = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
                desc = obj.get("/FontDescriptor")
                if obj.get("/Subtype") == "/Type0":
                    continue  # its descendant carries the descriptor
                embedded = desc is not None and any(
                    k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                out.append((str(obj.get("/BaseFont")), embedded))
    return out


def test_receipt_reads_back_with_amount_reference_organisation_and_refunds(
    stripe, app, client: FlaskClient, users, pub, seed_fields
) -> None:
    filer, _notice, payment = awaiting_notice(users, pub, seed_fields, org="淄博<b>峨庄</b>旅游合作社")
    deliver(client, stripe.pay(checkout(payment)))
    payments.refund(db.session.get(Payment, payment.id), 1000, "少登一天", users("editor"))
    login(client, filer)
    resp = client.get(f"/billing/payments/{payment.reference}/receipt.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _text(resp.data)
    assert payment.reference in text
    assert "淄博<b>峨庄</b>旅游合作社" in text  # markup in a name prints as characters
    assert format_fen(payment.amount_fen) in text
    assert format_fen(-1000) in text and format_fen(payment.amount_fen - 1000) in text
    assert "收款收据" in text and "已退款" in text
    fonts = _fonts(resp.data)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert not any("Helvetica" in name for name, _ in fonts)


def test_receipt_renderer_is_reproducible_and_cmyk() -> None:
    r = Receipt(
        "淄博晚报社", "N1-1", "中航钛业有限公司", "公告 #1 刊登费", "到柜台付款", 4500, "2025-06-01 09:00"
    )
    pdf = render_receipt(r)
    assert pdf == render_receipt(r)  # invariant output
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        content = doc.pages[0].Contents.read_bytes()
    assert b" rg" not in content and b" RG" not in content  # no RGB colour anywhere


def test_statement_lists_the_months_invoiced_payments_with_the_right_total(
    app, client: FlaskClient, users, pub, seed_fields
) -> None:
    filer = users("filer", org="淄博广告代理有限公司")
    org = db.session.get(Organisation, filer.org_id)
    org.invoiced = True
    db.session.commit()
    run = [first_run_date(pub)]
    refs = []
    for _ in range(3):
        n = svc.create_notice(filer, svc.NoticeInput("lost_license", seed_fields["lost_license"], run, True))
        svc.transition(n.id, "submit", filer)
        refs.append((n, payments.payment_for_notice(n.id)))
    (_n0, p0), (n1, p1), (_n2, p2) = refs
    assert {p.method for _, p in refs} == {"invoice"}
    svc.transition(n1.id, "reject", users("editor"), reason="材料不全")  # a credit this month
    # One charge belongs to last month and must not appear.
    old = db.session.get(Payment, p2.id)
    old.paid_at = utcnow() - timedelta(days=40)
    db.session.commit()

    month = utcnow().astimezone(BEIJING).strftime("%Y-%m")
    login(client, filer)
    resp = client.get(f"/billing/statements/{month}.pdf")
    assert resp.status_code == 200
    text = _text(resp.data)
    assert p0.reference in text and p1.reference in text and p2.reference not in text
    total = p0.amount_fen + p1.amount_fen - p1.amount_fen
    assert f"合计应付 / Total due {format_fen(total)}" in text.replace("\n", " ")
    assert format_fen(-p1.amount_fen) in text
    assert "淄博广告代理有限公司" in text and month in text
    assert all(embedded for _, embedded in _fonts(resp.data))

    # Staff ask for any invoiced organisation; customers who are not invoiced have none.
    desk = app.test_client()
    login(desk, users("editor"))
    assert desk.get(f"/billing/statements/{month}.pdf?org={org.id}").status_code == 200
    other = app.test_client()
    login(other, users("filer", org="别家公司"))
    assert other.get(f"/billing/statements/{month}.pdf").status_code == 404
    assert client.get("/billing/statements/2025-13.pdf").status_code == 404
    assert client.get("/billing/statements/June.pdf").status_code == 404


def test_long_statements_continue_on_more_pages() -> None:
    entries = tuple(
        StatementEntry(
            f"2025-06-{i % 28 + 1:02d}", f"BORD{i}-1", f"广告预订第{i}项 / booking {i}", 10_000 + i
        )
        for i in range(90)
    )
    pdf = render_statement(Statement("淄博晚报社", "某广告代理公司", "2025-06", "2025-07-01 09:00", entries))
    text = _text(pdf)
    assert _pages(pdf) >= 2
    assert all(f"BORD{i}-1" in text for i in range(90))
    assert format_fen(sum(e.amount_fen for e in entries)) in text
