"""Preflight: a good page passes, each broken rule is caught on its own, a dense page is fast."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import badpages
import pikepdf
import pytest
from reportlab.lib.colors import CMYKColor

from print.fonts import FontSet
from print.preflight import (
    MESSAGES,
    NEWSPRINT_LIMITS,
    PreflightLimits,
    _from_pikepdf,
    _tokenize,
    preflight,
)
from print.textflow import ComposeFn

SEED_PAGE = "/work/shared/reference/seed-page.txt"


@pytest.fixture(scope="module")
def good(fonts: FontSet, composer: ComposeFn) -> bytes:
    return badpages.good_page(fonts, composer)


def test_good_page_passes(good: bytes) -> None:
    report = preflight(good)
    assert report.problems == ()
    assert report.ok
    assert report.pages == 1


def test_crop_marks_outside_the_bleed_are_accepted(good: bytes) -> None:
    # The good page carries 0.25 pt crop marks in 400 % registration colour, one path of eight
    # segments starting at the bleed edge: too thin and too much ink for the page itself, fine as
    # printer's marks.
    content = _content(good)
    assert b".25 w" in content and b"1 1 1 1 K" in content
    assert preflight(good).ok


FontsOnly = Callable[[FontSet], bytes]
WithComposer = Callable[[FontSet, ComposeFn], bytes]

BAD_PAGES: list[tuple[str, FontsOnly | WithComposer, str]] = [
    ("rgb text", badpages.bad_rgb_text, "preflight.rgb"),
    ("unembedded Helvetica", badpages.bad_helvetica, "preflight.font_not_embedded"),
    ("unembedded CID font (Type0 descendant)", badpages.bad_cid_font, "preflight.font_not_embedded"),
    ("5 pt text", badpages.bad_small_text, "preflight.text_too_small"),
    ("8 pt two-ink text", badpages.bad_small_multi_ink_text, "preflight.text_too_small"),
    ("10 pt text scaled by 0.5", badpages.bad_scaled_text, "preflight.text_too_small"),
    ("5 pt text in a form XObject", badpages.small_form_text, "preflight.text_too_small"),
    ("0.25 pt rule", badpages.bad_thin_rule, "preflight.rule_too_thin"),
    ("1 pt four-ink rule", badpages.bad_thin_multi_ink_rule, "preflight.rule_too_thin"),
    ("rich black 400 %", badpages.bad_rich_black, "preflight.ink_coverage"),
    ("text over the trim edge", badpages.bad_text_outside_trim, "preflight.outside_trim"),
    ("no TrimBox", badpages.bad_no_trimbox, "preflight.no_trimbox"),
    ("fill alpha", badpages.bad_transparency, "preflight.transparency"),
    ("RGB image", badpages.bad_rgb_image, "preflight.rgb"),
    ("ICCBased N=3 fill", badpages.bad_icc_rgb_fill, "preflight.rgb"),
    ("inline RGB image", badpages.bad_inline_rgb_image, "preflight.rgb"),
    ("RGB shading", badpages.bad_rgb_shading, "preflight.rgb"),
    ("10 ppi image", badpages.bad_low_res_image, "preflight.image_resolution"),
]


def _build(make: Any, fonts: FontSet, composer: ComposeFn) -> bytes:
    try:
        return make(fonts, composer)  # type: ignore[no-any-return]
    except TypeError:
        return make(fonts)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("make", "code"), [(m, c) for _, m, c in BAD_PAGES], ids=[n for n, _, _ in BAD_PAGES]
)
def test_each_bad_page_is_caught_alone(make: Any, code: str, fonts: FontSet, composer: ComposeFn) -> None:
    report = preflight(_build(make, fonts, composer))
    assert not report.ok
    assert report.codes == {code}, report.lines("en")
    for problem in report.problems:
        assert problem.page == 1
        assert problem.details["count"] >= 1


def test_details_say_what_and_where(fonts: FontSet) -> None:
    (small,) = preflight(badpages.bad_small_text(fonts)).problems
    assert small.message.params["size"] == pytest.approx(5)
    assert small.message.params["minimum"] == 6
    assert "5.0 pt" in small.message.render("en")
    (multi,) = preflight(badpages.bad_small_multi_ink_text(fonts)).problems
    assert multi.message.params["minimum"] == 10
    (scaled,) = preflight(badpages.bad_scaled_text(fonts)).problems
    assert scaled.message.params["size"] == pytest.approx(5)
    (rule,) = preflight(badpages.bad_thin_rule(fonts)).problems
    assert rule.message.params["width"] == pytest.approx(0.25)
    (ink,) = preflight(badpages.bad_rich_black(fonts)).problems
    assert ink.message.params["coverage"] == 400
    (helvetica,) = preflight(badpages.bad_helvetica(fonts)).problems
    assert helvetica.message.params["font"] == "Helvetica"
    (outside,) = preflight(badpages.bad_text_outside_trim(fonts)).problems
    x0, _, x1, _ = outside.details["bbox"]
    trim_right = outside.details["trim"][2]
    assert x0 < trim_right < x1


def _slug_text(fonts: FontSet) -> badpages.Draw:
    # Page information in the slug, below the bottom crop marks: a printer's mark.
    return badpages.text_at(fonts, 20 * badpages.MM, -(badpages.BLEED + 6 * badpages.MM), 5, "第1版")


def _bleed_text(fonts: FontSet) -> badpages.Draw:
    # 6 pt with its baseline 6.5 pt below the trim: the whole line lies inside the 3 mm bleed.
    return badpages.text_at(fonts, 20 * badpages.MM, -badpages.BLEED + 2, 6, "第1版")


def _rect(dx0: float, dy0: float, dx1: float, dy1: float) -> badpages.Draw:
    """A 20 % K box from (dx0, dy0) relative to the trim's bottom-left to (dx1, dy1) relative to its top-right."""

    def draw(c: Any, trim: badpages.Trim) -> None:
        c.setFillColor(CMYKColor(0, 0, 0, 0.2))
        x0, y0 = trim.x + dx0, trim.y + dy0
        c.rect(x0, y0, trim.right + dx1 - x0, trim.top + dy1 - y0, stroke=0, fill=1)

    return draw


