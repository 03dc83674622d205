"""Import news stories from plain text in the seed page's shape.

A story starts with a headline; optional deck lines follow; a dateline such as
`本报10月21日讯(记者 李超)` or a byline `本报记者 李超` precedes the body. Short lines without
closing punctuation inside the body are section heads. Paragraphs broken mid-sentence by the
source's page layout (no sentence-final mark at the end) are joined again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DATELINE = re.compile(r"^本报\d{1,2}月\d{1,2}日讯[（(].*[)）]$")
BYLINE = re.compile(r"^本报记者\s*\S+$")
SENTENCE_END = tuple("。！？…”」』）)")
HEAD_MAX = 24


@dataclass
class StoryDraft:
    headline: str
    deck: list[str] = field(default_factory=list)
    byline: str | None = None
    blocks: list[dict[str, str]] = field(default_factory=list)


def _is_heading(line: str) -> bool:
    return (
        len(line) <= HEAD_MAX
        and not line.endswith(SENTENCE_END)
        and not line.endswith(("，", "、", "；", "：", ","))
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if DATELINE.match(line) or BYLINE.match(line):
            out.append(("dateline", line))
        elif _is_heading(line):
            out.append(("head", line))
        else:
            out.append(("para", line))
    return out


def parse_stories(text: str) -> list[StoryDraft]:
    """Split plain text into stories: headline, deck, byline and body blocks (head/para).

    A heading followed by another heading or by a dateline opens a new story (headline, deck);
    a lone heading inside a story is a section head.
    """
    tokens = _tokens(text)
    stories: list[StoryDraft] = []
    current: StoryDraft | None = None
    in_deck = False
    for i, (kind, line) in enumerate(tokens):
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if kind == "head":
            if in_deck and current is not None:
                current.deck.append(line)
                in_deck = nxt == "head"
            elif current is None or nxt in ("head", "dateline"):
                current = StoryDraft(headline=line)
                stories.append(current)
                in_deck = nxt == "head"
            else:
                current.blocks.append({"type": "head", "text": line})
            continue
        in_deck = False
        if current is None:
            current = StoryDraft(headline=line[:HEAD_MAX])
            stories.append(current)
        if kind == "dateline":
            current.byline = current.byline or line
            continue
        blocks = current.blocks
        if blocks and blocks[-1]["type"] == "para" and not blocks[-1]["text"].endswith(SENTENCE_END):
            blocks[-1]["text"] += line
        else:
            blocks.append({"type": "para", "text": line})
    return [s for s in stories if s.blocks]
