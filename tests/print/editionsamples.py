"""Stories, photos and hand-made page layouts for the story and edition renderer tests.

Importable as `editionsamples` (a unique name: every test folder shares one import path). The
layouts are built by hand from the typeset metrics, the way the layout engine will build them.
"""

from __future__ import annotations

import datetime
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager

import pikepdf
from PIL import Image

from notices_app.layout.geometry import PageGeometry
from notices_app.layout.page_types import BodySegment, Box
from notices_app.layout.types import StoryText
from notices_app.rules.story_text import StoryDraft, parse_stories
from notices_app.services.demo import seed_text
from print.edition_pdf import EditionInfo

INFO = EditionInfo(newspaper="淄博日报", date=datetime.date(2013, 10, 21), issue="第9876期")


def story_text(draft: StoryDraft) -> StoryText:
    """The typesetter's input from the importer's draft."""
    return StoryText(
        headline=draft.headline,
        deck=tuple(draft.deck),
        byline=draft.byline or "",
        blocks=tuple((b["type"], b["text"]) for b in draft.blocks),
    )


def seed_stories() -> list[StoryText]:
    """The seed page's news stories: [0] the lead (no section heads), [1] the one with heads."""
    return [story_text(d) for d in parse_stories(seed_text())[:2]]


def long_story(paragraphs: int) -> StoryText:
    """A story long enough to fill a page: the seed stories' paragraphs over and over."""
    lead, second = seed_stories()
    pool = [t for _, t in (*lead.blocks, *second.blocks) if t]
    blocks: list[tuple[str, str]] = []
    for i in range(paragraphs):
        if i and i % 12 == 0:
            blocks.append(("head", second.blocks[1][1]))
        blocks.append(("para", pool[i % len(pool)]))
    return StoryText(lead.headline, lead.deck, lead.byline, tuple(blocks))


def photo_bytes(width: int = 600, height: int = 400, fmt: str = "JPEG") -> bytes:
    """A colourful RGB picture (gradients and a dark band, so grey replacement matters)."""
    im = Image.new("RGB", (width, height))
    im.putdata(
        [
            (x * 255 // width, y * 255 // height, 40 if y < height // 2 else 200)
            for y in range(height)
            for x in range(width)
        ]
    )
    im.paste((20, 25, 30), (0, height // 3, width, height // 3 + 20))
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def flow(first: int, count: int, col: int, line: int, per_column: int) -> list[BodySegment]:
    """Body lines [first, first + count) poured into columns from `col`, `per_column` lines each."""
    segments = []
    for i in range(math.ceil(count / per_column)):
        n = min(per_column, count - i * per_column)
        segments.append(BodySegment(Box(col + i, 1, line, n), first + i * per_column, n))
    return segments


def grid_top(geometry: PageGeometry, crop_marks: bool = False) -> float:
    """The type area's top in PDF coordinates of a rendered page."""
    offset = 12 * 72 / 25.4 if crop_marks else geometry.bleed_mm * 72 / 25.4
    return offset + geometry.margin_bottom + geometry.type_h


def column_left(geometry: PageGeometry, col: int, crop_marks: bool = False) -> float:
    offset = 12 * 72 / 25.4 if crop_marks else geometry.bleed_mm * 72 / 25.4
    return offset + geometry.column_x(col)


@contextmanager
def opened(pdf: bytes) -> Iterator[pikepdf.Pdf]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        yield doc


def content_operators(pdf: bytes) -> set[str]:
    """Every operator of every page's content stream (and form XObjects')."""
    ops: set[str] = set()
    with opened(pdf) as doc:
        for page in doc.pages:
            for _, op in pikepdf.parse_content_stream(page):
                ops.add(str(op))
    return ops


def names_in_file(pdf: bytes) -> set[str]:
    """Every PDF name used as a dictionary value or array item in the file (e.g. /DeviceRGB)."""
    found: set[str] = set()

    def walk(obj: object, depth: int = 0) -> None:
        if depth > 8:
            return
        if isinstance(obj, pikepdf.Name):
            found.add(str(obj))
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                walk(item, depth + 1)
        elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            for key in obj.keys():  # noqa: SIM118 - a Stream is not iterable as a mapping
                if key != "/Parent":
                    walk(obj.get(key), depth + 1)

    with opened(pdf) as doc:
        for obj in doc.objects:
            walk(obj)
    return found
