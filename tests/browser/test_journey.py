"""The whole journey in a real browser (Chromium), on the real app served over HTTP.

A filer signs up and files the seed page's 挂失 with a mistyped 统一社会信用代码, reads the field
error in Chinese, corrects it and watches the preview and price update without a reload, submits
and pays on the (local) Stripe Checkout page; an editor approves, builds the edition in the planner
and publishes it; a reader finds the notice on /search by its 注册号, opens it, opens its proof
verification page and checks the page PDF against the registered hash. A screenshot of every
step is kept in the test's artefacts folder.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from livesite import CHROMIUM, LiveSite, new_context
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt install chromium)"
)

COOP = "淄博淄川峨庄乡村旅游专业合作社"
SEED_REG_NUMBER = "370302NA000215"  # as the seed page prints it: the trailing X is missing
SEED_LOST_LICENSE = f"{COOP}丢失营业执照正本注册号{SEED_REG_NUMBER},声明作废。"
CODE_BODY = "93370302MA3C5XYW1"  # 17 characters of a made-up cooperative's 统一社会信用代码
BUILD_WAIT_S = 45  # a build may run as a background job: the planner shows the result when done


class Steps:
    """Numbered screenshots (01-home.png, 02-signup.png, …) and the seconds each step took
    (steps.txt), both in the artefacts folder."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page, self.folder, self.n = page, folder, 0
        self.started = self.last = time.monotonic()

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)
        now = time.monotonic()
        with (self.folder / "steps.txt").open("a", encoding="utf-8") as out:
            out.write(f"{self.n:02d}-{name}\t{now - self.last:6.2f} s\t{now - self.started:6.2f} s\n")
        self.last = now


def _credit_codes() -> tuple[str, str]:
    from notices_app.rules.identifiers import USCC_ALPHABET, uscc_check_char

    check = uscc_check_char(CODE_BODY)
    wrong = next(c for c in USCC_ALPHABET if c != check)
    return CODE_BODY + check, CODE_BODY + wrong


def _run_dates(site: LiveSite) -> list[str]:
    from notices_app.services import notices, typesetting

    with site.app.app_context():
        return [value for value, _, _ in typesetting.run_date_choices(notices.current_publication())]


def _console_error(message: Any, errors: list[str]) -> None:
    url = str(message.location.get("url", ""))
    # Our pages name their icon; the stand-in Stripe checkout page has none (Chromium asks).
    if message.type == "error" and url != "https://checkout.stripe.com/favicon.ico":
        errors.append(f"{message.text} ({url})")


def _notice_count(site: LiveSite) -> int:
    from sqlalchemy import func

    from notices_app.extensions import db
    from notices_app.models import Notice

    with site.app.app_context():
        return int(db.session.scalar(select(func.count(Notice.id))) or 0)


def _wait_for_build(page: Any) -> None:
    """Until the planner shows the build finished. A build may run as a background job: the
    planner then follows its progress and reloads itself, so the test only watches."""
    status = page.locator("#build .facts .status").first
    expect(status).to_have_class(re.compile(r"\bb-(succeeded|failed)\b"), timeout=BUILD_WAIT_S * 1000)
    assert "b-succeeded" in (status.get_attribute("class") or ""), page.locator("#build").inner_text()


