"""Edition builds (laid-out, rendered and preflighted PDFs) and the display ads booked into editions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from notices_app.models.base import Base, utcnow
from notices_app.rules.states import BookingStatus, BuildStatus, check_in


class EditionBuild(Base):
    """One attempt to build an edition. Files go to a folder of their own, so a failed or killed
    build never touches the PDFs of the last good one; `Edition.current_build_id` moves only when
    a build has succeeded."""

    __tablename__ = "edition_build"
    __table_args__ = (
        UniqueConstraint("edition_id", "number"),
        CheckConstraint(check_in("status", BuildStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id"), index=True)
    number: Mapped[int]  # 1, 2, … per edition
    status: Mapped[str] = mapped_column(String(20), default=BuildStatus.RUNNING.value)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    progress: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str] = mapped_column(String(40), default="")
    folder: Mapped[str] = mapped_column(String(300), default="")  # relative to the storage root
    # [{"number", "role", "label", "pdf", "sha256", "png", "thumb", "blocks": [...]}]
    pages: Mapped[list[Any]] = mapped_column(default=list)
    edition_pdf: Mapped[str | None] = mapped_column(String(300))
    edition_sha256: Mapped[str | None] = mapped_column(String(64))
    overflow: Mapped[list[Any]] = mapped_column(default=list)  # [{"kind", "id", "title", "reason": {zh, en}}]
    preflight: Mapped[list[Any]] = mapped_column(default=list)  # [{"page", "code", "zh", "en", "details"}]
    error: Mapped[str | None] = mapped_column(Text)


class AdBooking(Base):
    """A display ad booked into an edition at a page and place of the grid.

    Bookings an advertiser makes online claim inventory cells (`SlotClaim`) while held and after
    payment; a desk placement (an editor placing an ad by hand) has no org and no claim.
    held → confirmed (paid, invoiced or placed by the desk) | expired (hold ran out) → cancelled;
    the table is `notices_app/rules/states.py`.
    """

    __tablename__ = "ad_booking"
    __table_args__ = (
        CheckConstraint("cols > 0 AND lines > 0 AND page > 0", name="size"),
        CheckConstraint("price_fen >= 0", name="price"),
        CheckConstraint(check_in("status", BookingStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id"), index=True)
    ad_content_id: Mapped[int | None] = mapped_column(ForeignKey("ad_content.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Bookings made together (several editions, one slot type) share an order and one payment.
    order_ref: Mapped[str | None] = mapped_column(String(40), index=True)
    slot_key: Mapped[str | None] = mapped_column(String(30))  # inventory slot type, e.g. quarter
    slot_index: Mapped[int] = mapped_column(default=0)  # which place of that type on the page
    page: Mapped[int]
    position: Mapped[str] = mapped_column(String(20))  # full | ear | bottom
    col: Mapped[int | None]  # fixed place on the grid (inventory slots); None: the engine places it
    line: Mapped[int | None]
    cols: Mapped[int]
    lines: Mapped[int]
    colour: Mapped[bool] = mapped_column(default=False)
    fixed_position: Mapped[bool] = mapped_column(default=False)
    price_fen: Mapped[int] = mapped_column(default=0)
    quote: Mapped[dict[str, Any]] = mapped_column(default=dict)
    artwork_path: Mapped[str | None] = mapped_column(String(300))  # relative to the storage root
    artwork_kind: Mapped[str | None] = mapped_column(String(20))  # template | pdf | png | jpeg
    artwork_info: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ppi, colour conversion …
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.CONFIRMED.value)
    hold_expires_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlotClaim(Base):
    """One inventory cell of one page of one edition, held by one booking.

    The unique constraint IS the claim: two bookings can never hold the same cell, whatever the
    application does between reading availability and booking. A hold's claims carry its expiry
    (an expired claim may be deleted and taken by the next booking in the same transaction); a
    paid booking's claims have none.
    """

    __tablename__ = "slot_claim"
    __table_args__ = (UniqueConstraint("edition_id", "page", "cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id"))
    page: Mapped[int]
    cell: Mapped[int]
    booking_id: Mapped[int] = mapped_column(ForeignKey("ad_booking.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime | None]
