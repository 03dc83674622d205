"""The public site after seed-demo → build → publish: page images with clickable notices,
listings, permalinks, Atom feeds; and what it must never show (full ID numbers, hidden names,
print-only notices, copies past their retention period), checked on every response of a crawl."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import Edition, Notice, Publication, PublishedNotice
from notices_app.services import publishing, storage
from notices_app.services.demo import lost_license_fields, termination_fields
from notices_app.services.editions import build_edition

ATOM = "{http://www.w3.org/2005/Atom}"
SEED_IDS = [e["id_number"] for e in termination_fields(date.today())["employees"]]
SEED_NAMES = [e["name"] for e in termination_fields(date.today())["employees"]]
COOP = lost_license_fields(date.today())["org_name"]
TEXT_TYPES = ("text/html", "application/json", "application/atom+xml", "application/xml", "text/")
# Where a crawl never goes: accounts, the desk, language switches.
SKIP = ("/login", "/signup", "/logout", "/desk", "/admin", "/submit", "/static", "/billing")


class Client(FlaskClient):
    """A test client that reads and closes every response (files are streamed from disk)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        resp = super().open(*args, **kwargs)
        resp.get_data()
        resp.close()
        return resp


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return Client(app, app.response_class, use_cookies=True)


@pytest.fixture(autouse=True)
def _no_frozen_files_between_tests(app: Flask) -> Iterator[None]:
    published = storage.path_of(publishing.PUBLISHED_DIR)
    shutil.rmtree(published, ignore_errors=True)
    yield
    shutil.rmtree(published, ignore_errors=True)


def publish_seed(app: Flask, *, print_only: bool = False, hide_names: bool = False) -> Edition:
    out = app.test_cli_runner().invoke(args=["seed-demo", "--quiet"])
    assert out.exit_code == 0, out.output
    edition = next(e for e in db.session.scalars(select(Edition)) if e.plan.get("pages"))
    notices = {n.kind: n for n in db.session.scalars(select(Notice).where(Notice.status == "approved"))}
    notices["lost_license"].print_only = print_only
    notices["termination"].web_hide_names = hide_names
    db.session.commit()
    assert build_edition(edition.date).status == "succeeded"
    publishing.publish_edition(edition.date)
    db.session.refresh(edition)
    return edition


def published(kind: str) -> PublishedNotice:
    row = db.session.scalar(select(PublishedNotice).where(PublishedNotice.kind == kind))
    assert row is not None
    return row


def crawl(client: FlaskClient, starts: list[str]) -> dict[str, Any]:
    """Every same-site page reachable from `starts` (links and images), by path."""
    seen: dict[str, Any] = {}
    todo = list(starts)
    while todo:
        path = todo.pop()
        if path in seen or path.startswith(SKIP):
            continue
        resp = client.get(path)
        seen[path] = resp
        assert resp.status_code < 500, path
        if resp.mimetype == "text/html":
            html = resp.get_data(as_text=True)
            for link in re.findall(r'(?:href|src)="(/[^"#]*)"', html):
                todo.append(link.replace("&amp;", "&"))
    return seen


def public_bodies(app: Flask, edition: Edition) -> dict[str, str]:
    """Text bodies of every public response: a crawl from the home page and the listings, the
    feeds, and the public search page and API when they exist."""
    client = Client(app, app.response_class, use_cookies=True)
    day = edition.date.isoformat()
    starts = ["/", "/editions/", f"/editions/{day}", f"/editions/{day}/1", f"/published/{day}/page-1.pdf"]
    starts += [f"/notices/kind/{k}" for k in ("termination", "lost_license", "general")]
    starts += [f"/feeds/{k}.atom" for k in ("termination", "lost_license", "general")]
    starts += [f"/n/{r.id}" for r in db.session.scalars(select(PublishedNotice))]
    for q in ("中航钛业", "370303", SEED_IDS[0], "王鹏", COOP, "370302NA000215"):
        starts += [f"/search?q={q}", f"/api/v1/public/notices?q={q}"]
    starts.append("/api/v1/public/notices")
    responses = crawl(client, starts)
    responses |= {f"{p}?lang=en": client.get(f"{p}?lang=en") for p in ("/", f"/editions/{day}")}
    bodies = {}
    for path, resp in responses.items():
        if resp.mimetype.startswith(TEXT_TYPES) or resp.mimetype.endswith(("json", "xml")):
            body = resp.get_data(as_text=True)
            if path.startswith("/search"):
                # The search box shows the visitor's own query back to them; that is not a leak.
                body = re.sub(r"<input[^>]*>", "", body)
                body = re.sub(r"<title>.*?</title>", "", body, flags=re.S)
            bodies[path] = body
    assert any(p.startswith("/n/") for p in bodies) and any(p.startswith("/feeds/") for p in bodies)
    return bodies


