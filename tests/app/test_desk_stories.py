"""The stories desk: create, edit, delete and import stories; photo uploads become CMYK JPEGs."""

from __future__ import annotations

import html
import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from apphelpers import first_run_date, login
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from notices_app.extensions import db
from notices_app.models import Edition, Publication, Story
from notices_app.services import storage
from notices_app.services.demo import seed_text

MISSING = "𰻝"  # biáng: in none of the print fonts


@pytest.fixture
def day(pub: Publication) -> date:
    d = first_run_date(pub)
    db.session.add(Edition(publication_id=pub.id, date=d, page_count=4))
    db.session.commit()
    return d


@pytest.fixture
def editor(client: FlaskClient, users) -> FlaskClient:
    login(client, users("editor"))
    return client


def _story_data(**changes: Any) -> dict[str, Any]:
    data = {
        "headline": "政务微博“淄博发布”上线运行",
        "deck": "各区县及首批32个市直部门、单位政务微博同步上线\n政务信息将更加公开",
        "byline": "本报10月21日讯(记者 李超)",
        "body": "21日下午,“淄博发布”正式上线。\n## 信息公开的范围将更广\n此后,淄博政务信息发布渠道将更加多样化。",
        "sort_order": "0",
        "caption": "",
    }
    data.update(changes)
    return data


def _photos() -> list[str]:
    """The stored photos (the storage folder is shared by the test session: compare snapshots)."""
    folder = storage.root() / "photos"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _png(width: int, height: int, mode: str = "RGB", colour: Any = (0, 0, 0)) -> bytes:
    out = BytesIO()
    Image.new(mode, (width, height), colour).save(out, format="PNG")
    return out.getvalue()


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), ("filer", 403), ("advertiser", 403), ("editor", 200), ("admin", 200)],
)
def test_only_editors_and_admins_reach_the_stories(
    app, users, day: date, role: str | None, status: int
) -> None:
    client = app.test_client()
    if role:
        login(client, users(role))
    for path in (f"/desk/stories/?date={day.isoformat()}", "/desk/stories/new", "/desk/stories/import"):
        resp = client.get(path)
        assert resp.status_code == status, (path, role)
        if role is None:
            assert "/login" in resp.headers["Location"]
    resp = client.post(f"/desk/stories/new?date={day.isoformat()}", data=_story_data())
    assert resp.status_code == {None: 302, "filer": 403, "advertiser": 403}.get(role, 302)
    assert db.session.query(Story).count() == (1 if role in ("editor", "admin") else 0)


# --- create, edit, delete --------------------------------------------------------------------


def test_create_edit_and_delete_a_story(editor: FlaskClient, day: date) -> None:
    resp = editor.post(f"/desk/stories/new?date={day.isoformat()}", data=_story_data(sort_order="5"))
    assert resp.status_code == 302 and f"date={day.isoformat()}" in resp.headers["Location"]
    story = db.session.query(Story).one()
    assert story.edition_date == day and story.sort_order == 5
    assert story.headline == "政务微博“淄博发布”上线运行"
    assert story.deck == "各区县及首批32个市直部门、单位政务微博同步上线\n政务信息将更加公开"
    assert story.byline == "本报10月21日讯（记者 李超）"  # ASCII punctuation made full-width
    assert story.blocks == [
        {"type": "para", "text": "21日下午，“淄博发布”正式上线。"},
        {"type": "head", "text": "信息公开的范围将更广"},
        {"type": "para", "text": "此后，淄博政务信息发布渠道将更加多样化。"},
    ]
    listing = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert "政务微博“淄博发布”上线运行" in html.unescape(listing) and "稿件已保存" in listing

    form = html.unescape(editor.get(f"/desk/stories/{story.id}/edit").get_data(as_text=True))
    assert "## 信息公开的范围将更广" in form  # the body comes back as typed
    assert "本报10月21日讯（记者 李超）" in form

    resp = editor.post(
        f"/desk/stories/{story.id}/edit",
        data=_story_data(headline="微博成政府与群众沟通新桥梁", body="只有一段。", deck="", sort_order="1"),
    )
    assert resp.status_code == 302
    db.session.refresh(story)
    assert story.headline == "微博成政府与群众沟通新桥梁" and story.deck is None and story.sort_order == 1
    assert story.blocks == [{"type": "para", "text": "只有一段。"}]

    resp = editor.post(f"/desk/stories/{story.id}/delete")
    assert resp.status_code == 302
    assert db.session.query(Story).count() == 0
    assert editor.get(f"/desk/stories/{story.id}/edit").status_code == 404


