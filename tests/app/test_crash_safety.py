"""SIGKILL in the middle of an edition build, a payment fulfilment and a publish, for real.

Each test runs the real CLI (`flask edition build|publish`, `flask payments reconcile`) in a
subprocess on a site of its own (a seeded database and storage folder; PostgreSQL when
NOTICES_TEST_DATABASE_URL is set), with NOTICES_CRASH_AT naming a crash point
(`notices_app/services/crashpoints.py`) so that the process kills itself there. It checks that
the process died by SIGKILL, that the last good state is intact, then runs the same command
again and checks that it completes with exactly one of everything. Two more tests kill a build
and a publish from outside at a random moment (the seed is printed on failure; set
CRASH_SEED to replay one).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from clisites import Site, new_site
from sqlalchemy import func, select
from stripefake import running

from notices_app.extensions import db
from notices_app.models import (
    Edition,
    EditionBuild,
    Notice,
    NoticeEvent,
    NoticeRun,
    Payment,
    PaymentLog,
    PublishedNotice,
    Refund,
)
from notices_app.services.crashpoints import CRASH_POINTS

KILLED = -signal.SIGKILL
STRIPE_ENV = {
    "NOTICES_STRIPE_SECRET_KEY": "sk_test_fake",
    "NOTICES_STRIPE_WEBHOOK_SECRET": "whsec_test_secret",
    "NOTICES_STRIPE_MAX_NETWORK_RETRIES": "0",
    # Replaced by the fake's address in the payment tests; nothing else talks to Stripe.
    "NOTICES_STRIPE_API_BASE": "http://127.0.0.1:9",
}


# --- the site: seeded, a two-page edition with the demo's notices, built once ----------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, date]]:
    site = new_site(tmp_path_factory.mktemp("crash-template"), **STRIPE_ENV)
    site.flask("db", "upgrade")
    site.flask("seed-demo", "--quiet")  # with Stripe on, the pending payment is a card payment
    with site.context():
        from notices_app.services.editions import get_edition, save_pages

        day = db.session.scalar(
            select(func.min(NoticeRun.run_date))
            .join(Notice, Notice.id == NoticeRun.notice_id)
            .where(Notice.status == "approved")
        )
        assert day is not None
        # Two pages, so a crash can fall between them: the story and ad, then the notices.
        save_pages(get_edition(day), [("mixed", "综合"), ("classifieds", "分类广告")])
    site.flask("edition", "build", day.isoformat())
    yield site, day
    site.drop()


@pytest.fixture
def site(template: tuple[Site, date], tmp_path: Path) -> Iterator[Site]:
    clone = template[0].clone(tmp_path / "site")
    yield clone
    clone.drop()


@pytest.fixture
def day(template: tuple[Site, date]) -> date:
    return template[1]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _killed(done: Any, point: str) -> None:
    assert done.returncode == KILLED, (
        f"expected SIGKILL at {point}, got exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    )


# --- builds -----------------------------------------------------------------------------------------


def _edition(site: Site, day: date) -> dict[str, Any]:
    """The edition as the desk and publisher see it, with its current build's recorded files."""
    with site.context():
        ed = db.session.scalar(select(Edition).where(Edition.date == day))
        assert ed is not None
        builds = list(
            db.session.execute(
                select(EditionBuild.id, EditionBuild.number, EditionBuild.status)
                .where(EditionBuild.edition_id == ed.id)
                .order_by(EditionBuild.number)
            ).tuples()
        )
        current = db.session.get(EditionBuild, ed.current_build_id) if ed.current_build_id else None
        files: dict[str, str] = {}
        notices: list[int] = []
        if current is not None:
            files = {p["pdf"]: p["sha256"] for p in current.pages}
            files[current.edition_pdf or ""] = current.edition_sha256 or ""
            notices = [int(b["id"]) for p in current.pages for b in p["blocks"] if b["kind"] == "notice"]
        running_ = [n for _, n, s in builds if s == "running"]
        return {
            "status": ed.status,
            "current": ed.current_build_id,
            "current_status": current.status if current else None,
            "published_build": ed.published_build_id,
            "builds": builds,
            "running": running_,
            "files": files,
            "notices": notices,
        }


def _files_as_recorded(site: Site, state: dict[str, Any]) -> None:
    assert state["files"], "the edition has no current build"
    for rel, sha in state["files"].items():
        assert _sha(site.storage / rel) == sha, f"{rel} does not hash as recorded"


def _approved_on(site: Site, day: date) -> set[int]:
    with site.context():
        return set(
            db.session.scalars(
                select(Notice.id)
                .join(NoticeRun, NoticeRun.notice_id == Notice.id)
                .where(NoticeRun.run_date == day, Notice.status.in_(("approved", "scheduled", "published")))
            )
        )


BUILD_POINTS = [
    "edition.after_layout",
    "edition.page_stored",  # page 1 stored, page 2 not rendered
    "edition.page_stored@2",  # both pages stored, the whole-edition PDF not yet
    "edition.before_switch",
]