def near(colour: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 6) -> bool:
    """Colours compared loosely: the web images are stored with a 256-colour palette."""
    return all(abs(c - e) <= tolerance for c, e in zip(colour, expected, strict=True))


def pixel_at_centre(png: bytes, rect: list[float]) -> tuple[int, ...]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = image.size
    x, y = (rect[0] + rect[2] / 2) / 100 * w, (rect[1] + rect[3] / 2) / 100 * h
    return image.getpixel((round(x), round(y)))  # type: ignore[return-value]


def test_the_public_site_shows_the_edition_with_clickable_notices(app: Flask, client: FlaskClient) -> None:
    edition = publish_seed(app)
    day = edition.date.isoformat()
    termination, lost = published("termination"), published("lost_license")

    home = client.get("/")
    assert home.status_code == 200 and "public" in home.headers["Cache-Control"]
    html = home.get_data(as_text=True)
    assert f'src="/published/{day}/page-1.png"' in html and 'width="1200"' in html
    for row in (termination, lost):
        r = row.box["rect"]
        # Placed by static/site.js from data-rect (the CSP forbids style attributes).
        link = re.search(rf'<a class="nlink" href="/n/{row.id}" data-rect="([^"]+)"', html)
        assert link, row.kind
        assert link.group(1) == f"{r[0]} {r[1]} {r[2]} {r[3]}"

    page = client.get(f"/published/{day}/page-1.png")
    assert page.status_code == 200 and page.mimetype == "image/png"
    assert Image.open(io.BytesIO(page.data)).size[0] == 1200
    assert client.get(f"/published/{day}/page-1-thumb.png").status_code == 200

    # Per-kind listings hold their own kind only.
    listing = client.get("/notices/kind/termination").get_data(as_text=True)
    assert f'href="/n/{termination.id}"' in listing and f'href="/n/{lost.id}"' not in listing
    assert f'href="/n/{lost.id}"' in client.get("/notices/kind/lost_license").get_data(as_text=True)
    assert "暂无公告" in client.get("/notices/kind/general").get_data(as_text=True)
    assert day in client.get("/editions/").get_data(as_text=True)
    assert f'href="/n/{lost.id}"' in client.get(f"/editions/{day}").get_data(as_text=True)

    # The permalink: the web text, the typeset image, edition and page, verification.
    resp = client.get(f"/n/{termination.id}")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "中航钛业有限公司" in text and "370303********2016" in text and "特此公告" in text
    assert f'href="/editions/{day}/1"' in text
    assert f"/verify/{termination.proof_token}" in text
    assert (edition.date + timedelta(days=30)).isoformat() in text  # deemed served
    image = re.search(rf'<img src="/n/{termination.id}.png" width="(\d+)" height="(\d+)"', text)
    assert image
    png = client.get(f"/n/{termination.id}.png")
    assert png.status_code == 200
    assert Image.open(io.BytesIO(png.data)).size == (int(image.group(1)), int(image.group(2)))
    assert "淄博淄川峨庄乡村旅游专业合作社不慎遗失营业执照正本" in client.get(f"/n/{lost.id}").get_data(
        as_text=True
    )

    # Atom feeds, one per kind, valid XML with the kind's entries.
    for kind, expected in (("termination", [termination]), ("lost_license", [lost]), ("general", [])):
        feed = client.get(f"/feeds/{kind}.atom")
        assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
        root = ET.fromstring(feed.data)
        assert root.tag == f"{ATOM}feed"
        assert root.find(f"{ATOM}id") is not None and root.find(f"{ATOM}updated") is not None
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == len(expected)
        for entry, row in zip(entries, expected, strict=True):
            assert entry.find(f"{ATOM}link").get("href").endswith(f"/n/{row.id}")  # type: ignore[union-attr]
            assert entry.find(f"{ATOM}category").get("term") == kind  # type: ignore[union-attr]
            assert entry.findtext(f"{ATOM}content") == row.web_text
            datetime.fromisoformat(entry.findtext(f"{ATOM}updated", "").replace("Z", "+00:00"))

    # The print PDF of a page with masked personal data is not offered on the web.
    withheld = client.get(f"/published/{day}/page-1.pdf")
    assert withheld.status_code == 404 and "不在网上提供" in withheld.get_data(as_text=True)

    # Bad and unknown addresses are 404s.
    for path in (
        "/notices/kind/bogus",
        "/feeds/bogus.atom",
        "/editions/x",
        "/editions/2001-01-01",
        f"/editions/{day}/9",
        "/n/999999",
        "/n/999999.png",
        f"/published/{day}/page-9.png",
        "/published/x/page-1.pdf",
    ):
        assert client.get(path).status_code == 404, path
    # An edition that is not published is not public.
    later = db.session.scalar(
        select(Edition).where(Edition.date > edition.date, Edition.status != "published")
    )
    assert later is not None
    assert client.get(f"/editions/{later.date.isoformat()}").status_code == 404


