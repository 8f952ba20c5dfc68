"""Invoices written straight to the database, due on any day and settled as a test needs
(docs/invoices-due.md): the receipt issues invoices only today or on a day of an open
month, and the payment services are not what these tests are about."""

import datetime as dt
from decimal import Decimal

from django.db.models import F, Max

from mache.money import money
from purchasing.models import Invoice, InvoiceLine, InvoiceSettlement, InvoiceVat, SupplierOrder
from shops.models import Cooperative

from .purchasing import RoundFactory

VAT_RATE = Decimal("20.00")


def issued_invoice(
    shop,
    *,
    total="120.00",
    issued_on: dt.date,
    due_on: dt.date | None = None,
    paid="0.00",
    credited="0.00",
) -> Invoice:
    """An invoice of `total` incl. VAT (one goods line at 20 %) to `shop`, issued on
    `issued_on`, due 30 days later unless `due_on` is given; `paid` and `credited` as
    the amounts already taken off it (the columns the immutability trigger lets move)."""
    total = Decimal(total)
    excl = money(total / Decimal("1.2"))
    round_ = RoundFactory()
    supplier_order = SupplierOrder.objects.create(
        round=round_,
        status=SupplierOrder.Status.RECEIVED,
        total_excl_vat=excl,
        shipping=Decimal("0.00"),
    )
    year = issued_on.year
    sequence = (Invoice.objects.filter(year=year).aggregate(n=Max("sequence"))["n"] or 0) + 1
    invoice = Invoice.objects.create(
        number=f"MACHE-{year}-{sequence:06d}",
        year=year,
        sequence=sequence,
        shop=shop,
        round=round_,
        supplier_order=supplier_order,
        issued_on=issued_on,
        due_on=due_on or issued_on + dt.timedelta(days=30),
        goods_excl_vat=excl,
        shipping=Decimal("0.00"),
        fee=Decimal("0.00"),
        total_excl_vat=excl,
        total_vat=total - excl,
        total_incl_vat=total,
        savings=Decimal("0.00"),
        **Invoice.parties(seller=Cooperative.current(), buyer=shop),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        kind=InvoiceLine.Kind.GOODS,
        label="Marchandises",
        quantity=1,
        unit_price=excl,
        amount=excl,
        vat_rate=VAT_RATE,
    )
    InvoiceVat.objects.create(invoice=invoice, rate=VAT_RATE, base=excl, amount=total - excl)
    if Decimal(paid) or Decimal(credited):
        Invoice.objects.filter(pk=invoice.pk).update(
            amount_paid=Decimal(paid), amount_credited=Decimal(credited)
        )
        invoice.refresh_from_db()
    return invoice


def settle(invoice, *, amount, date: dt.date, kind="payment", cancelled_at=None):
    """A settlement of `invoice` dated `date` (kind payment | credit_note | credit), the
    invoice's paid or credited amount moved with it unless it is cancelled."""
    amount = Decimal(amount)
    settlement = InvoiceSettlement.objects.create(
        invoice=invoice, kind=kind, amount=amount, date=date, cancelled_at=cancelled_at
    )
    if cancelled_at is None:
        column = "amount_credited" if kind == "credit_note" else "amount_paid"
        Invoice.objects.filter(pk=invoice.pk).update(**{column: F(column) + amount})
    return settlement
