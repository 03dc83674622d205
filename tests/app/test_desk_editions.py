"""The editions desk: who may use it, the planner drawn from a build's records, the page plan,
pins, display ads, rebuilding, and the built files served only for their own edition."""

from __future__ import annotations

import html
import importlib.util
import re
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from apphelpers import first_run_date, login
from flask.testing import FlaskClient
from PIL import Image

from notices_app.extensions import db
from notices_app.models import AdBooking, AdContent, Edition, EditionBuild, Publication, Story, utcnow
from notices_app.services import storage
from notices_app.services.demo import TOURISM_AD


def _png(width: int = 60, height: int = 90, colour: tuple[int, int, int] = (240, 240, 240)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def edition(pub: Publication) -> Edition:
    ed = Edition(publication_id=pub.id, date=first_run_date(pub), page_count=4)
    db.session.add(ed)
    db.session.commit()
    return ed


@pytest.fixture
def editor(client: FlaskClient, users) -> FlaskClient:
    login(client, users("editor"))
    return client


def _url(ed: Edition, rest: str = "") -> str:
    return f"/desk/editions/{ed.date.isoformat()}{rest}"


def fetch(client: FlaskClient, url: str) -> tuple[int, str, bytes]:
    """Status, mimetype and body of a GET; closes the response (files are streamed from disk)."""
    with client.get(url) as resp:
        return resp.status_code, resp.mimetype, resp.get_data()


def _page_record(day: date, number: int, page: int, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    stem = f"editions/{day.isoformat()}/build-{number:03d}/page-{page:02d}"
    return {
        "number": page,
        "role": "news" if page == 1 else "classifieds",
        "label": "要闻" if page == 1 else "分类广告",
        "pdf": f"{stem}.pdf",
        "sha256": "",
        "png": f"{stem}.png",
        "thumb": f"{stem}-thumb.png",
        "blocks": blocks,
    }


def make_build(ed: Edition, number: int = 1, status: str = "failed", tag: bytes = b"") -> EditionBuild:
    """A build as build_edition records it, with small files in storage (no real rendering)."""
    pages = [
        _page_record(
            ed.date,
            number,
            1,
            [
                {
                    "kind": "story",
                    "id": "7",
                    "title": "政务微博上线运行",
                    "col": 0,
                    "cols": 4,
                    "line": 0,
                    "lines": 40,
                    "rect": [5.5, 6.25, 60.0, 30.0],
                },
                {
                    "kind": "ad",
                    "id": "3",
                    "title": "邢台九龙峡旅游广告",
                    "col": 4,
                    "cols": 2,
                    "line": 0,
                    "lines": 12,
                    "rect": [66.0, 6.25, 28.5, 9.0],
                },
            ],
        ),
        _page_record(
            ed.date,
            number,
            2,
            [
                {
                    "kind": "notice",
                    "id": "11",
                    "title": "解除劳动关系公告 · 中航钛业有限公司",
                    "col": 0,
                    "cols": 2,
                    "line": 50,
                    "lines": 20,
                    "rect": [5.5, 50.0, 29.0, 15.0],
                }
            ],
        ),
    ]
    for p in pages:
        storage.store(p["png"], _png(colour=(200, 200, 200 - number)))
        storage.store(p["thumb"], _png(20, 30))
        storage.store(p["pdf"], b"%PDF-1.4 page " + str(p["number"]).encode() + tag)
    folder = f"editions/{ed.date.isoformat()}/build-{number:03d}"
    storage.store(f"{folder}/edition.pdf", b"%PDF-1.4 whole" + tag)
    build = EditionBuild(
        edition_id=ed.id,
        number=number,
        status=status,
        folder=folder,
        pages=pages,
        edition_pdf=f"{folder}/edition.pdf",
        overflow=[
            {
                "kind": "story",
                "id": "9",
                "title": "公共网络文化将实现广覆盖",
                "code": "layout.no_room",
                "zh": "版面已满，无法排入",
                "en": "no room left on the pages",
            }
        ],
        preflight=[
            {
                "page": 2,
                "code": "font.not_embedded",
                "zh": "字体未嵌入：Helvetica",
                "en": "font not embedded: Helvetica",
                "details": "Helvetica",
            }
        ],
        finished_at=utcnow(),
    )
    db.session.add(build)
    db.session.commit()
    return build


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), ("filer", 403), ("advertiser", 403), ("editor", 200), ("admin", 200)],
)
def test_only_editors_and_admins_reach_the_editions_desk(
    app, users, edition: Edition, role: str | None, status: int
) -> None:
    client = app.test_client()
    if role:
        login(client, users(role))
    for path in ("/desk/editions/", _url(edition)):
        resp = client.get(path)
        assert resp.status_code == status, (path, role)
        if role is None:
            assert "/login" in resp.headers["Location"]
    post = client.post(_url(edition, "/pages"), data={"page_count": "2", "role_1": "news", "role_2": "news"})
    assert post.status_code == (302 if role in (None, "editor", "admin") else 403)
    if role is None:
        assert "/login" in post.headers["Location"]
        db.session.refresh(edition)
        assert edition.page_count == 4  # the anonymous post changed nothing