@pytest.mark.parametrize("point", BUILD_POINTS)
def test_build_killed_keeps_the_last_good_build_and_a_rerun_completes(
    site: Site, day: date, point: str
) -> None:
    assert point.partition("@")[0] in CRASH_POINTS
    good = _edition(site, day)
    assert good["status"] == "built" and good["current_status"] == "succeeded"
    _files_as_recorded(site, good)

    _killed(site.flask("edition", "build", day.isoformat(), crash_at=point, check=False), point)

    after = _edition(site, day)
    assert after["current"] == good["current"], "a killed build became current"
    assert after["status"] == "built" and after["files"] == good["files"]
    _files_as_recorded(site, after)
    assert after["running"] == [2], "the killed build is left running (marked interrupted later)"

    site.flask("edition", "build", day.isoformat())

    final = _edition(site, day)
    assert final["current"] != good["current"] and final["current_status"] == "succeeded"
    _files_as_recorded(site, final)
    _files_as_recorded(site, good)  # the previous build's files were not touched either
    assert Counter(final["notices"]) == Counter(_approved_on(site, day)), "every notice placed once"


# --- publishing -------------------------------------------------------------------------------------


def _publication(site: Site, day: date) -> dict[str, Any]:
    with site.context():
        from notices_app.services.errors import NotFound
        from notices_app.services.publishing import published_edition

        try:
            visible = published_edition(day).id
        except NotFound:
            visible = None
        ed = db.session.scalar(select(Edition).where(Edition.date == day))
        assert ed is not None
        rows = list(
            db.session.execute(
                select(PublishedNotice.notice_id, PublishedNotice.id, PublishedNotice.proof_token).where(
                    PublishedNotice.run_date == day
                )
            ).tuples()
        )
        build = db.session.get(EditionBuild, ed.current_build_id)
        assert build is not None
        ids = [int(b["id"]) for p in build.pages for b in p["blocks"] if b["kind"] == "notice"]
        statuses = {n.id: n.status for n in db.session.scalars(select(Notice).where(Notice.id.in_(ids)))}
        events = Counter(
            (e.notice_id, e.action)
            for e in db.session.scalars(select(NoticeEvent).where(NoticeEvent.notice_id.in_(ids)))
        )
        pages = {p["number"]: p["sha256"] for p in build.pages}
    frozen_dir = site.storage / "published" / day.isoformat()
    frozen = {
        int(p.stem.removeprefix("page-")): p for p in sorted(frozen_dir.glob("page-*.pdf")) if p.is_file()
    }
    return {
        "visible": visible,
        "status": ed.status,
        "rows": rows,
        "statuses": statuses,
        "events": events,
        "pages": pages,
        "frozen": frozen,
    }


def _frozen_pages_match(state: dict[str, Any]) -> None:
    for number, path in state["frozen"].items():
        assert _sha(path) == state["pages"][number], f"frozen page {number} differs from the build"
        assert not path.stat().st_mode & 0o222, f"frozen page {number} is writable"


PUBLISH_POINTS = [
    "publish.page_frozen",  # page 1 frozen, page 2 not
    "publish.before_notices",  # every page frozen, images made, no notice moved
    "publish.notice_moved",  # one notice moved in the publish's transaction, not committed
    "publish.before_record",  # everything recorded, not committed
]


@pytest.mark.parametrize("point", PUBLISH_POINTS)
def test_publish_killed_shows_nothing_half_published_and_a_rerun_completes(
    site: Site, day: date, point: str
) -> None:
    assert point.partition("@")[0] in CRASH_POINTS
    before = _publication(site, day)
    notices = set(before["statuses"])
    assert len(notices) == 2 and set(before["statuses"].values()) == {"approved"}

    _killed(site.flask("edition", "publish", day.isoformat(), crash_at=point, check=False), point)

    after = _publication(site, day)
    assert after["visible"] is None and after["status"] != "published", "half an edition is public"
    assert after["rows"] == [], "web copies recorded without the edition being published"
    _frozen_pages_match(after)
    expected_frozen = {"publish.page_frozen": {1}}.get(point, {1, 2})
    assert set(after["frozen"]) == expected_frozen
    # The notices move in the publish's one transaction (under the edition's lock): a kill
    # anywhere before its commit leaves every notice as it was, with nothing in its history.
    assert set(after["statuses"].values()) == {"approved"}
    assert all(after["events"][(n, "publish")] == 0 for n in notices)

    site.flask("edition", "publish", day.isoformat())

    final = _publication(site, day)
    assert final["visible"] is not None and final["status"] == "published"
    assert Counter(n for n, _, _ in final["rows"]) == Counter(notices), "one web copy per notice"
    assert set(final["statuses"].values()) == {"published"}
    for n in notices:
        assert final["events"][(n, "publish")] == 1 and final["events"][(n, "schedule")] == 1
    assert set(final["frozen"]) == {1, 2}
    _frozen_pages_match(final)
    frozen_ids = {n: (p.stat().st_ino, p.stat().st_mtime_ns) for n, p in final["frozen"].items()}

    site.flask("edition", "publish", day.isoformat())  # once more: nothing changes

    again = _publication(site, day)
    assert again["rows"] == final["rows"] and again["events"] == final["events"]
    assert {n: (p.stat().st_ino, p.stat().st_mtime_ns) for n, p in again["frozen"].items()} == frozen_ids
    _frozen_pages_match(again)


