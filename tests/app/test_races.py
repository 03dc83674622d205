"""Races against a real server: gunicorn (3 processes × 4 threads) on the suite's database (an
SQLite file, or PostgreSQL when NOTICES_TEST_DATABASE_URL is set), hit by real threads that a
barrier releases together.

Each race must end as some serial order of its requests would: no 5xx, every notice's history a
chain (each step starts where the last ended), one refund per withdrawal, one publish of each
notice, one build per burst of clicks, never more refunded than paid. The negative control runs
the same races against `unlocked_wsgi` (the app with its write locks taken out, as it stood
before issue 11) and must see them go wrong, so the harness is known to be able to see a race.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from http.cookiejar import CookieJar
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from clisites import ROOT, Site, new_site, pg_base
from sqlalchemy import func, select
from stripefake import FakeStripe, running, sign

from notices_app.extensions import db
from notices_app.models import (
    Edition,
    EditionBuild,
    Notice,
    NoticeEvent,
    NoticeRun,
    Payment,
    PublishedNotice,
    Refund,
    User,
    utcnow,
)

GUNICORN = Path(sys.executable).parent / "gunicorn"
WHSEC = "whsec_race_secret"
PAIRS = 10
EDITOR = ("editor@demo.cn", "demo-editor-2013")
FILER = ("filer@demo.cn", "demo-filer-2013")


# --- the server and its clients -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(site: Site, module: str, log: Path) -> Iterator[str]:
    """gunicorn serving `module:app` for the site; yields its base URL."""
    port = _free_port()
    env = site.env(
        NOTICES_WTF_CSRF_ENABLED="false",
        NOTICES_RATELIMIT_ENABLED="false",
        NOTICES_JOBS_MODE="thread",
    )
    cmd = [str(GUNICORN), "--workers", "3", "--threads", "4", "--worker-class", "gthread"]
    cmd += ["--bind", f"127.0.0.1:{port}", "--pythonpath", str(ROOT / "tests" / "app")]
    cmd += ["--graceful-timeout", "5", "--timeout", "120", f"{module}:app"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/login", timeout=5).read()
                break
            except OSError:  # refused while booting, or a timeout on a busy machine
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Client:
    """One person's browser (cookies) or API client (bearer token) against the server."""

    base: str
    token: str | None = None

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        data = body
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with self._opener.open(req, timeout=120) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def login(self, email: str, password: str) -> Client:
        status, _ = self.request("POST", "/login", form={"email": email, "password": password})
        assert status == 302, f"login as {email}: {status}"
        return self


