"""Building an edition end to end: seed-demo → `flask edition build` → print PDFs read back."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from flask import Flask
from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import AdBooking, AdContent, Edition, EditionBuild, utcnow
from notices_app.services import storage
from notices_app.services.editions import build_edition
from notices_app.services.errors import Conflict
from print.pdfx import pdfx_report
from print.preflight import preflight


def seed(app: Flask) -> Edition:
    out = app.test_cli_runner().invoke(args=["seed-demo", "--quiet"])
    assert out.exit_code == 0, out.output
    # The seed edition is the one planned as a single mixed page (services/demo._seed_edition).
    return next(e for e in db.session.scalars(select(Edition)) if e.plan.get("pages"))


def words(pdf: bytes) -> list[dict[str, Any]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[0].extract_words(keep_blank_chars=False, use_text_flow=True)


def text_of(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join(c["text"] for c in doc.pages[0].chars)


def top_of(pdf: bytes, needle: str) -> float:
    """The top (pt from the page top) of the first line whose text contains `needle`."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        rows: dict[float, list[Any]] = {}
        for c in page.chars:
            rows.setdefault(round(c["top"], 1), []).append(c)
        for top, cs in sorted(rows.items()):
            line = "".join(c["text"] for c in sorted(cs, key=lambda c: c["x0"]))
            if needle in line:
                return top
    raise AssertionError(f"{needle!r} not on the page")


def test_seed_demo_then_edition_build_reproduces_the_seed_page(app: Flask, tmp_path: Path) -> None:
    edition = seed(app)
    out = app.test_cli_runner().invoke(
        args=["edition", "build", edition.date.isoformat(), "--out", str(tmp_path)]
    )
    assert out.exit_code == 0, out.output
    assert "印前检查通过" in out.output
    pdf = (tmp_path / "page-01.pdf").read_bytes()
    text = text_of(pdf)
    # The microblog story with its section heads, the 公告, the 挂失 and the tourism ad.
    for needle in (
        "政务微博“淄博发布”上线运行",
        "信息公开的范围将更广",
        "网民提问和诉求将获及时回应",
        "公共网络文化将实现广覆盖",
        "公告",
        "中航钛业有限公司",
        "挂失",
        "370302NA000215",
        "邢台九龙峡",
        "广告",
    ):
        assert needle in text, needle
    # Laid out like the seed: the story on top, the notices and the ad below it.
    story_top = top_of(pdf, "政务微博“淄博发布”上线运行")
    assert story_top < top_of(pdf, "挂失") and story_top < top_of(pdf, "邢台九龙峡")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        ad_chars = [c for c in page.chars if c["text"] == "邢"]
        assert ad_chars and min(c["x0"] for c in ad_chars) > page.width / 2  # bottom right, as booked
    # Press-ready: PDF/X identification, trim box, embedded fonts, preflight clean.
    report = pdfx_report(pdf)
    assert report["GTS_PDFXVersion"] == "PDF/X-1a:2003"
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert "/TrimBox" in doc.pages[0].obj and "/BleedBox" in doc.pages[0].obj
    assert preflight(pdf).ok
    build = db.session.scalar(select(EditionBuild).where(EditionBuild.edition_id == edition.id))
    assert build is not None and build.status == "succeeded"
    db.session.refresh(edition)
    assert edition.current_build_id == build.id and edition.status == "built"
    kinds = {b["kind"] for b in build.pages[0]["blocks"]}
    assert kinds == {"story", "notice", "ad"}
    assert storage.read(build.pages[0]["png"]).startswith(b"\x89PNG")
    assert storage.read(build.edition_pdf or "").startswith(b"%PDF-1.4")


def test_a_rebuild_gives_byte_identical_pages(app: Flask) -> None:
    edition = seed(app)
    first = build_edition(edition.date)
    second = build_edition(edition.date)
    assert first.number + 1 == second.number
    assert [p["sha256"] for p in first.pages] == [p["sha256"] for p in second.pages]
    assert first.edition_sha256 == second.edition_sha256


