"""PDF/X-1a identification: Info keys, OutputIntent and XMP read back; reproducible bytes."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import badpages
import pikepdf
import pytest

from print.fonts import FontSet
from print.pdfx import NEWSPRINT, OutputCondition, PdfxError, make_pdfx, pdfx_report
from print.preflight import preflight
from print.textflow import ComposeFn

TITLE = "淄博日报 2013-10-22 第7版"


@pytest.fixture(scope="module")
def page(fonts: FontSet, composer: ComposeFn) -> bytes:
    return badpages.good_page(fonts, composer)


@pytest.fixture(scope="module")
def pdfx(page: bytes) -> bytes:
    return make_pdfx(page, title=TITLE)


def test_identification_reads_back_with_pikepdf(pdfx: bytes) -> None:
    assert pdfx.startswith(b"%PDF-1.4\n")
    with pikepdf.open(io.BytesIO(pdfx)) as doc:
        info = doc.trailer.Info
        assert str(info.GTS_PDFXVersion) == "PDF/X-1a:2003"
        assert str(info.GTS_PDFXConformance) == "PDF/X-1a:2003"
        assert info.Trapped == pikepdf.Name("/False")
        assert str(info.Title) == TITLE
        assert str(info.CreationDate) == str(info.ModDate) == "D:20000101000000+00'00'"
        (intent,) = doc.Root.OutputIntents
        assert intent.Type == pikepdf.Name.OutputIntent
        assert intent.S == pikepdf.Name.GTS_PDFX
        assert str(intent.OutputConditionIdentifier) == "IFRA26"
        assert str(intent.Info) == "ISOnewspaper26v4"
        assert str(intent.RegistryName) == "http://www.color.org"
        # A registered characterization: PDF/X-1a lets the profile be left out.
        assert "/DestOutputProfile" not in intent
        assert doc.Root.Metadata.Subtype == pikepdf.Name.XML
        assert all("/TrimBox" in p.obj for p in doc.pages)


def test_report(pdfx: bytes) -> None:
    report = pdfx_report(pdfx)
    assert report["pdf_version"] == "1.4"
    assert report["GTS_PDFXVersion"] == "PDF/X-1a:2003"
    assert report["Trapped"] == "/False"
    assert report["output_intents"] == [
        {
            "S": "/GTS_PDFX",
            "OutputConditionIdentifier": NEWSPRINT.identifier,
            "OutputCondition": NEWSPRINT.condition,
            "Info": NEWSPRINT.info,
            "RegistryName": "http://www.color.org",
            "DestOutputProfile_N": None,
        }
    ]
    assert report["xmp"] == {
        "pdfx:GTS_PDFXVersion": "PDF/X-1a:2003",
        "pdfx:GTS_PDFXConformance": "PDF/X-1a:2003",
        "pdfxid:GTS_PDFXVersion": "PDF/X-1a:2003",
    }
    assert report["pages_without_trimbox"] == []
    assert len(report["id"]) == 2


def test_output_is_reproducible(page: bytes, pdfx: bytes) -> None:
    assert make_pdfx(page, title=TITLE) == pdfx
    other = make_pdfx(page, title=TITLE + "（改）")
    assert other != pdfx
    assert pdfx_report(other)["id"] != pdfx_report(pdfx)["id"]


def test_no_pdf_1_5_structures(pdfx: bytes) -> None:
    # X-1a is built on PDF 1.4: no object streams, no cross-reference streams.
    assert b"/ObjStm" not in pdfx
    assert b"/XRefStm" not in pdfx
    assert b"\nxref\n" in pdfx


def test_pdfx_page_still_passes_preflight(pdfx: bytes) -> None:
    assert preflight(pdfx).ok


def test_page_content_is_untouched(page: bytes, pdfx: bytes) -> None:
    def content(pdf: bytes) -> bytes:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return doc.pages[0].obj.Contents.read_bytes()

    assert content(pdfx) == content(page)


def test_edition_date(page: bytes) -> None:
    when = dt.datetime(2013, 10, 22, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    report = pdfx_report(make_pdfx(page, title=TITLE, date=when))
    assert report["CreationDate"] == report["ModDate"] == "D:20131022053000+08'00'"


def test_page_without_trimbox_is_refused(fonts: FontSet, composer: ComposeFn) -> None:
    with pytest.raises(PdfxError, match="page 1 has no TrimBox"):
        make_pdfx(badpages.bad_no_trimbox(fonts, composer), title=TITLE)


def test_trimbox_outside_the_mediabox_is_refused(page: bytes) -> None:
    with pikepdf.open(io.BytesIO(page)) as doc:
        doc.pages[0].obj.TrimBox = pikepdf.Array([-10, 0, 100, 100])
        buf = io.BytesIO()
        doc.save(buf)
    with pytest.raises(PdfxError, match="TrimBox"):
        make_pdfx(buf.getvalue(), title=TITLE)


def test_bad_arguments(page: bytes) -> None:
    with pytest.raises(ValueError, match="unsupported standard"):
        make_pdfx(page, title=TITLE, standard="PDF/X-4")
    with pytest.raises(ValueError, match="Title"):
        make_pdfx(page, title=" ")


def test_newer_pdf_version_is_refused(page: bytes) -> None:
    with pikepdf.open(io.BytesIO(page)) as doc:
        buf = io.BytesIO()
        doc.save(buf, force_version="1.6")
    with pytest.raises(PdfxError, match=r"1\.6"):
        make_pdfx(buf.getvalue(), title=TITLE)


def _icc_header(device_class: bytes, space: bytes) -> bytes:
    # Enough of an ICC header (ICC.1, 7.2) for the checks make_pdfx makes before embedding.
    header = bytearray(128)
    header[0:4] = (128).to_bytes(4, "big")
    header[12:16] = device_class
    header[16:20] = space
    header[20:24] = b"Lab "
    header[36:40] = b"acsp"
    return bytes(header)


def test_configured_profile_is_embedded(page: bytes, tmp_path: Path) -> None:
    path = tmp_path / "newsprint.icc"
    path.write_bytes(_icc_header(b"prtr", b"CMYK"))
    condition = OutputCondition("IFRA26", NEWSPRINT.condition, NEWSPRINT.info, icc_path=str(path))
    pdf = make_pdfx(page, title=TITLE, output_condition=condition)
    assert pdfx_report(pdf)["output_intents"][0]["DestOutputProfile_N"] == 4
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.Root.OutputIntents[0].DestOutputProfile.read_bytes() == path.read_bytes()


def test_rgb_profile_is_refused(page: bytes, tmp_path: Path) -> None:
    path = tmp_path / "srgb.icc"
    path.write_bytes(_icc_header(b"mntr", b"RGB "))
    condition = OutputCondition("IFRA26", NEWSPRINT.condition, NEWSPRINT.info, icc_path=str(path))
    with pytest.raises(ValueError, match="CMYK"):
        make_pdfx(page, title=TITLE, output_condition=condition)
