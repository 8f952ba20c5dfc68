"""Factur-X: the invoices and credit notes of the cooperative as EN 16931 e-invoices
(docs/e-invoicing.md). `documents` reads them from the ORM, `cii` writes their XML,
`validation` checks it against the XSD and the EN 16931 and French rules."""


def invoice_cii(invoice) -> bytes:
    """The CII XML of an issued invoice."""
    from .cii import cii_xml
    from .documents import invoice_document

    return cii_xml(invoice_document(invoice))


def credit_note_cii(credit_note) -> bytes:
    """The CII XML of an issued credit note."""
    from .cii import cii_xml
    from .documents import credit_note_document

    return cii_xml(credit_note_document(credit_note))
