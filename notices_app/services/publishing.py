"""Publishing an edition: freeze its page PDFs, record each notice's web copy, move the notices
to published; and what the public site may show of it afterwards.

Publishing is idempotent and safe to re-run after a crash at any point:

1. each page PDF of the current build is copied once to `published/<date>/page-NN.pdf` by an
   exclusive create (a hard link of a fully written temporary file), made read-only, and never
   written again: a re-run accepts an existing file with the same SHA-256 and refuses to go on
   if it differs (someone changed the evidence);
2. the web images are derived from the frozen PDF with the web's redactions painted in (ID
   numbers keep 6 + 4 characters, hidden names keep the surname, print-only and withdrawn
   notices are blanked): images a re-run finds in place are kept;
3. notices move scheduled → published through the workflow (each step logged), skipping the
   ones a previous run already moved;
4. the notices' moves, the PublishedNotice rows and the edition's `published` status are
   committed together, under the edition's write lock (notices_app/db_locks), so the public
   site never shows half an edition and a concurrent second run waits, then finds it done;
   UNIQUE(notice_id, run_date) stays as the last guard against duplicates.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from notices_app.extensions import db
from notices_app.layout.types import NoticeText
from notices_app.models import (
    Edition,
    EditionBuild,
    Notice,
    Publication,
    PublishedNotice,
    UnmaskEvent,
    User,
    utcnow,
)
from notices_app.rules.calendar import PublishingCalendar, deemed_served
from notices_app.rules.masking import (
    employee_names,
    id_spans,
    mask_ids_in_text,
    name_spans,
    org_codes,
    web_fields,
)
from notices_app.rules.messages import Message, msg
from notices_app.rules.states import EditionEvent, EditionStatus
from notices_app.rules.wording import notice_text
from notices_app.services import storage
from notices_app.services.crashpoints import crash_point
from notices_app.services.editions import (
    STALE_AFTER,
    current_build,
    edition_content,
    get_edition,
    latest_build,
)
from notices_app.services.errors import Conflict, FieldErrors, NotFound
from notices_app.services.notices import apply_transition, current_publication
from notices_app.services.status import set_edition_status

ProgressFn = Callable[[int, int, str], None]

PUBLISHED_DIR = "published"
# The page is rendered once at this width (about 200 dpi on a broadsheet: 9 pt body type is
# some 25 px high) and the notice images are cut from it; the page images are scaled down.
HI_RES_WIDTH = 3000
SCREEN_WIDTH, THUMB_WIDTH = 1200, 240
NOTICE_PAD_PX = 8
WEB_COLOURS = 256
REDACT_FILL = (190, 190, 190)
BLANK_FILL = (236, 236, 236)
PRINT_ONLY, RETENTION = "print_only", "retention"


# --- where things are stored -------------------------------------------------------------------


def frozen_page_path(day: date, number: int) -> str:
    """The frozen page PDF of an edition (relative to the storage root)."""
    return f"{PUBLISHED_DIR}/{day.isoformat()}/page-{number:02d}.pdf"


def web_page_image_path(day: date, number: int, *, thumb: bool = False) -> str:
    """The web image of a page: the frozen page rendered with the web's redactions."""
    return f"{PUBLISHED_DIR}/{day.isoformat()}/web/page-{number:02d}{'-thumb' if thumb else ''}.png"


def notice_image_path(day: date, notice_id: int) -> str:
    return f"{PUBLISHED_DIR}/{day.isoformat()}/notices/notice-{notice_id}.png"


# --- refusals -----------------------------------------------------------------------------------


def _refuse(code: str, zh: str, en: str, **params: Any) -> Conflict:
    return Conflict(msg(code, zh, en, **params))


