"""All models on one metadata (notices_app.models.base.Base)."""

from notices_app.models.accounts import ROLES, ApiToken, Organisation, User
from notices_app.models.base import Base, utcnow
from notices_app.models.editions import AdBooking, EditionBuild
from notices_app.models.notices import KINDS, Notice, NoticeEvent, NoticeRun
from notices_app.models.publishing import AdContent, Edition, Publication, Story

__all__ = [
    "KINDS",
    "ROLES",
    "AdBooking",
    "AdContent",
    "ApiToken",
    "Base",
    "Edition",
    "EditionBuild",
    "Notice",
    "NoticeEvent",
    "NoticeRun",
    "Organisation",
    "Publication",
    "Story",
    "User",
    "utcnow",
]
