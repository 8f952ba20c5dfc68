"""A supplier's e-invoice as read, whatever its format (docs/supplier-invoices.md,
"Reading"): the EN 16931 fields the cooperative uses, named by their BT/BG numbers.

Amounts are Decimal as written in the file (never floats); texts are stripped; an
absent optional field is "" (text) or None (date).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ReceivedParty:
    """The seller (BG-4) or the buyer (BG-7)."""

    name: str  # BT-27 / BT-44
    siret: str  # a 14-digit legal or global id (scheme 0009), else ""
    siren: str  # a 9-digit legal id (scheme 0002), or the SIRET's first nine digits, else ""
    vat_number: str  # BT-31 / BT-48, else ""


@dataclass(frozen=True)
class ReceivedLine:
    """One invoice line (BG-25)."""

    line_id: str  # BT-126
    name: str  # BT-153
    seller_item_id: str  # BT-155, else ""
    buyer_item_id: str  # BT-156, else ""
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130
    net_unit_price: Decimal  # BT-146 divided by its base quantity BT-149 (1 when absent)
    amount: Decimal  # BT-131
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152 (0 when the category has none)


@dataclass(frozen=True)
class ReceivedCharge:
    """A document-level charge (BG-21, `is_charge`) or allowance (BG-20)."""

    is_charge: bool
    amount: Decimal  # BT-99 / BT-92, positive
    reason: str  # BT-104 / BT-97, else ""
    reason_code: str  # BT-105 / BT-98, else ""
    vat_category: str  # BT-102 / BT-95
    vat_rate: Decimal  # BT-103 / BT-96


@dataclass(frozen=True)
class ReceivedVat:
    """One line of the VAT breakdown (BG-23)."""

    category: str  # BT-118
    rate: Decimal  # BT-119
    base: Decimal  # BT-116
    amount: Decimal  # BT-117


@dataclass(frozen=True)
class ReceivedInvoice:
    format: str  # "facturx" | "cii" | "ubl" (SupplierInvoice.Format)
    type_code: str  # BT-3: "380" invoice, "381" credit note, ...
    number: str  # BT-1
    issued_on: dt.date  # BT-2
    currency: str  # BT-5
    seller: ReceivedParty
    buyer: ReceivedParty
    order_reference: str  # BT-13, else ""
    delivery_date: dt.date | None  # BT-72
    due_on: dt.date | None  # BT-9
    lines: tuple[ReceivedLine, ...]
    charges: tuple[ReceivedCharge, ...]
    vat: tuple[ReceivedVat, ...]
    total_lines: Decimal  # BT-106
    total_allowances: Decimal  # BT-107 (0 when absent)
    total_charges: Decimal  # BT-108 (0 when absent)
    total_excl_vat: Decimal  # BT-109
    total_vat: Decimal  # BT-110
    total_incl_vat: Decimal  # BT-112
    amount_due: Decimal  # BT-115
    xml: bytes  # the invoice's XML (for a PDF, the XML it embeds)

    @property
    def shipping(self) -> Decimal:
        """The document-level charges less its allowances: what the cooperative books as
        the supplier's shipping (docs/supplier-invoices.md, "Matching")."""
        return sum((c.amount if c.is_charge else -c.amount for c in self.charges), Decimal("0"))
