"""What the shops owe the cooperative on its invoices, for the monthly reports
(docs/invoices-due.md, "In the monthly reports").

A month is read as it stood at its last day, whenever the report is made: an invoice's
amount due at a date is its total incl. VAT minus its settlements
(purchasing.InvoiceSettlement) dated up to that day and not cancelled by the end of it
(`cancelled_at` before the month's end in Paris); a cheque returned in the next month
does not change the month's report. Two grouped queries, whatever the number of shops
and invoices.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum

from mache.money import ZERO
from purchasing.models import Invoice, InvoiceSettlement

from .common import Window

# Days of sales outstanding: what is due at the month's end over what was invoiced in
# the DSO_DAYS days ending that day, times DSO_DAYS; in whole days (half-up).
DSO_DAYS = 90
PAID_KINDS = (InvoiceSettlement.Kind.PAYMENT, InvoiceSettlement.Kind.CREDIT)


@dataclass(frozen=True)
class Receivables:
    """Amounts incl. VAT of the cooperative's invoices to a shop (or to every shop).

    invoiced: issued in the month; paid: payments and the shop's credit used, dated in
    the month; credited: credit notes taken off the invoices in the month; due: left to
    pay at the month's last day; overdue: the part of `due` whose due date had passed
    that day; invoiced_dso: issued in the DSO_DAYS days ending the month's last day;
    dso: days of sales outstanding (None when nothing was invoiced over those days)."""

    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    due: Decimal
    overdue: Decimal
    invoiced_dso: Decimal
    dso: Decimal | None

    @property
    def empty(self) -> bool:
        return not any((self.invoiced, self.paid, self.credited, self.due, self.invoiced_dso))


def days_of_sales_outstanding(due: Decimal, invoiced: Decimal) -> Decimal | None:
    """due / invoiced x DSO_DAYS in whole days, half-up; None when nothing was invoiced."""
    if not invoiced:
        return None
    return (due * DSO_DAYS / invoiced).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def receivables_of(
    *, invoiced, paid, credited, billed, settled, billed_overdue, settled_overdue, invoiced_dso
) -> Receivables:
    """The figures from the sums read (None read as 0): due = billed - settled up to the
    month's end, overdue likewise over the invoices due before that day."""
    values = {
        name: value or ZERO
        for name, value in {
            "invoiced": invoiced,
            "paid": paid,
            "credited": credited,
            "billed": billed,
            "settled": settled,
            "billed_overdue": billed_overdue,
            "settled_overdue": settled_overdue,
            "invoiced_dso": invoiced_dso,
        }.items()
    }
    due = values["billed"] - values["settled"]
    return Receivables(
        invoiced=values["invoiced"],
        paid=values["paid"],
        credited=values["credited"],
        due=due,
        overdue=values["billed_overdue"] - values["settled_overdue"],
        invoiced_dso=values["invoiced_dso"],
        dso=days_of_sales_outstanding(due, values["invoiced_dso"]),
    )


def receivables_by_shop(*, win: Window, shop_ids=None) -> dict[int, tuple[str, Receivables]]:
    """Shop id -> (the shop's name, its Receivables) for every shop with an invoice
    issued by the month's end (`shop_ids`: those only). Two grouped queries."""
    end = win.date_to
    invoices = Invoice.objects.filter(issued_on__lte=end)
    settlements = InvoiceSettlement.objects.filter(
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=win.end),
        date__lte=end,
        invoice__issued_on__lte=end,
    )
    if shop_ids is not None:
        invoices = invoices.filter(shop_id__in=shop_ids)
        settlements = settlements.filter(invoice__shop_id__in=shop_ids)
    billed = {
        row["shop_id"]: row
        for row in invoices.values("shop_id", "shop__name")
        .annotate(
            invoiced=Sum("total_incl_vat", filter=Q(issued_on__gte=win.date_from)),
            billed=Sum("total_incl_vat"),
            billed_overdue=Sum("total_incl_vat", filter=Q(due_on__lt=end)),
            invoiced_dso=Sum(
                "total_incl_vat", filter=Q(issued_on__gt=end - dt.timedelta(days=DSO_DAYS))
            ),
        )
        .order_by()
    }
    in_month = Q(date__gte=win.date_from)
    settled = {
        row["invoice__shop_id"]: row
        for row in settlements.values("invoice__shop_id")
        .annotate(
            settled=Sum("amount"),
            settled_overdue=Sum("amount", filter=Q(invoice__due_on__lt=end)),
            paid=Sum("amount", filter=in_month & Q(kind__in=PAID_KINDS)),
            credited=Sum("amount", filter=in_month & Q(kind=InvoiceSettlement.Kind.CREDIT_NOTE)),
        )
        .order_by()
    }
    found = {}
    for shop_id, row in billed.items():
        paid = settled.get(shop_id, {})
        found[shop_id] = (
            row["shop__name"],
            receivables_of(
                invoiced=row["invoiced"],
                paid=paid.get("paid"),
                credited=paid.get("credited"),
                billed=row["billed"],
                settled=paid.get("settled"),
                billed_overdue=row["billed_overdue"],
                settled_overdue=paid.get("settled_overdue"),
                invoiced_dso=row["invoiced_dso"],
            ),
        )
    return found


def receivables_total(rows) -> Receivables:
    """The sum of several shops' Receivables; the DSO of the sums (not a mean of DSOs)."""
    rows = list(rows)
    due = sum((r.due for r in rows), ZERO)
    invoiced_dso = sum((r.invoiced_dso for r in rows), ZERO)
    return Receivables(
        invoiced=sum((r.invoiced for r in rows), ZERO),
        paid=sum((r.paid for r in rows), ZERO),
        credited=sum((r.credited for r in rows), ZERO),
        due=due,
        overdue=sum((r.overdue for r in rows), ZERO),
        invoiced_dso=invoiced_dso,
        dso=days_of_sales_outstanding(due, invoiced_dso),
    )


NO_RECEIVABLES = receivables_total([])  # a shop never invoiced
