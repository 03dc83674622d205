"""Booking, edition-build and edition states: each a StrEnum, and a transition table as data.

Bookings (a display ad booked into an edition):

    held ─confirm (paid, invoiced or free)──────────▶ confirmed
      ├─expire (the hold ran out, its payment lapsed)▶ expired ─confirm (paid late, slot still free)▶ confirmed
      └─cancel ─▶ cancelled ◀─cancel─ confirmed, expired (the desk removes it)

Edition builds:

    running ─succeed─▶ succeeded      running ─fail | interrupt─▶ failed
    failed ─succeed─▶ succeeded: a build marked interrupted (older than the stale limit) by a
    newer one while its process was in fact still working finishes after all; its files are
    complete, so its result is recorded, as it always has been.

Editions:

    open | closed ─build─▶ built ─build (a newer build becomes current)─▶ built
    open | closed | built ─publish─▶ published; nothing leaves published (its pages are frozen).

An event that does not apply returns None: the service's setter logs it and changes nothing,
so an event that arrives twice is never applied twice. The model's CHECK constraint is written
from the enum (`check_in`), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

State = TypeVar("State", bound=str)


class BookingStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class BookingEvent(StrEnum):
    CONFIRM = "confirm"
    EXPIRE = "expire"
    CANCEL = "cancel"


class BuildStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BuildEvent(StrEnum):
    SUCCEED = "succeed"  # nothing overflowed and every page passed preflight
    FAIL = "fail"  # overflow, preflight problems, an error, or the job queue unreachable
    INTERRUPT = "interrupt"  # left running by a process that died


class EditionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # past the cut-off
    BUILT = "built"
    PUBLISHED = "published"


class EditionEvent(StrEnum):
    BUILD = "build"  # a build succeeded and is now the edition's current one
    PUBLISH = "publish"


# (from, event) → to
BOOKING_TRANSITIONS: Mapping[tuple[str, str], BookingStatus] = {
    (BookingStatus.HELD, BookingEvent.CONFIRM): BookingStatus.CONFIRMED,
    (BookingStatus.EXPIRED, BookingEvent.CONFIRM): BookingStatus.CONFIRMED,
    (BookingStatus.HELD, BookingEvent.EXPIRE): BookingStatus.EXPIRED,
    (BookingStatus.HELD, BookingEvent.CANCEL): BookingStatus.CANCELLED,
    (BookingStatus.CONFIRMED, BookingEvent.CANCEL): BookingStatus.CANCELLED,
    (BookingStatus.EXPIRED, BookingEvent.CANCEL): BookingStatus.CANCELLED,
}

BUILD_TRANSITIONS: Mapping[tuple[str, str], BuildStatus] = {
    (BuildStatus.RUNNING, BuildEvent.SUCCEED): BuildStatus.SUCCEEDED,
    (BuildStatus.RUNNING, BuildEvent.FAIL): BuildStatus.FAILED,
    (BuildStatus.RUNNING, BuildEvent.INTERRUPT): BuildStatus.FAILED,
    (BuildStatus.FAILED, BuildEvent.SUCCEED): BuildStatus.SUCCEEDED,
}

EDITION_TRANSITIONS: Mapping[tuple[str, str], EditionStatus] = {
    **{
        (src, EditionEvent.BUILD): EditionStatus.BUILT
        for src in (EditionStatus.OPEN, EditionStatus.CLOSED, EditionStatus.BUILT)
    },
    **{
        (src, EditionEvent.PUBLISH): EditionStatus.PUBLISHED
        for src in (EditionStatus.OPEN, EditionStatus.CLOSED, EditionStatus.BUILT)
    },
}


def booking_next(state: str, event: BookingEvent) -> BookingStatus | None:
    """The booking's state after `event`, or None if it does not apply."""
    return BOOKING_TRANSITIONS.get((state, event))


def build_next(state: str, event: BuildEvent) -> BuildStatus | None:
    """The build's state after `event`, or None if it does not apply."""
    return BUILD_TRANSITIONS.get((state, event))


def edition_next(state: str, event: EditionEvent) -> EditionStatus | None:
    """The edition's state after `event`, or None if it does not apply."""
    return EDITION_TRANSITIONS.get((state, event))


def sources(table: Mapping[tuple[str, str], State], event: str) -> tuple[tuple[str, ...], State]:
    """The states `event` applies to and the one state it leads to from each of them: what a
    conditional UPDATE of many rows at once needs (ValueError if the targets differ)."""
    rows = [(src, dst) for (src, ev), dst in table.items() if ev == event]
    targets = {dst for _, dst in rows}
    if len(targets) != 1:
        raise ValueError(f"event {event!r} does not lead to one state: {sorted(targets)}")
    return tuple(src for src, _ in rows), rows[0][1]


def check_in(column: str, states: Iterable[str]) -> str:
    """The CHECK constraint's SQL that keeps `column` to `states`, in their order."""
    listed = ", ".join(f"'{s}'" for s in states)
    return f"{column} IN ({listed})"
