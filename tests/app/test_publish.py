"""Publishing an edition: seed-demo → `flask edition build` → `flask edition publish`; frozen
page PDFs, notices published with their audit rows, web copies recorded, refusals, crash
recovery, and the desk's publish and unmask views."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from notices_app.extensions import db
from notices_app.models import (
    AdBooking,
    AdContent,
    Edition,
    EditionBuild,
    Job,
    Notice,
    NoticeEvent,
    PublishedNotice,
    UnmaskEvent,
)
from notices_app.models.base import utcnow
from notices_app.services import proofs, publishing, storage
from notices_app.services.demo import termination_fields
from notices_app.services.editions import STALE_AFTER, build_edition
from notices_app.services.errors import Conflict

SEED_IDS = [e["id_number"] for e in termination_fields(date.today())["employees"]]


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
    # Storage outlives the per-test database cleanup; a frozen page left by another test (or
    # tampered with by one) would meet this test's publish of the same date.
    published = storage.path_of(publishing.PUBLISHED_DIR)
    shutil.rmtree(published, ignore_errors=True)
    yield
    shutil.rmtree(published, ignore_errors=True)


def seed(app: Flask) -> Edition:
    out = app.test_cli_runner().invoke(args=["seed-demo", "--quiet"])
    assert out.exit_code == 0, out.output
    return next(e for e in db.session.scalars(select(Edition)) if e.plan.get("pages"))


def cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def seed_notices() -> dict[str, Notice]:
    return {n.kind: n for n in db.session.scalars(select(Notice).where(Notice.status == "approved"))}


def rows() -> list[PublishedNotice]:
    return list(db.session.scalars(select(PublishedNotice).order_by(PublishedNotice.id)))


def events(notice_id: int, action: str) -> list[NoticeEvent]:
    return list(
        db.session.scalars(
            select(NoticeEvent).where(NoticeEvent.notice_id == notice_id, NoticeEvent.action == action)
        )
    )


def file_state(relative: str) -> tuple[int, int, int, bytes]:
    path = storage.path_of(relative)
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, stat.S_IMODE(st.st_mode), path.read_bytes()


def test_publish_freezes_the_built_pages_and_publishes_the_notices(app: Flask) -> None:
    edition = seed(app)
    day = edition.date.isoformat()
    notices = seed_notices()
    assert set(notices) == {"termination", "lost_license"}
    out = cli(app, "edition", "build", day)
    assert out.exit_code == 0, out.output
    out = cli(app, "edition", "publish", day)
    assert out.exit_code == 0, out.output
    assert "已出版" in out.output and "published" in out.output

    db.session.refresh(edition)
    build = db.session.get(EditionBuild, edition.current_build_id)
    assert build is not None
    assert edition.status == "published" and edition.published_at is not None
    assert edition.published_build_id == build.id

    # Frozen: the build's bytes, at their own path, read-only.
    (page,) = build.pages
    frozen = publishing.frozen_page_path(edition.date, 1)
    assert frozen == f"published/{day}/page-01.pdf"
    _, _, mode, data = file_state(frozen)
    assert data == storage.read(page["pdf"])
    assert mode & 0o222 == 0, oct(mode)

    # The notices moved scheduled → published through the workflow, each step logged once.
    for notice in notices.values():
        db.session.refresh(notice)
        assert notice.status == "published"
        for action, to_state in (("schedule", "scheduled"), ("publish", "published")):
            (event,) = events(notice.id, action)
            assert event.to_state == to_state and event.actor_role == "system"

    # One web copy per notice block: page, box, hashes, images, masked text.
    blocks = {b["id"]: b for b in page["blocks"] if b["kind"] == "notice"}
    published = rows()
    assert len(published) == len(blocks) == 2
    tokens = set()
    for row in published:
        block = blocks[str(row.notice_id)]
        assert row.page == 1 and row.run_date == edition.date and row.edition_id == edition.id
        for key in ("col", "cols", "line", "lines", "rect"):
            assert row.box[key] == block[key]
        assert row.page_pdf_path == frozen and row.page_sha256 == page["sha256"]
        assert row.withdrawn_at is None
        assert row.image_path and storage.read(row.image_path).startswith(b"\x89PNG")
        assert len(row.proof_token) >= 30
        tokens.add(row.proof_token)
        for number in SEED_IDS:
            assert number not in row.web_text and number not in row.search_text
    assert len(tokens) == 2
    by_kind = {r.kind: r for r in published}
    termination = by_kind["termination"]
    assert termination.deemed_served_on == edition.date + timedelta(days=30)
    assert "370303********2016" in termination.web_text
    assert termination.org_name == "中航钛业有限公司" and termination.credit_code
    assert termination.box["masked"] is True
    lost = by_kind["lost_license"]
    assert lost.deemed_served_on is None and lost.reg_number == "370302NA000215"
    assert lost.title == "挂失" and lost.box["masked"] is False
    for n in (1,):
        assert storage.path_of(publishing.web_page_image_path(edition.date, n)).is_file()
        assert storage.path_of(publishing.web_page_image_path(edition.date, n, thumb=True)).is_file()

    # A second run changes nothing: same files (not rewritten), rows, events and times.
    images = [r.image_path or "" for r in published] + [publishing.web_page_image_path(edition.date, 1)]
    before_files = {p: file_state(p) for p in [frozen, *images]}
    before_rows = [(r.id, r.notice_id, r.proof_token, r.published_at) for r in published]
    before_events = db.session.scalar(select(func.count(NoticeEvent.id)))
    published_at = edition.published_at
    out = cli(app, "edition", "publish", day)
    assert out.exit_code == 0, out.output
    db.session.expire_all()
    assert {p: file_state(p) for p in before_files} == before_files
    assert [(r.id, r.notice_id, r.proof_token, r.published_at) for r in rows()] == before_rows
    assert db.session.scalar(select(func.count(NoticeEvent.id))) == before_events
    assert db.session.get(Edition, edition.id).published_at == published_at  # type: ignore[union-attr]

    # A rebuild is refused now that the pages are frozen.
    with pytest.raises(Conflict):
        build_edition(edition.date)

    # A frozen file that was changed makes publish refuse, and it is never overwritten.
    path = storage.path_of(frozen)
    os.chmod(path, 0o644)
    path.write_bytes(data + b"% tampered\n")
    out = cli(app, "edition", "publish", day)
    assert out.exit_code == 1
    assert "冻结" in out.output and "frozen page file" in out.output
    assert path.read_bytes() == data + b"% tampered\n"


def test_publish_refuses_an_unbuilt_edition_and_a_failed_build(app: Flask) -> None:
    edition = seed(app)
    day = edition.date.isoformat()
    out = cli(app, "edition", "publish", day)
    assert out.exit_code == 1
    assert "尚未成功组版" in out.output and "has not been built" in out.output
    out = cli(app, "edition", "publish", "2001-01-01")
    assert out.exit_code == 1 and "没有这一期" in out.output

    good = build_edition(edition.date)
    assert good.status == "succeeded"
    ad = db.session.scalar(select(AdContent))
    assert ad is not None
    # An ad on a page the edition does not have: the next build fails (overflow).
    db.session.add(
        AdBooking(edition_id=edition.id, ad_content_id=ad.id, page=2, position="bottom", cols=2, lines=30)
    )
    db.session.commit()
    failed = build_edition(edition.date)
    assert failed.status == "failed"
    with pytest.raises(Conflict) as err:
        publishing.publish_edition(edition.date)
    assert err.value.message.code == "publish.last_build_failed"
    assert f"第{failed.number}次" in err.value.message.render("zh")
    assert "failed" in err.value.message.render("en")
    out = cli(app, "edition", "publish", day)
    assert out.exit_code == 1 and "未通过" in out.output

    # Nothing happened: nothing frozen, no web copies, notices still approved.
    assert not storage.path_of(f"published/{day}").exists()
    assert rows() == []
    assert {n.status for n in seed_notices().values()} == {"approved"} and len(seed_notices()) == 2
    db.session.refresh(edition)
    assert edition.status == "built" and edition.published_build_id is None


def test_a_build_whose_process_died_asks_for_a_rebuild(app: Flask) -> None:
    edition = seed(app)
    assert build_edition(edition.date).status == "succeeded"
    left = EditionBuild(edition_id=edition.id, number=2, status="running", folder="editions/x/build-002")
    db.session.add(left)
    db.session.commit()
    (problem,) = publishing.publish_problems(edition)
    assert problem.code == "publish.building" and "重新组版" in problem.render("zh")
    left.started_at = utcnow() - STALE_AFTER - timedelta(seconds=1)  # nobody finished it in time
    db.session.commit()
    (problem,) = publishing.publish_problems(edition)
    assert problem.code == "publish.build_interrupted" and "第2次" in problem.render("zh")
    assert build_edition(edition.date).status == "succeeded"  # a rebuild clears the way
    assert publishing.publish_problems(edition) == []


def test_publish_refuses_when_notices_changed_after_the_build(app: Flask) -> None:
    edition = seed(app)
    build_edition(edition.date)
    lost = seed_notices()["lost_license"]
    lost.status = "withdrawn"  # as if withdrawn after the build (directly: the test's shortcut)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        publishing.publish_edition(edition.date)
    assert err.value.message.code == "publish.stale_extra"
    assert f"#{lost.id}" in err.value.message.render("en")


CRASH_POINTS = ("images", "transition", "record")


@pytest.mark.parametrize("where", CRASH_POINTS)
def test_a_crash_half_way_then_a_rerun_completes_without_duplicates(
    app: Flask, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    edition = seed(app)
    build = build_edition(edition.date)
    notices = seed_notices()

    class Crash(RuntimeError):
        pass

    calls = {"n": 0}

    def crash_on_second(real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise Crash(where)
            return real(*args, **kwargs)

        return wrapper

    target = {"images": "render_web_images", "transition": "apply_transition", "record": "_new_row"}[where]
    if where == "images":
        # Crash after the page images are on disk, before the notice images are.
        real_store = storage.store

        def store(relative: str, data: bytes) -> str:
            if "/notices/" in relative:
                raise Crash(where)
            return real_store(relative, data)

        monkeypatch.setattr(publishing.storage, "store", store)
    else:
        monkeypatch.setattr(publishing, target, crash_on_second(getattr(publishing, target)))
    with pytest.raises(Crash):
        publishing.publish_edition(edition.date)
    db.session.rollback()  # the process died: nothing pending survives
    monkeypatch.undo()

    # The frozen page is in place already; nothing public yet.
    assert storage.path_of(publishing.frozen_page_path(edition.date, 1)).is_file()
    db.session.refresh(edition)
    assert edition.status == "built"
    assert rows() == []

    publishing.publish_edition(edition.date)
    db.session.expire_all()
    published = rows()
    assert sorted(r.notice_id for r in published) == sorted(n.id for n in notices.values())
    for notice in notices.values():
        assert db.session.get(Notice, notice.id).status == "published"  # type: ignore[union-attr]
        assert len(events(notice.id, "schedule")) == 1 and len(events(notice.id, "publish")) == 1
    edition = db.session.get(Edition, edition.id)  # type: ignore[assignment]
    assert edition.status == "published" and edition.published_build_id == build.id
    assert storage.read(publishing.frozen_page_path(edition.date, 1)) == storage.read(build.pages[0]["pdf"])
    for row in published:
        assert row.image_path and storage.path_of(row.image_path).is_file()
    # And once more: still no duplicates.
    publishing.publish_edition(edition.date)
    assert db.session.scalar(select(func.count(PublishedNotice.id))) == len(notices)


def test_the_desk_publishes_an_edition(app: Flask, client: FlaskClient, users: Any) -> None:
    edition = seed(app)
    day = edition.date.isoformat()
    notices = seed_notices()
    editor = users("editor")
    login(client, editor)
    page = client.get(f"/desk/editions/{day}/publish")
    assert page.status_code == 200
    assert "尚未成功组版" in page.get_data(as_text=True)
    resp = client.post(f"/desk/editions/{day}/publish")
    assert resp.status_code == 302
    assert "尚未成功组版" in client.get(resp.headers["Location"]).get_data(as_text=True)

    build_edition(edition.date)
    resp = client.post(f"/desk/editions/{day}/publish")
    assert resp.status_code == 302
    db.session.refresh(edition)
    assert edition.status == "published"
    for notice in notices.values():
        (event,) = events(notice.id, "publish")
        assert event.actor_id == editor.id and event.actor_role == "editor"
    html = client.get(f"/desk/editions/{day}/publish").get_data(as_text=True)
    assert "已出版" in html and "/n/" in html
    # The proofs were made by background jobs (run inside the request under TESTING), one each.
    rows = db.session.scalars(select(PublishedNotice).where(PublishedNotice.edition_id == edition.id)).all()
    proof_jobs = db.session.scalars(select(Job).where(Job.kind == "proof")).all()
    assert sorted(j.published_id for j in proof_jobs) == sorted(r.id for r in rows)
    assert all(j.status == "done" for j in proof_jobs), [(j.status, j.error) for j in proof_jobs]
    for row in rows:
        assert storage.path_of(proofs.proof_path(row)).read_bytes().startswith(b"%PDF")

    filer = users("filer")
    other = Client(app, app.response_class, use_cookies=True)
    login(other, filer)
    assert other.post(f"/desk/editions/{day}/publish").status_code == 403
    assert client.get("/desk/editions/not-a-date/publish").status_code == 404


def test_unmask_needs_a_reason_and_every_viewing_is_logged(
    app: Flask, client: FlaskClient, users: Any
) -> None:
    edition = seed(app)
    build_edition(edition.date)
    publishing.publish_edition(edition.date)
    row = next(r for r in rows() if r.kind == "termination")
    editor = users("editor")
    login(client, editor)
    url = f"/desk/published/{row.id}/unmask"

    form = client.get(url)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "370303********2016" in html
    assert all(number not in html for number in SEED_IDS)

    for reason in ("", "   "):
        resp = client.post(url, data={"reason": reason})
        assert resp.status_code == 400
        body = resp.get_data(as_text=True)
        assert "请填写查看原因" in body and all(number not in body for number in SEED_IDS)
    assert db.session.scalar(select(func.count(UnmaskEvent.id))) == 0

    resp = client.post(url, data={"reason": "法院调查函（2013）张民初字第123号"})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_data(as_text=True)
    assert all(number in body for number in SEED_IDS)
    (event,) = db.session.scalars(select(UnmaskEvent))
    assert event.published_notice_id == row.id and event.user_id == editor.id
    assert event.reason == "法院调查函（2013）张民初字第123号"
    # The log is shown with the form.
    assert "法院调查函" in client.get(url).get_data(as_text=True)

    anonymous = Client(app, app.response_class, use_cookies=True)
    assert anonymous.post(url, data={"reason": "x"}).status_code == 302  # to the login page
    filer_client = Client(app, app.response_class, use_cookies=True)
    login(filer_client, users("filer"))
    assert filer_client.post(url, data={"reason": "x"}).status_code == 403
    assert filer_client.get(url).status_code == 403
    assert db.session.scalar(select(func.count(UnmaskEvent.id))) == 1
    assert client.get("/desk/published/").status_code == 200
    assert client.get("/desk/published/999999/unmask").status_code == 404