def test_filer_pays_editor_publishes_reader_verifies(
    live_site: LiveSite, browser: Any, context: Any, artifacts: Path, tmp_path: Path
) -> None:
    from notices_app.extensions import db
    from notices_app.models import Notice, Payment
    from notices_app.services.demo import lost_license_fields, seed_text

    assert SEED_LOST_LICENSE in seed_text()
    seed = lost_license_fields(date.today())  # the demo's fields for the seed's 挂失
    assert (seed["org_name"], seed["reg_number"], seed["heading"]) == (COOP, SEED_REG_NUMBER, "挂失")
    expect.set_options(timeout=15_000)
    site = live_site.url
    good_code, wrong_code = _credit_codes()
    run_date = _run_dates(live_site)[1]  # the second edition: its pages hold only this notice
    seeded = _notice_count(live_site)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda err: page_errors.append(str(err)))
    page.on("console", lambda m: _console_error(m, page_errors))
    steps = Steps(page, artifacts)

    # --- the filer signs up ---------------------------------------------------------------------
    page.goto(site + "/")
    steps.shot("home")
    page.get_by_role("link", name="注册", exact=True).click()
    page.fill("#org_name", seed["org_name"])
    page.fill("#contact_name", seed["contact_name"])
    page.fill("#contact_phone", seed["contact_phone"])
    page.fill("#email", "journey@coop.example.cn")
    page.fill("#password", "journey-pass-2013")
    steps.shot("signup")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page).to_have_url(re.compile(r"/notices/$"))
    expect(page.locator("h1")).to_have_text("我的公告")
    steps.shot("signed-up")

    # --- files the seed's 挂失 with a mistyped credit code ---------------------------------------
    page.get_by_role("link", name="新建遗失声明").click()
    page.select_option("#heading", seed["heading"])
    page.fill("#org_name", seed["org_name"])
    page.fill("#credit_code", wrong_code)
    page.fill("#reg_number", seed["reg_number"])
    page.select_option("#document", seed["document"])
    page.select_option("#copy", seed["copy"])
    page.fill("#declared_on", seed["declared_on"])
    page.fill("#contact_name", seed["contact_name"])
    page.fill("#contact_phone", seed["contact_phone"])
    page.check(f"input[name=run_dates][value='{run_date}']")
    steps.shot("form-filled")
    page.get_by_role("button", name="保存草稿并查看样稿").click()

    expect(page.locator(".flash.error")).to_contain_text("请更正下面标红的内容")
    code_field = page.locator(".field.has-error", has=page.locator("#credit_code"))
    expect(code_field.locator(".errors")).to_contain_text(f"统一社会信用代码“{wrong_code}”校验不通过")
    expect(page.locator("#credit_code")).to_have_value(wrong_code)  # kept for correcting
    # The truncated 注册号 is a warning to confirm, not an error.
    expect(page.locator(".warnings")).to_contain_text(f"{SEED_REG_NUMBER}X")
    steps.shot("credit-code-error")
    assert _notice_count(live_site) == seeded  # nothing saved while a field is wrong

    # --- corrects it: the preview and the price follow without a reload ------------------------------
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#live-img")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    expect(page.locator("#live-problems")).to_contain_text("校验不通过")  # the preview knows too
    before = page.locator("#live-img").get_attribute("src")
    page.fill("#credit_code", good_code)
    page.check("#confirm_warnings")
    expect(page.locator("#live-img")).not_to_have_attribute("src", before or "")
    expect(page.locator("#live-problems li")).to_have_count(0)
    expect(page.locator("#live-status")).to_have_text("已更新")
    expect(page.locator("#live-price")).to_have_text(re.compile(r"^[\d,]+\.\d\d元$"))
    price_text = page.locator("#live-price").inner_text()
    assert page.evaluate("window.__sameDocument") is True  # no navigation happened
    preview = page.locator("#live-img").evaluate("img => [img.complete, img.naturalWidth]")
    assert preview[0] and preview[1] > 100, preview
    steps.shot("live-preview-and-price")

    page.get_by_role("button", name="保存草稿并查看样稿").click()
    expect(page).to_have_url(re.compile(r"/notices/\d+$"))
    notice_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1 .status")).to_have_text("草稿")
    expect(page.locator("dl.facts")).to_contain_text(price_text)
    steps.shot("draft")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("h1 .status")).to_have_text("待付款")
    steps.shot("awaiting-payment")

    # --- pays on Stripe Checkout ------------------------------------------------------------------
    page.locator("a.button.pay").click()
    expect(page).to_have_url(re.compile(r"/billing/pay/"))
    steps.shot("pay-page")
    page.get_by_role("button", name="去付款").click()
    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_"))
    expect(page.locator("h1")).to_contain_text(price_text.removesuffix("元").replace(",", ""))
    steps.shot("stripe-checkout")
    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(site)}/billing/success\?session_id=cs_"))
    expect(page.locator("h1")).to_have_text("付款成功")
    steps.shot("payment-received")
    assert [d.status for d in live_site.stripe.deliveries] == [200], live_site.stripe.deliveries
    with live_site.app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.notice_id == notice_id))
        assert payment is not None and payment.status == "paid"
        assert db.session.get(Notice, notice_id).status == "paid"
    page.get_by_role("link", name="返回公告").click()
    expect(page.locator("h1 .status")).to_have_text("已付款")
    steps.shot("notice-paid")

    # --- an editor approves, builds and publishes -------------------------------------------------
    desk = new_context(browser)
    editor = desk.new_page()
    editor.on("pageerror", lambda err: page_errors.append(str(err)))
    editor.on("console", lambda m: _console_error(m, page_errors))
    steps.page = editor
    editor.goto(site + "/login")
    editor.fill("#email", "editor@demo.cn")
    editor.fill("#password", "demo-editor-2013")
    editor.get_by_role("button", name="登录").click()
    editor.get_by_role("link", name="编辑台").click()
    editor.goto(f"{site}/desk/?status=paid")
    editor.locator(f"a[href='/desk/notices/{notice_id}']").first.click()
    facts = editor.locator("main dl.facts").first
    expect(facts).to_contain_text(SEED_REG_NUMBER)
    expect(facts).to_contain_text("营业执照")  # choices read as the filer chose them, not as codes
    expect(facts).not_to_contain_text("business_license")
    steps.shot("desk-notice")
    editor.get_by_role("button", name="审核通过").click()
    expect(editor.locator("main")).to_contain_text("已处理")
    expect(editor.locator("main")).to_contain_text("已审核通过")
    steps.shot("approved")

    editor.get_by_role("link", name="版面").first.click()
    editor.goto(f"{site}/desk/editions/{run_date}")
    expect(editor.locator("#build")).to_contain_text("本期尚未组版")
    steps.shot("planner-before")
    editor.locator("form[data-rebuild] button").click()
    steps.shot("planner-build-started")
    _wait_for_build(editor)
    expect(editor.locator("#pages")).to_be_visible()
    expect(editor.locator(f"#pages .blk-notice[data-id='{notice_id}']")).to_have_count(1)
    steps.shot("planner-built")

    editor.goto(f"{site}/desk/editions/{run_date}/publish")
    expect(editor.locator("ul.errors")).to_have_count(0)
    editor.get_by_role("button", name="出版", exact=True).click()
    expect(editor.locator("main")).to_contain_text(f"{run_date} 已出版")
    steps.shot("published")
    desk.close()

    # --- a reader finds the notice by its 注册号 and verifies the proof ------------------------------
    reader_ctx = new_context(browser)
    reader = reader_ctx.new_page()
    reader.on("pageerror", lambda err: page_errors.append(str(err)))
    reader.on("console", lambda m: _console_error(m, page_errors))
    steps.page = reader
    reader.goto(site + "/search")
    reader.fill("#code", SEED_REG_NUMBER)
    reader.get_by_role("button", name="检索").click()
    expect(reader.locator("[role=status]")).to_contain_text("共 1 条")
    hit = reader.locator("ul.notices li a").first
    expect(hit).to_contain_text(COOP)
    steps.shot("search-by-reg-number")
    hit.click()
    expect(reader).to_have_url(re.compile(r"/n/\d+$"))
    expect(reader.locator("main")).to_contain_text(SEED_REG_NUMBER)
    expect(reader.locator("main")).to_contain_text(good_code)
    expect(reader.locator(".notice-text")).to_contain_text("声明作废")
    steps.shot("public-notice")

    reader.get_by_role("link", name="核验登报记录").click()
    expect(reader).to_have_url(re.compile(r"/verify/[\w-]+$"))
    expect(reader.locator("h1")).to_have_text("登报证明核验")
    registered = reader.locator("code.break-all").first.inner_text().strip()
    steps.shot("verify-page")
    # The browser would open the PDF in its viewer: fetch the link with the reader's session.
    href = reader.get_by_role("link", name=re.compile(r"^下载第\d+版版面 PDF$")).get_attribute("href")
    download = reader_ctx.request.get(site + str(href))
    assert download.ok and download.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(download.body())
    assert pdf.read_bytes().startswith(b"%PDF")
    reader.set_input_files("#page_pdf", str(pdf))
    reader.get_by_role("button", name="核验").click()
    expect(reader.locator("[role=status]")).to_contain_text("一致")
    steps.shot("verified")

    # A file that is not the page is told apart.
    other = tmp_path / "other.pdf"
    other.write_bytes(pdf.read_bytes() + b"\n% edited\n")
    reader.set_input_files("#page_pdf", str(other))
    reader.get_by_role("button", name="核验").click()
    expect(reader.locator(".flash.error")).to_contain_text("不一致")
    expect(reader.locator(".flash.error")).to_contain_text(registered)
    steps.shot("not-verified")
    reader_ctx.close()

    assert page_errors == []  # no script errors and no CSP violations on any page