def publish_problems(edition: Edition) -> list[Message]:
    """Why `edition` cannot be published now (empty when it can); the desk shows these."""
    if edition.status == "published":
        return []
    latest = latest_build(edition)
    build = current_build(edition)
    if latest is None or build is None:
        return [
            msg(
                "publish.not_built",
                "本期尚未成功组版，不能出版：请先组版（flask edition build {day}）",
                "The edition has not been built successfully: build it first (flask edition build {day})",
                day=edition.date.isoformat(),
            )
        ]
    if latest.status == "running" and latest.started_at < utcnow() - STALE_AFTER:
        # Its process died (a crash, a kill): the current build is intact, but it is not the
        # newest, and the editor must know which pages would go out.
        return [
            msg(
                "publish.build_interrupted",
                "第{number}次组版未完成就中断了，不能出版：请重新组版",
                "Build #{number} stopped before it finished: rebuild before publishing",
                number=latest.number,
            )
        ]
    if latest.status == "running":
        return [
            msg(
                "publish.building",
                "组版正在进行（第{number}次），请等组版完成再出版；若组版进程已中断，请重新组版",
                "Build #{number} is running: wait for it (if its process has stopped, rebuild)",
                number=latest.number,
            )
        ]
    if latest.status == "failed":
        return [
            msg(
                "publish.last_build_failed",
                "最近一次组版（第{number}次）未通过，不能出版：请修正问题并重新组版",
                "The last build (#{number}) failed: fix its problems and rebuild before publishing",
                number=latest.number,
            )
        ]
    return _stale_problems(edition, build)


def _stale_problems(edition: Edition, build: EditionBuild) -> list[Message]:
    """Notices that run on the date but are not on the built pages, or the other way round."""
    wanted = {n.id for n in edition_content(edition).notices}
    built = {int(b["id"]) for _, b in _notice_blocks(build)}
    problems = []
    if wanted - built:
        problems.append(
            msg(
                "publish.stale_missing",
                "有公告在组版后才排入本期（{ids}），请重新组版后再出版",
                "Notices were added after the build ({ids}): rebuild before publishing",
                ids=", ".join(f"#{i}" for i in sorted(wanted - built)),
            )
        )
    if built - wanted:
        problems.append(
            msg(
                "publish.stale_extra",
                "版面上的公告（{ids}）已不在本期刊登，请重新组版后再出版",
                "Notices on the pages no longer run in this edition ({ids}): rebuild before publishing",
                ids=", ".join(f"#{i}" for i in sorted(built - wanted)),
            )
        )
    return problems


def _notice_blocks(build: EditionBuild) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (page, block)
        for page in build.pages or []
        for block in page.get("blocks") or []
        if block.get("kind") == "notice"
    ]


# --- freezing -----------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_frozen(relative: str, expected_sha: str) -> None:
    existing = storage.path_of(relative).read_bytes()
    if _sha256(existing) != expected_sha:
        raise _refuse(
            "publish.frozen_changed",
            "已冻结的版面文件 {path} 与组版文件不一致（SHA-256 {found}…，应为 {expected}…），"
            "出版已中止；冻结文件从不覆盖，请核查",
            "The frozen page file {path} differs from the build (SHA-256 {found}…, expected "
            "{expected}…): publishing stopped; frozen files are never overwritten",
            path=relative,
            found=_sha256(existing)[:12],
            expected=expected_sha[:12],
        )


def freeze_file(relative: str, data: bytes) -> str:
    """Create `relative` with `data` exactly once, read-only; return its SHA-256.

    An existing file with the same content is accepted (a re-run); a different one raises
    Conflict and is left as it is. The file appears whole or not at all: the data is written
    and synced to a temporary file first, which is then hard-linked into place (link() fails if
    the name exists, so two publishers cannot both create it).
    """
    sha = _sha256(data)
    path = storage.path_of(relative)
    if path.exists():
        _check_frozen(relative, sha)
        return sha
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)
        try:
            os.link(tmp, path)
        except FileExistsError:
            _check_frozen(relative, sha)  # another publisher got there first
            return sha
        except OSError:
            # A file system without hard links: exclusive create; a torn file from a crash here
            # is caught by the hash check of the next run, never silently accepted.
            _create_exclusive(path, data)
    finally:
        Path(tmp).unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return sha


