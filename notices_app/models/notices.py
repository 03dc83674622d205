"""Notices, their run dates and their append-only audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from notices_app.models.accounts import Organisation, User
from notices_app.models.base import Base, utcnow

KINDS = ("lost_license", "termination", "general")


class Notice(Base):
    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint("price_fen IS NULL OR (price_fen >= 0 AND price_fen < 100000000)", name="price_sane"),
        CheckConstraint("kind IN ('lost_license', 'termination', 'general')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings_confirmed: Mapped[bool] = mapped_column(default=False)
    print_only: Mapped[bool] = mapped_column(default=False)
    # The web copy shows the people named (dismissed employees) only as initials (domain: privacy).
    web_hide_names: Mapped[bool] = mapped_column(default=False)
    # A correction is a new notice that points at the published one it corrects (published
    # pages are never changed).
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    price_fen: Mapped[int | None]
    quote: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The reason given with the last rejection or change request, shown to the filer.
    editor_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    runs: Mapped[list[NoticeRun]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeRun.run_date"
    )
    events: Mapped[list[NoticeEvent]] = relationship(
        back_populates="notice", order_by="NoticeEvent.id", viewonly=True
    )

    @property
    def run_dates(self) -> list[date]:
        return [r.run_date for r in self.runs]


class NoticeRun(Base):
    __tablename__ = "notice_run"
    __table_args__ = (UniqueConstraint("notice_id", "run_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    run_date: Mapped[date] = mapped_column(index=True)

    notice: Mapped[Notice] = relationship(back_populates="runs")


class NoticeEvent(Base):
    """One workflow transition: who, when, from, to, why. Written in the transition's transaction."""

    __tablename__ = "notice_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[Notice] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class AuditLogViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _audit_log_is_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    # The audit log is evidence: rows are inserted, never changed or removed through the ORM.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, NoticeEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogViolation("the notice audit log is append-only")
