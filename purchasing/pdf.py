"""ReportLab documents of pooled purchasing (placeholder until the PDF module lands)."""


def purchase_order_pdf(supplier_order) -> bytes:
    raise NotImplementedError


def invoice_pdf(invoice) -> bytes:
    raise NotImplementedError