def test_nav_links_the_editions_desk_for_staff_only(app, users, edition: Edition) -> None:
    staff, filer = app.test_client(), app.test_client()
    login(staff, users("editor"))
    login(filer, users("filer"))
    assert 'href="/desk/editions/"' in staff.get("/desk/").get_data(as_text=True)
    assert 'href="/desk/editions/"' not in filer.get("/notices/").get_data(as_text=True)


def test_unknown_or_malformed_dates_are_404(editor: FlaskClient, edition: Edition) -> None:
    assert editor.get("/desk/editions/2013-02-30").status_code == 404
    assert editor.get("/desk/editions/yesterday").status_code == 404
    other = edition.date + timedelta(days=400)
    assert editor.get(f"/desk/editions/{other.isoformat()}").status_code == 404


# --- the list and the planner ----------------------------------------------------------------


def test_index_lists_editions_with_their_last_build(editor: FlaskClient, edition: Edition) -> None:
    make_build(edition, 1, status="succeeded")
    edition.current_build_id = db.session.query(EditionBuild).one().id
    db.session.commit()
    page = editor.get("/desk/editions/").get_data(as_text=True)
    assert edition.date.isoformat() in page
    assert "成功" in page and "第1次" in page
    assert f"{_url(edition)}/builds/1/edition.pdf" in page
    en = editor.get("/desk/editions/?lang=en").get_data(as_text=True)
    assert "Succeeded" in en and "Open" in en


def test_planner_without_a_build_offers_the_rebuild_button(editor: FlaskClient, edition: Edition) -> None:
    page = editor.get(_url(edition)).get_data(as_text=True)
    assert "本期尚未组版" in page
    assert f'action="{_url(edition, "/rebuild")}"' in page
    assert 'name="csrf_token"' in page


def test_planner_draws_thumbnails_outlines_overflow_and_preflight(
    editor: FlaskClient, edition: Edition
) -> None:
    make_build(edition, 1)
    resp = editor.get(_url(edition))
    assert resp.status_code == 200
    page = html.unescape(resp.get_data(as_text=True))
    base = _url(edition, "/builds/1")
    # Thumbnails link to the screen image; each page has its PDF.
    for n in (1, 2):
        assert f'<a href="{base}/page-{n}.png"><img src="{base}/page-{n}-thumb.png"' in page
        assert f"{base}/page-{n}.pdf" in page
    assert f"{base}/edition.pdf" in page
    # Outlines at the recorded percentages, coloured by kind, titled.
    story = re.search(r'<div class="blk blk-story" data-rect="([^"]+)"[^>]*><span>([^<]+)</span>', page)
    assert story is not None
    assert story.group(1) == "5.5 6.25 60.0 30.0"  # left top width height, placed by static/site.js
    assert story.group(2) == "政务微博上线运行"
    assert 'class="blk blk-ad"' in page and "邢台九龙峡旅游广告" in page
    assert 'class="blk blk-notice"' in page and "解除劳动关系公告 · 中航钛业有限公司" in page
    assert 'class="legend"' in page
    # Overflow with its reason; preflight per page.
    assert "公共网络文化将实现广覆盖" in page and "版面已满，无法排入" in page
    sheet1 = page[page.index('id="page-1"') : page.index('id="page-2"')]
    sheet2 = page[page.index('id="page-2"') :]
    assert "印前检查通过" in sheet1
    assert "字体未嵌入：Helvetica" in sheet2 and "印前检查通过" not in sheet2.split("</figure>")[0]
    assert "未通过" in page and "第1次" in page

    en = html.unescape(editor.get(_url(edition) + "?lang=en").get_data(as_text=True))
    assert "no room left on the pages" in en and "font not embedded: Helvetica" in en
    assert "Preflight passed" in en and "版面已满" not in en


