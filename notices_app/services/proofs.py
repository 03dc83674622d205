"""Proofs of publication: the certificate PDF of a published notice, the public verification
record behind its token, and checking an uploaded page PDF against the stored hash.

A proof states facts about a frozen file, so it is made once and kept (`proofs/<token>.pdf`);
a missing file is simply made again, with the same bytes. Before making one, the frozen page is
hashed again: a certificate must never vouch for a page whose file no longer matches its record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, TYPE_CHECKING

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from notices_app.extensions import db
from notices_app.models import Edition, EditionBuild, PublishedNotice, User
from notices_app.rules.calendar import WEEKDAYS_EN, WEEKDAYS_ZH, PublishingCalendar
from notices_app.services import storage
from notices_app.services.errors import NotFound
from notices_app.services.notices import get_notice

if TYPE_CHECKING:  # ReportLab loads only when a proof is drawn, as for the other renderers
    from print.proofs import ProofFacts

# secrets.token_urlsafe output; anything else is not a token and never reaches the file system.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
_CHUNK = 1 << 20

KIND_LABELS = {
    "lost_license": ("遗失声明", "Lost-licence declaration"),
    "termination": ("解除劳动关系公告", "Termination notice"),
    "general": ("公告", "General notice"),
}


class PageIntegrityError(RuntimeError):
    """The frozen page file no longer hashes to the value recorded at publication."""


@dataclass(frozen=True)
class ProofRecord:
    """What /verify/<token> shows: the publication record, and the web copy only when public."""

    published_id: int
    token: str
    newspaper: str
    run_date: date
    weekday_zh: str
    weekday_en: str
    page: int
    page_label: str
    kind: str
    kind_zh: str
    kind_en: str
    title: str
    org_name: str
    credit_code: str | None
    reg_number: str | None
    page_sha256: str
    published_at: datetime  # in the publication's time zone
    deemed_served_on: date | None
    public: bool  # the web copy is up (not print-only, not withdrawn after retention)
    withdrawn_reason: str | None
    web_text: str | None  # the masked web copy, when public
    image_size: tuple[int, int] | None  # (width, height) px of the web notice image, when public
    page_pdf_offered: bool = False  # the print page holds nothing the web masks (see page_file)


@dataclass(frozen=True)
class UploadCheck:
    """The outcome of comparing an uploaded file with the registered page."""

    match: bool
    expected: str
    actual: str
    size: int


def published_by_token(token: str) -> PublishedNotice:
    """The published notice of a proof token, or NotFound."""
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound(token)
    published = db.session.scalar(select(PublishedNotice).where(PublishedNotice.proof_token == token))
    if published is None:
        raise NotFound(token)
    return published


def published_runs(notice_id: int) -> list[PublishedNotice]:
    """Every run of a notice that has been published, oldest first (print-only and withdrawn
    web copies included: the notice ran, so it has a proof)."""
    return list(
        db.session.scalars(
            select(PublishedNotice)
            .where(PublishedNotice.notice_id == notice_id)
            .order_by(PublishedNotice.run_date)
        )
    )


def filer_proof(notice_id: int, actor: User, run_date: date | None = None) -> PublishedNotice:
    """The published run of a notice the actor may see (the latest unless `run_date` names one);
    NotFound for someone else's notice, before publication, or for a date it did not run."""
    get_notice(notice_id, actor)
    runs = published_runs(notice_id)
    if run_date is not None:
        runs = [r for r in runs if r.run_date == run_date]
    if not runs:
        raise NotFound(notice_id)
    return runs[-1]


def verification_url(token: str) -> str:
    """The absolute URL of the verification page: PUBLIC_BASE_URL when configured (what gets
    printed must not depend on which host name a request happened to use), else the request's."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        path = current_app.url_map.bind("localhost").build("proofs.verify", {"token": token})
        return base + path
    if has_request_context():
        return url_for("proofs.verify", token=token, _external=True)
    raise RuntimeError("set PUBLIC_BASE_URL (NOTICES_PUBLIC_BASE_URL) to make proofs outside a request")


def _edition(published: PublishedNotice) -> Edition:
    edition = db.session.get(Edition, published.edition_id)
    if edition is None:  # a foreign key makes this impossible short of a broken database
        raise NotFound(published.edition_id)
    return edition


def _page_label(edition: Edition, page: int) -> str:
    build_id = edition.published_build_id or edition.current_build_id
    build = db.session.get(EditionBuild, build_id) if build_id else None
    for p in build.pages if build else []:
        if p.get("number") == page:
            return str(p.get("label") or "")
    return ""


def _local(at: datetime, edition: Edition) -> datetime:
    # SQLite hands back naive datetimes; every timestamp is stored in UTC.
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(PublishingCalendar.from_dict(edition.publication.calendar).tz)


def proof_facts(published: PublishedNotice, verify_url: str) -> ProofFacts:
    """The certificate's facts for a published notice."""
    from print.proofs import ProofFacts

    edition = _edition(published)
    zh, en = KIND_LABELS.get(published.kind, (published.kind, published.kind))
    rect = published.box.get("rect") if published.box else None
    if not rect or len(rect) != 4:
        raise ValueError(f"published notice {published.id} has no rectangle on its page")
    return ProofFacts(
        newspaper=edition.publication.name,
        edition_date=published.run_date,
        page_number=published.page,
        page_label=_page_label(edition, published.page),
        kind_zh=zh,
        kind_en=en,
        title=published.title,
        org_name=published.org_name,
        published_at=_local(published.published_at, edition),
        page_sha256=published.page_sha256,
        verify_url=verify_url,
        notice_rect=(float(rect[0]), float(rect[1]), float(rect[2]), float(rect[3])),
        credit_code=published.credit_code or None,
        reg_number=published.reg_number or None,
        deemed_served_on=published.deemed_served_on if published.kind == "termination" else None,
    )


