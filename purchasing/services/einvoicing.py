"""The e-invoicing lifecycle of issued invoices and credit notes (docs/e-invoicing.md,
"Lifecycle and the platform"): deposit each on the platform once issued, and record the
statuses the platform reports. The rules (statuses, labels, `paid`, status files):
purchasing.einvoice_rules; the platform: purchasing.platform.

Both tasks live here with their services, as worker.reports.build does, so that the
services issuing documents can enqueue them; purchasing.tasks imports them for Celery.
"""

import hashlib
import logging
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from mache.documents import document_bytes
from mache.errors import BusinessRuleError, InvalidInput
from mache.outbox import enqueue_many_on_commit

from .. import einvoice_rules as rules
from ..documents import credit_note_pdf_document, invoice_pdf_document
from ..models import CreditNote, EInvoiceEvent, Invoice, SupplierInvoice
from ..platform import OutgoingDocument, StatusUpdate, platform_get

log = logging.getLogger(__name__)

MODELS = {rules.INVOICE: Invoice, rules.CREDIT_NOTE: CreditNote}
# The Factur-X PDF as issued and stored (docs/documents.md): the platform receives the
# very bytes every download serves, rendered once.
PDFS = {rules.INVOICE: invoice_pdf_document, rules.CREDIT_NOTE: credit_note_pdf_document}


def einvoices_deposit_on_commit(*, invoices=(), credit_notes=()) -> None:
    """Deposit these documents on the platform once the transaction issuing them
    commits (one task each, through mache.outbox). Call inside that transaction. No
    platform configured (EINVOICE_PLATFORM empty): nothing."""
    if not settings.EINVOICE_PLATFORM:
        return
    enqueue_many_on_commit(
        deposit_einvoice,
        [(rules.INVOICE, invoice.pk) for invoice in invoices]
        + [(rules.CREDIT_NOTE, note.pk) for note in credit_notes],
    )


def einvoice_deposit(*, kind: str, document_id: int) -> EInvoiceEvent | None:
    """Hand the document's Factur-X PDF to the platform and record it `deposited`.

    Idempotent: a document deposited already is not sent again (its event, whose
    `source` is unique, says so); two runs at once both send it, which the platform
    takes once (FolderPlatform: the same file), and record one event. Returns the
    event; None when there is no platform or no such document (a test's, rolled back)."""
    platform = platform_get()
    model = MODELS[kind]
    if platform is None:
        return None
    source = f"deposit:{kind}:{document_id}"
    done = EInvoiceEvent.objects.filter(source=source).first()
    if done is not None:
        return done
    document = model.objects.filter(pk=document_id).first()
    if document is None:
        log.warning("einvoice_deposit: %s %s does not exist", kind, document_id)
        return None
    pdf = document_bytes(PDFS[kind](document))
    reference = platform.send(OutgoingDocument(kind=kind, number=document.number, pdf=pdf))
    event, _ = _event_record(
        kind=kind,
        document_id=document_id,
        status=rules.DEPOSITED,
        detail=reference,
        source=source,
    )
    return event


def einvoice_statuses_fetch() -> dict:
    """Record the status updates the platform has waiting (the beat task, every minute):
    each on the invoice or credit note it names, once (`source` is unique), then told
    done; one naming no document is refused with the reason. An update that fails for
    another reason is logged and left for the next fetch: one bad update never stops the
    others. Returns the counts."""
    counts = {"recorded": 0, "already": 0, "refused": 0, "failed": 0}
    platform = platform_get()
    if platform is None:
        return counts
    updates = platform.fetch()
    numbers = {update.document for update in updates}
    documents = {
        number: (rules.INVOICE, pk)
        for number, pk in Invoice.objects.filter(number__in=numbers).values_list("number", "pk")
    } | {
        number: (rules.CREDIT_NOTE, pk)
        for number, pk in CreditNote.objects.filter(number__in=numbers).values_list("number", "pk")
    }
    for update in updates:
        try:
            found = documents.get(update.document)
            if found is None:
                platform.refuse(update, f"document inconnu : {update.document}")
                counts["refused"] += 1
                continue
            kind, document_id = found
            _, created = _event_record(
                kind=kind,
                document_id=document_id,
                status=update.status,
                detail=update.reason,
                source=update.source,
            )
            platform.done(update)
            counts["recorded" if created else "already"] += 1
        except Exception:  # this update only: the next fetch tries it again
            log.exception("einvoice fetch: could not record %s", _describe(update))
            counts["failed"] += 1
    return counts


# The PostgreSQL advisory lock of a run of supplier_invoices_fetch ("MACHE16"): one run
# at a time, whatever the workers.
SUPPLIER_INBOX_LOCK = 0x4D41434845_16


