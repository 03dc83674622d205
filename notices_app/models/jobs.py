"""Background jobs: an edition build, a proof PDF or a large notice's preview, with the progress
the browser polls and the lease that keeps a re-delivered task from doing the work twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from notices_app.models.base import Base, utcnow

JOB_KINDS = ("edition_build", "proof", "preview")
JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """One piece of background work.

    `key` names the work itself (`edition_build:<build id>`, `proof:<published id>`,
    `preview:<notice id>:<digest of the fields>`) and is unique: asking twice for the same work
    finds the same job. A worker claims a job by moving it to `running` with a fresh
    `heartbeat_at`; while that lease is fresh a second delivery of the task backs off, and once it
    has lapsed (the worker died) the next delivery takes the job over. `done` means the work ran
    to its end (an edition build that ran but did not pass is `done`; its `EditionBuild` says
    `failed`); `failed` means it raised and `error` says why.
    """

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("kind IN ('edition_build', 'proof', 'preview')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("done >= 0 AND total >= 0", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)  # claims: more than one means a take-over
    worker: Mapped[str] = mapped_column(String(120), default="")  # host:pid of the last claim
    build_id: Mapped[int | None] = mapped_column(ForeignKey("edition_build.id"), index=True)
    published_id: Mapped[int | None] = mapped_column(ForeignKey("published_notice.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
