"""Supplier e-invoices received (issue 16, docs/supplier-invoices.md): read from a
Factur-X/ZUGFeRD PDF, a CII or a UBL 2.1 XML into `document.ReceivedInvoice`, checked,
then matched to the supplier order and its receipt."""
