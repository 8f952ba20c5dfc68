"""A supplier's e-invoice file read into a ReceivedInvoice (docs/supplier-invoices.md,
"Reading"): a Factur-X/ZUGFeRD PDF (its embedded XML, taken out by the `factur-x`
package), a CII XML or a UBL 2.1 XML, told apart by their first bytes and their root
element, each read by its own module (`cii`, `ubl`) and checked there.

The XML is parsed without a network, a DTD or entities: a file that declares a DOCTYPE
is refused before anything reads it (no XXE, no entity expansion).
"""

from django.conf import settings
from lxml import etree

from mache.errors import InvalidInput

from .document import ReceivedInvoice

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

# The names a Factur-X (factur-x.xml), a ZUGFeRD 2 (zugferd-invoice.xml) or an
# XRechnung PDF (xrechnung.xml) gives the XML it embeds.
EMBEDDED_NAMES = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"]

NO_EMBEDDED_XML = (
    "Ce PDF ne contient pas de facture électronique (aucun XML Factur-X ou ZUGFeRD intégré)."
)
NEITHER = "Ce fichier XML n'est ni une facture CII ni une facture UBL 2.1."


class EInvoiceUnreadable(InvalidInput):
    """The file is not an e-invoice the cooperative can take: 400 {"file": [reason]}."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__({"file": [reason]})


_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
}


def parse_xml(xml: bytes, *, what: str = "Ce fichier XML") -> etree._Element:
    """The root element of `xml`, parsed safely (module doc); EInvoiceUnreadable when it is
    malformed or declares a DTD."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(xml, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise EInvoiceUnreadable(f"{what} est mal formé : {_first_line(exc)}.") from exc
    if root is None:
        raise EInvoiceUnreadable(f"{what} est vide.")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise EInvoiceUnreadable(
            f"{what} déclare une DTD (DOCTYPE) : refusé, une facture électronique n'en "
            "contient pas (protection contre les entités externes)."
        )
    return root


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def max_bytes() -> int:
    return settings.MAX_UPLOAD_BYTES


def read_einvoice(data: bytes, filename: str = "") -> ReceivedInvoice:
    """The invoice in `data` (a PDF or an XML file named `filename`), read and checked;
    EInvoiceUnreadable (400) with the reason in French otherwise."""
    if not data:
        raise EInvoiceUnreadable("Le fichier est vide.")
    if len(data) > max_bytes():
        raise EInvoiceUnreadable(
            f"Le fichier est trop volumineux ({len(data) // 1024} Ko ; au plus "
            f"{max_bytes() // 1024} Ko)."
        )
    if data.lstrip()[:5] == b"%PDF-":
        return _read_xml(embedded_xml(data), format="facturx", what="Le XML intégré à ce PDF")
    return _read_xml(data, format=None, what="Ce fichier XML")


def embedded_xml(pdf: bytes) -> bytes:
    """The invoice XML a Factur-X/ZUGFeRD PDF embeds, taken out by the factur-x package
    (which also checks it is a Factur-X, ZUGFeRD or XRechnung XML: not its XSD, ours
    is applied after)."""
    import facturx

    try:
        _name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False, filenames=EMBEDDED_NAMES)
    except Exception as exc:  # pypdf raises many kinds on a broken PDF
        raise EInvoiceUnreadable(f"Ce PDF est illisible : {_first_line(exc)}.") from exc
    if not xml:
        raise EInvoiceUnreadable(NO_EMBEDDED_XML)
    return xml


def _read_xml(xml: bytes, *, format: str | None, what: str) -> ReceivedInvoice:
    from . import cii, ubl

    root = parse_xml(xml, what=what)
    namespace = etree.QName(root).namespace
    local = etree.QName(root).localname
    if namespace == CII_NS and local == "CrossIndustryInvoice":
        return cii.read(root, xml, format=format or "cii")
    if (namespace, local) in ((UBL_INVOICE_NS, "Invoice"), (UBL_CREDIT_NOTE_NS, "CreditNote")):
        return ubl.read(root, xml, format=format or "ubl")
    if format == "facturx":
        raise EInvoiceUnreadable(
            "Le XML intégré à ce PDF n'est ni une facture CII ni une facture UBL 2.1."
        )
    raise EInvoiceUnreadable(NEITHER)


# Helpers of the format modules (`cii`, `ubl`).


def decimal_of(text: str | None, what: str):
    """The Decimal written in `text` ("" or None: None); EInvoiceUnreadable naming `what`
    when it is not a number."""
    from decimal import Decimal, InvalidOperation

    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise EInvoiceUnreadable(f"{what} n'est pas un nombre : « {text.strip()[:40]} ».") from exc
    if not value.is_finite():
        raise EInvoiceUnreadable(f"{what} n'est pas un nombre : « {text.strip()[:40]} ».")
    return value


def legal_ids(pairs) -> tuple[str, str]:
    """(SIRET, SIREN) from (scheme, value) identifiers: 14 digits under ISO 6523 scheme
    0009 (SIRET) or without a scheme, 9 digits under 0002 (SIREN) or without a scheme; the
    SIREN is the SIRET's first nine digits when only the SIRET is given."""
    siret = siren = ""
    for scheme, value in pairs:
        digits = (value or "").replace(" ", "").strip()
        if not digits.isdigit() or (scheme or "") not in ("", "0009", "0002"):
            continue
        if len(digits) == 14 and not siret:
            siret = digits
        elif len(digits) == 9 and not siren:
            siren = digits
    return siret, siren or siret[:9]


def refused(kind: str, failures) -> EInvoiceUnreadable:
    """The 400 for a file its XSD or the EN 16931 rules refuse: the rules named once each
    (at most five), with the standard's own texts."""
    by_rule = {}
    for failure in failures:
        by_rule.setdefault(failure.rule_id if failure.source != "xsd" else failure.text, failure)
    named = "; ".join(
        f"{f.text} ({f.location})"
        if f.source == "xsd" and f.location
        else (f.text if f.source == "xsd" else f"{f.rule_id} : {f.text}")
        for f in list(by_rule.values())[:5]
    )
    more = f" (et {len(by_rule) - 5} autres)" if len(by_rule) > 5 else ""
    return EInvoiceUnreadable(
        f"{kind} n'est pas une facture électronique valide. Règles non respectées : {named}{more}."
    )


def checked(invoice: ReceivedInvoice) -> ReceivedInvoice:
    """`invoice` once it passes checks.problems; EInvoiceUnreadable with its reasons."""
    from .checks import problems

    if found := problems(invoice):
        raise EInvoiceUnreadable(" ".join(found))
    return invoice