def test_planner_shows_a_running_build_and_its_error(editor: FlaskClient, edition: Edition) -> None:
    db.session.add(
        EditionBuild(
            edition_id=edition.id, number=1, status="failed", error="ValueError: 字体缺字", stage="typeset"
        )
    )
    db.session.add(
        EditionBuild(
            edition_id=edition.id, number=2, status="running", stage="render", progress=3, progress_total=7
        )
    )
    db.session.commit()
    page = editor.get(_url(edition)).get_data(as_text=True)
    assert "组版中" in page and "出版面 3/7" in page
    older = editor.get(_url(edition) + "?build=1").get_data(as_text=True)
    assert "ValueError: 字体缺字" in older


# --- files -----------------------------------------------------------------------------------


def test_files_are_served_with_their_mimetypes(editor: FlaskClient, edition: Edition) -> None:
    make_build(edition, 1)
    base = _url(edition, "/builds/1")
    stored = storage.read(f"editions/{edition.date.isoformat()}/build-001/page-01.png")
    assert fetch(editor, f"{base}/page-1.png") == (200, "image/png", stored)
    assert fetch(editor, f"{base}/page-2-thumb.png")[:2] == (200, "image/png")
    assert fetch(editor, f"{base}/page-2.pdf") == (200, "application/pdf", b"%PDF-1.4 page 2")
    assert fetch(editor, f"{base}/edition.pdf") == (200, "application/pdf", b"%PDF-1.4 whole")


def test_file_routes_refuse_another_editions_files(
    editor: FlaskClient, pub: Publication, edition: Edition
) -> None:
    other = Edition(publication_id=pub.id, date=edition.date + timedelta(days=1), page_count=4)
    db.session.add(other)
    db.session.commit()
    make_build(other, 1, tag=b" other")
    make_build(other, 2, tag=b" other")
    make_build(edition, 1)
    # The other edition's build 2 does not exist for this edition.
    assert fetch(editor, _url(edition, "/builds/2/page-1.pdf"))[0] == 404
    assert fetch(editor, _url(edition, "/builds/2/edition.pdf"))[0] == 404
    # Build 1 of this edition serves this edition's files, never the other's.
    assert fetch(editor, _url(edition, "/builds/1/page-1.pdf"))[2] == b"%PDF-1.4 page 1"
    assert fetch(editor, _url(other, "/builds/1/page-1.pdf"))[2] == b"%PDF-1.4 page 1 other"
    # Pages that the build did not record, and recorded paths that escape the storage root.
    assert fetch(editor, _url(edition, "/builds/1/page-3.pdf"))[0] == 404
    build = db.session.query(EditionBuild).filter_by(edition_id=edition.id).one()
    build.pages = [dict(build.pages[0], pdf="../../../etc/passwd")]
    build.edition_pdf = None
    db.session.commit()
    assert fetch(editor, _url(edition, "/builds/1/page-1.pdf"))[0] == 404
    assert fetch(editor, _url(edition, "/builds/1/edition.pdf"))[0] == 404
    assert fetch(editor, _url(edition, "/builds/1/page-1/../../x.pdf"))[0] == 404


# --- page plan -------------------------------------------------------------------------------


