"""Organisations, users and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notices_app.models.base import Base, utcnow

ROLES = ("filer", "advertiser", "editor", "admin")


class Organisation(Base):
    """A filer or advertiser: a company, cooperative or agency."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    reg_number: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Account customers (agencies) are invoiced monthly instead of paying per order.
    invoiced: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="org")


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    # Bumped on logout-everywhere and password change so old session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in ("editor", "admin")


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the plaintext is shown once.

    A token works until `expires_at` unless revoked first (by `flask tokens revoke` or by its
    owner's password change); a refused token is never made valid again.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def state(self, now: datetime) -> str:
        """ "active", "expired" or "revoked" at `now`."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"