def together(calls: list[Callable[[], tuple[int, str]]]) -> list[tuple[int, str]]:
    """Run every call on its own thread, released at once by a barrier; answers in call order."""
    barrier = threading.Barrier(len(calls))
    out: list[tuple[int, str] | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            out[i] = calls[i]()
        except Exception as err:  # reported, never swallowed: the tests assert on it
            out[i] = (-1, f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return [o if o is not None else (-1, "no answer") for o in out]


# --- the site ---------------------------------------------------------------------------------


@dataclass
class World:
    site: Site
    stripe: FakeStripe
    publish_day: date  # built, with approved notices
    build_day: date  # an edition with nothing built yet


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo site with Stripe on and one edition built, ready to publish."""
    with running() as fake:
        site = new_site(
            tmp_path_factory.mktemp("races"),
            NOTICES_STRIPE_SECRET_KEY="sk_test_fake",
            NOTICES_STRIPE_WEBHOOK_SECRET=WHSEC,
            NOTICES_STRIPE_MAX_NETWORK_RETRIES="0",
            NOTICES_STRIPE_API_BASE=fake.url,
        )
        site.flask("db", "upgrade")
        site.flask("seed-demo", "--quiet")
        with site.context():
            publish_day = db.session.scalar(
                select(func.min(NoticeRun.run_date))
                .join(Notice, Notice.id == NoticeRun.notice_id)
                .where(Notice.status == "approved")
            )
            assert publish_day is not None
            build_day = db.session.scalar(
                select(func.max(Edition.date)).where(Edition.current_build_id.is_(None))
            )
            assert build_day is not None and build_day != publish_day
        site.flask("edition", "build", publish_day.isoformat())
        yield World(site, fake, publish_day, build_day)
        site.drop()


# How each negative control breaks the app: no locks at all, or (for the webhook on PostgreSQL,
# where no locks means no deadlock either) the old lock order, payment before notice.
MODES = ["locked", "unlocked", "reordered"] if pg_base() else ["locked", "unlocked"]


@pytest.fixture(scope="module", params=MODES)
def live(
    request: pytest.FixtureRequest, template: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World, str]]:
    """(mode, a copy of the template site, the URL of gunicorn serving it): the app as it is, or
    without its write locks (the negative control)."""
    folder = tmp_path_factory.mktemp(f"races-{request.param}")
    site = template.site.clone(folder / "site")
    module = "wsgi" if request.param == "locked" else "unlocked_wsgi"
    site.env_extra["NOTICES_TEST_UNLOCK"] = "order" if request.param == "reordered" else "all"
    # A Stripe of its own: both copies name their payments alike, with the same idempotency keys.
    with running() as fake:
        site.env_extra["NOTICES_STRIPE_API_BASE"] = fake.url
        world = World(site, fake, template.publish_day, template.build_day)
        try:
            with serving(site, module, folder / "gunicorn.log") as url:
                yield request.param, world, url
        finally:
            site.drop()


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _token(email: str) -> str:
    from notices_app.services.accounts import create_token

    return create_token(_user(email))


def _new_notices(n: int, *, pay: bool) -> list[int]:
    """`n` lost-licence notices of the demo filer, submitted, with a run well before its cut-off;
    with `pay`, paid at the counter (status paid), else awaiting a card payment."""
    from notices_app.services import payments
    from notices_app.services.demo import lost_license_fields
    from notices_app.services.notices import (
        NoticeInput,
        create_notice,
        current_publication,
        publication_calendar,
        transition,
    )

    filer, editor = _user(FILER[0]), _user(EDITOR[0])
    cal = publication_calendar(current_publication())
    day = cal.publishing_dates(cal.first_open_date(utcnow()), 6)[-1]
    ids = []
    for _ in range(n):
        notice = create_notice(
            filer, NoticeInput("lost_license", lost_license_fields(date.today()), [day], True)
        )
        transition(notice.id, "submit", filer)
        payment = payments.payment_for_notice(notice.id)
        assert payment is not None
        if pay:
            payments.mark_paid_offline(payment, editor)
        ids.append(notice.id)
    return ids


def _history(notice_id: int) -> list[tuple[str, str, str]]:
    return [
        (e.action, e.from_state, e.to_state)
        for e in db.session.scalars(
            select(NoticeEvent).where(NoticeEvent.notice_id == notice_id).order_by(NoticeEvent.id)
        )
    ]


def _chain_breaks(notice_id: int) -> list[str]:
    """What in the notice's history no serial order could have written."""
    notice = db.session.get(Notice, notice_id)
    assert notice is not None
    history = _history(notice_id)
    problems = [f"{a} from {f} after {prev[2]}" for prev, (a, f, _) in pairwise(history) if f != prev[2]]
    if history and history[-1][2] != notice.status:
        problems.append(f"ends {notice.status}, history says {history[-1][2]}")
    return problems


def _not_withdrawn_once(notice_id: int) -> list[str]:
    """What keeps the notice's end from being one withdrawal after whatever came first."""
    notice = db.session.get(Notice, notice_id)
    assert notice is not None
    problems = [f"#{notice_id}: {p}" for p in _chain_breaks(notice_id)]
    if notice.status != "withdrawn":
        problems.append(f"#{notice_id} ended {notice.status}")
    return problems


def _refunds(notice_id: int) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.notice_id == notice_id)
        )
    )


