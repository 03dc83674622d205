"""All models on one metadata (notices_app.models.base.Base)."""

from notices_app.models.accounts import ROLES, ApiToken, Organisation, User
from notices_app.models.base import Base, utcnow
from notices_app.models.billing import Payment, PaymentLog, Refund, StripeEvent
from notices_app.models.editions import AdBooking, EditionBuild, SlotClaim
from notices_app.models.jobs import JOB_KINDS, JOB_STATES, Job
from notices_app.models.notices import KINDS, Notice, NoticeEvent, NoticeRun
from notices_app.models.published import PublishedNotice, UnmaskEvent
from notices_app.models.publishing import AdContent, Edition, Publication, Story

__all__ = [
    "JOB_KINDS",
    "JOB_STATES",
    "KINDS",
    "ROLES",
    "AdBooking",
    "AdContent",
    "ApiToken",
    "Base",
    "Edition",
    "EditionBuild",
    "Job",
    "Notice",
    "NoticeEvent",
    "NoticeRun",
    "Organisation",
    "Payment",
    "PaymentLog",
    "Publication",
    "PublishedNotice",
    "Refund",
    "SlotClaim",
    "Story",
    "StripeEvent",
    "UnmaskEvent",
    "User",
    "utcnow",
]