def frozen_page(published: PublishedNotice) -> bytes:
    """The frozen page PDF, checked against its recorded SHA-256 (PageIntegrityError if it differs)."""
    data = storage.read(published.page_pdf_path)
    actual = hashlib.sha256(data).hexdigest()
    if actual != published.page_sha256:
        raise PageIntegrityError(
            f"{published.page_pdf_path}: sha256 {actual} differs from the recorded {published.page_sha256}"
        )
    return data


def proof_path(published: PublishedNotice) -> str:
    if not _TOKEN.fullmatch(published.proof_token):
        raise ValueError(f"malformed proof token on published notice {published.id}")
    return f"proofs/{published.proof_token}.pdf"


def proof_pdf(published: PublishedNotice) -> bytes:
    """The certificate PDF (made on first use and kept in storage; identical bytes if remade)."""
    from print.proofs import render_proof

    rel = proof_path(published)
    path = storage.path_of(rel)
    if path.exists():
        return path.read_bytes()
    facts = proof_facts(published, verification_url(published.proof_token))
    data = render_proof(facts, frozen_page(published)).pdf
    # Two requests may race to make it; both write the same bytes atomically, so either wins.
    storage.store(rel, data)
    return data


def verify(token: str) -> ProofRecord:
    """The public record behind a proof token (NotFound for an unknown one). The web text and the
    notice image (cut from the redacted web page image at publication) appear only while the web
    copy is public; the record itself stays verifiable after withdrawal."""
    p = published_by_token(token)
    edition = _edition(p)
    zh, en = KIND_LABELS.get(p.kind, (p.kind, p.kind))
    public = p.withdrawn_at is None
    weekday = p.run_date.isoweekday() - 1
    return ProofRecord(
        published_id=p.id,
        token=p.proof_token,
        newspaper=edition.publication.name,
        run_date=p.run_date,
        weekday_zh=WEEKDAYS_ZH[weekday],
        weekday_en=WEEKDAYS_EN[weekday],
        page=p.page,
        page_label=_page_label(edition, p.page),
        kind=p.kind,
        kind_zh=zh,
        kind_en=en,
        title=p.title,
        org_name=p.org_name,
        credit_code=p.credit_code or None,
        reg_number=p.reg_number or None,
        page_sha256=p.page_sha256,
        published_at=_local(p.published_at, edition),
        deemed_served_on=p.deemed_served_on if p.kind == "termination" else None,
        public=public,
        withdrawn_reason=p.withdrawn_reason,
        web_text=p.web_text if public else None,
        image_size=_png_size(p.image_path) if public and p.image_path else None,
        page_pdf_offered=_page_offered(token),
    )


def _png_size(rel: str) -> tuple[int, int] | None:
    """Width and height from a PNG's header (the page shows images with their size, no layout shift)."""
    try:
        with storage.path_of(rel).open("rb") as fh:
            head = fh.read(24)
    except (OSError, ValueError):
        return None
    if len(head) < 24 or not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def sha256_of(data: bytes | IO[bytes]) -> tuple[str, int]:
    """SHA-256 (hex) and size of bytes or of a binary stream read in chunks (uploads may be large)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return hashlib.sha256(data).hexdigest(), len(data)
    digest = hashlib.sha256()
    size = 0
    while chunk := data.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def check_upload(token: str, data: bytes | IO[bytes]) -> UploadCheck:
    """Whether an uploaded file is the registered page PDF: its SHA-256 against the stored one.
    Any bytes are accepted; a file that is not the page simply does not match."""
    p = published_by_token(token)
    actual, size = sha256_of(data)
    return UploadCheck(match=actual == p.page_sha256, expected=p.page_sha256, actual=actual, size=size)


def _page_offered(token: str) -> bool:
    try:
        page_file(token)
    except NotFound:
        return False
    return True


def page_file(token: str) -> str:
    """Storage path of the frozen page PDF for the verification page's link, while the notice's
    web copy is public (NotFound otherwise)."""
    from notices_app.models import Edition
    from notices_app.services.publishing import page_pdf_public

    p = published_by_token(token)
    edition = db.session.get(Edition, p.edition_id)
    # The print page shows what web copies mask (ID numbers, names) and print-only notices: it is
    # offered only where the public site offers it too. Anyone holding the page can still check it.
    if p.withdrawn_at is not None or edition is None or not page_pdf_public(edition, p.page):
        raise NotFound(token)
    return p.page_pdf_path


def image_file(token: str) -> str:
    """Storage path of the (redacted) notice image shown on the verification page, while public."""
    p = published_by_token(token)
    if p.withdrawn_at is not None or not p.image_path:
        raise NotFound(token)
    return p.image_path