def test_overflow_fails_the_build_names_the_ad_and_keeps_the_last_good_pdfs(app: Flask) -> None:
    edition = seed(app)
    good = build_edition(edition.date)
    ad = db.session.scalar(select(AdContent))
    assert ad is not None
    # An ad booked on a page the edition no longer has (the plan shrank to one page).
    db.session.add(
        AdBooking(edition_id=edition.id, ad_content_id=ad.id, page=2, position="bottom", cols=2, lines=30)
    )
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["edition", "build", edition.date.isoformat()])
    assert out.exit_code == 1
    assert "未排入" in out.output and "not placed" in out.output
    failed = db.session.scalar(
        select(EditionBuild).where(EditionBuild.edition_id == edition.id).order_by(EditionBuild.number.desc())
    )
    assert failed is not None and failed.status == "failed"
    assert [o["kind"] for o in failed.overflow] == ["ad"]
    assert failed.overflow[0]["zh"] and failed.overflow[0]["en"]
    db.session.refresh(edition)
    assert edition.current_build_id == good.id
    assert storage.read(good.pages[0]["pdf"]).startswith(b"%PDF")


def test_preflight_problems_fail_the_build(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import print.edition_pdf
    from print.fonts import default_fonts

    edition = seed(app)
    real = print.edition_pdf.render_page

    def with_rgb(*args: Any, **kwargs: Any) -> bytes:
        # The real page with an RGB patch stamped on it, as a careless renderer change would.
        pdf = real(*args, **kwargs)
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            page = doc.pages[0]
            page.contents_add(doc.make_stream(b"q 1 0 0 rg 100 100 50 50 re f Q"), prepend=False)
            buf = io.BytesIO()
            doc.save(buf)
        return buf.getvalue()

    monkeypatch.setattr(print.edition_pdf, "render_page", with_rgb)
    assert default_fonts()  # fonts load before the patch matters
    build = build_edition(edition.date)
    assert build.status == "failed"
    assert build.preflight and all(p["page"] == 1 for p in build.preflight)
    assert any("rgb" in p["code"].lower() for p in build.preflight), build.preflight
    db.session.refresh(edition)
    assert edition.current_build_id is None


def test_a_published_edition_is_frozen(app: Flask) -> None:
    edition = seed(app)
    edition.status = "published"
    db.session.commit()
    with pytest.raises(Conflict):
        build_edition(edition.date)
    assert db.session.scalar(select(EditionBuild)) is None


def test_a_build_left_running_by_a_dead_process_is_recorded_as_interrupted(app: Flask) -> None:
    edition = seed(app)
    stale = EditionBuild(
        edition_id=edition.id, number=1, status="running", started_at=utcnow() - timedelta(hours=1)
    )
    db.session.add(stale)
    db.session.commit()
    build = build_edition(edition.date)
    assert build.number == 2 and build.status == "succeeded"
    db.session.refresh(stale)
    assert stale.status == "failed" and "interrupted" in (stale.error or "")


def test_an_unknown_date_is_refused_by_the_cli(app: Flask) -> None:
    seed(app)
    out = app.test_cli_runner().invoke(args=["edition", "build", "1999-01-01"])
    assert out.exit_code != 0 and "没有这一期" in out.output


def test_notices_run_only_in_their_editions(app: Flask) -> None:
    edition = seed(app)
    build = build_edition(edition.date)
    placed = [b for b in build.pages[0]["blocks"] if b["kind"] == "notice"]
    assert len(placed) == 2  # the 公告 and the 挂失; the unpaid 遗失声明 runs later and is not here
    later = min(e.date for e in db.session.scalars(select(Edition)) if e.date > edition.date)
    assert build_edition(later).pages and all(
        b["kind"] != "notice" for p in build_edition(later).pages for b in p["blocks"]
    )
