"""Supplier e-invoices as our tests receive them: the spec and the writers live in
wiring/demo/supplier_einvoices.py (the demo's suppliers send theirs with them); they are
re-exported here so the tests import them from their factories."""

from wiring.demo.supplier_einvoices import (
    GUIDELINE,
    SHIPPING_REASON,
    SHIPPING_REASON_CODE,
    InvoiceSpec,
    Line,
    Party,
    Shipping,
    category,
    cii_xml,
    facturx_pdf,
    order_reference,
    party_of_cooperative,
    party_of_supplier,
    spec_for_supplier_order,
    ubl_xml,
)

__all__ = [
    "GUIDELINE",
    "SHIPPING_REASON",
    "SHIPPING_REASON_CODE",
    "InvoiceSpec",
    "Line",
    "Party",
    "Shipping",
    "category",
    "cii_xml",
    "facturx_pdf",
    "order_reference",
    "party_of_cooperative",
    "party_of_supplier",
    "spec_for_supplier_order",
    "ubl_xml",
]