# --- payments ---------------------------------------------------------------------------------------


def _payment(site: Site, payment_id: int) -> dict[str, Any]:
    with site.context():
        p = db.session.get(Payment, payment_id)
        assert p is not None
        notice = db.session.get(Notice, p.notice_id)
        assert notice is not None
        logs = Counter(db.session.scalars(select(PaymentLog.to_status).where(PaymentLog.payment_id == p.id)))
        marks = db.session.scalar(
            select(func.count())
            .select_from(NoticeEvent)
            .where(NoticeEvent.notice_id == notice.id, NoticeEvent.action == "mark_paid")
        )
        refunds = db.session.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == p.id))
        return {
            "status": p.status,
            "notice": notice.status,
            "paid_logs": logs["paid"],
            "marks": marks,
            "refunds": refunds,
        }


PAYMENT_POINTS = ["payment.session_read", "payment.before_commit", "payment.after_commit"]


@pytest.mark.parametrize("point", PAYMENT_POINTS)
def test_fulfilment_killed_applies_the_payment_exactly_once(site: Site, point: str) -> None:
    assert point in CRASH_POINTS
    with running() as fake:
        site.env_extra["NOTICES_STRIPE_API_BASE"] = fake.url
        with site.context():
            from notices_app.services import payments

            payment = db.session.scalar(select(Payment).where(Payment.status == "pending"))
            assert payment is not None and payment.method == "stripe"
            payment_id = payment.id
            assert payments.checkout_url(payment, "http://localhost/ok", "http://localhost/cancel")
            session_id = db.session.get(Payment, payment_id).stripe_session_id  # type: ignore[union-attr]
        assert session_id
        fake.pay(session_id)  # the customer paid; our side has not heard yet
        before = _payment(site, payment_id)
        assert (before["status"], before["notice"], before["paid_logs"]) == ("pending", "awaiting_payment", 0)

        _killed(site.flask("payments", "reconcile", crash_at=point, check=False), point)

        after = _payment(site, payment_id)
        if point == "payment.after_commit":
            # Committed before the kill: paid once, and the notice moved with it.
            assert (after["status"], after["notice"], after["paid_logs"], after["marks"]) == (
                "paid",
                "paid",
                1,
                1,
            )
        else:
            assert after == before, "a killed fulfilment left part of its change behind"

        site.flask("payments", "reconcile")
        site.flask("payments", "reconcile")  # and again: nothing more to do

        final = _payment(site, payment_id)
        assert final == {"status": "paid", "notice": "paid", "paid_logs": 1, "marks": 1, "refunds": 0}
        assert not fake.calls("POST", "/v1/refunds"), "a payment applied twice would be refunded"


# --- killed from outside at a random moment ------------------------------------------------------------


def _seed() -> int:
    return int(os.environ.get("CRASH_SEED") or random.randrange(1 << 30))


def _kill_after(site: Site, delay: float, *args: str) -> int:
    proc = site.spawn(*args)
    try:
        proc.wait(timeout=delay)
    except Exception:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode


@pytest.mark.slow  # a random moment: the fixed crash points above run on every CI
def test_build_killed_at_a_random_moment(site: Site, day: date) -> None:
    seed = _seed()
    delay = random.Random(seed).uniform(0.3, 5.0)
    good = _edition(site, day)
    started = time.monotonic()
    code = _kill_after(site, delay, "edition", "build", day.isoformat())
    where = f"CRASH_SEED={seed}: killed after {delay:.2f}s (exit {code}, {time.monotonic() - started:.2f}s)"

    after = _edition(site, day)
    assert after["current_status"] == "succeeded", where
    _files_as_recorded(site, after)
    if code == KILLED:
        assert after["current"] in (good["current"], max(i for i, _, _ in after["builds"])), where
    site.flask("edition", "build", day.isoformat())
    final = _edition(site, day)
    _files_as_recorded(site, final)
    assert Counter(final["notices"]) == Counter(_approved_on(site, day)), where


@pytest.mark.slow  # a random moment: the fixed crash points above run on every CI
def test_publish_killed_at_a_random_moment(site: Site, day: date) -> None:
    seed = _seed()
    delay = random.Random(seed).uniform(0.3, 6.0)
    code = _kill_after(site, delay, "edition", "publish", day.isoformat())
    where = f"CRASH_SEED={seed}: killed after {delay:.2f}s (exit {code})"

    after = _publication(site, day)
    _frozen_pages_match(after)
    if after["visible"] is None:
        assert after["rows"] == [], where
    else:
        assert len(after["rows"]) == len(after["statuses"]), where
    site.flask("edition", "publish", day.isoformat())
    final = _publication(site, day)
    assert final["visible"] is not None, where
    assert Counter(n for n, _, _ in final["rows"]) == Counter(list(final["statuses"])), where
    assert all(final["events"][(n, "publish")] == 1 for n in final["statuses"]), where
    assert set(final["frozen"]) == {1, 2}, where
    _frozen_pages_match(final)
