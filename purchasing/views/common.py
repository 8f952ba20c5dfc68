"""Pages of pooled purchasing (server-rendered, French): what both audiences share.

Shopkeepers: the open rounds, the order form of a round with its live estimate (htmx),
their past orders with what was allocated, their invoices. The coordinator: the rounds
with their fill, consolidation with its progress, review, receipt.

Every object comes from the scoped selectors, every write goes through a service:
the pages add no rule of their own, they only lay out what the rules return.
"""

from django.http import HttpResponse

from shops.models import User

SHOPKEEPER = User.Role.SHOPKEEPER
COORDINATOR = User.Role.COORDINATOR
ROUND_CLOSED = "La tournée est close : votre commande n'a pas été enregistrée."
PAGE_SIZE = 20


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF drawn for this request: a working document (a draft). Issued documents are
    served as stored: mache.documents.document_page_response (docs/documents.md)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
