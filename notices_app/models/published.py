"""What the public sees once an edition is published: the web copy of each notice, where it sits
on the printed page, its search fields and its proof token; and the log of unmaskings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from notices_app.models.base import Base, utcnow


class PublishedNotice(Base):
    """A notice as it ran in one edition (one row per notice and run date).

    `web_text` is the masked web version (ID numbers keep at most the first 6 and last 4
    characters; names become initials when the filer asked). `search_text` is what full-text
    search indexes: the web text plus the organisation's name and codes, never an unmasked ID.
    """

    __tablename__ = "published_notice"
    __table_args__ = (UniqueConstraint("notice_id", "run_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id"), index=True)
    run_date: Mapped[date] = mapped_column(index=True)
    page: Mapped[int]
    box: Mapped[dict[str, Any]] = mapped_column(default=dict)  # grid box and rect in % of the page
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(100))  # the printed heading: 公告, 挂失, 遗失声明 …
    org_name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    reg_number: Mapped[str | None] = mapped_column(String(20), index=True)
    web_text: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    image_path: Mapped[str | None] = mapped_column(String(300))  # the notice cut from the page
    page_pdf_path: Mapped[str] = mapped_column(String(300))  # the frozen page PDF
    page_sha256: Mapped[str] = mapped_column(String(64))
    proof_token: Mapped[str] = mapped_column(String(40), unique=True)
    deemed_served_on: Mapped[date | None]  # termination notices
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]  # web copy withdrawn (retention); the record stays
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))


class UnmaskEvent(Base):
    """Every time staff look at an unmasked web copy: who, when and why (domain: privacy)."""

    __tablename__ = "unmask_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    published_notice_id: Mapped[int] = mapped_column(ForeignKey("published_notice.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
