"""The documents pooled purchasing issues, each rendered once and kept as issued
(docs/documents.md): the shops' invoices (supplementary ones included) and credit notes,
each as its Factur-X PDF and its CII XML; the purchase order sent to the supplier; the
delivery notes of a received order, one per shop and the coordinator's combined one.

Each function returns the document's `mache.models.StoredDocument`, rendering and storing
it the first time only (mache.documents.document_store, keys "<kind>:<ids>"): by the task
that the service issuing the document enqueues on commit (`documents_store_on_commit`,
task `purchasing.document_store`), or by the first download when that task has not run
yet or the document was issued before documents were stored. Every later call reads the
row (one query) and renders nothing: the renderers (purchasing.pdf, purchasing.facturx)
and the data they read may change, the bytes served never do.

The yearly archive calls `invoice_documents` and `credit_note_documents`.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from mache.documents import document_store
from mache.errors import BusinessRuleError
from mache.models import StoredDocument
from mache.outbox import enqueue_many_on_commit

from . import facturx, pdf, selectors
from .models import Allocation, CreditNote, Invoice, SupplierOrder

log = logging.getLogger(__name__)

PDF = "application/pdf"
XML = "application/xml"

# What the issuing services enqueue: one task per document issued, by its kind here.
INVOICE = "invoice"
CREDIT_NOTE = "credit-note"
PURCHASE_ORDER = "purchase-order"
DELIVERY_NOTES = "delivery-notes"


class NotReceived(BusinessRuleError):
    code = "not_received"
    default_detail = (
        "Cette commande fournisseur n'est pas encore réceptionnée : les bons de livraison "
        "suivent la réception."
    )


# --- Invoices and credit notes ------------------------------------------------------------


def invoice_pdf_document(invoice: Invoice) -> StoredDocument:
    """The invoice's Factur-X PDF as issued (a supplementary invoice is an invoice)."""
    return document_store(
        key=f"invoice-pdf:{invoice.pk}",
        kind="invoice-pdf",
        filename=f"{invoice.number}.pdf",
        content_type=PDF,
        # Looked up at call time (pdf.invoice_pdf, not a name bound at import): the
        # renderer of the day renders a document not stored yet, and only that one.
        render=lambda: pdf.invoice_pdf(invoice),
        shop_id=invoice.shop_id,
    )


def invoice_xml_document(invoice: Invoice) -> StoredDocument:
    """The invoice's CII XML as issued (the same the PDF embeds)."""
    return document_store(
        key=f"invoice-xml:{invoice.pk}",
        kind="invoice-xml",
        filename=f"{invoice.number}.xml",
        content_type=XML,
        render=lambda: facturx.invoice_cii(invoice),
        shop_id=invoice.shop_id,
    )


def invoice_documents(invoice: Invoice) -> tuple[StoredDocument, StoredDocument]:
    """(PDF, XML) of an issued invoice, stored on first call."""
    return invoice_pdf_document(invoice), invoice_xml_document(invoice)


def credit_note_pdf_document(credit_note: CreditNote) -> StoredDocument:
    return document_store(
        key=f"credit-note-pdf:{credit_note.pk}",
        kind="credit-note-pdf",
        filename=f"{credit_note.number}.pdf",
        content_type=PDF,
        render=lambda: pdf.credit_note_pdf(credit_note),
        shop_id=credit_note.shop_id,
    )


def credit_note_xml_document(credit_note: CreditNote) -> StoredDocument:
    return document_store(
        key=f"credit-note-xml:{credit_note.pk}",
        kind="credit-note-xml",
        filename=f"{credit_note.number}.xml",
        content_type=XML,
        render=lambda: facturx.credit_note_cii(credit_note),
        shop_id=credit_note.shop_id,
    )


def credit_note_documents(credit_note: CreditNote) -> tuple[StoredDocument, StoredDocument]:
    """(PDF, XML) of an issued credit note, stored on first call."""
    return credit_note_pdf_document(credit_note), credit_note_xml_document(credit_note)


# --- Purchase order -----------------------------------------------------------------------


def purchase_order_issued(supplier_order: SupplierOrder) -> bool:
    """A purchase order is issued once its supplier order is confirmed (then e-mailed to
    the supplier). Before (in review) it is a draft, and a cancelled order's prints its
    cancellation: both are drawn at each download, never stored."""
    return supplier_order.status in (SupplierOrder.Status.CONFIRMED, SupplierOrder.Status.RECEIVED)