def _clipped_overhang(fonts: FontSet) -> badpages.Draw:
    def draw(c: Any, trim: badpages.Trim) -> None:
        c.saveState()
        path = c.beginPath()
        path.rect(trim.x, trim.y, trim.w, trim.h)
        c.clipPath(path, stroke=0, fill=0)
        badpages.text_at(fonts, trim.w - 10 * badpages.MM, 100 * badpages.MM, 12, "淄博发布上线运行")(c, trim)
        c.restoreState()

    return draw


BLEED = badpages.BLEED


@pytest.mark.parametrize(
    ("case", "allow_bleed", "codes"),
    [
        ("slug text", False, set()),
        ("text in the bleed", False, {"preflight.outside_trim"}),
        ("tint up to the trim", False, set()),
        ("tint into the bleed", False, {"preflight.outside_trim"}),
        ("tint into the bleed", True, set()),
        ("tint past the bleed", True, {"preflight.outside_trim"}),
        ("overhang clipped at the trim", False, set()),
    ],
)
def test_trim_and_bleed(case: str, allow_bleed: bool, codes: set[str], fonts: FontSet) -> None:
    draws = {
        "slug text": _slug_text(fonts),
        "text in the bleed": _bleed_text(fonts),
        "tint up to the trim": _rect(0, 0, 0, 0),
        "tint into the bleed": _rect(-BLEED, -BLEED, BLEED, 0),
        "tint past the bleed": _rect(-BLEED - 5, 0, 0, 0),
        "overhang clipped at the trim": _clipped_overhang(fonts),
    }
    limits = PreflightLimits(allow_bleed=allow_bleed)
    report = preflight(badpages.build_page(fonts, draws[case]), limits)
    assert report.codes == codes, report.lines("en")


def test_limits_are_configurable(fonts: FontSet) -> None:
    lenient = PreflightLimits(max_ink_percent=400, min_text_pt=4, min_rule_pt=0.2)
    assert preflight(badpages.bad_rich_black(fonts), lenient).ok
    assert preflight(badpages.bad_small_text(fonts), lenient).ok
    assert preflight(badpages.bad_thin_rule(fonts), lenient).ok
    assert NEWSPRINT_LIMITS.max_ink_percent == 240


