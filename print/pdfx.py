"""PDF/X identification for print pages: Info keys, XMP, OutputIntent, reproducible bytes.

ReportLab has no OutputIntent API (domain.md, print readiness), so the renderer's PDF is
post-processed with pikepdf. The page content is left alone: whether it *is* press-ready (CMYK
only, fonts embedded, ink limits) is what `print.preflight` checks; this module only makes the
file say which standard and which printing condition it was made for.

Output condition: newsprint coldset offset is registered in the ICC characterization data
registry (http://www.color.org) as "IFRA26" (ISO 12647-3:2004, ECI/IFRA profile
ISOnewspaper26v4, 240 % total area coverage). PDF/X-1a (ISO 15930-4) lets a file name a
registered characterization without embedding its profile; no CMYK newsprint ICC profile ships
with Debian (icc-profiles-free has none), so the profile is embedded only when
`OutputCondition.icc_path` points at one.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import pikepdf

REGISTRY = "http://www.color.org"

# ReportLab's `invariant=1` date: stable bytes unless the caller passes the edition's date.
FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

PRODUCER = "notices print (ReportLab, pikepdf)"


@dataclass(frozen=True)
class OutputCondition:
    """The printing condition a file is separated for (its OutputIntent)."""

    identifier: str  # OutputConditionIdentifier: the registry's reference name
    condition: str  # OutputCondition: human-readable description
    info: str  # Info: the characterization's usual profile name
    registry: str = REGISTRY
    icc_path: str | None = None  # a CMYK output profile to embed as DestOutputProfile


NEWSPRINT = OutputCondition(
    identifier="IFRA26",
    condition="Newspaper coldset offset printing on standard newsprint (ISO 12647-3:2004)",
    info="ISOnewspaper26v4",
)


@dataclass(frozen=True)
class _Standard:
    version: str  # GTS_PDFXVersion
    conformance: str  # GTS_PDFXConformance
    pdf_version: str  # the PDF version the standard is built on, written into the header


# PDF/X-1a:2001 would need a PDF 1.3 file, and ReportLab writes 1.4 headers; PDF/X-4 needs an
# embedded profile and XMP-first identification. Neither is needed until a printer asks.
STANDARDS: dict[str, _Standard] = {
    "PDF/X-1a:2003": _Standard("PDF/X-1a:2003", "PDF/X-1a:2003", "1.4"),
}


class PdfxError(ValueError):
    """The PDF cannot be identified as PDF/X: a page box is missing or inconsistent."""


def make_pdfx(
    pdf: bytes,
    *,
    title: str,
    standard: str = "PDF/X-1a:2003",
    output_condition: OutputCondition = NEWSPRINT,
    date: dt.datetime = FIXED_DATE,
) -> bytes:
    """Return `pdf` identified as `standard` for `output_condition`, byte-identical for equal input.

    Raises PdfxError when a page has no TrimBox (a renderer bug, never papered over with the
    MediaBox), when TrimBox ⊆ BleedBox ⊆ MediaBox does not hold, or when the file's PDF version
    is newer than the standard allows. `date` becomes CreationDate and ModDate (a naive datetime
    is taken as UTC).
    """
    try:
        std = STANDARDS[standard]
    except KeyError:
        raise ValueError(f"unsupported standard {standard!r}; one of {sorted(STANDARDS)}") from None
    if not title.strip():
        raise ValueError("PDF/X requires a Title")
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.UTC)
    icc = _read_cmyk_profile(output_condition.icc_path) if output_condition.icc_path else None

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if _version_tuple(doc.pdf_version) > _version_tuple(std.pdf_version):
            raise PdfxError(f"PDF {doc.pdf_version} is newer than {standard} allows ({std.pdf_version})")
        for number, page in enumerate(doc.pages, start=1):
            _check_boxes(page.obj, number)

        info = doc.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            info = doc.make_indirect(pikepdf.Dictionary())
            doc.trailer.Info = info
        pdf_date = _pdf_date(date)
        info.Title = pikepdf.String(title)
        info.Producer = pikepdf.String(PRODUCER)
        info.CreationDate = pikepdf.String(pdf_date)
        info.ModDate = pikepdf.String(pdf_date)
        info.Trapped = pikepdf.Name("/False")
        info.GTS_PDFXVersion = pikepdf.String(std.version)
        info.GTS_PDFXConformance = pikepdf.String(std.conformance)
        creator = str(info.get("/Creator", PRODUCER))

        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFX,
            OutputConditionIdentifier=pikepdf.String(output_condition.identifier),
            OutputCondition=pikepdf.String(output_condition.condition),
            Info=pikepdf.String(output_condition.info),
            RegistryName=pikepdf.String(output_condition.registry),
        )
        if icc is not None:
            profile = pikepdf.Stream(doc, icc)
            profile.N = 4
            intent.DestOutputProfile = profile
        doc.Root.OutputIntents = pikepdf.Array([doc.make_indirect(intent)])

        xmp = _xmp(title=title, date=date, creator=creator, std=std)
        metadata = pikepdf.Stream(doc, xmp.encode("utf-8"))
        metadata.Type = pikepdf.Name.Metadata
        metadata.Subtype = pikepdf.Name.XML
        doc.Root.Metadata = doc.make_indirect(metadata)

        out = io.BytesIO()
        doc.save(
            out,
            # Object streams and cross-reference streams are PDF 1.5; X-1a is built on 1.3/1.4.
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            force_version=std.pdf_version,
            # /ID from a hash of the content: reproducible, yet different files get different ids.
            deterministic_id=True,
            # pikepdf would otherwise rewrite our XMP packet (and stamp it with the time).
            fix_metadata_version=False,
        )
    return out.getvalue()


def pdfx_report(pdf: bytes) -> dict[str, Any]:
    """What a file says about itself as PDF/X: header version, Info keys, OutputIntents, XMP keys."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        info = doc.trailer.get("/Info") or pikepdf.Dictionary()

        def text(key: str) -> str | None:
            value = info.get(key)
            return None if value is None else str(value)

        intents: list[dict[str, Any]] = []
        for oi in doc.Root.get("/OutputIntents") or []:
            profile = oi.get("/DestOutputProfile")
            intents.append(
                {
                    "S": str(oi.get("/S")),
                    "OutputConditionIdentifier": _opt_str(oi.get("/OutputConditionIdentifier")),
                    "OutputCondition": _opt_str(oi.get("/OutputCondition")),
                    "Info": _opt_str(oi.get("/Info")),
                    "RegistryName": _opt_str(oi.get("/RegistryName")),
                    "DestOutputProfile_N": None if profile is None else int(profile.get("/N", 0)),
                }
            )
        xmp: dict[str, str] = {}
        if "/Metadata" in doc.Root:
            with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
                for key in ("pdfx:GTS_PDFXVersion", "pdfx:GTS_PDFXConformance", "pdfxid:GTS_PDFXVersion"):
                    value = meta.get(key)
                    if value is not None:
                        xmp[key] = str(value)
        ident = doc.trailer.get("/ID")
        return {
            "pdf_version": doc.pdf_version,
            "GTS_PDFXVersion": text("/GTS_PDFXVersion"),
            "GTS_PDFXConformance": text("/GTS_PDFXConformance"),
            "Title": text("/Title"),
            "Trapped": text("/Trapped"),
            "CreationDate": text("/CreationDate"),
            "ModDate": text("/ModDate"),
            "output_intents": intents,
            "xmp": xmp,
            "id": None if ident is None else [bytes(part).hex() for part in ident],
            "pages_without_trimbox": [n for n, p in enumerate(doc.pages, 1) if "/TrimBox" not in p.obj],
        }


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _check_boxes(page: pikepdf.Dictionary, number: int) -> None:
    # TrimBox is not inheritable; a page that lacks one would be trimmed wherever the RIP guesses.
    if "/TrimBox" not in page:
        raise PdfxError(f"page {number} has no TrimBox")
    media = _box(page.MediaBox)  # inheritable, but ReportLab writes it on every page
    trim = _box(page.TrimBox)
    bleed = _box(page.BleedBox) if "/BleedBox" in page else media
    if not (_inside(trim, bleed) and _inside(bleed, media)):
        raise PdfxError(f"page {number}: TrimBox {trim} ⊆ BleedBox {bleed} ⊆ MediaBox {media} does not hold")