@contextmanager
def _run_alone(key: int):
    """Hold the session's advisory lock `key` for the block: yields False, holding
    nothing, when another connection holds it (its run is going on)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def supplier_invoices_fetch() -> dict:
    """Receive the suppliers' invoices the platform has waiting (docs/supplier-invoices.md,
    "Receiving"): each recorded as received by upload, with the source
    `platform:<file name>`, then told done. Idempotent: a file recorded already (the same
    name, as recorded, and SHA-256; or the same SHA-256 refused as the same number
    twice) is told done again, not recorded twice. A file refused (not a valid e-invoice,
    unknown supplier, the same number twice in another file, an order already invoiced)
    is set aside with the reason; one that fails for another reason is logged and left
    for the next fetch. One run at a time (a PostgreSQL advisory lock): a run that finds
    another going on does nothing, the next minute's fetch takes the files. Returns the
    counts."""
    counts = {"recorded": 0, "already": 0, "refused": 0, "failed": 0}
    platform = platform_get()
    if platform is None:
        return counts
    with _run_alone(SUPPLIER_INBOX_LOCK) as alone:
        if not alone:
            log.info("supplier invoices fetch: another run is going on, skipped")
            return counts
        for incoming in platform.fetch_invoices():
            _supplier_invoice_fetched(platform, incoming, counts)
    return counts


def _supplier_invoice_fetched(platform, incoming, counts: dict) -> None:
    from .supplier_invoices import SupplierInvoiceExists, supplier_invoice_receive

    try:
        sha256 = hashlib.sha256(incoming.data).hexdigest()
        # The name as supplier_invoice_record keeps it (cut to its field).
        name = incoming.name[: SupplierInvoice._meta.get_field("file_name").max_length]
        if SupplierInvoice.objects.filter(file_name=name, sha256=sha256).exists():
            platform.invoice_done(incoming)
            counts["already"] += 1
            return
        try:
            supplier_invoice_receive(
                data=incoming.data, filename=incoming.name, source=f"platform:{incoming.name}"
            )
        except SupplierInvoiceExists as exc:
            if SupplierInvoice.objects.filter(sha256=sha256).exists():
                # The very same file, under another name: received already.
                platform.invoice_done(incoming)
                counts["already"] += 1
            else:
                platform.invoice_refuse(incoming, _reason(exc))
                counts["refused"] += 1
            return
        except (InvalidInput, BusinessRuleError) as exc:
            platform.invoice_refuse(incoming, _reason(exc))
            counts["refused"] += 1
            return
        platform.invoice_done(incoming)
        counts["recorded"] += 1
    except Exception:  # this file only: the next fetch tries it again
        log.exception("supplier invoices fetch: could not record %s", incoming.name)
        counts["failed"] += 1


def _reason(exc) -> str:
    if isinstance(exc, BusinessRuleError):
        return exc.detail
    return " ".join(
        str(message)
        for messages in exc.errors.values()
        for message in (messages if isinstance(messages, list) else [messages])
    )


def _event_record(*, kind, document_id, status, detail, source) -> tuple[EInvoiceEvent, bool]:
    """The event of `source`, created unless it exists: (event, created)."""
    target = {"invoice_id" if kind == rules.INVOICE else "credit_note_id": document_id}
    try:
        with transaction.atomic():
            event = EInvoiceEvent.objects.create(
                **target,
                status=status,
                at=timezone.now(),
                detail=detail[: EInvoiceEvent._meta.get_field("detail").max_length],
                source=source,
            )
    except IntegrityError:
        # Recorded meanwhile by another run (the unique source): that one stands.
        return EInvoiceEvent.objects.get(source=source), False
    return event, True


def _describe(update: StatusUpdate) -> str:
    return f"{update.source} ({update.document}, {update.status})"


# --- Tasks ------------------------------------------------------------------------------


@shared_task(
    name="purchasing.einvoice_deposit",
    acks_late=True,
    max_retries=5,
    autoretry_for=(OperationalError, InterfaceError, OSError),
    retry_backoff=True,
)
def deposit_einvoice(kind: str, document_id: int) -> dict:
    """Deposit one issued document (einvoice_deposit). Retried when the database or the
    platform's folder is unreachable: the service is idempotent, so a retry either
    finds the deposit recorded or does it."""
    event = einvoice_deposit(kind=kind, document_id=document_id)
    return {
        "kind": kind,
        "document": document_id,
        "reference": event.detail if event is not None else None,
    }


@shared_task(name="purchasing.einvoice_fetch")
def fetch_einvoice_statuses() -> dict:
    """Beat, every minute: the platform's status updates (einvoice_statuses_fetch). Not
    retried: the next minute's fetch is the retry, and an update not recorded stays in
    the platform's inbox until it is."""
    return einvoice_statuses_fetch()


@shared_task(name="purchasing.supplier_invoices_fetch")
def fetch_supplier_invoices() -> dict:
    """Beat, every minute: the suppliers' invoices the platform received
    (supplier_invoices_fetch). Not retried: the next minute's fetch is the retry."""
    return supplier_invoices_fetch()