def test_deleting_a_story_drops_its_pin(editor: FlaskClient, pub: Publication, day: date) -> None:
    editor.post(f"/desk/stories/new?date={day.isoformat()}", data=_story_data())
    story = db.session.query(Story).one()
    editor.post(
        f"/desk/editions/{day.isoformat()}/pins/story/{story.id}", data={"page": "2", "position": "top"}
    )
    editor.post(f"/desk/stories/{story.id}/delete")
    edition = db.session.query(Edition).one()
    db.session.refresh(edition)
    assert edition.plan["pins"] == []


def test_stories_are_listed_in_order(editor: FlaskClient, day: date) -> None:
    for headline, order in (("第三篇稿件", "30"), ("头条稿件", "0"), ("第二篇稿件", "10")):
        editor.post(
            f"/desk/stories/new?date={day.isoformat()}", data=_story_data(headline=headline, sort_order=order)
        )
    page = editor.get(f"/desk/stories/?date={day.isoformat()}").get_data(as_text=True)
    assert page.index("头条稿件") < page.index("第二篇稿件") < page.index("第三篇稿件")
    other = editor.get("/desk/stories/?date=2013-10-22").get_data(as_text=True)
    assert "头条稿件" not in other and "该日还没有稿件" in other


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"headline": ""}, "请填写标题。"),
        ({"headline": "长" * 201}, "标题最多200个字，现为201个字。"),
        ({"headline": f"油泼{MISSING}{MISSING}面"}, f"印刷字库中没有“{MISSING}”（U+30EDD）"),
        ({"body": f"好吃的{MISSING}{MISSING}面。"}, f"印刷字库中没有“{MISSING}”（U+30EDD）"),
        ({"body": f"## 小标题{MISSING}\n正文。"}, f"“{MISSING}”"),
        ({"body": ""}, "请填写正文。"),
        ({"sort_order": "abc"}, "排序应为整数。"),
    ],
)
def test_story_form_refuses_bad_input_with_field_errors(
    editor: FlaskClient, day: date, changes: dict[str, str], message: str
) -> None:
    resp = editor.post(f"/desk/stories/new?date={day.isoformat()}", data=_story_data(**changes))
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert message in page
    assert 'class="field has-error"' in page
    assert db.session.query(Story).count() == 0


def test_story_errors_in_english(editor: FlaskClient, day: date) -> None:
    resp = editor.post(f"/desk/stories/new?date={day.isoformat()}&lang=en", data=_story_data(headline=""))
    page = resp.get_data(as_text=True)
    assert "Headline is required." in page and "Please correct the fields marked in red" in page


def test_stories_of_a_published_edition_are_frozen(editor: FlaskClient, day: date) -> None:
    edition = db.session.query(Edition).one()
    edition.status = "published"
    db.session.commit()
    resp = editor.post(f"/desk/stories/new?date={day.isoformat()}", data=_story_data())
    assert "本期已出版" in editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert db.session.query(Story).count() == 0


# --- import ----------------------------------------------------------------------------------


def test_import_the_seed_page(editor: FlaskClient, pub: Publication, day: date) -> None:
    text = seed_text().split("\n公告\n")[0]
    resp = editor.post("/desk/stories/import", data={"edition_date": day.isoformat(), "text": text})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    stories = db.session.query(Story).order_by(Story.sort_order).all()
    assert [s.headline for s in stories] == [
        "政务微博“淄博发布”上线运行",
        "微博成政府与群众沟通新桥梁",
        "公共网络文化将实现广覆盖",
    ]
    assert all(s.edition_date == day for s in stories)
    assert [s.sort_order for s in stories] == [0, 10, 20]
    assert stories[0].byline == "本报10月21日讯（记者 李超）"
    assert stories[1].deck == "政务信息将更加公开，内容更加细化"
    heads = [b["text"] for b in stories[1].blocks if b["type"] == "head"]
    assert heads == ["信息公开的范围将更广", "网民提问和诉求将获及时回应"]
    body = "".join(b["text"] for s in stories for b in s.blocks)
    assert not re.search(r"[\u4e00-\u9fff][,;:?!]", body)  # full-width punctuation throughout
    listing = editor.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已导入3篇稿件" in listing

    # Importing again appends after the stories already there.
    editor.post("/desk/stories/import", data={"edition_date": day.isoformat(), "text": text})
    assert [s.sort_order for s in db.session.query(Story).order_by(Story.sort_order)][3:] == [30, 40, 50]


def test_import_from_a_gb18030_text_file(editor: FlaskClient, day: date) -> None:
    text = seed_text().split("\n公告\n")[0]
    upload = (BytesIO(text.encode("gb18030")), "稿件.txt")
    resp = editor.post(
        "/desk/stories/import",
        data={"edition_date": day.isoformat(), "file": upload},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    assert db.session.query(Story).count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "请粘贴稿件文本或上传文件。"),
        ({"text": "只有一行"}, "没有识别出稿件"),
        ({"text": f"标题{MISSING}\n本报10月21日讯(记者 李超)\n正文一段。"}, f"“{MISSING}”"),
        ({"edition_date": "2013-13-01", "text": "标题\n正文。"}, "不是有效的日期"),
    ],
)
def test_import_refuses_bad_input_and_imports_nothing(
    editor: FlaskClient, day: date, data: dict[str, str], message: str
) -> None:
    resp = editor.post("/desk/stories/import", data={"edition_date": day.isoformat(), **data})
    assert resp.status_code == 200
    assert message in html.unescape(resp.get_data(as_text=True))
    assert db.session.query(Story).count() == 0