def _box(arr: pikepdf.Array) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in arr)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _inside(inner: tuple[float, ...], outer: tuple[float, ...], eps: float = 1e-3) -> bool:
    return (
        inner[0] >= outer[0] - eps
        and inner[1] >= outer[1] - eps
        and inner[2] <= outer[2] + eps
        and inner[3] <= outer[3] + eps
    )


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _read_cmyk_profile(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read()
    # ICC header: bytes 12-15 device class, 16-19 data colour space (ICC.1, 7.2).
    if len(data) < 128 or data[36:40] != b"acsp":
        raise ValueError(f"{path} is not an ICC profile")
    if data[16:20] != b"CMYK" or data[12:16] != b"prtr":
        raise ValueError(f"{path} is not a CMYK output (printer) profile")
    return data


def _pdf_date(date: dt.datetime) -> str:
    offset = date.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"D:{date:%Y%m%d%H%M%S}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _xmp(*, title: str, date: dt.datetime, creator: str, std: _Standard) -> str:
    """The XMP packet, written by hand so it holds no time but `date` and stays byte-stable.

    `pdfx:` (Adobe's namespace, what Acrobat writes for X-1a) carries version and conformance;
    `pdfxid:` is the ISO 15930-7 identification key, harmless for X-1a and read by newer tools.
    """
    stamp = date.isoformat()
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"\n'
        '    xmlns:pdfx="http://ns.adobe.com/pdfx/1.3/"\n'
        '    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">\n'
        "   <dc:format>application/pdf</dc:format>\n"
        f'   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>\n'
        f"   <xmp:CreateDate>{stamp}</xmp:CreateDate>\n"
        f"   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>\n"
        f"   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>\n"
        f"   <xmp:CreatorTool>{escape(creator)}</xmp:CreatorTool>\n"
        f"   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>\n"
        "   <pdf:Trapped>False</pdf:Trapped>\n"
        f"   <pdfx:GTS_PDFXVersion>{escape(std.version)}</pdfx:GTS_PDFXVersion>\n"
        f"   <pdfx:GTS_PDFXConformance>{escape(std.conformance)}</pdfx:GTS_PDFXConformance>\n"
        f"   <pdfxid:GTS_PDFXVersion>{escape(std.version)}</pdfxid:GTS_PDFXVersion>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n" + (" " * 99 + "\n") * 20 + '<?xpacket end="w"?>'
        # Padding lets a later editor update the packet in place (XMP spec, part 1, 7.3.2).
    )
