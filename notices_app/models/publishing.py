"""Publications (geometry, calendar, rate card as data), editions, news stories and ad content."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notices_app.models.base import Base, utcnow
from notices_app.rules.states import EditionStatus


class Publication(Base):
    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    geometry_preset: Mapped[str] = mapped_column(String(20), default="broadsheet")
    clreq_level: Mapped[str] = mapped_column(String(10), default="strict")
    calendar: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rate_card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Web copies of termination notices are withdrawn after this many days (privacy).
    termination_web_days: Mapped[int] = mapped_column(default=180)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editions: Mapped[list[Edition]] = relationship(back_populates="publication")


class Edition(Base):
    __tablename__ = "edition"
    __table_args__ = (UniqueConstraint("publication_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    date: Mapped[date]
    # open → closed (past cut-off) → built → published: the table is notices_app/rules/states.py
    status: Mapped[str] = mapped_column(String(20), default=EditionStatus.OPEN.value)
    page_count: Mapped[int] = mapped_column(default=4)
    # The editor's page plan: {"pages": [{"number", "role", "label"}], "pins": [{"kind", "id",
    # "page", "position"}], "notice_groups": [...]}; empty means the publication's default plan.
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The build whose PDFs are the edition's current ones (set only when a build succeeds).
    current_build_id: Mapped[int | None] = mapped_column(
        ForeignKey("edition_build.id", use_alter=True, name="fk_edition_current_build_id_edition_build")
    )

    # Publishing freezes the current build: its files are copied once to a published folder
    # that nothing ever overwrites.
    published_build_id: Mapped[int | None] = mapped_column(
        ForeignKey("edition_build.id", use_alter=True, name="fk_edition_published_build_id_edition_build")
    )
    published_at: Mapped[datetime | None]

    publication: Mapped[Publication] = relationship(back_populates="editions")


class Story(Base):
    """A news story; `blocks` is a list of {"type": "head"|"para", "text": …}."""

    __tablename__ = "story"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    edition_date: Mapped[date | None]
    headline: Mapped[str] = mapped_column(String(200))
    deck: Mapped[str | None] = mapped_column(String(300))
    byline: Mapped[str | None] = mapped_column(String(200))
    blocks: Mapped[list[Any]] = mapped_column(default=list)
    # Order on the edition's news pages (lower first); the lead story comes first.
    sort_order: Mapped[int] = mapped_column(default=0)
    # Optional photo: a file in the storage folder (CMYK/gray JPEG made at upload), and its caption.
    photo_path: Mapped[str | None] = mapped_column(String(300))
    caption: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdContent(Base):
    """Template content of a display ad (headline, features, phones …) as AdText fields."""

    __tablename__ = "ad_content"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
