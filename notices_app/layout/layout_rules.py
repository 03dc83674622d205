"""The layout engine's tunables, read by every placement step and by the page fill."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayoutRules:
    """Tunables of the layout engine, in grid lines unless a name says otherwise."""

    min_segment_lines: int = 3  # body lines a story column should hold; also caps a story's span
    head_keep_lines: int = 2  # body lines kept in the same column under a section head
    min_start_body_lines: int = 5  # body lines under a headline to start a story in a leftover area
    # Module height a story's span aims at where filling the page leaves a choice; None: page / 3.
    target_column_lines: int | None = None
    gap_lines: int = 1  # white lines between vertically stacked blocks (0 or 1 on most papers)
    mixed_notice_share: float = 0.5  # notices on a mixed page stay in this bottom share of it
    # Smaller notices that follow a notice which went to the next page may still fill the page it
    # left (same kind only, so kinds stay contiguous). Costs strict input order inside a kind
    # across a page break; buys the empty lines that otherwise stay at every column's foot.
    notice_backfill: bool = True
    # Stories a page may start in a leftover area and continue elsewhere ("(下转第N版)"). Each
    # such start fills a hole; beyond one per page readers meet a page of jumps, so the next
    # story rather goes whole to the next page. None: no limit; 0: never start a story that jumps.
    max_jumps_per_page: int | None = 1
    # White lines a story module may keep at its foot, beyond what its balanced body needs, so
    # that it reaches down to what is under it (a notice, an ad, the next module, the page foot).
    module_slack_lines: int = 3

    def __post_init__(self) -> None:
        if min(self.min_segment_lines, self.min_start_body_lines) < 1:
            raise ValueError("min_segment_lines and min_start_body_lines must be at least 1")
        if min(self.head_keep_lines, self.gap_lines, self.module_slack_lines) < 0:
            raise ValueError("head_keep_lines, gap_lines and module_slack_lines cannot be negative")
        if self.target_column_lines is not None and self.target_column_lines < 1:
            raise ValueError("target_column_lines must be at least 1")
        if not 0.0 <= self.mixed_notice_share <= 1.0:
            raise ValueError("mixed_notice_share is a fraction of the page height")
