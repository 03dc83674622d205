"""Edition builds (laid-out, rendered and preflighted PDFs) and the display ads booked into editions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from notices_app.models.base import Base, utcnow

BUILD_STATES = ("running", "succeeded", "failed")


class EditionBuild(Base):
    """One attempt to build an edition. Files go to a folder of their own, so a failed or killed
    build never touches the PDFs of the last good one; `Edition.current_build_id` moves only when
    a build has succeeded."""

    __tablename__ = "edition_build"
    __table_args__ = (
        UniqueConstraint("edition_id", "number"),
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id"), index=True)
    number: Mapped[int]  # 1, 2, … per edition
    status: Mapped[str] = mapped_column(String(20), default="running")
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
    """A display ad booked into an edition at a page and position of the grid."""

    __tablename__ = "ad_booking"
    __table_args__ = (CheckConstraint("cols > 0 AND lines > 0 AND page > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id"), index=True)
    ad_content_id: Mapped[int] = mapped_column(ForeignKey("ad_content.id"))
    page: Mapped[int]
    position: Mapped[str] = mapped_column(String(20))  # full | ear | bottom
    cols: Mapped[int]
    lines: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="confirmed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