def _faults(answers: list[tuple[int, str]], allowed: set[int]) -> list[str]:
    return [f"{s}: {b[:200]}" for s, b in answers if s not in allowed]


# --- the races --------------------------------------------------------------------------------


def race_approve_and_withdraw(world: World, url: str) -> list[str]:
    with world.site.context():
        ids = _new_notices(PAIRS, pay=True)
        editor, filer = Client(url, _token(EDITOR[0])), Client(url, _token(FILER[0]))
    calls: list[Callable[[], tuple[int, str]]] = []
    for n in ids:
        calls.append(
            lambda n=n: editor.request(
                "POST",
                f"/api/v1/notices/{n}/approve",
                body=b"{}",
                headers={"Content-Type": "application/json"},
            )
        )
        calls.append(lambda n=n: filer.request("POST", f"/api/v1/notices/{n}/withdraw"))
    answers = together(calls)
    problems = _faults(answers, {200, 409})
    with world.site.context():
        for n in ids:
            # Withdrawal applies after an approval too, so every serial order ends withdrawn,
            # with the withdrawal's one refund.
            problems += _not_withdrawn_once(n)
            if len(_refunds(n)) != 1:
                problems.append(f"#{n} has {len(_refunds(n))} refunds")
    return problems


def race_webhook_and_withdraw(world: World, url: str) -> list[str]:
    from notices_app.services import payments

    with world.site.context():
        ids = _new_notices(PAIRS, pay=False)
        sessions = {}
        for n in ids:
            payment = payments.payment_for_notice(n)
            assert payment is not None
            payments.checkout_url(payment, url + "/billing/success", url + "/billing/cancel")
            fresh = db.session.get(Payment, payment.id)
            assert fresh is not None and fresh.stripe_session_id
            sessions[n] = fresh.stripe_session_id
        filer = Client(url, _token(FILER[0]))
    hook = Client(url)
    calls: list[Callable[[], tuple[int, str]]] = []
    for n in ids:
        payload = json.dumps(world.stripe.pay(sessions[n])).encode()
        headers = {"Stripe-Signature": sign(payload, WHSEC), "Content-Type": "application/json"}
        calls.append(
            lambda p=payload, h=headers: hook.request("POST", "/billing/stripe/webhook", body=p, headers=h)
        )
        calls.append(lambda n=n: filer.request("POST", f"/api/v1/notices/{n}/withdraw"))
    answers = together(calls)
    problems = _faults(answers, {200, 409})
    with world.site.context():
        for n in ids:
            problems += _not_withdrawn_once(n)
            paid = db.session.scalars(select(Payment).where(Payment.notice_id == n)).all()
            charged = sum(p.amount_fen for p in paid if p.status in ("paid", "refunded"))
            refunded = sum(r.amount_fen for r in _refunds(n))
            # Paid once by card: one refund (the withdrawal's, or the late payment's in full).
            if len(_refunds(n)) > 1 or refunded > charged:
                problems.append(f"#{n}: {len(_refunds(n))} refunds of {refunded} on {charged} paid")
    return problems


def race_refunds(world: World, url: str) -> list[str]:
    with world.site.context():
        (n,) = _new_notices(1, pay=True)
        payment = db.session.scalar(select(Payment).where(Payment.notice_id == n, Payment.status == "paid"))
        assert payment is not None
        reference, amount = payment.reference, payment.amount_fen
    each = amount // 10
    editor = Client(url).login(*EDITOR)
    form = {"amount": f"{each / 100:.2f}", "reason": "多收退还"}
    answers = together([lambda: editor.request("POST", f"/desk/payments/{reference}/refund", form=form)] * 20)
    problems = _faults(answers, {302})
    with world.site.context():
        payment = db.session.scalar(select(Payment).where(Payment.reference == reference))
        assert payment is not None
        refunds = db.session.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()
        if len(refunds) != amount // each or payment.refunded_fen != sum(r.amount_fen for r in refunds):
            problems.append(f"{len(refunds)} refunds of {each}, {payment.refunded_fen} recorded of {amount}")
    return problems