# --- photos ----------------------------------------------------------------------------------


def test_a_png_photo_becomes_a_cmyk_jpeg(editor: FlaskClient, day: date) -> None:
    image = Image.new("RGB", (40, 30), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 20, 30))  # left half black
    out = BytesIO()
    image.save(out, format="PNG")
    resp = editor.post(
        f"/desk/stories/new?date={day.isoformat()}",
        data=_story_data(photo=(BytesIO(out.getvalue()), "tu.png"), caption="“淄博发布”上线"),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    story = db.session.query(Story).one()
    assert re.fullmatch(r"photos/[0-9a-f]{32}\.jpg", story.photo_path)
    assert story.caption == "“淄博发布”上线"
    with Image.open(BytesIO(storage.read(story.photo_path))) as stored:
        assert stored.format == "JPEG" and stored.mode == "CMYK" and stored.size == (40, 30)
        c, m, y, k = stored.getpixel((5, 15))
        # Black prints with black ink alone (grey component replacement), not 300 % CMY.
        assert k > 240 and max(c, m, y) < 16
        assert max(stored.getpixel((35, 15))) < 16  # white is no ink
    with editor.get(f"/desk/stories/{story.id}/photo.jpg") as shown:
        assert shown.status_code == 200 and shown.mimetype == "image/jpeg"

    # Removing the photo keeps the story.
    editor.post(f"/desk/stories/{story.id}/edit", data=_story_data(remove_photo="y"))
    db.session.refresh(story)
    assert story.photo_path is None
    with editor.get(f"/desk/stories/{story.id}/photo.jpg") as gone:
        assert gone.status_code == 404


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"this is not an image at all", "无法识别该照片：请上传 JPEG 或 PNG 图片。"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "无法识别该照片"),
        (
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            "无法识别该照片",
        ),
        (b"", "上传的照片是空文件。"),
    ],
)
def test_a_photo_that_is_not_a_jpeg_or_png_is_refused(
    editor: FlaskClient, day: date, payload: bytes, message: str
) -> None:
    before = _photos()
    resp = editor.post(
        f"/desk/stories/new?date={day.isoformat()}",
        data=_story_data(photo=(BytesIO(payload), "photo.png")),
        content_type="multipart/form-data",
    )
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and message in page
    assert 'class="field has-error"' in page
    assert db.session.query(Story).count() == 0
    assert _photos() == before


def test_photos_over_the_pixel_limit_are_refused(editor: FlaskClient, day: date) -> None:
    huge = _png(8000, 5001, mode="1", colour=1)  # 40.008 megapixels, a few KB of PNG
    before = _photos()
    resp = editor.post(
        f"/desk/stories/new?date={day.isoformat()}",
        data=_story_data(photo=(BytesIO(huge), "big.png")),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    assert "照片像素过多（8000×5001），最多 40 百万像素。" in html.unescape(resp.get_data(as_text=True))
    assert db.session.query(Story).count() == 0 and _photos() == before


def test_photos_over_ten_megabytes_are_refused_with_a_field_error(editor: FlaskClient, day: date) -> None:
    big = b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024)
    before = _photos()
    # Encoded in memory: the test client would spool a body this size to a file nobody closes.
    boundary, body = encode_multipart(
        MultiDict({**_story_data(), "photo": FileStorage(BytesIO(big), "big.jpg")})
    )
    resp = editor.post(
        f"/desk/stories/new?date={day.isoformat()}&lang=en",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert resp.status_code == 200  # not a 413: photo requests get room for the 10 MB check
    assert "The photo is too large; at most 10 MB." in resp.get_data(as_text=True)
    assert db.session.query(Story).count() == 0 and _photos() == before


def test_a_bad_photo_on_edit_keeps_the_old_one(editor: FlaskClient, day: date) -> None:
    editor.post(
        f"/desk/stories/new?date={day.isoformat()}",
        data=_story_data(photo=(BytesIO(_png(20, 20)), "a.png")),
        content_type="multipart/form-data",
    )
    story = db.session.query(Story).one()
    before, files = story.photo_path, _photos()
    resp = editor.post(
        f"/desk/stories/{story.id}/edit",
        data=_story_data(headline="改过的标题", photo=(BytesIO(b"nope"), "b.png")),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    db.session.refresh(story)
    assert story.photo_path == before and story.headline != "改过的标题"
    assert _photos() == files