def purchase_order_document(supplier_order: SupplierOrder) -> StoredDocument:
    """The purchase order as sent to the supplier. Precondition: purchase_order_issued."""
    if not purchase_order_issued(supplier_order):
        raise ValueError(f"supplier order {supplier_order.pk} is {supplier_order.status}")
    return document_store(
        key=f"purchase-order:{supplier_order.pk}",
        kind="purchase-order",
        filename=f"bon-de-commande-{supplier_order.pk}.pdf",
        content_type=PDF,
        render=lambda: pdf.purchase_order_pdf(supplier_order),
    )


# --- Delivery notes -----------------------------------------------------------------------


def _check_received(supplier_order: SupplierOrder) -> None:
    if supplier_order.status != SupplierOrder.Status.RECEIVED:
        raise NotReceived()


def delivery_note_document(supplier_order: SupplierOrder, shop_id: int) -> StoredDocument:
    """The delivery note of one shop served by a received supplier order (NotReceived
    before the receipt)."""
    _check_received(supplier_order)
    return document_store(
        key=f"delivery-note:{supplier_order.pk}:{shop_id}",
        kind="delivery-note",
        filename=f"bons-de-livraison-{supplier_order.pk}-{shop_id}.pdf",
        content_type=PDF,
        render=lambda: pdf.delivery_notes_pdf(
            supplier_order,
            selectors.delivery_notes_issued(supplier_order=supplier_order, shop_id=shop_id),
        ),
        shop_id=shop_id,
    )


def delivery_notes_document(supplier_order: SupplierOrder) -> StoredDocument:
    """Every shop's delivery note in one PDF, in tour order: what the coordinator prints."""
    _check_received(supplier_order)
    return document_store(
        key=f"delivery-notes:{supplier_order.pk}",
        kind="delivery-notes",
        filename=f"bons-de-livraison-{supplier_order.pk}.pdf",
        content_type=PDF,
        render=lambda: pdf.delivery_notes_pdf(
            supplier_order, selectors.delivery_notes_issued(supplier_order=supplier_order)
        ),
    )


# --- Issue = store: the task ----------------------------------------------------------------


def documents_store_on_commit(
    *, invoices=(), credit_notes=(), purchase_orders=(), delivery_notes=()
) -> None:
    """Store these documents once the transaction issuing them commits: one task each
    (through mache.outbox, one INSERT), run by a worker. `purchase_orders` and
    `delivery_notes`: supplier orders (confirmed; received). Call inside that transaction."""
    enqueue_many_on_commit(
        store_issued_document,
        [(INVOICE, invoice.pk) for invoice in invoices]
        + [(CREDIT_NOTE, note.pk) for note in credit_notes]
        + [(PURCHASE_ORDER, order.pk) for order in purchase_orders]
        + [(DELIVERY_NOTES, order.pk) for order in delivery_notes],
    )


def issued_documents_store(*, kind: str, object_id: int) -> list[StoredDocument]:
    """The documents of one issued object, stored unless they are already: an invoice's or
    a credit note's PDF and XML, a purchase order, or a received order's delivery notes
    (every shop's, then the combined one). Idempotent. Nothing for an object that does not
    exist (rolled back) or is no longer issued (an order cancelled before its task ran)."""
    if kind == INVOICE:
        invoice = Invoice.objects.filter(pk=object_id).first()
        return list(invoice_documents(invoice)) if invoice else []
    if kind == CREDIT_NOTE:
        note = CreditNote.objects.filter(pk=object_id).first()
        return list(credit_note_documents(note)) if note else []
    supplier_order = (
        SupplierOrder.objects.select_related("round__supplier").filter(pk=object_id).first()
    )
    if kind == PURCHASE_ORDER:
        if supplier_order is None or not purchase_order_issued(supplier_order):
            return []
        return [purchase_order_document(supplier_order)]
    if kind == DELIVERY_NOTES:
        if supplier_order is None or supplier_order.status != SupplierOrder.Status.RECEIVED:
            return []
        shop_ids = (
            supplier_order.allocations.filter(allocated__gt=0)
            .order_by("shop_id")
            .values_list("shop_id", flat=True)
            .distinct()
        )
        return [
            *(delivery_note_document(supplier_order, shop_id) for shop_id in shop_ids),
            delivery_notes_document(supplier_order),
        ]
    raise ValueError(f"unknown document kind {kind!r}")