def test_a_page_without_personal_data_offers_its_frozen_pdf(app: Flask, client: FlaskClient) -> None:
    edition = publish_seed(app)
    termination = published("termination")
    # As if the page carried only notices that read the same on the web as in print.
    termination.box = dict(termination.box, masked=False)
    db.session.commit()
    resp = client.get(f"/published/{edition.date.isoformat()}/page-1.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "immutable" in resp.headers["Cache-Control"]
    assert resp.data == storage.read(publishing.frozen_page_path(edition.date, 1))


def test_full_id_numbers_never_appear_in_any_public_response(app: Flask) -> None:
    edition = publish_seed(app)
    bodies = public_bodies(app, edition)
    for path, body in bodies.items():
        for number in SEED_IDS:
            assert number not in body, path
            assert number[6:14] not in body, path  # the birth date in the middle
    assert any("370303********2016" in b for b in bodies.values())
    # The names are shown unless the filer asked to hide them.
    assert any("王鹏" in b for b in bodies.values())


def test_hidden_names_and_print_only_notices_never_appear(app: Flask, client: FlaskClient) -> None:
    edition = publish_seed(app, print_only=True, hide_names=True)
    termination, lost = published("termination"), published("lost_license")
    assert lost.withdrawn_reason == "print_only" and lost.image_path is None
    bodies = public_bodies(app, edition)
    for path, body in bodies.items():
        for name in SEED_NAMES:
            assert name not in body, (path, name)
        for number in SEED_IDS:
            assert number not in body, path
        assert COOP not in body and "370302NA000215" not in body, path
        assert f"/n/{lost.id}" not in body, path
    assert "王某" in bodies[f"/n/{termination.id}"]
    assert client.get(f"/n/{lost.id}").status_code == 404
    assert client.get(f"/n/{lost.id}.png").status_code == 404
    feed = ET.fromstring(client.get("/feeds/lost_license.atom").data)
    assert feed.findall(f"{ATOM}entry") == []
    # The page image the web shows has the print-only notice blanked out ...
    page_png = client.get(f"/published/{edition.date.isoformat()}/page-1.png").data
    assert near(pixel_at_centre(page_png, lost.box["rect"]), publishing.BLANK_FILL)
    assert not near(pixel_at_centre(page_png, termination.box["rect"]), publishing.BLANK_FILL)
    # ... and, found in the frozen page's own text, the middle 8 characters of each ID number
    # and the given names (鹏, 慧, 晓林) painted over, inside the notice's box.
    notice = db.session.get(Notice, termination.notice_id)
    assert notice is not None
    block = publishing.BlockRedaction(notice.id, tuple(termination.box["rect"]), True, (), tuple(SEED_NAMES))
    marks = publishing.redaction_rects(storage.read(termination.page_pdf_path), [block])
    assert [kind for kind, _ in marks] == ["mask"] * (3 * 8 + 4)
    x, y, w, h = (v / 100 for v in termination.box["rect"])
    for _, (mx, my, mw, mh) in marks:
        assert x <= mx and mx + mw <= x + w and y <= my and my + mh <= y + h
        centre = [100 * (mx + mw / 2), 100 * (my + mh / 2), 0, 0]
        grey = pixel_at_centre(page_png, centre)
        assert near(grey, publishing.REDACT_FILL, 24), grey


def _local_midnight(pub: Publication, day: date) -> datetime:
    from notices_app.rules.calendar import PublishingCalendar

    tz = PublishingCalendar.from_dict(pub.calendar).tz
    return datetime.combine(day, time(12, 0), tzinfo=tz).astimezone(UTC)


def test_termination_copies_are_withdrawn_after_the_retention_period(app: Flask, client: FlaskClient) -> None:
    edition = publish_seed(app)
    day = edition.date.isoformat()
    termination, lost = published("termination"), published("lost_license")
    pub = db.session.scalar(select(Publication))
    assert pub is not None and pub.termination_web_days == 180

    # The day the period ends, nothing is withdrawn; the day after, the termination notice is.
    assert publishing.withdraw_expired(_local_midnight(pub, edition.date + timedelta(days=180))) == []
    gone = publishing.withdraw_expired(_local_midnight(pub, edition.date + timedelta(days=181)))
    assert [r.id for r in gone] == [termination.id]
    db.session.refresh(termination)
    assert termination.withdrawn_reason == "retention" and termination.withdrawn_at is not None
    db.session.refresh(lost)
    assert lost.withdrawn_at is None  # only termination notices have a retention period

    resp = client.get(f"/n/{termination.id}")
    assert resp.status_code == 410
    body = resp.get_data(as_text=True)
    assert "网络版已按保留期限撤下" in body and "370303" not in body and "中航钛业有限公司" not in body
    en = client.get(f"/n/{termination.id}?lang=en").get_data(as_text=True)
    assert "withdrawn from the web after the retention period" in en.lower()
    assert client.get(f"/n/{termination.id}.png").status_code == 410
    for path in ("/", f"/editions/{day}", f"/editions/{day}/1", "/notices/kind/termination"):
        assert f"/n/{termination.id}" not in client.get(path).get_data(as_text=True), path
    assert f"/n/{lost.id}" in client.get("/").get_data(as_text=True)
    feed = ET.fromstring(client.get("/feeds/termination.atom").data)
    assert feed.findall(f"{ATOM}entry") == []
    page_png = client.get(f"/published/{day}/page-1.png").data
    assert near(pixel_at_centre(page_png, termination.box["rect"]), publishing.BLANK_FILL)
    # The record stays for proofs and verification.
    assert db.session.get(PublishedNotice, termination.id) is not None
    assert storage.path_of(termination.page_pdf_path).is_file()
    # The job from the command line finds nothing more to do.
    out = app.test_cli_runner().invoke(args=["edition", "withdraw-expired"])
    assert out.exit_code == 0 and "共 0 条" in out.output


def test_retention_applies_even_before_the_withdrawal_job_runs(app: Flask, client: FlaskClient) -> None:
    edition = publish_seed(app)
    termination = published("termination")
    pub = db.session.scalar(select(Publication))
    assert pub is not None
    # A retention period that ended yesterday (relative to the edition date and today).
    today = publishing.local_today(pub)
    pub.termination_web_days = (today - edition.date).days - 1
    db.session.commit()
    assert termination.withdrawn_at is None
    assert client.get(f"/n/{termination.id}").status_code == 410
    assert f"/n/{termination.id}" not in client.get("/notices/kind/termination").get_data(as_text=True)
    assert ET.fromstring(client.get("/feeds/termination.atom").data).findall(f"{ATOM}entry") == []
    assert publishing.web_copy(termination) == {
        "id": termination.id,
        "kind": "termination",
        "run_date": edition.date.isoformat(),
        "url": f"/n/{termination.id}",
        "withdrawn": True,
        "withdrawn_reason": "retention",
    }


def test_web_copy_is_masked_json(app: Flask) -> None:
    publish_seed(app)
    termination = published("termination")
    copy = publishing.web_copy(termination)
    assert copy["withdrawn"] is False and copy["page"] == 1
    assert copy["text"] == termination.web_text and copy["url"] == f"/n/{termination.id}"
    dump = repr(copy)
    assert all(number not in dump for number in SEED_IDS)
    assert publishing.published_notice_for(termination.notice_id, termination.run_date) == termination
