"""The documents accounting posts, as plain data (docs/postings.md, "Automatic
postings"): the app that issues a document builds one of these and calls
`accounting.postings`; accounting never reads another app's models.

Amounts are Decimal, excl. VAT unless named otherwise; `{rate: amount}` maps hold the
amounts per VAT rate (a rate with a zero amount gives no line).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class InvoiceToPost:
    """An invoice of the cooperative to a shop: posted in the shop's books (purchases)
    and in the cooperative's (sales), under the source `invoice:<number>`."""

    number: str
    date: dt.date
    shop_id: int
    shop_name: str  # the label of the shop's auxiliary account in the cooperative's books
    total_incl_vat: Decimal
    goods: dict[Decimal, Decimal] = field(default_factory=dict)
    shipping: dict[Decimal, Decimal] = field(default_factory=dict)
    fee: dict[Decimal, Decimal] = field(default_factory=dict)  # the cooperative's fee
    vat: dict[Decimal, Decimal] = field(default_factory=dict)  # the VAT per rate


@dataclass(frozen=True)
class SupplierOrderToPost:
    """What a supplier delivered (its invoice to the cooperative): posted in the
    cooperative's books, under the source `supplier-order:<id>`."""

    id: int
    date: dt.date
    supplier_id: int
    supplier_name: str
    total_incl_vat: Decimal
    goods: dict[Decimal, Decimal] = field(default_factory=dict)
    shipping: dict[Decimal, Decimal] = field(default_factory=dict)
    vat: dict[Decimal, Decimal] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return f"CF-{self.id:06d}"


@dataclass(frozen=True)
class CreditNoteToPost:
    """A credit note of the cooperative to a shop (an avoir on one of its invoices): the
    mirror of the invoice, posted in the shop's books (purchases) and in the
    cooperative's (sales), under the source `credit-note:<number>`. `applied` is the
    part taken off the invoice's amount due (411000); the rest is a credit of the shop
    (419100) in the cooperative's books."""

    number: str
    date: dt.date
    shop_id: int
    shop_name: str
    total_incl_vat: Decimal
    applied: Decimal
    goods: dict[Decimal, Decimal] = field(default_factory=dict)
    shipping: dict[Decimal, Decimal] = field(default_factory=dict)
    fee: dict[Decimal, Decimal] = field(default_factory=dict)
    vat: dict[Decimal, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class SupplierInvoiceToPost:
    """A supplier's e-invoice approved by the coordinator: the cooperative's purchase as
    the supplier billed it, posted in the cooperative's books (ACH, piece = the
    supplier's invoice number) under the source `supplier-invoice:<id>`
    (docs/supplier-invoices.md, "Approval and the books")."""

    id: int
    number: str  # the supplier's invoice number (BT-1)
    issued_on: dt.date  # the piece's date (BT-2)
    date: dt.date  # the day it is posted (the approval's)
    supplier_id: int
    supplier_name: str
    total_incl_vat: Decimal
    goods: dict[Decimal, Decimal] = field(default_factory=dict)
    shipping: dict[Decimal, Decimal] = field(default_factory=dict)
    vat: dict[Decimal, Decimal] = field(default_factory=dict)