@shared_task(
    name="purchasing.document_store",
    acks_late=True,
    max_retries=5,
    autoretry_for=(OperationalError, InterfaceError, OSError),
    retry_backoff=True,
)
def store_issued_document(kind: str, object_id: int) -> dict:
    """Store the documents of one object just issued (issued_documents_store). Retried
    when the database or the storage is unreachable: storing is idempotent, so a retry,
    or a redelivered task, finds them stored or stores what is missing."""
    documents = issued_documents_store(kind=kind, object_id=object_id)
    if not documents:
        log.info("document_store: nothing to store for %s %s", kind, object_id)
    return {"kind": kind, "object": object_id, "documents": [d.key for d in documents]}


# --- Already issued, not stored yet: `manage.py documents_store_issued` ---------------------


def _stored(prefix: str, *parts) -> Exists:
    """A stored document whose key is `prefix` followed by `parts` (OuterRef ids)
    joined by colons exists."""
    pieces = [Value(prefix)]
    for position, part in enumerate(parts):
        if position:
            pieces.append(Value(":"))
        pieces.append(Cast(part, CharField()))
    return Exists(StoredDocument.objects.filter(key=Concat(*pieces, output_field=CharField())))


def issued_documents_missing() -> list[tuple[str, int]]:
    """(kind, id) of every issued object one of whose documents is not stored yet, in the
    order the documents were issued within each kind: invoices (supplementary ones
    included) and credit notes lacking their PDF or XML, confirmed or received supplier
    orders lacking their purchase order, received ones lacking a shop's delivery note or
    the combined one. Four queries (a key each is looked up in the unique index)."""
    pk = OuterRef("pk")
    invoices = Invoice.objects.filter(
        ~_stored("invoice-pdf:", pk) | ~_stored("invoice-xml:", pk)
    ).order_by("issued_on", "year", "sequence")
    credit_notes = CreditNote.objects.filter(
        ~_stored("credit-note-pdf:", pk) | ~_stored("credit-note-xml:", pk)
    ).order_by("issued_on", "year", "sequence")
    purchase_orders = SupplierOrder.objects.filter(
        ~_stored("purchase-order:", pk),
        status__in=[SupplierOrder.Status.CONFIRMED, SupplierOrder.Status.RECEIVED],
    ).order_by("pk")
    shop_note_missing = Allocation.objects.filter(
        ~_stored("delivery-note:", OuterRef("supplier_order_id"), OuterRef("shop_id")),
        supplier_order=OuterRef("pk"),
        allocated__gt=0,
    )
    delivery_notes = SupplierOrder.objects.filter(
        Q(~_stored("delivery-notes:", pk)) | Q(Exists(shop_note_missing)),
        status=SupplierOrder.Status.RECEIVED,
    ).order_by("pk")
    return [
        *((INVOICE, i) for i in invoices.values_list("pk", flat=True)),
        *((CREDIT_NOTE, i) for i in credit_notes.values_list("pk", flat=True)),
        *((PURCHASE_ORDER, i) for i in purchase_orders.values_list("pk", flat=True)),
        *((DELIVERY_NOTES, i) for i in delivery_notes.values_list("pk", flat=True)),
    ]


@dataclass
class StoreProgress:
    """Where `issued_documents_backfill` stands after a batch."""

    total: int  # objects with a document missing when the run began
    done: int = 0  # objects handled so far (stored or failed)
    stored: int = 0  # documents stored by this run
    failed: list[tuple[str, int]] = field(default_factory=list)


def issued_documents_backfill(*, batch: int = 100) -> Iterator[StoreProgress]:
    """Store every issued document that has none yet (a deployment upgrading from before
    documents were stored), `batch` objects at a time, yielding the progress after each
    batch. Idempotent: a document stored already is read, never drawn again, so a second
    run stores nothing. An object whose document fails to render is logged and counted
    in `failed`; the others go on (its documents stored before the failure stay)."""
    missing = issued_documents_missing()
    progress = StoreProgress(total=len(missing))
    before = StoredDocument.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for start in range(0, len(missing), batch):
        for kind, object_id in missing[start : start + batch]:
            try:
                documents = issued_documents_store(kind=kind, object_id=object_id)
            except Exception:  # this object only: the next ones are stored
                log.exception("documents_store_issued: %s %s not stored", kind, object_id)
                progress.failed.append((kind, object_id))
            else:
                progress.stored += sum(1 for document in documents if document.pk > before)
            progress.done += 1
        yield progress