def race_publish(world: World, url: str) -> list[str]:
    day = world.publish_day.isoformat()
    editors = [Client(url).login(*EDITOR) for _ in range(PAIRS)]
    answers = together([lambda c=c: c.request("POST", f"/desk/editions/{day}/publish") for c in editors])
    problems = _faults(answers, {302})
    for c in editors:  # the flash says how it went: an exception is caught and shown, not a 500
        _, page = c.request("GET", f"/desk/editions/{day}/publish")
        if "出版中断" in page or "Publishing stopped" in page:
            problems.append("a publish stopped with an error")
    with world.site.context():
        edition = db.session.scalar(select(Edition).where(Edition.date == world.publish_day))
        assert edition is not None
        if edition.status != "published":
            problems.append(f"edition {edition.status}")
        rows = db.session.scalars(
            select(PublishedNotice).where(PublishedNotice.run_date == world.publish_day)
        ).all()
        for notice_id in {r.notice_id for r in rows}:
            actions = [a for a, _, _ in _history(notice_id)]
            if actions.count("publish") != 1 or actions.count("schedule") != 1:
                problems.append(f"#{notice_id}: {actions}")
            problems += [f"#{notice_id}: {p}" for p in _chain_breaks(notice_id)]
        if not rows:
            problems.append("nothing published")
    return problems


def race_rebuild(world: World, url: str) -> list[str]:
    day = world.build_day.isoformat()
    with world.site.context():
        before = db.session.scalar(
            select(func.count(EditionBuild.id))
            .join(Edition, Edition.id == EditionBuild.edition_id)
            .where(Edition.date == world.build_day)
        )
    editors = [Client(url).login(*EDITOR) for _ in range(PAIRS)]
    answers = together([lambda c=c: c.request("POST", f"/desk/editions/{day}/rebuild") for c in editors])
    problems = _faults(answers, {302})
    with world.site.context():
        after = db.session.scalar(
            select(func.count(EditionBuild.id))
            .join(Edition, Edition.id == EditionBuild.edition_id)
            .where(Edition.date == world.build_day)
        )
    if (after or 0) - (before or 0) != 1:
        problems.append(f"{(after or 0) - (before or 0)} builds started by {PAIRS} clicks")
    # Let the one build finish before the server stops.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with world.site.context():
            if not db.session.scalar(
                select(func.count(EditionBuild.id)).where(EditionBuild.status == "running")
            ):
                break
        time.sleep(0.5)
    return problems


RACES = {
    "approve_withdraw": race_approve_and_withdraw,
    "webhook_withdraw": race_webhook_and_withdraw,
    "refunds": race_refunds,
    "rebuild": race_rebuild,
    "publish": race_publish,
}


def _negative_control_for(race: str) -> str:
    if race == "webhook_withdraw" and pg_base():
        return "reordered"
    return "unlocked"


@pytest.mark.parametrize("race", list(RACES))
def test_a_race_ends_as_some_serial_order_would(live: tuple[str, World, str], race: str) -> None:
    mode, world, url = live
    if mode == "locked":
        problems = RACES[race](world, url)
        assert problems == [], "\n".join(problems)
        return
    if mode != _negative_control_for(race):
        pytest.skip(f"the negative control of {race} is {_negative_control_for(race)}")
    # The negative control: the same race against the broken app goes wrong, in one of three
    # rounds (a race is a matter of timing; one round of ten pairs mostly shows it).
    for _ in range(3):
        problems = RACES[race](world, url)
        if problems:
            break
    print(f"\n{race} ({mode}): {len(problems)} problems, e.g. {[p[:120] for p in problems[:3]]}")
    assert problems, f"{race} against the {mode} app showed no race: the harness cannot see one"
