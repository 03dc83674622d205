"""News stories of an edition (create, edit, import, photos) and the desk's small edition chores.

The editors' desk calls these; `services.editions` owns building. Body text travels as the
editor types it (a paragraph per line, `## ` before a section head) and is stored as the
`Story.blocks` list the typesetter reads.
"""

from __future__ import annotations

import math
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, func, select

from notices_app.extensions import db
from notices_app.models import AdBooking, AdContent, Edition, Notice, Publication, SlotClaim, Story, utcnow
from notices_app.rules.messages import RuleError, msg
from notices_app.rules.states import BookingEvent
from notices_app.rules.story_text import parse_stories
from notices_app.rules.text import clean_text, to_fullwidth_punct
from notices_app.services import storage
from notices_app.services.editions import ensure_unpublished
from notices_app.services.errors import Conflict, NotFound
from notices_app.services.status import set_booking_status

HEAD_MARK = "## "
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_FORMATS = ("JPEG", "PNG")
JPEG_QUALITY = 90
CM = 72 / 2.54  # points per centimetre


# --- body text ⇄ blocks (pure) ---------------------------------------------------------------


def blocks_from_body(body: str) -> list[dict[str, str]]:
    """Paragraphs, one per non-blank line; a line starting with ``## `` is a section head."""
    out: list[dict[str, str]] = []
    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith(HEAD_MARK.strip()):
            text = line.removeprefix(HEAD_MARK.strip()).strip()
            if text:
                out.append({"type": "head", "text": text})
        elif line:
            out.append({"type": "para", "text": line})
    return out


def body_from_blocks(blocks: Sequence[dict[str, Any]]) -> str:
    """The textarea form of stored blocks (inverse of :func:`blocks_from_body`)."""
    lines = []
    for b in blocks or []:
        text = str(b.get("text", ""))
        lines.append(HEAD_MARK + text if b.get("type") == "head" else text)
    return "\n".join(lines)


def deck_lines(deck: str | None) -> list[str]:
    return [line.strip() for line in (deck or "").split("\n") if line.strip()]


def cm_to_lines(cm: float, leading_pt: float) -> int:
    """Grid lines an ad of `cm` height needs: rounded up, since an ad is sold by its size."""
    # The small tolerance keeps 4.7625 cm (exactly 27 lines of 13.5 pt) from becoming 28.
    return max(1, math.ceil(cm * CM / leading_pt - 1e-6))


# --- photos ----------------------------------------------------------------------------------


def _refuse(code: str, zh: str, en: str, **params: Any) -> RuleError:
    return RuleError(msg(code, zh, en, **params))


def photo_to_cmyk_jpeg(
    data: bytes, max_bytes: int = MAX_PHOTO_BYTES, max_pixels: int = MAX_PHOTO_PIXELS
) -> bytes:
    """A JPEG or PNG upload as a CMYK JPEG for newsprint; RuleError says why one is refused.

    The type is sniffed from the bytes, never taken from the file name. Grey is moved into K
    (full grey component replacement, as print/stories does): Pillow's plain RGB→CMYK leaves K
    empty, so a dark tone would print as up to 300 % CMY against newsprint's 240 % ink limit.
    """
    if len(data) > max_bytes:
        raise _refuse(
            "photo.bytes",
            "照片文件过大：{size:.1f} MB，最大 {max} MB。",
            "The photo is too large: {size:.1f} MB; at most {max} MB.",
            size=len(data) / 1024 / 1024,
            max=max_bytes // (1024 * 1024),
        )
    unreadable = _refuse(
        "photo.unreadable",
        "无法识别该照片：请上传 JPEG 或 PNG 图片。",
        "This photo cannot be read: upload a JPEG or PNG image.",
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a decompression bomb below twice its limit; refuse it here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as im:
                if im.format not in PHOTO_FORMATS:
                    raise unreadable
                width, height = im.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height, max_pixels)
                im.load()
                image = ImageOps.exif_transpose(im)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
        raise _too_many_pixels(0, 0, max_pixels) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, RuleError):
            raise
        raise unreadable from err
    cmyk = _to_cmyk(image)
    out = BytesIO()
    cmyk.save(out, format="JPEG", quality=JPEG_QUALITY, dpi=image.info.get("dpi", (200, 200)))
    return out.getvalue()


def _too_many_pixels(width: int, height: int, max_pixels: int) -> RuleError:
    size = f"{width}×{height}" if width else "?"
    return _refuse(
        "photo.pixels",
        "照片像素过多（{size}），最多 {max} 百万像素。",
        "The photo has too many pixels ({size}); at most {max} megapixels.",
        size=size,
        max=max_pixels // 1_000_000,
    )


