"""The e-invoicing lifecycle of an invoice or a credit note, as pure rules
(docs/e-invoicing.md, "Lifecycle and the platform"): the statuses, their French labels,
the current status from the latest platform event and the money, and the status files
a platform leaves in the inbox. The database work: purchasing.services.einvoicing."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

ISSUED = "issued"
DEPOSITED = "deposited"
REJECTED = "rejected"
REFUSED = "refused"
APPROVED = "approved"
PAID = "paid"

STATUSES = (ISSUED, DEPOSITED, REJECTED, REFUSED, APPROVED, PAID)
# Only these are recorded as events: `issued` is the state of a document with none, and
# `paid` follows the money (`document_status`), so a cancelled payment takes it back.
EVENT_STATUSES = (DEPOSITED, REJECTED, REFUSED, APPROVED)
# What a platform may say of a document (a status file's `status`).
PLATFORM_STATUSES = (REJECTED, REFUSED, APPROVED)
# The platform must say why it rejects, or why the buyer refuses.
REASON_REQUIRED = (REJECTED, REFUSED)

INVOICE_LABELS = {
    ISSUED: "Émise",
    DEPOSITED: "Déposée",
    REJECTED: "Rejetée par la plateforme",
    REFUSED: "Refusée par le commerce",
    APPROVED: "Approuvée",
    PAID: "Payée",
}
CREDIT_NOTE_LABELS = {
    ISSUED: "Émis",
    DEPOSITED: "Déposé",
    REJECTED: "Rejeté par la plateforme",
    REFUSED: "Refusé par le commerce",
    APPROVED: "Approuvé",
    PAID: "Réglé",
}
STATUS_CHOICES = tuple((status, INVOICE_LABELS[status]) for status in STATUSES)

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
KINDS = (INVOICE, CREDIT_NOTE)


def status_label(kind: str, status: str) -> str:
    return (CREDIT_NOTE_LABELS if kind == CREDIT_NOTE else INVOICE_LABELS)[status]


def invoice_paid(*, total: Decimal, paid: Decimal, credited: Decimal) -> bool:
    """Nothing left due and money came in (a payment, or the shop's credit used): the
    money status `paid` of rules.invoice_status. An invoice cancelled by credit notes
    alone is not paid: it keeps its platform status."""
    return total - paid - credited <= 0 and paid > 0


def credit_note_paid(*, total: Decimal, applied: Decimal) -> bool:
    """The whole credit note was taken off its invoice's amount due. A note whose rest
    went to the shop's credit (419100) is pooled with the shop's other credits: no later
    use can be said to settle that note, so it keeps its platform status."""
    return applied >= total


def document_status(*, events: Sequence[str], paid: bool) -> str:
    """The current status from the document's events (their statuses, oldest first)
    and its money: `paid` when the money says so, whatever the platform said; else the
    latest of `rejected`, `refused`, `approved` (a deposit recorded late, its task
    retried, never hides what the platform said since); else `deposited` if it was;
    else `issued`."""
    if paid:
        return PAID
    said = [status for status in events if status != DEPOSITED]
    if said:
        return said[-1]
    return DEPOSITED if DEPOSITED in events else ISSUED


# --- Status files (the folder platform's inbox) -------------------------------------

MAX_STATUS_FILE_BYTES = 64 * 1024
MAX_REASON = 500


@dataclass(frozen=True)
class StatusFile:
    document: str
    status: str
    reason: str


class BadStatusFile(ValueError):
    """A status file that cannot be read; its message (French) says why."""


def status_file_parse(raw: bytes) -> StatusFile:
    """`{"document": "<number>", "status": "rejected"|"refused"|"approved",
    "reason": "..."}` in UTF-8. `reason` is required for `rejected` and `refused`, and
    optional for `approved`; other keys are ignored. Raises BadStatusFile."""
    if len(raw) > MAX_STATUS_FILE_BYTES:
        raise BadStatusFile(
            f"fichier trop gros ({len(raw)} octets, {MAX_STATUS_FILE_BYTES} au plus)"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadStatusFile(f"JSON illisible : {exc}") from None
    if not isinstance(data, dict):
        raise BadStatusFile("le fichier doit contenir un objet JSON")
    document = data.get("document")
    if not isinstance(document, str) or not document.strip():
        raise BadStatusFile("« document » manquant : le numéro de la facture ou de l'avoir")
    status = data.get("status")
    if status not in PLATFORM_STATUSES:
        raise BadStatusFile(
            f"« status » invalide ({status!r}) : attendu {', '.join(PLATFORM_STATUSES)}"
        )
    reason = data.get("reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise BadStatusFile("« reason » doit être un texte")
    reason = reason.strip()
    if status in REASON_REQUIRED and not reason:
        raise BadStatusFile(f"« reason » obligatoire pour le statut {status}")
    if len(reason) > MAX_REASON:
        raise BadStatusFile(f"« reason » trop long ({MAX_REASON} caractères au plus)")
    return StatusFile(document=document.strip(), status=status, reason=reason)