def test_plan_form_saves_roles_and_labels(editor: FlaskClient, edition: Edition) -> None:
    form = editor.get(_url(edition)).get_data(as_text=True)
    assert 'name="role_4"' in form and 'name="role_5"' not in form  # the default plan's 4 pages
    resp = editor.post(
        _url(edition, "/pages"),
        data={
            "page_count": "3",
            "role_1": "news",
            "label_1": "要闻",
            "role_2": "mixed",
            "label_2": "淄博·民生",
            "role_3": "classifieds",
            "label_3": "",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(edition)
    assert edition.page_count == 3
    assert [(p["role"], p["label"]) for p in edition.plan["pages"]] == [
        ("news", "要闻"),
        ("mixed", "淄博·民生"),
        ("classifieds", "分类广告"),  # a blank label takes the role's default
    ]
    assert "版面计划已保存" in editor.get(resp.headers["Location"]).get_data(as_text=True)


def test_plan_form_adds_pages_as_news_pages(editor: FlaskClient, edition: Edition) -> None:
    editor.post(_url(edition, "/pages"), data={"page_count": "5", "role_1": "news", "role_2": "classifieds"})
    db.session.refresh(edition)
    assert [p["role"] for p in edition.plan["pages"]] == ["news", "classifieds", "news", "news", "news"]


def test_plan_form_refuses_a_bad_role_and_a_bad_count(editor: FlaskClient, edition: Edition) -> None:
    resp = editor.post(
        _url(edition, "/pages"), data={"page_count": "2", "role_1": "news", "role_2": "sports"}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "第2版类型只能是：news, mixed, classifieds。" in page
    assert "版面计划未保存" in page
    resp = editor.post(_url(edition, "/pages"), data={"page_count": "0", "role_1": "news"})
    assert "版数应在1到64之间" in resp.get_data(as_text=True)
    en = editor.post(_url(edition, "/pages") + "?lang=en", data={"page_count": "two", "role_1": "news"})
    assert "Pages must be a whole number." in en.get_data(as_text=True)
    db.session.refresh(edition)
    assert edition.page_count == 4 and not edition.plan


# --- pins ------------------------------------------------------------------------------------


def _story(pub: Publication, day: date, headline: str = "政务微博上线运行") -> Story:
    s = Story(
        publication_id=pub.id,
        edition_date=day,
        headline=headline,
        blocks=[{"type": "para", "text": "正文。"}],
    )
    db.session.add(s)
    db.session.commit()
    return s


def _approved_notice(users, seed_fields: dict[str, Any], day: date) -> Any:
    from notices_app.services import notices as svc

    filer = users("filer")
    editor = users("editor")
    notice = svc.create_notice(filer, svc.NoticeInput("termination", seed_fields["termination"], [day], True))
    svc.transition(notice.id, "submit", filer)
    if notice.status == "awaiting_payment":
        svc.transition(notice.id, "mark_paid", editor, reason="柜台现金")
    svc.transition(notice.id, "approve", editor)
    return notice


def test_pins_are_saved_and_removed(
    editor: FlaskClient, pub: Publication, edition: Edition, users, seed_fields
) -> None:
    story = _story(pub, edition.date)
    notice = _approved_notice(users, seed_fields, edition.date)
    page = editor.get(_url(edition)).get_data(as_text=True)
    assert f'action="{_url(edition, f"/pins/story/{story.id}")}"' in page
    assert f'action="{_url(edition, f"/pins/notice/{notice.id}")}"' in page
    assert "中航钛业有限公司" in page

    resp = editor.post(_url(edition, f"/pins/story/{story.id}"), data={"page": "2", "position": "top"})
    assert resp.status_code == 302
    editor.post(_url(edition, f"/pins/notice/{notice.id}"), data={"page": "4", "position": "bottom"})
    db.session.refresh(edition)
    pins = {(p["kind"], p["id"]): (p["page"], p["position"]) for p in edition.plan["pins"]}
    assert pins == {("story", str(story.id)): (2, "top"), ("notice", str(notice.id)): (4, "bottom")}
    shown = editor.get(_url(edition)).get_data(as_text=True)
    assert "取消固定" in shown

    # "自动" (empty page) and the remove button both take the pin away.
    editor.post(_url(edition, f"/pins/story/{story.id}"), data={"page": "", "position": "any"})
    editor.post(_url(edition, f"/pins/notice/{notice.id}"), data={"remove": "1"})
    db.session.refresh(edition)
    assert edition.plan["pins"] == []


def test_pins_refuse_pages_outside_the_edition_and_unknown_items(
    editor: FlaskClient, pub: Publication, edition: Edition
) -> None:
    story = _story(pub, edition.date)
    resp = editor.post(_url(edition, f"/pins/story/{story.id}"), data={"page": "9", "position": "top"})
    assert "版次只能是" in editor.get(resp.headers["Location"]).get_data(as_text=True)
    resp = editor.post(_url(edition, f"/pins/story/{story.id}"), data={"page": "1", "position": "middle"})
    assert resp.status_code == 302
    db.session.refresh(edition)
    assert not (edition.plan or {}).get("pins")
    other_day = _story(pub, edition.date + timedelta(days=1), "别的日子")
    assert editor.post(_url(edition, f"/pins/story/{other_day.id}"), data={"page": "1"}).status_code == 404
    assert editor.post(_url(edition, "/pins/notice/999999"), data={"page": "1"}).status_code == 404


# --- display ads -----------------------------------------------------------------------------


@pytest.fixture
def ad() -> AdContent:
    a = AdContent(title="邢台九龙峡旅游广告", content=TOURISM_AD)
    db.session.add(a)
    db.session.commit()
    return a


def test_an_ad_is_placed_and_removed(editor: FlaskClient, edition: Edition, ad: AdContent) -> None:
    page = editor.get(_url(edition)).get_data(as_text=True)
    assert "邢台九龙峡旅游广告" in page and 'name="height"' in page
    resp = editor.post(
        _url(edition, "/ads"),
        data={"ad": str(ad.id), "page": "1", "position": "ear", "cols": "2", "height": "5", "unit": "cm"},
    )
    assert resp.status_code == 302
    booking = db.session.query(AdBooking).one()
    # 5 cm = 141.7 pt = 10.5 lines of 13.5 pt, rounded up: an ad is never smaller than sold.
    assert (booking.page, booking.position, booking.cols, booking.lines) == (1, "ear", 2, 11)
    editor.post(
        _url(edition, "/ads"),
        data={
            "ad": str(ad.id),
            "page": "4",
            "position": "bottom",
            "cols": "6",
            "height": "24",
            "unit": "lines",
        },
    )
    assert db.session.query(AdBooking).filter_by(lines=24, cols=6, page=4).count() == 1

    resp = editor.post(_url(edition, f"/ads/{booking.id}/cancel"))
    assert resp.status_code == 302
    db.session.refresh(booking)
    assert booking.status == "cancelled"
    shown = editor.get(_url(edition)).get_data(as_text=True)
    assert "已撤下" in shown
    assert editor.post(_url(edition, "/ads/999999/cancel")).status_code == 404


def test_removing_a_booking_frees_its_cells_but_not_a_paid_one(
    editor: FlaskClient, users, edition: Edition, ad: AdContent
) -> None:
    from notices_app.models import SlotClaim

    advertiser = users("advertiser", org="邢台九龙峡旅游有限公司")
    held = AdBooking(
        edition_id=edition.id,
        ad_content_id=ad.id,
        org_id=advertiser.org_id,
        page=4,
        position="bottom",
        cols=2,
        lines=20,
        status="held",
        price_fen=120000,
    )
    paid = AdBooking(
        edition_id=edition.id,
        ad_content_id=None,
        org_id=advertiser.org_id,
        page=4,
        position="bottom",
        cols=2,
        lines=20,
        status="confirmed",
        price_fen=120000,
    )
    db.session.add_all([held, paid])
    db.session.flush()
    db.session.add(SlotClaim(edition_id=edition.id, page=4, cell=1, booking_id=held.id))
    db.session.commit()
    page = editor.get(_url(edition)).get_data(as_text=True)
    assert "客户提供的稿件" in page and "待付款" in page
    assert f"/ads/{held.id}/cancel" in page and f"/ads/{paid.id}/cancel" not in page

    editor.post(_url(edition, f"/ads/{held.id}/cancel"))
    db.session.refresh(held)
    assert held.status == "cancelled" and held.cancelled_at is not None
    assert db.session.query(SlotClaim).count() == 0

    resp = editor.post(_url(edition, f"/ads/{paid.id}/cancel"))
    assert "请通过退款流程取消" in editor.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.refresh(paid)
    assert paid.status == "confirmed"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"height": "0"}, "高度应大于0。"),
        ({"height": "2.5", "unit": "lines"}, "按行计的高度应为整数。"),
        ({"height": "80", "unit": "cm"}, "超过版心的"),
        ({"cols": "7"}, "宽度（栏）应在1到6之间。"),
        ({"page": "5"}, "版次只能是"),
        ({"position": "middle"}, "位置只能是"),
        ({"ad": "999999"}, "广告只能是"),
    ],
)
def test_ad_placement_refuses_bad_input(
    editor: FlaskClient, edition: Edition, ad: AdContent, changes: dict[str, str], message: str
) -> None:
    data = {"ad": str(ad.id), "page": "1", "position": "bottom", "cols": "2", "height": "5", "unit": "cm"}
    resp = editor.post(_url(edition, "/ads"), data={**data, **changes})
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert db.session.query(AdBooking).count() == 0


