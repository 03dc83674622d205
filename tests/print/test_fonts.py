import pytest
from reportlab.pdfbase.ttfonts import TTFont

from print.fonts import DEFAULT_FONT_CONFIG, FontFileMissing, FontSet, FontSpec, default_fonts


def test_default_fonts_are_cached_and_truetype(fonts: FontSet) -> None:
    assert default_fonts() is fonts
    for role in ("body", "heading"):
        assert isinstance(fonts.font(role), TTFont)  # embedded + subset, never STSong-Light CID


@pytest.mark.parametrize(
    ("role", "ch", "em"),
    [
        ("body", "中", 1.0),
        ("body", "，", 1.0),
        ("body", "0", 0.5),
        ("body", "A", 0.5),
        ("heading", "广", 1.0),
        ("heading", "0", 0.5996),
    ],
)
def test_advance_in_em(fonts: FontSet, role: str, ch: str, em: float) -> None:
    assert fonts.advance(role)(ch) == pytest.approx(em, abs=1e-3)


def test_advance_function_is_reused(fonts: FontSet) -> None:
    assert fonts.advance("body") is fonts.advance("body")


@pytest.mark.parametrize(
    ("ch", "covered"),
    [("中", True), (" ", True), ("\n", True), ("鹏", True), ("\ue000", False), ("\U0001f600", False)],
)
def test_covers(fonts: FontSet, ch: str, covered: bool) -> None:
    assert fonts.covers(ch) is covered


def test_missing_chars_unique_in_order(fonts: FontSet) -> None:
    assert fonts.missing_chars("王\U0001f600鹏\ue000\U0001f600") == ["\U0001f600", "\ue000"]
    assert fonts.missing_chars("淄博淄川峨庄乡村旅游专业合作社") == []


@pytest.mark.parametrize(
    ("basename", "package"),
    [("uming.ttc", "fonts-arphic-uming"), ("wqy-zenhei.ttc", "fonts-wqy-zenhei")],
)
def test_missing_font_file_names_the_package(tmp_path, basename: str, package: str) -> None:
    with pytest.raises(FontFileMissing, match=package):
        FontSet({"body": (str(tmp_path / basename), 0)})


def test_optional_role_may_be_missing(tmp_path) -> None:
    config = dict(DEFAULT_FONT_CONFIG)
    config["kai"] = FontSpec(str(tmp_path / "ukai.ttc"), 0, optional=True)
    fs = FontSet(config)
    assert not fs.has_role("kai")
    assert fs.has_role("heading")


def test_body_role_required() -> None:
    with pytest.raises(ValueError, match="body"):
        FontSet({"heading": DEFAULT_FONT_CONFIG["heading"]})
