"""What a hostile or careless user types, as Hypothesis strategies for the fuzz tests (a unique
module name: test folders share one import path)."""

from __future__ import annotations

from hypothesis import strategies as st

# ReportLab markup, control characters, characters the print fonts lack, template and SQL
# syntax, impossible dates and numbers.
HOSTILE = [
    '<font name="Helvetica">x</font>',
    '<img src="/etc/passwd"/>',
    "&amp;",
    "&#0;",
    "<script>alert(1)</script>",
    "\x00",
    "a\x00b",
    "\x1b[31m红\x1b[0m",
    "".join(chr(c) for c in range(32)),
    "\u202e反转\u202c",
    "\ufeff\u200b",
    "\U0001f600",
    "𠀀𪚥",
    "\ue000",
    "公告\u0301",  # a combining mark: the body font has it, the heading font (titles) does not
    "{{ 7*7 }}",
    "' OR 1=1 --",
    "../../etc/passwd",
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "\n" * 300,
    " " * 500,
]
# Huge input. Drawn for one field now and then rather than for any field at any time: parsing a
# 20,000-character percent-encoded value costs ~10 ms, which would swamp the other examples.
HUGE = ["x" * 20_000, "中" * 20_000, "<font>" * 4_000]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
    st.text(alphabet="<>&\"'/=;\\\x00\x07\n\r\t 中文公告0123", max_size=30),
)
huge_text = st.sampled_from(HUGE)
# Query parameter names the app's pages and endpoints read (and a few they might).
QUERY_NAMES = [
    "from",
    "to",
    "date",
    "page",
    "q",
    "kind",
    "status",
    "per_page",
    "limit",
    "offset",
    "lang",
    "next",
]
