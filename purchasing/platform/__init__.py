"""The e-invoicing platform (plateforme agréée) the cooperative hands its invoices to
(docs/e-invoicing.md, "Lifecycle and the platform").

`Platform` is the whole interface a connector implements: `send` a document, `fetch`
the status updates waiting, then say of each whether it was recorded (`done`) or
refused (`refuse`, with the reason). One implementation ships, `FolderPlatform`
(purchasing.platform.folder): an outbox folder and an inbox folder, no network call. A
real platform's connector is one class more, named in `platform_get`.
"""

import abc
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class OutgoingDocument:
    """An issued invoice or credit note as handed to the platform: its Factur-X PDF."""

    kind: str  # "invoice" | "credit_note"
    number: str
    pdf: bytes


@dataclass(frozen=True)
class StatusUpdate:
    """What the platform says of one document. `source` identifies the update at the
    platform (the same update fetched twice has the same source: it is recorded once)."""

    document: str  # the invoice's or the credit note's number
    status: str  # "rejected" | "refused" | "approved"
    reason: str
    source: str


@dataclass(frozen=True)
class IncomingInvoice:
    """A supplier's e-invoice the platform received for the cooperative: the file as
    received (docs/supplier-invoices.md, "Receiving")."""

    name: str  # the file's name at the platform
    data: bytes
    source: str  # identifies it at the platform (the same file fetched twice: the same)


class Platform(abc.ABC):
    @abc.abstractmethod
    def send(self, document: OutgoingDocument) -> str:
        """Hand `document` to the platform; returns the platform's reference of it.
        Sending the same document twice hands it over once (the task may run twice)."""

    @abc.abstractmethod
    def fetch(self) -> list[StatusUpdate]:
        """The status updates waiting, oldest first. Updates the platform cannot read
        are set aside by the platform itself, with the reason, and never returned."""

    @abc.abstractmethod
    def done(self, update: StatusUpdate) -> None:
        """`update` was recorded (or had been already): it is not fetched again."""

    @abc.abstractmethod
    def refuse(self, update: StatusUpdate, reason: str) -> None:
        """`update` could not be recorded (no such document): set aside with `reason`,
        not fetched again."""

    # Suppliers' invoices received (issue 16). A platform that receives none keeps these.

    def fetch_invoices(self) -> list[IncomingInvoice]:
        """The suppliers' invoices waiting, oldest first."""
        return []

    def invoice_done(self, invoice: IncomingInvoice) -> None:
        """`invoice` was recorded (or had been already): it is not fetched again."""
        return None

    def invoice_refuse(self, invoice: IncomingInvoice, reason: str) -> None:
        """`invoice` could not be recorded (not a valid e-invoice, unknown supplier...):
        set aside with `reason`, not fetched again."""
        return None


def platform_get() -> Platform | None:
    """The platform of the settings (EINVOICE_PLATFORM), or None when there is none."""
    if settings.EINVOICE_PLATFORM == "folder":
        from .folder import FolderPlatform

        return FolderPlatform(
            outbox=settings.EINVOICE_OUTBOX_DIR, inbox=settings.EINVOICE_INBOX_DIR
        )
    return None
