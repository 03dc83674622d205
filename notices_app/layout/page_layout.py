"""The page layout engine: booked ads, approved notices and stories on an edition's column grid.

Everything is in grid units (columns and body lines), so every block snaps to the baseline grid
by construction. The order of work is the order of precedence:

1. display ads, at the page and position they were booked and paid for;
2. the editor's pins (notices, then stories), which win over the automatic flows;
3. the notices, packed into the classifieds area by kind (公告, 遗失声明 …);
4. the stories, page by page: each news page takes the parts that jumped to it and the next
   stories in the editor's order, made up into modules that together fill what is left of it
   (`page_fill.PageFill`: widths adding up to the free width, bodies balanced over their
   columns, the last modules down to the notices and ads); a story that does not fit is
   continued on a later page with "(下转第N版)/(上接第N版)" lines, or waits for the next page
   whole. When the copy runs out, the stories close up at the top and the white is one band
   under them.

Nothing is dropped: whatever cannot be placed comes back in `EditionLayout.overflow` with a
bilingual reason for the editor. The engine is deterministic: ties are broken by position and
input order, never by hashing or set order.
"""

from __future__ import annotations

from collections.abc import Sequence

from notices_app.layout.block_placer import BlockPlacer
from notices_app.layout.layout_rules import LayoutRules
from notices_app.layout.page_types import (
    AdRequest,
    EditionLayout,
    EditionPlan,
    NoticeMetrics,
    StoryMetrics,
)
from notices_app.layout.story_flow import StoryFlow
from notices_app.layout.story_parts import Job

# The engine's parts, in its order of work: `layout_rules` (the tunables), `edition_state` (the
# pages being filled), `block_placer` (ads, notices), `story_placer` (a story part at a time:
# pins, jumps), `story_flow` (the stories page by page) and `page_fill` (one page made up whole).
__all__ = ["LayoutRules", "lay_out"]


def lay_out(
    plan: EditionPlan,
    columns: int,
    lines: int,
    stories: Sequence[StoryMetrics],
    notices: Sequence[NoticeMetrics],
    ads: Sequence[AdRequest],
    rules: LayoutRules | None = None,
) -> EditionLayout:
    """Place the edition's ads, notices and stories on `columns` × `lines` page grids.

    Returns one PageLayout per page of the plan, in order, and everything that did not fit as
    overflow with its reason. A story whose start is placed but whose remainder finds no page is
    both placed and listed as overflow (`layout.story_remainder`, with the first body line and
    the count of lines left over). Raises ValueError for an impossible grid or a plan whose pages
    are not numbered 1, 2, … in order.
    """
    if columns < 1 or lines < 1:
        raise ValueError(f"a page grid needs at least one column and one line, not {columns} × {lines}")
    if tuple(p.number for p in plan.pages) != tuple(range(1, len(plan.pages) + 1)):
        raise ValueError("the plan's pages must be numbered 1, 2, … in order")
    edition = _Edition(plan, columns, lines, rules or LayoutRules())
    edition.place_ads(ads)
    jobs: list[Job] = []
    for story in stories:
        job = edition.story_job(story)
        if job is not None:
            jobs.append(job)
    edition.place_pinned_notices([n for n in notices if n.pin is not None])
    edition.place_pinned_stories([j for j in jobs if j.story.pin is not None])
    edition.flow_notices([n for n in notices if n.pin is None])
    edition.flow_stories([j for j in jobs if j.story.pin is None])
    return edition.result()


class _Edition(BlockPlacer, StoryFlow):
    """One `lay_out` call's engine: the ads and notices, then the stories, on the same pages."""