def test_problems_are_counted_once_per_kind_and_page(fonts: FontSet) -> None:
    def draw(c: Any, trim: badpages.Trim) -> None:
        for i in range(5):
            badpages.text_at(fonts, 20 * badpages.MM, (100 + 10 * i) * badpages.MM, 5)(c, trim)

    (problem,) = preflight(badpages.build_page(fonts, draw)).problems
    assert problem.details["count"] == 5


def test_unreadable_file_is_a_problem_not_a_crash() -> None:
    report = preflight(b"%PDF-1.4 not really")
    assert report.codes == {"preflight.unreadable"}
    assert report.problems[0].page == 0


def test_every_message_has_chinese_and_english() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for code, (zh, en) in MESSAGES.items():
        assert code.startswith("preflight.")
        assert cjk.search(zh), code
        assert en.isascii() and not cjk.search(en), code


def test_report_renders_in_both_languages(fonts: FontSet, composer: ComposeFn) -> None:
    seen: set[str] = set()
    for _, make, _ in BAD_PAGES:
        report = preflight(_build(make, fonts, composer))
        zh, en = report.lines("zh"), report.lines("en")
        assert len(zh) == len(en) == len(report.problems)
        for z, e, problem in zip(zh, en, report.problems, strict=True):
            assert z != e
            assert "第1页" in z and "page 1" in e.lower()
            assert problem.message.render("en") == e
            seen.add(problem.code)
    assert seen == set(MESSAGES) - {"preflight.unreadable"}


# --- the fast tokenizer reads what pikepdf reads -------------------------------------------------


def _content(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        contents = doc.pages[0].obj.Contents
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        return b"\n".join(s.read_bytes() for s in streams)


def _normalise(value: Any) -> Any:
    if isinstance(value, (float, int, Decimal)) and not isinstance(value, bool):
        return round(float(value), 6)
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "make",
    [badpages.good_page, badpages.small_form_text, badpages.bad_helvetica],
    ids=["good", "form", "latin"],
)
def test_tokenizer_agrees_with_pikepdf(make: Any, fonts: FontSet, composer: ComposeFn) -> None:
    pdf = _build(make, fonts, composer)
    ours = [(op, _normalise(ops)) for op, ops in _tokenize(_content(pdf))]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        theirs = [
            (str(i.operator), _normalise([_from_pikepdf(v) for v in i.operands]))
            for i in pikepdf.parse_content_stream(doc.pages[0])
        ]
    assert ours == theirs


def test_tokenizer_reads_pdf_string_syntax() -> None:
    data = rb"(a\(b\)c) Tj (x(nested)y) Tj (\101\102\0611\\\n) Tj <48 65 6C6C6F> Tj [(A) -50.5 (B)] TJ"
    got = [ops[0] for _, ops in _tokenize(data)]
    assert got == [b"a(b)c", b"x(nested)y", b"AB11\\\n", b"Hello", [b"A", -50.5, b"B"]]
    assert _tokenize(b"/Span <</MCID 3 /Alt (x)>> BDC EMC") == [
        ("BDC", ["/Span", {"/MCID": 3.0, "/Alt": b"x"}]),
        ("EMC", []),
    ]


# --- a dense page ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dense(fonts: FontSet, composer: ComposeFn) -> tuple[bytes, int]:
    with open(SEED_PAGE, encoding="utf-8") as fh:
        paragraphs = [p.strip() for p in fh.read().split("\n") if p.strip()]
    paragraphs = [p for p in paragraphs if not fonts.missing_chars(p)]
    return badpages.dense_broadsheet(fonts, composer, paragraphs)


def test_a_dense_broadsheet_page_passes_preflight(dense: tuple[bytes, int]) -> None:
    # Speed is measured by bench/edition.py, not asserted here (the CI machine is shared).
    pdf, glyphs = dense
    assert glyphs >= 8500  # six full columns of 9 pt text on a 390 × 545 mm page
    report = preflight(pdf)
    assert report.ok, report.lines("en")