def _to_cmyk(image: Image.Image) -> Image.Image:
    if image.mode == "CMYK":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    c, m, y = ImageChops.invert(image.convert("RGB")).split()
    k = ImageChops.darker(ImageChops.darker(c, m), y)
    return Image.merge(
        "CMYK", (ImageChops.subtract(c, k), ImageChops.subtract(m, k), ImageChops.subtract(y, k), k)
    )


def store_photo(data: bytes) -> str:
    """Convert an upload (see :func:`photo_to_cmyk_jpeg`) and store it; returns its storage path."""
    jpeg = photo_to_cmyk_jpeg(data)
    path = f"photos/{uuid.uuid4().hex}.jpg"
    storage.store(path, jpeg)
    return path


# --- stories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryInput:
    """A story as the editor typed it (already validated by the form)."""

    headline: str
    deck: str = ""  # one line per deck line
    byline: str = ""
    body: str = ""  # a paragraph per line, "## " before a section head
    sort_order: int = 0
    caption: str = ""


def _edition_on(pub: Publication, day: date) -> Edition | None:
    return db.session.scalar(select(Edition).where(Edition.publication_id == pub.id, Edition.date == day))


def ensure_open(pub: Publication, day: date | None) -> None:
    """Conflict when the edition of `day` is published: its pages are frozen."""
    ed = _edition_on(pub, day) if day else None
    if ed is not None:
        ensure_unpublished(ed)


def stories_on(pub: Publication, day: date) -> list[Story]:
    """The stories of an edition date in page order."""
    return list(
        db.session.scalars(
            select(Story)
            .where(Story.publication_id == pub.id, Story.edition_date == day)
            .order_by(Story.sort_order, Story.id)
        )
    )


def get_story(pub: Publication, story_id: int) -> Story:
    story = db.session.get(Story, story_id)
    if story is None or story.publication_id != pub.id:
        raise NotFound(f"no story {story_id}")
    return story


def _apply(story: Story, data: StoryInput) -> None:
    story.headline = data.headline
    story.deck = "\n".join(deck_lines(data.deck)) or None
    story.byline = data.byline or None
    story.blocks = blocks_from_body(data.body)
    story.sort_order = data.sort_order
    story.caption = data.caption or None


def create_story(pub: Publication, day: date, data: StoryInput, photo_path: str | None = None) -> Story:
    """Add a story to the edition of `day` (Conflict if that edition is published)."""
    ensure_open(pub, day)
    story = Story(publication_id=pub.id, edition_date=day, headline=data.headline)
    _apply(story, data)
    story.photo_path = photo_path
    db.session.add(story)
    db.session.commit()
    return story


def update_story(
    story: Story, data: StoryInput, photo_path: str | None = None, remove_photo: bool = False
) -> Story:
    """Change a story; a new `photo_path` replaces the photo, `remove_photo` drops it."""
    pub = db.session.get(Publication, story.publication_id)
    assert pub is not None
    ensure_open(pub, story.edition_date)
    _apply(story, data)
    if photo_path:
        story.photo_path = photo_path
    elif remove_photo:
        story.photo_path = None
    db.session.commit()
    return story


def delete_story(story: Story) -> None:
    """Remove a story (and its pin in the edition's plan, which would otherwise point nowhere)."""
    pub = db.session.get(Publication, story.publication_id)
    assert pub is not None
    ensure_open(pub, story.edition_date)
    ed = _edition_on(pub, story.edition_date) if story.edition_date else None
    if ed is not None and ed.plan and ed.plan.get("pins"):
        pins = [p for p in ed.plan["pins"] if (p.get("kind"), str(p.get("id"))) != ("story", str(story.id))]
        ed.plan = {**ed.plan, "pins": pins}
    db.session.delete(story)
    db.session.commit()


