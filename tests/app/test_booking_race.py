"""50 advertisers at once on the last free slot: exactly one booking, 49 clean 'taken' answers.

Runs on the database the app fixture picked: a SQLite file, or PostgreSQL when
NOTICES_TEST_DATABASE_URL is set. Each attempt is a thread with its own app context (so its own
session and connection), and a barrier releases them together. The negative control runs the
same harness with the claim replaced by a check-then-insert and shows more than one booking,
so the harness is known to be able to see a race.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import AdBooking, Edition, Publication, SlotClaim, User, utcnow
from notices_app.services import bookings
from notices_app.services.errors import Conflict
from notices_app.services.notices import publication_calendar

ATTEMPTS = 50
PAGE = 2
# The page is booked full except the second 1/16 from the foot (see _fill_all_but_one).
LAST_FREE = ("sixteenth", 1)
AD = bookings.TemplateAd(title="周末游", headline="周末特惠")


def _edition(pub: Publication) -> Edition:
    cal = publication_calendar(pub)
    day = cal.publishing_dates(cal.first_open_date(utcnow()), 6)[-1]
    ed = Edition(publication_id=pub.id, date=day, page_count=4)
    db.session.add(ed)
    db.session.commit()
    return ed


def _fill_all_but_one(user: User, day: date) -> None:
    # The upper quarter (ad rows 4-7), the second eighth (rows 2-3) and the lowest sixteenth
    # (row 0) leave row 1 — the second sixteenth — as the only free place on the page.
    for key, index in (("quarter", 1), ("eighth", 1), ("sixteenth", 0)):
        bookings.hold(user, [day], key, PAGE, index, template=AD)


def _race(
    app: Flask,
    user_ids: list[int],
    day: date,
    attempt: Callable[..., Any] | None = None,
    durations: list[float] | None = None,
) -> list[str]:
    barrier = threading.Barrier(len(user_ids))
    results: list[str] = []
    lock = threading.Lock()

    def run(user_id: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                db.session.rollback()  # no transaction left open while waiting at the barrier
                barrier.wait(timeout=60)
                started = time.perf_counter()
                try:
                    (attempt or bookings.hold)(user, [day], LAST_FREE[0], PAGE, LAST_FREE[1], template=AD)
                finally:
                    if durations is not None:
                        durations.append(time.perf_counter() - started)
                outcome = "booked"
            except Conflict as err:
                outcome = (
                    "409" if err.message.code == "booking.slot_taken" else f"conflict {err.message.code}"
                )
            except Exception as err:  # reported, never swallowed: the test asserts on it
                outcome = f"error {type(err).__name__}: {err}"
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "an attempt hung"
    return results


def _advertisers(users: Any, n: int) -> list[int]:
    return [users("advertiser", org=f"旅行社{i}").id for i in range(n)]


def _active_on_slot(ed: Edition) -> list[AdBooking]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AdBooking).where(
                AdBooking.edition_id == ed.id,
                AdBooking.page == PAGE,
                AdBooking.slot_key == LAST_FREE[0],
                AdBooking.slot_index == LAST_FREE[1],
                AdBooking.status.in_(("held", "confirmed")),
            )
        )
    )


def test_fifty_attempts_on_the_last_free_slot_make_one_booking(
    app: Flask, users: Any, pub: Publication
) -> None:
    ed = _edition(pub)
    _fill_all_but_one(users("advertiser", org="先到的旅行社"), ed.date)
    page = bookings.availability(ed).pages[PAGE - 1]
    free = [(s.slot.type_key, s.slot.index) for s in page.slots if not s.taken and s.slot.in_type_area]
    assert free == [LAST_FREE]  # the 中缝 beside the type area has cells of its own

    durations: list[float] = []
    advertisers = _advertisers(users, ATTEMPTS)
    started = time.perf_counter()
    results = _race(app, advertisers, ed.date, durations=durations)
    elapsed = time.perf_counter() - started

    assert sorted(set(results)) == ["409", "booked"], results
    assert results.count("booked") == 1
    assert results.count("409") == ATTEMPTS - 1
    winners = _active_on_slot(ed)
    assert len(winners) == 1
    # The winner holds every cell of the slot, and nobody else holds any of them.
    claims = db.session.scalars(select(SlotClaim).where(SlotClaim.booking_id == winners[0].id)).all()
    slot_cells = next(s.slot.cells for s in page.slots if (s.slot.type_key, s.slot.index) == LAST_FREE)
    assert {c.cell for c in claims} == slot_cells
    # Losers left nothing behind: no booking row, no claim, no payment.
    assert db.session.query(AdBooking).filter(AdBooking.edition_id == ed.id).count() == 4
    assert not [
        s for s in bookings.availability(ed).pages[PAGE - 1].slots if s.slot.in_type_area and not s.taken
    ]
    durations.sort()
    print(
        f"\n{ATTEMPTS} attempts on {db.engine.dialect.name}: {elapsed:.2f} s in all, per attempt "
        f"median {durations[len(durations) // 2]:.3f} s, slowest {durations[-1]:.3f} s"
    )


def test_negative_control_check_then_insert_double_sells(
    app: Flask, users: Any, pub: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same harness without the claim: read availability, wait a moment, insert."""
    ed = _edition(pub)
    _fill_all_but_one(users("advertiser", org="先到的旅行社"), ed.date)

    def check_then_insert(
        user: User,
        pub: Publication,
        runs: Any,
        shares: Any,
        quotes: Any,
        order_ref: str,
        expires: Any,
        now: Any,
        *_: Any,
    ) -> bookings.Order:
        run = runs[0]
        slot = run.slot
        taken = bookings.taken_cells(run.edition, now).get(slot.page, set())
        booked = db.session.scalar(
            select(AdBooking.id).where(
                AdBooking.edition_id == run.edition.id,
                AdBooking.page == slot.page,
                AdBooking.slot_key == slot.type_key,
                AdBooking.slot_index == slot.index,
                AdBooking.status.in_(("held", "confirmed")),
            )
        )
        if booked is not None or not slot.cells.isdisjoint(taken):
            raise bookings._slot_taken(run)
        time.sleep(0.05)  # the window between the check and the insert, made wide on purpose
        booking = AdBooking(
            edition_id=run.edition.id,
            org_id=user.org_id,
            user_id=user.id,
            order_ref=order_ref,
            slot_key=slot.type_key,
            slot_index=slot.index,
            page=slot.page,
            position=slot.position,
            col=slot.col,
            line=slot.line,
            cols=slot.cols,
            lines=slot.lines,
            price_fen=shares[0],
            status="held",
            hold_expires_at=expires,
        )
        db.session.add(booking)
        db.session.commit()
        return bookings.Order(order_ref, [booking], None)

    monkeypatch.setattr(bookings, "_claim", check_then_insert)
    results = _race(app, _advertisers(users, ATTEMPTS), ed.date)
    assert not [r for r in results if r.startswith("error")], results
    assert results.count("booked") > 1, results
    assert len(_active_on_slot(ed)) == results.count("booked") > 1
    print(f"\nnegative control on {db.engine.dialect.name}: {results.count('booked')} bookings of one slot")