# --- rebuild ---------------------------------------------------------------------------------


def test_rebuild_of_a_published_edition_is_refused(editor: FlaskClient, edition: Edition) -> None:
    edition.status = "published"
    db.session.commit()
    resp = editor.post(_url(edition, "/rebuild"))
    assert resp.status_code == 302
    assert "本期已出版，版面已冻结" in editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert db.session.query(EditionBuild).count() == 0
    # The plan of a published edition is frozen too.
    editor.post(_url(edition, "/pages"), data={"page_count": "2", "role_1": "news", "role_2": "news"})
    db.session.refresh(edition)
    assert edition.page_count == 4


def test_rebuild_needs_the_csrf_token_of_the_planner_page(app, users, edition: Edition) -> None:
    from notices_app import create_app

    # A second app with CSRF protection on (the shared test app turns it off).
    guarded = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "csrf-test",
            "STORAGE_DIR": app.config["STORAGE_DIR"],
        }
    )
    edition.status = "published"  # the build stops at once with a Conflict: no rendering needed
    db.session.commit()
    user = users("editor")
    client = guarded.test_client()
    token_of = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    login_page = client.get("/login").get_data(as_text=True)
    token = token_of.search(login_page).group(1)
    client.post("/login", data={"email": user.email, "password": "password-123", "csrf_token": token})
    planner = client.get(_url(edition)).get_data(as_text=True)
    token = token_of.search(planner[planner.index("/rebuild") :]).group(1)
    assert client.post(_url(edition, "/rebuild")).status_code == 400
    assert client.post(_url(edition, "/rebuild"), data={"csrf_token": token}).status_code == 302


