"""The one setter per stateful row: bookings, edition builds and editions change state only here,
by one row of their transition table (notices_app/rules/states.py).

A setter does not flush or commit; it returns whether the event applied. An event that does not
apply (a build already closed, an edition already published) is logged and changes nothing, so
it is never applied twice; the caller decides whether that is worth more than a log line.
"""

from __future__ import annotations

import logging

from sqlalchemy import Update, update

from notices_app.models import AdBooking, Edition, EditionBuild
from notices_app.rules.states import (
    BOOKING_TRANSITIONS,
    BookingEvent,
    BuildEvent,
    EditionEvent,
    booking_next,
    build_next,
    edition_next,
    sources,
)

logger = logging.getLogger(__name__)


def _refused(kind: str, row_id: int | None, state: str, event: str) -> bool:
    logger.warning("%s %s: %s does not apply to state %s; ignored", kind, row_id, event, state)
    return False


def set_booking_status(booking: AdBooking, event: BookingEvent) -> bool:
    """Apply `event` to `booking` (confirm | expire | cancel); False, logged, if it does not apply."""
    new = booking_next(booking.status, event)
    if new is None:
        return _refused("booking", booking.id, booking.status, event)
    booking.status = new.value
    return True


def booking_update(event: BookingEvent) -> Update:
    """`event` for many bookings in one conditional UPDATE (add the rows' WHERE): only rows in a
    state the event applies to change, so a booking confirmed meanwhile keeps its state."""
    before, after = sources(BOOKING_TRANSITIONS, event)
    return update(AdBooking).where(AdBooking.status.in_(before)).values(status=after.value)


def set_build_status(build: EditionBuild, event: BuildEvent) -> bool:
    """Apply `event` to `build` (succeed | fail | interrupt); False, logged, if it does not apply."""
    new = build_next(build.status, event)
    if new is None:
        return _refused("edition build", build.id, build.status, event)
    build.status = new.value
    return True


def set_edition_status(edition: Edition, event: EditionEvent) -> bool:
    """Apply `event` to `edition` (build | publish); False, logged, if it does not apply."""
    new = edition_next(edition.status, event)
    if new is None:
        return _refused("edition", edition.id, edition.status, event)
    edition.status = new.value
    return True
