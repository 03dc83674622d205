"""What preflight reports: the press's limits, every message it can give, and the report itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from notices_app.rules.messages import Message, msg


@dataclass(frozen=True)
class PreflightLimits:
    """The printing condition's limits (domain.md; ISOnewspaper26v4 allows 240 % coverage)."""

    max_ink_percent: float = 240.0
    min_text_pt: float = 6.0  # one-colour text
    min_text_multi_pt: float = 10.0  # text in more than one ink, and reversed (no-ink) text
    min_rule_pt: float = 0.5  # one-colour strokes
    min_rule_multi_pt: float = 1.5
    min_image_ppi: float | None = 150.0  # None: do not check image resolution
    allow_bleed: bool = False  # fills and images may run from the trim into the bleed


NEWSPRINT_LIMITS = PreflightLimits()

# Every message the preflight can produce, zh and en; the report picks one per problem.
MESSAGES: dict[str, tuple[str, str]] = {
    "preflight.unreadable": (
        "文件无法读取：{error}",
        "The file cannot be read: {error}",
    ),
    "preflight.no_trimbox": (
        "第{page}页没有裁切框（TrimBox）",
        "Page {page} has no TrimBox",
    ),
    "preflight.font_not_embedded": (
        "第{page}页的字体 {font} 没有嵌入",
        "Font {font} on page {page} is not embedded",
    ),
    "preflight.rgb": (
        "第{page}页的{where_zh}使用了非CMYK颜色（{space}），印刷文件只能用CMYK、灰度或专色",
        "Page {page} uses non-CMYK colour ({space}) for {where_en}; print files must be CMYK, grey or spot only",
    ),
    "preflight.ink_coverage": (
        "第{page}页油墨总量 {coverage:.0f}% 超过上限 {limit:.0f}%",
        "Total ink coverage of {coverage:.0f}% on page {page} exceeds the limit of {limit:.0f}%",
    ),
    "preflight.text_too_small": (
        "第{page}页有 {size:.1f} 磅的{colour_zh}文字，最小应为 {minimum:g} 磅",
        "Page {page} has {colour_en} text of {size:.1f} pt; the minimum is {minimum:g} pt",
    ),
    "preflight.rule_too_thin": (
        "第{page}页有 {width:.2f} 磅的{colour_zh}线条，最细应为 {minimum:g} 磅",
        "Page {page} has a {colour_en} rule of {width:.2f} pt; the minimum is {minimum:g} pt",
    ),
    "preflight.outside_trim": (
        "第{page}页有{what_zh}超出裁切线",
        "Page {page}: {what_en} crosses the trim edge",
    ),
    "preflight.transparency": (
        "第{page}页使用了透明效果（{what}），PDF/X-1a 不允许透明",
        "Page {page} uses transparency ({what}), which PDF/X-1a does not allow",
    ),
    "preflight.image_resolution": (
        "第{page}页图片的有效分辨率只有 {ppi:.0f} ppi，最低应为 {minimum:.0f} ppi",
        "An image on page {page} has an effective resolution of {ppi:.0f} ppi; the minimum is {minimum:.0f} ppi",
    ),
}

COLOUR_WORDS = {False: ("单色", "one-colour"), True: ("多色或反白", "multi-ink or reversed")}
WHERE_WORDS = {
    "fill": ("填充色", "the fill colour"),
    "stroke": ("描边色", "the stroke colour"),
    "image": ("图片", "an image"),
    "shading": ("渐变", "a shading"),
}
WHAT_WORDS = {
    "text": ("文字", "text"),
    "path": ("图形或线条", "a graphic or rule"),
    "image": ("图片", "an image"),
    "shading": ("渐变", "a shading"),
}


@dataclass(frozen=True)
class Problem:
    """One kind of problem on one page; `details` has the first occurrence and a `count`."""

    page: int  # 1-based; 0 for the file as a whole
    code: str
    message: Message
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PreflightReport:
    problems: tuple[Problem, ...]
    pages: int

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.problems)

    def lines(self, lang: str = "zh") -> list[str]:
        """Each problem as one line of text in `lang`."""
        return [p.message.render(lang) for p in self.problems]


def problem(page: int, code: str, params: dict[str, Any], details: dict[str, Any]) -> Problem:
    """The problem `code` on `page`, its message filled in from `params`."""
    zh, en = MESSAGES[code]
    return Problem(page, code, msg(code, zh, en, page=page, **params), details)