def test_a_failed_build_is_flashed_with_its_counts(
    editor: FlaskClient, edition: Edition, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notices_app.services import editions as edition_service

    def fake_build(
        day: date, actor: Any = None, progress: Any = None, *, build: EditionBuild
    ) -> EditionBuild:
        # The rebuild job fills the row the request made (build 1) with what a build records.
        assert day == edition.date and actor is not None and build.number == 1
        made = make_build(edition, 2)
        build.status, build.overflow, build.preflight = "failed", made.overflow, made.preflight
        db.session.commit()
        return build

    monkeypatch.setattr(edition_service, "build_edition", fake_build)
    resp = editor.post(_url(edition, "/rebuild"))
    page = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert "第1次组版未通过：1项未能排入，1项印前检查问题" in page


def test_a_build_that_raises_is_flashed_not_a_500(
    editor: FlaskClient, edition: Edition, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notices_app.services import editions as edition_service

    def broken(day: date, actor: Any = None, progress: Any = None, **_: Any) -> EditionBuild:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(edition_service, "build_edition", broken)
    resp = editor.post(_url(edition, "/rebuild"))
    assert resp.status_code == 302
    assert "renderer exploded" in editor.get(resp.headers["Location"]).get_data(as_text=True)


BUILD_MODULES = (
    "notices_app.layout.page_layout",
    "print.stories",
    "print.edition_pdf",
    "print.pdfx",
    "print.preflight",
)


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in BUILD_MODULES),
    reason="the edition renderer is not there yet",
)
def test_the_rebuild_button_runs_a_real_build(
    editor: FlaskClient, pub: Publication, edition: Edition, ad: AdContent
) -> None:
    from notices_app.services.demo import seed_text
    from notices_app.services.stories import import_stories

    import_stories(pub, edition.date, seed_text().split("\n公告\n")[0])
    placed = editor.post(
        _url(edition, "/ads"),
        data={
            "ad": str(ad.id),
            "page": "4",
            "position": "bottom",
            "cols": "2",
            "height": "15",
            "unit": "lines",
        },
    )
    assert placed.status_code == 302
    resp = editor.post(_url(edition, "/rebuild"))
    assert resp.status_code == 302
    build = db.session.query(EditionBuild).filter_by(edition_id=edition.id).one()
    # The seed page's three stories and one ad fit four pages: the build succeeds and is current.
    assert build.status == "succeeded", (build.error, build.overflow, build.preflight)
    assert len(build.pages) == edition.page_count
    db.session.refresh(edition)
    assert edition.current_build_id == build.id and edition.status == "built"
    page = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert "组版完成（第1次）" in page and "印前检查通过" in page
    status, _, pdf = fetch(editor, _url(edition, "/builds/1/page-1.pdf"))
    assert status == 200 and pdf.startswith(b"%PDF")
    status, _, png = fetch(editor, _url(edition, "/builds/1/page-1.png"))
    assert status == 200 and png.startswith(b"\x89PNG")
    assert "blk blk-story" in page and "blk blk-ad" in page