def import_stories(
    pub: Publication, day: date, text: str, missing: Callable[[str, str], list[str]] | None = None
) -> list[Story]:
    """Stories parsed from plain text in the seed page's shape, appended after the date's stories.

    ASCII punctuation in Chinese becomes full-width (as the demo does). `missing(text, role)`
    lists the characters the print font of a role ("heading" for headlines, decks and section
    heads, "body" for the rest) lacks; any such character refuses the whole import (RuleError
    naming it) so that nothing is half imported.
    """
    ensure_open(pub, day)
    drafts = parse_stories(clean_text(text, multiline=True))
    if not drafts:
        raise _refuse(
            "import.empty",
            "没有识别出稿件：每篇稿件应有标题和正文。",
            "No stories found: each needs a headline and body text.",
        )
    if missing is not None:
        heads = "".join(
            d.headline + "".join(d.deck) + "".join(b["text"] for b in d.blocks if b["type"] == "head")
            for d in drafts
        )
        body = "".join(
            (d.byline or "") + "".join(b["text"] for b in d.blocks if b["type"] != "head") for d in drafts
        )
        lacking = list(dict.fromkeys(missing(heads, "heading") + missing(body, "body")))
        lacking = [ch for ch in lacking if not ch.isspace()]
        if lacking:
            raise _refuse(
                "import.glyph",
                "印刷字库中没有{chars}，请改用其他写法后再导入。",
                "The print fonts lack {chars_en}; change the text and import again.",
                chars="、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in lacking[:5]),
                chars_en=", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in lacking[:5]),
            )
    top = db.session.scalar(
        select(func.max(Story.sort_order)).where(Story.publication_id == pub.id, Story.edition_date == day)
    )
    order = (top + 10) if top is not None else 0
    out = []
    for draft in drafts:
        story = Story(
            publication_id=pub.id,
            edition_date=day,
            headline=to_fullwidth_punct(draft.headline)[:200],
            deck="\n".join(to_fullwidth_punct(d) for d in draft.deck)[:300] or None,
            byline=to_fullwidth_punct(draft.byline)[:200] if draft.byline else None,
            blocks=[{"type": b["type"], "text": to_fullwidth_punct(b["text"])} for b in draft.blocks],
            sort_order=order,
        )
        order += 10
        db.session.add(story)
        out.append(story)
    db.session.commit()
    return out


# --- editions: pins and bookings as the planner shows them -----------------------------------


@dataclass(frozen=True)
class PinRow:
    """One story or notice of an edition with its pin (page None = placed automatically)."""

    kind: str  # "story" | "notice"
    id: int
    title: str
    page: int | None
    position: str


def pin_rows(edition: Edition, stories: Sequence[Story], notices: Sequence[Notice]) -> list[PinRow]:
    """Stories and notices of the edition with the pins stored in its plan."""
    from notices_app.services.editions import notice_title

    pins = {(str(p.get("kind")), str(p.get("id"))): p for p in (edition.plan or {}).get("pins") or []}
    rows = []
    for kind, ident, title in [("story", s.id, s.headline) for s in stories] + [
        ("notice", n.id, notice_title(n) or f"#{n.id}") for n in notices
    ]:
        pin = pins.get((kind, str(ident)))
        rows.append(
            PinRow(
                kind,
                ident,
                title,
                int(pin["page"]) if pin else None,
                str(pin.get("position") or "any") if pin else "any",
            )
        )
    return rows


def bookings_of(edition: Edition) -> list[tuple[AdBooking, AdContent | None]]:
    """Every booking of the edition with its ad template (None for supplied artwork), cancelled
    ones included: the planner lists both."""
    return list(
        db.session.execute(
            select(AdBooking, AdContent)
            .outerjoin(AdContent, AdContent.id == AdBooking.ad_content_id)
            .where(AdBooking.edition_id == edition.id)
            .order_by(AdBooking.id)
        ).tuples()
    )


def ads_on_file() -> list[AdContent]:
    """The display ads the desk may place, by title."""
    return list(db.session.scalars(select(AdContent).order_by(AdContent.title, AdContent.id)))


def desk_may_cancel(booking: AdBooking) -> bool:
    """Whether the planner's remove button applies: not an advertiser's paid booking."""
    paid = booking.org_id is not None and booking.status == "confirmed" and booking.price_fen > 0
    return booking.status != "cancelled" and not paid


def cancel_booking(edition: Edition, booking_id: int) -> AdBooking:
    """Take a display ad out of an edition: status `cancelled`, its inventory cells freed; the
    row stays for the record.

    An advertiser's paid booking is refused (Conflict): its money goes back through a refund,
    which is the ads desk's business, not a planner button's.
    """
    booking = db.session.get(AdBooking, booking_id)
    if booking is None or booking.edition_id != edition.id:
        raise NotFound(f"no booking {booking_id} in this edition")
    if booking.status == "cancelled":
        return booking
    if not desk_may_cancel(booking):
        raise Conflict(
            msg(
                "booking.paid",
                "这是广告客户已付费的预订，请通过退款流程取消",
                "this is an advertiser's paid booking: cancel it through a refund",
            )
        )
    set_booking_status(booking, BookingEvent.CANCEL)
    booking.cancelled_at = utcnow()
    db.session.execute(delete(SlotClaim).where(SlotClaim.booking_id == booking.id))
    db.session.commit()
    return booking