def _create_exclusive(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _freeze_pages(edition: Edition, build: EditionBuild) -> dict[int, tuple[str, str]]:
    """Freeze every page of `build`; {page number: (frozen path, sha256)}."""
    out: dict[int, tuple[str, str]] = {}
    for page in build.pages or []:
        number = int(page["number"])
        try:
            data = storage.read(page["pdf"])
        except FileNotFoundError:
            raise _refuse(
                "publish.build_file_missing",
                "组版文件 {path} 不存在，请重新组版",
                "The build file {path} is missing: rebuild the edition",
                path=page["pdf"],
            ) from None
        if _sha256(data) != page["sha256"]:
            raise _refuse(
                "publish.build_file_changed",
                "组版文件 {path} 在组版后被改动（SHA-256 不符），请重新组版",
                "The build file {path} changed after the build (SHA-256 mismatch): rebuild the edition",
                path=page["pdf"],
            )
        relative = frozen_page_path(edition.date, number)
        out[number] = (relative, freeze_file(relative, data))
        crash_point("publish.page_frozen")
    return out


# --- the web version of a notice --------------------------------------------------------------


def _lines(text: NoticeText) -> str:
    return "\n".join(
        line for line in (text.heading, *text.paragraphs, *text.closing, *text.signature) if line
    )


def web_text_of(notice: Notice) -> str:
    """The notice's web version: its printed wording built from masked fields."""
    fields = notice.fields or {}
    masked = web_fields(notice.kind, fields, notice.web_hide_names)
    # Masked again as a whole: a template could one day print a field the masking missed.
    return mask_ids_in_text(_lines(notice_text(notice.kind, masked)), org_codes(fields))


def signature_lines(row: PublishedNotice, notice: Notice | None = None) -> int:
    """How many of the web text's last lines are the signature (set flush right)."""
    notice = notice if notice is not None else db.session.get(Notice, row.notice_id)
    if notice is None:
        return 0
    try:
        return len(notice_text(notice.kind, notice.fields or {}).signature)
    except ValueError:
        return 0


def print_text_of(notice: Notice) -> str:
    """The notice's wording as printed (unmasked: staff only, each viewing logged)."""
    return _lines(notice_text(notice.kind, notice.fields or {}))


def _org_of(notice: Notice) -> tuple[str, str | None, str | None]:
    f = notice.fields or {}
    name = str(f.get("org_name") or f.get("employer_name") or f.get("signer") or "").strip()
    if not name and notice.org is not None:
        name = notice.org.name
    code = str(f.get("credit_code") or "").strip().upper()
    reg = str(f.get("reg_number") or "").strip().upper()
    if code and len(code) != 18 and not reg:
        code, reg = "", code  # an old registration number typed where the code goes
    keep = [c for c in (code, reg) if c]
    return mask_ids_in_text(name, keep)[:200], (code or None) if len(code) == 18 else None, reg[:20] or None


def _new_row(
    notice: Notice,
    edition: Edition,
    page: dict[str, Any],
    block: dict[str, Any],
    frozen: tuple[str, str],
    image: str | None,
    now: datetime,
) -> PublishedNotice:
    web = web_text_of(notice)
    org_name, code, reg = _org_of(notice)
    box = {k: block.get(k) for k in ("col", "cols", "line", "lines", "rect")}
    box["masked"] = web != print_text_of(notice)
    runs = notice.run_dates or [edition.date]
    return PublishedNotice(
        notice_id=notice.id,
        edition_id=edition.id,
        run_date=edition.date,
        page=int(page["number"]),
        box=box,
        kind=notice.kind,
        title=web.split("\n", 1)[0][:100],
        org_name=org_name,
        credit_code=code,
        reg_number=reg,
        web_text=web,
        search_text="\n".join(x for x in (web, org_name, code, reg) if x),
        image_path=image,
        page_pdf_path=frozen[0],
        page_sha256=frozen[1],
        proof_token=secrets.token_urlsafe(24),
        deemed_served_on=deemed_served(max(runs)) if notice.kind == "termination" else None,
        published_at=now,
        withdrawn_at=now if notice.print_only else None,
        withdrawn_reason=PRINT_ONLY if notice.print_only else None,
    )


# --- web images ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockRedaction:
    """What the web hides of one notice block on a page."""

    notice_id: int
    rect: tuple[float, float, float, float]  # x, y, w, h in % of the trimmed page
    public: bool  # False: print-only or withdrawn, blanked whole
    keep: tuple[str, ...] = ()  # the organisation's codes, left readable
    names: tuple[str, ...] = ()  # names shown by their surname only


def _redaction_for(notice: Notice, block: dict[str, Any], withdrawn: bool) -> BlockRedaction:
    fields = notice.fields or {}
    rect = block.get("rect") or block.get("box", {}).get("rect") or [0, 0, 0, 0]
    return BlockRedaction(
        notice_id=notice.id,
        rect=(float(rect[0]), float(rect[1]), float(rect[2]), float(rect[3])),
        public=not (notice.print_only or withdrawn),
        keep=tuple(org_codes(fields)),
        names=tuple(employee_names(fields)) if notice.web_hide_names else (),
    )


def _text_boxes(pdf: bytes) -> tuple[tuple[float, float, float, float], list[tuple[str, tuple[float, ...]]]]:
    """The page's trim box and its characters with their (loose) boxes, in PDF user space."""
    import pypdfium2 as pdfium

    from print.raster import _PDFIUM_LOCK  # pdfium is not thread-safe: share the renderer's lock

    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            page = doc[0]
            trim = page.get_trimbox()
            textpage = page.get_textpage()
            count = textpage.count_chars()
            text = textpage.get_text_range(0, count) if count else ""
            if len(text) != count:  # characters outside the BMP: read them one by one
                text_at = [textpage.get_text_range(i, 1)[:1] for i in range(count)]
            else:
                text_at = list(text)
            chars = [(text_at[i], textpage.get_charbox(i, loose=True)) for i in range(count)]
            textpage.close()
            page.close()
        finally:
            doc.close()
    return trim, chars


def redaction_rects(
    pdf: bytes, blocks: Sequence[BlockRedaction]
) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Rectangles to paint over the page for the web, in fractions of the trimmed page.

    ("blank", rect) for a whole notice the web does not show, ("mask", rect) for each character
    of an ID number's middle or of a hidden name. Characters are matched per notice block with
    line breaks and spaces removed, so a number or name broken across lines is still found.
    """
    (t_left, t_bottom, t_right, t_top), chars = _text_boxes(pdf)
    trim_w, trim_h = t_right - t_left, t_top - t_bottom
    out: list[tuple[str, tuple[float, float, float, float]]] = []
    for block in blocks:
        x, y, w, h = (v / 100 for v in block.rect)
        if not block.public:
            out.append(("blank", (x, y, w, h)))
            continue
        x0, x1 = t_left + x * trim_w, t_left + (x + w) * trim_w
        y_top, y_bottom = t_top - y * trim_h, t_top - (y + h) * trim_h
        inside: list[tuple[str, tuple[float, ...]]] = []
        for ch, (left, bottom, right, top) in chars:
            if not ch or ch.isspace():
                continue
            cx, cy = (left + right) / 2, (bottom + top) / 2
            if x0 <= cx <= x1 and y_bottom <= cy <= y_top:
                inside.append((ch, (left, bottom, right, top)))
        scan = "".join(ch for ch, _ in inside)
        spans = id_spans(scan, block.keep) + (name_spans(scan, block.names) if block.names else [])
        for start, end in spans:
            for _, (left, bottom, right, top) in inside[start:end]:
                out.append(
                    (
                        "mask",
                        (
                            (left - t_left) / trim_w,
                            (t_top - top) / trim_h,
                            (right - left) / trim_w,
                            (top - bottom) / trim_h,
                        ),
                    )
                )
    return out


def render_web_images(pdf: bytes, blocks: Sequence[BlockRedaction]) -> tuple[bytes, bytes, dict[int, bytes]]:
    """The web's page image, its thumbnail and each public notice's image, redacted.

    One render of the frozen page at HI_RES_WIDTH; the redactions are painted on it before any
    image is cut or scaled, so no web image ever carries what the web copy masks.
    """
    from PIL import Image, ImageDraw

    from print.raster import page_images

    (raw,) = page_images(pdf, (HI_RES_WIDTH,))
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for kind, (x, y, w, h) in redaction_rects(pdf, blocks):
        box = (x * width - 1, y * height - 1, (x + w) * width + 1, (y + h) * height + 1)
        draw.rectangle(box, fill=BLANK_FILL if kind == "blank" else REDACT_FILL)
    notices: dict[int, bytes] = {}
    for block in blocks:
        if not block.public:
            continue
        x, y, w, h = (v / 100 for v in block.rect)
        crop = image.crop(
            (
                max(0, round(x * width) - NOTICE_PAD_PX),
                max(0, round(y * height) - NOTICE_PAD_PX),
                min(width, round((x + w) * width) + NOTICE_PAD_PX),
                min(height, round((y + h) * height) + NOTICE_PAD_PX),
            )
        )
        notices[block.notice_id] = _png(crop.convert("L"))  # notices print in black only

    def scaled(target: int) -> bytes:
        size = (target, max(1, round(height * target / width)))
        resized = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        # A 256-colour palette: a third of the bytes of full RGB, and text pages barely use 64.
        return _png(resized.quantize(colors=WEB_COLOURS, method=Image.Quantize.MEDIANCUT))

    return scaled(SCREEN_WIDTH), scaled(THUMB_WIDTH), notices


def _png(image: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def _page_blocks_state(
    edition: Edition, page: dict[str, Any], notices: dict[int, Notice]
) -> list[BlockRedaction]:
    withdrawn = set(
        db.session.scalars(
            select(PublishedNotice.notice_id).where(
                PublishedNotice.edition_id == edition.id,
                PublishedNotice.run_date == edition.date,
                PublishedNotice.withdrawn_at.is_not(None),
            )
        )
    )
    out = []
    for block in page.get("blocks") or []:
        if block.get("kind") != "notice":
            continue
        notice = notices.get(int(block["id"]))
        if notice is not None:
            out.append(_redaction_for(notice, block, notice.id in withdrawn))
    return out


def refresh_page_images(
    edition: Edition, page: dict[str, Any], notices: dict[int, Notice], *, force: bool = False
) -> None:
    """(Re)write the web images of one page from its frozen PDF.

    Without `force`, a page whose images are all in place is left alone (a re-run of publish
    changes nothing); withdrawal forces a new render with the withdrawn notice blanked.
    """
    number = int(page["number"])
    blocks = _page_blocks_state(edition, page, notices)
    wanted = [
        web_page_image_path(edition.date, number),
        web_page_image_path(edition.date, number, thumb=True),
    ]
    wanted += [notice_image_path(edition.date, b.notice_id) for b in blocks if b.public]
    if not force and all(storage.path_of(p).is_file() for p in wanted):
        return
    pdf = storage.read(frozen_page_path(edition.date, number))
    screen, thumb, images = render_web_images(pdf, blocks)
    storage.store(wanted[0], screen)
    storage.store(wanted[1], thumb)
    for notice_id, png in images.items():
        storage.store(notice_image_path(edition.date, notice_id), png)


# --- publishing ---------------------------------------------------------------------------------


def _build_for(edition: Edition) -> EditionBuild:
    if edition.published_build_id is not None:
        build = db.session.get(EditionBuild, edition.published_build_id)
        if build is not None:
            return build
    problems = publish_problems(edition)
    if problems:
        raise Conflict(problems[0])
    build = current_build(edition)
    assert build is not None  # publish_problems refuses an edition without one
    return build


def _move_to_published(notice: Notice, actor: User | None) -> None:
    """approved → scheduled → published in the publish's transaction (no commit of its own)."""
    who = actor if actor is not None and actor.is_staff else None
    if notice.status == "approved":
        apply_transition(notice.id, "schedule", who)
    if notice.status == "scheduled":
        apply_transition(notice.id, "publish", who)
    if notice.status != "published":
        raise _refuse(
            "publish.notice_state",
            "公告 #{id} 的状态为 {state}，不能出版",
            "Notice #{id} is {state} and cannot be published",
            id=notice.id,
            state=notice.status,
        )


def publish_edition(day: date, actor: User | None = None, progress: ProgressFn | None = None) -> Edition:
    """Freeze and publish the edition of `day` (see the module docstring); returns the edition.

    The files first (frozen pages, web images: idempotent, no lock held while pages render), then
    one short unit of work under the edition's lock: the checks again, the notices' moves and the
    web copies. A second publish of the same day waits for the first, then finds everything done
    and changes nothing. Raises NotFound for a date without an edition and Conflict when it
    cannot be published: not built, last build failed or still running, notices changed since
    the build, a build file changed, or a frozen file that differs from the build.
    """
    try:
        edition = _publish(day, actor, progress)
        crash_point("publish.before_record")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return edition


def _publish(day: date, actor: User | None, progress: ProgressFn | None) -> Edition:
    pub = current_publication()
    edition = get_edition(day, pub)
    build = _build_for(edition)
    pages = list(build.pages or [])
    total = 2 * len(pages) + 2
    done = 0

    def step(stage: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, stage)

    frozen: dict[int, tuple[str, str]] = {}
    for number, entry in _freeze_pages(edition, build).items():
        frozen[number] = entry
        step("freeze")
    blocks = _notice_blocks(build)
    notices: dict[int, Notice] = {}
    for _, block in blocks:
        notice = db.session.get(Notice, int(block["id"]))
        if notice is None:
            raise _refuse(
                "publish.notice_missing", "公告 #{id} 不存在", "Notice #{id} does not exist", id=block["id"]
            )
        notices[notice.id] = notice
    for page in pages:
        refresh_page_images(edition, page, notices)
        step("images")
    # The lock order of notices_app/db_locks: the edition, then its notices in id order. What
    # was decided before the lock is decided again under it.
    edition = get_edition(day, pub, for_update=True)
    if _build_for(edition).id != build.id:
        raise _refuse(
            "publish.build_changed",
            "出版期间版面已重新组版，请再次出版",
            "The edition was rebuilt while it was being published: publish again",
        )
    crash_point("publish.before_notices")
    for notice in sorted(notices.values(), key=lambda n: n.id):
        if notice.status != "published":
            _move_to_published(notice, actor)
            crash_point("publish.notice_moved")
    step("notices")
    _record(edition, build, blocks, notices, frozen)
    step("done")
    return edition


def _record(
    edition: Edition,
    build: EditionBuild,
    blocks: list[tuple[dict[str, Any], dict[str, Any]]],
    notices: dict[int, Notice],
    frozen: dict[int, tuple[str, str]],
) -> None:
    """Add the missing PublishedNotice rows and mark the edition published (committed by the
    caller with the notices' moves, so the public never sees half an edition)."""
    now = utcnow()
    have = set(
        db.session.scalars(select(PublishedNotice.notice_id).where(PublishedNotice.run_date == edition.date))
    )
    for page, block in blocks:
        notice = notices[int(block["id"])]
        if notice.id in have:
            continue
        have.add(notice.id)
        image = notice_image_path(edition.date, notice.id)
        public_image = image if storage.path_of(image).is_file() and not notice.print_only else None
        db.session.add(_new_row(notice, edition, page, block, frozen[int(page["number"])], public_image, now))
    # A second publish finds the edition published and changes nothing (not a refusal to log).
    if edition.status != EditionStatus.PUBLISHED and set_edition_status(edition, EditionEvent.PUBLISH):
        edition.published_at = now
    edition.published_build_id = build.id


# --- what the public sees -----------------------------------------------------------------------


def local_today(pub: Publication, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(PublishingCalendar.from_dict(pub.calendar).tz).date()


def retention_cutoff(pub: Publication, now: datetime | None = None) -> date:
    """Termination notices that ran before this date are past their web retention period."""
    return local_today(pub, now) - timedelta(days=pub.termination_web_days)


def public_condition(pub: Publication, now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition for rows the public may see: not withdrawn, not past retention.

    Retention is applied here as well as by `withdraw_expired`, so a copy past its period is
    gone from the site even on a day the withdrawal job did not run.
    """
    return and_(
        PublishedNotice.withdrawn_at.is_(None),
        or_(PublishedNotice.kind != "termination", PublishedNotice.run_date >= retention_cutoff(pub, now)),
    )


def is_public(row: PublishedNotice, pub: Publication | None = None, now: datetime | None = None) -> bool:
    if row.withdrawn_at is not None:
        return False
    if row.kind == "termination":
        return row.run_date >= retention_cutoff(pub or current_publication(), now)
    return True


def withdrawn_for_retention(row: PublishedNotice, pub: Publication | None = None) -> bool:
    """Whether the public sees this copy as withdrawn after the retention period (a 410)."""
    if row.withdrawn_reason == PRINT_ONLY:
        return False
    return not is_public(row, pub)


def public_rows(
    *,
    kind: str | None = None,
    edition: Edition | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> list[PublishedNotice]:
    """Public web copies, newest run first (then page and position)."""
    pub = current_publication()
    query = select(PublishedNotice).where(public_condition(pub, now))
    if kind:
        query = query.where(PublishedNotice.kind == kind)
    if edition is not None:
        query = query.where(PublishedNotice.edition_id == edition.id)
    query = query.order_by(PublishedNotice.run_date.desc(), PublishedNotice.page, PublishedNotice.id)
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def published_editions(limit: int = 60, offset: int = 0) -> list[Edition]:
    pub = current_publication()
    return list(
        db.session.scalars(
            select(Edition)
            .where(Edition.publication_id == pub.id, Edition.status == "published")
            .order_by(Edition.date.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def published_edition(day: date) -> Edition:
    """The published edition of `day`, or NotFound (an unpublished edition is not public)."""
    edition = get_edition(day)
    if edition.status != "published" or edition.published_build_id is None:
        raise NotFound(day.isoformat())
    return edition


def published_pages(edition: Edition) -> list[dict[str, Any]]:
    """The pages of a published edition: number, label, and the public notice blocks on each."""
    build = db.session.get(EditionBuild, edition.published_build_id) if edition.published_build_id else None
    if build is None:
        return []
    rows = {r.notice_id: r for r in public_rows(edition=edition, limit=10_000)}
    out = []
    for page in build.pages or []:
        links = [
            {"row": rows[int(b["id"])], "rect": b["rect"]}
            for b in page.get("blocks") or []
            if b.get("kind") == "notice" and int(b["id"]) in rows
        ]
        out.append({"number": int(page["number"]), "label": page.get("label", ""), "notices": links})
    return out


def page_pdf_public(edition: Edition, number: int) -> bool:
    """Whether the frozen print PDF of a page may be offered on the web.

    The print page carries what the web copy masks (ID numbers, names) and print-only notices;
    such a page is kept off the site (the filer has the proof of publication). Pages whose
    notices all read the same on the web as in print are offered.
    """
    rows = db.session.scalars(
        select(PublishedNotice).where(
            PublishedNotice.edition_id == edition.id,
            PublishedNotice.run_date == edition.date,
            PublishedNotice.page == number,
        )
    )
    pub = current_publication()
    return all(is_public(r, pub) and not (r.box or {}).get("masked", True) for r in rows)


def published_notice_for(notice: Notice | int, run_date: date) -> PublishedNotice | None:
    """The record of `notice` as it ran on `run_date`, if that edition is published."""
    notice_id = notice if isinstance(notice, int) else notice.id
    return db.session.scalar(
        select(PublishedNotice).where(
            PublishedNotice.notice_id == notice_id, PublishedNotice.run_date == run_date
        )
    )


def web_copy(published: PublishedNotice) -> dict[str, Any]:
    """The public (masked) record of a published notice as JSON-ready data.

    A copy that is not public (print-only, or withdrawn after the retention period) gives only
    that fact: never its text.
    """
    base = {
        "id": published.id,
        "kind": published.kind,
        "run_date": published.run_date.isoformat(),
        "url": f"/n/{published.id}",
    }
    if not is_public(published):
        return base | {"withdrawn": True, "withdrawn_reason": published.withdrawn_reason or RETENTION}
    return base | {
        "withdrawn": False,
        "title": published.title,
        "org_name": published.org_name,
        "credit_code": published.credit_code,
        "reg_number": published.reg_number,
        "page": published.page,
        "text": published.web_text,
        "deemed_served_on": published.deemed_served_on.isoformat() if published.deemed_served_on else None,
        "published_at": published.published_at.isoformat(),
        "image_url": f"/n/{published.id}.png" if published.image_path else None,
        "verify_url": f"/verify/{published.proof_token}",
    }


# --- retention ---------------------------------------------------------------------------------


def withdraw_expired(now: datetime | None = None) -> list[PublishedNotice]:
    """Withdraw the web copies of termination notices past the publication's retention period.

    The records stay (proofs, verification); their text leaves the site, and the pages' web
    images are rendered again with the notice blanked. Returns the rows withdrawn now. Run it
    daily (`flask edition withdraw-expired`).
    """
    now = now or utcnow()
    pub = current_publication()
    rows = list(
        db.session.scalars(
            select(PublishedNotice)
            .where(
                PublishedNotice.kind == "termination",
                PublishedNotice.withdrawn_at.is_(None),
                PublishedNotice.run_date < retention_cutoff(pub, now),
            )
            .with_for_update()  # two runs at once: the second finds the rows withdrawn already
        )
    )
    for row in rows:
        row.withdrawn_at = now
        row.withdrawn_reason = RETENTION
    db.session.flush()
    # Images first, then the commit: if a render fails nothing is marked withdrawn and the next
    # run tries again (the text is off the site either way: `public_condition` applies retention).
    for edition_id, number in sorted({(r.edition_id, r.page) for r in rows}):
        _refresh_after_withdrawal(edition_id, number)
    db.session.commit()
    return rows


def _refresh_after_withdrawal(edition_id: int, number: int) -> None:
    edition = db.session.get(Edition, edition_id)
    build = (
        db.session.get(EditionBuild, edition.published_build_id)
        if edition and edition.published_build_id
        else None
    )
    if edition is None or build is None:
        return
    page = next((p for p in build.pages or [] if int(p["number"]) == number), None)
    if page is None:
        return
    ids = [int(b["id"]) for b in page.get("blocks") or [] if b.get("kind") == "notice"]
    notices = {n.id: n for n in db.session.scalars(select(Notice).where(Notice.id.in_(ids)))}
    refresh_page_images(edition, page, notices, force=True)


# --- unmasking ---------------------------------------------------------------------------------


def unmask(published_id: int, user: User, reason: str | None) -> tuple[PublishedNotice, Notice, str]:
    """Log that `user` looks at the unmasked notice, and why; return the row, notice and print text.

    Staff only; a blank reason is refused (FieldErrors) and nothing is shown or logged.
    """
    if not user.is_staff:
        raise NotFound(published_id)
    row = db.session.get(PublishedNotice, published_id)
    if row is None:
        raise NotFound(published_id)
    if not (reason and reason.strip()):
        raise FieldErrors({"reason": [msg("unmask.reason", "请填写查看原因", "Please give a reason")]})
    notice = db.session.get(Notice, row.notice_id)
    if notice is None:
        raise NotFound(published_id)
    db.session.add(UnmaskEvent(published_notice_id=row.id, user_id=user.id, reason=reason.strip()))
    db.session.commit()
    return row, notice, print_text_of(notice)


def unmask_events(published_id: int) -> list[UnmaskEvent]:
    return list(
        db.session.scalars(
            select(UnmaskEvent)
            .where(UnmaskEvent.published_notice_id == published_id)
            .order_by(UnmaskEvent.id.desc())
        )
    )
