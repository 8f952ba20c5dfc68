"""The Factur-X PDF: the printable invoice (ReportLab, purchasing/pdf.py) made a PDF/A-3
with its CII XML embedded as `factur-x.xml` (docs/e-invoicing.md, "The Factur-X PDF").

ReportLab does the fonts (TrueType, embedded: mache/pdf.py) and opaque RGB colours;
this module adds what ReportLab does not write: the sRGB output intent (with its ICC
profile) and, through the `factur-x` package, the XML attachment (AFRelationship Data)
and the XMP metadata that declares PDF/A-3 B and Factur-X EN 16931. Nothing here runs
veraPDF: what is and is not verified is listed in docs/e-invoicing.md.
"""

import datetime as dt
import functools
import io
import math
import struct

import facturx
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

SRGB_CONDITION = "sRGB IEC61966-2.1"


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _srgb_to_linear(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else math.pow((v + 0.055) / 1.055, 2.4)


@functools.cache
def srgb_icc_profile() -> bytes:
    """An ICC v2.1 display profile of sRGB (IEC 61966-2-1), written here byte for byte.

    Neither ReportLab, Pillow nor factur-x ships an ICC file, and Pillow's built-in sRGB
    (Little CMS) is a version 4.4 profile, newer than the ICC.1:2004 that PDF 1.7 and so
    PDF/A-3 refer to; a v2 profile is what every validator accepts. Its content is the
    standard's: D50-adapted (Bradford) primaries, the D65 media white point and the sRGB
    tone curve sampled on 1024 points. tests/purchasing/test_facturx_pdf.py checks that
    Little CMS reads it and converts colours as its own sRGB does.
    """
    description = b"sRGB IEC61966-2.1 (MACHE)"
    desc = (
        b"desc"
        + b"\0" * 4
        + struct.pack(">I", len(description) + 1)
        + description
        + b"\0"
        + b"\0" * 8  # no Unicode description
        + b"\0" * 3  # no ScriptCode description
        + b"\0" * 67
    )
    cprt = b"text" + b"\0" * 4 + b"No copyright, use freely\0"
    curve_points = 1024
    curve = (
        b"curv"
        + b"\0" * 4
        + struct.pack(">I", curve_points)
        + b"".join(
            struct.pack(">H", round(_srgb_to_linear(i / (curve_points - 1)) * 65535))
            for i in range(curve_points)
        )
    )
    tags = [
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", _xyz(0.9505, 1.0, 1.0891)),
        (b"rXYZ", _xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", _xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", _xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),  # the three curves are one and the same data
        (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, data, placed = [], b"", {}
    for signature, body in tags:
        if body not in placed:
            placed[body] = offset + len(data)
            data += body + b"\0" * (-len(body) % 4)
        entries.append(signature + struct.pack(">II", placed[body], len(body)))
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"\0" * 4  # preferred CMM: none
        + bytes([2, 0x10, 0, 0])  # version 2.1.0
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)  # fixed: the profile is always the same
        + b"acsp"
        + b"\0" * 4  # primary platform: none
        + b"\0" * 4  # flags
        + b"\0" * 8  # device manufacturer and model
        + b"\0" * 8  # device attributes
        + struct.pack(">I", 0)  # rendering intent: perceptual
        + _s15f16(0.9642)  # the PCS illuminant, D50
        + _s15f16(1.0)
        + _s15f16(0.8249)
        + b"\0" * 4  # creator
        + b"\0" * 44  # reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(entries) + data


def with_srgb_output_intent(pdf_bytes: bytes) -> bytes:
    """The PDF with an sRGB output intent (GTS_PDFA1) in its catalogue: what PDF/A
    requires of a document painted in device RGB, as ReportLab paints."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    profile = DecodedStreamObject()
    profile.set_data(srgb_icc_profile())
    profile = profile.flate_encode()
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB_CONDITION),
            NameObject("/Info"): TextStringObject(SRGB_CONDITION),
            NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_date(moment: dt.datetime) -> str:
    if moment.tzinfo is None:  # pypdf reads the XMP's "+00:00" dates as naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def _info_matching_xmp(pdf_bytes: bytes) -> bytes:
    """The document information dictionary made to say what the XMP says, as PDF/A
    requires of both: factur-x writes an empty /Keywords that its XMP has no
    pdf:Keywords for, keeps the producer of the PDF it was given where its XMP names
    pypdf, reads the clock twice (the dates may differ by a second) and leaves
    ReportLab's /Trapped that the XMP does not carry. The header says PDF 1.7, the
    version PDF/A-3 is built on (pypdf would write 1.3 again)."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    xmp = reader.xmp_metadata
    writer = PdfWriter(clone_from=reader)
    info = writer._info.get_object()
    for key in ("/Keywords", "/Trapped"):
        info.pop(NameObject(key), None)
    info[NameObject("/Producer")] = TextStringObject(xmp.pdf_producer)
    info[NameObject("/CreationDate")] = TextStringObject(_pdf_date(xmp.xmp_create_date))
    info[NameObject("/ModDate")] = TextStringObject(_pdf_date(xmp.xmp_modify_date))
    writer.pdf_header = "%PDF-1.7"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def facturx_pdf(pdf_bytes: bytes, xml: bytes, *, title: str, author: str, subject: str) -> bytes:
    """The Factur-X (EN 16931) PDF/A-3 of a ReportLab PDF and its CII XML.

    The XML is checked against the Factur-X EN 16931 XSD on the way in (the factur-x
    package raises on a failure); the schematrons are purchasing.facturx.validation's.
    """
    return _info_matching_xmp(
        facturx.generate_from_binary(
            with_srgb_output_intent(pdf_bytes),
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=True,
            pdf_metadata={"title": title, "author": author, "subject": subject},
            lang="fr-FR",
            # PDF/A-1 forbids a filtered metadata stream; uncompressed suits every part.
            xmp_compression=False,
        )
    )
