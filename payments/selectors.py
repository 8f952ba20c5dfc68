"""Reads of the money after the invoice, scoped to what the user may see: payments, a
shop's account with the cooperative (docs/shop-account.md), bank statements
(docs/bank.md), reminders (docs/invoices-due.md).

The shop's account is read from the cooperative's books, not rebuilt from the
documents: its lines are the entries on the shop's auxiliary account (C000123) under
411000 and 419100, one line per entry. Its balance is therefore the books' balance by
construction (positive: the shop owes), at any date.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounting import accounts
from accounting.auxiliaries import shop_aux
from accounting.models import EntryLine, LetteredLine
from accounting.services import cooperative_ledger
from accounting.statements.opening import OPENING_JOURNAL, books_start
from mache.money import ZERO
from mache.periods import paris_today
from mache.permissions import scope_to_user, sees_all_shops
from purchasing.models import Invoice, InvoiceSettlement, SupplierInvoice
from purchasing.selectors import invoice_list, invoices_with_due
from purchasing.services.settlement import shop_credit_balance

from .models import (
    BankLine,
    BankStatement,
    CreditTransferBatch,
    CreditTransferItem,
    DirectDebitBatch,
    DirectDebitItem,
    Mandate,
    Payment,
    PaymentReminder,
)

# --- Payments -------------------------------------------------------------------------


def payment_list(*, user) -> QuerySet[Payment]:
    """The payments of the shops `user` may see, newest first, with their allocations
    (two queries whatever the number of payments)."""
    allocations = InvoiceSettlement.objects.only("pk", "invoice_id", "amount").order_by("pk")
    return scope_to_user(
        Payment.objects.select_related("shop").prefetch_related(
            Prefetch("allocations__settlement", queryset=allocations)
        ),
        user=user,
    ).order_by("-date", "-pk")


# --- The shop's account ---------------------------------------------------------------

CUSTOMER_ACCOUNTS = (accounts.CUSTOMERS, accounts.CUSTOMER_CREDITS)


@dataclass(frozen=True)
class AccountLine:
    date: dt.date
    kind: str  # invoice | credit_note | payment | opening | other (docs/shop-account.md)
    ref: str  # the invoice's or credit note's number, the payment's reference or REG-<id>
    label: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # after this line; positive: the shop owes
    letter: str  # the letters of the line's 411000 lines ("AB", "AB, AC"), or ""
    cancellation: bool = False  # the reversal of a payment (a cheque returned)


@dataclass(frozen=True)
class OpenItem:
    kind: str  # invoice | credit
    ref: str
    date: dt.date | None
    due_on: dt.date | None
    amount: Decimal  # what is due; the shop's unused credit is negative
    invoice: int | None = None


@dataclass(frozen=True)
class ShopAccount:
    shop: object
    start: dt.date | None
    end: dt.date | None
    opening_balance: Decimal
    lines: list[AccountLine] = field(default_factory=list)
    open_items: list[OpenItem] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening_balance

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def _aux_lines(shop, ledger):
    """The shop's lines under 411000 and 419100 in the cooperative's books."""
    code, _ = shop_aux(shop.pk, shop.name)
    return EntryLine.objects.filter(
        ledger=ledger,
        account__number__in=CUSTOMER_ACCOUNTS,
        auxiliary__code=code,
    )


def shop_balance(*, shop, on: dt.date, ledger=None) -> Decimal:
    """What the shop owes the cooperative at the end of `on` (negative: its credit), as
    the statements read it: from the books' start (the latest opening entry on or
    before `on`, docs/statements.md)."""
    ledger = ledger or cooperative_ledger()
    totals = (
        _aux_lines(shop, ledger)
        .filter(date__lte=on, date__gte=books_start(ledger=ledger, on=on))
        .aggregate(debit=Sum("debit"), credit=Sum("credit"))
    )
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


def _kind_and_ref(source: str | None, piece_ref: str, journal: str) -> tuple[str, str]:
    if journal == OPENING_JOURNAL:
        return "opening", "À-nouveaux"
    prefix, _, rest = (source or "").partition(":")
    if prefix == "invoice":
        return "invoice", rest
    if prefix == "credit-note":
        return "credit_note", rest
    if prefix == "payment":
        return "payment", piece_ref or f"REG-{rest}"
    return "other", piece_ref


def _label(kind: str, ref: str, cancellation: bool, entry_label: str) -> str:
    if cancellation and kind == "payment":
        return f"Annulation du règlement {ref}"
    return {
        "invoice": f"Facture {ref}",
        "credit_note": f"Avoir {ref}",
        "payment": f"Règlement {ref}",
        "opening": "Solde reporté (à-nouveaux)",
    }.get(kind, entry_label)


def shop_account(*, shop, start: dt.date | None = None, end: dt.date | None = None) -> ShopAccount:
    """The shop's account with the cooperative over [start, end] (either open): the
    balance before `start`, one line per entry of the period on the shop's auxiliary
    account (411000 and 419100 together, an entry that nets to zero, such as a credit
    used on an invoice, left out), the balance after each, and the open items now.

    A cancelled payment shows twice: the payment, and its cancellation on the day of
    the reversal. A fixed number of queries whatever the number of lines."""
    ledger = cooperative_ledger()
    opening = ZERO
    if start is not None and start > dt.date.min:
        opening = shop_balance(shop=shop, on=start - dt.timedelta(days=1), ledger=ledger)
    lines = _aux_lines(shop, ledger)
    if start is not None:
        lines = lines.filter(date__gte=start)
    if end is not None:
        lines = lines.filter(date__lte=end)
    rows = list(
        lines.values(
            "entry_id",
            "entry__date",
            "entry__posted_at",
            "entry__journal__code",
            "entry__label",
            "entry__reversal_of_id",
        )
        .annotate(
            source=Coalesce("entry__source", "entry__reversal_of__source"),
            piece=Coalesce("entry__reversal_of__piece_ref", "entry__piece_ref"),
            debit=Sum("debit"),
            credit=Sum("credit"),
        )
        .order_by("entry__date", "entry__posted_at", "entry_id")
    )
    letters: dict[int, list[str]] = {}
    for entry_id, code in (
        LetteredLine.objects.filter(
            line__entry_id__in=[row["entry_id"] for row in rows],
            line__ledger=ledger,
            line__account__number=accounts.CUSTOMERS,
            line__auxiliary__code=shop_aux(shop.pk, shop.name)[0],
        )
        .order_by("lettering__code")
        .values_list("line__entry_id", "lettering__code")
    ):
        if code not in letters.setdefault(entry_id, []):
            letters[entry_id].append(code)

    balance = opening
    account_lines = []
    for row in rows:
        kind, ref = _kind_and_ref(row["source"], row["piece"], row["entry__journal__code"])
        net = row["debit"] - row["credit"]
        if kind == "opening":
            # An opening entry restates the balance of every line before it: the line
            # shows only the difference (none when the books closed the year before).
            net -= balance
        elif net == 0:
            continue  # a credit used on an invoice: 419100 to 411000, nothing owed moves
        balance += net
        cancellation = row["entry__reversal_of_id"] is not None
        account_lines.append(
            AccountLine(
                date=row["entry__date"],
                kind=kind,
                ref=ref,
                label=_label(kind, ref, cancellation, row["entry__label"]),
                debit=net if net > 0 else ZERO,
                credit=-net if net < 0 else ZERO,
                balance=balance,
                letter=", ".join(letters.get(row["entry_id"], [])),
                cancellation=cancellation,
            )
        )
    return ShopAccount(
        shop=shop,
        start=start,
        end=end,
        opening_balance=opening,
        lines=account_lines,
        open_items=open_items(shop=shop),
    )


def open_items(*, shop) -> list[OpenItem]:
    """What the shop still owes now, invoice by invoice (oldest due first), and its
    unused credit as a negative item. Two queries."""
    items = [
        OpenItem(
            kind="invoice",
            ref=invoice.number,
            date=invoice.issued_on,
            due_on=invoice.due_on,
            amount=invoice.amount_due,
            invoice=invoice.pk,
        )
        for invoice in Invoice.objects.filter(
            shop=shop, total_incl_vat__gt=F("amount_paid") + F("amount_credited")
        )
        .only(
            "pk",
            "number",
            "issued_on",
            "due_on",
            "total_incl_vat",
            "amount_paid",
            "amount_credited",
        )
        .order_by("due_on", "issued_on", "pk")
    ]
    credit = shop_credit_balance(shop)
    if credit > 0:
        items.append(
            OpenItem(
                kind="credit", ref="Crédit du commerce", date=None, due_on=None, amount=-credit
            )
        )
    return items


# --- Bank statements (docs/bank.md) ------------------------------------------------------


def bank_statement_list(*, user) -> QuerySet[BankStatement]:
    """The imported statements, latest first, with their number of lines and of lines
    matched: the cooperative's bank account, for coordinators only."""
    if not sees_all_shops(user):
        return BankStatement.objects.none()
    return BankStatement.objects.annotate(
        line_count=Count("lines"),
        matched_count=Count("lines", filter=Q(lines__status=BankLine.Status.MATCHED)),
    ).order_by("-to_date", "-id")


def bank_line_list(*, user, status: str | None = None) -> QuerySet[BankLine]:
    """The statements' lines (of one status), latest first; coordinators only."""
    if not sees_all_shops(user):
        return BankLine.objects.none()
    lines = BankLine.objects.select_related("statement").prefetch_related("payments")
    if status:
        lines = lines.filter(status=status)
    return lines.order_by("-booked_on", "-statement_id", "position")


def open_invoice_list(shop_ids) -> QuerySet[Invoice]:
    """The invoices of these shops still due (`due`: the amount due), oldest due first;
    for the coordinator's matching (callers check the role)."""
    return (
        invoices_with_due(Invoice.objects.filter(shop_id__in=list(shop_ids)), today=paris_today())
        .annotate(due=F("due_amount"))
        .filter(due__gt=0)
        .order_by("due_on", "id")
    )


# --- Reminders (docs/invoices-due.md) ----------------------------------------------------


def overdue_invoice_list(*, user, today) -> QuerySet[Invoice]:
    """The invoices the user sees that are overdue on `today`, the oldest due first,
    annotated with `due_amount` (purchasing.selectors.invoices_with_due)."""
    return (
        invoices_with_due(invoice_list(user=user).prefetch_related(None), today=today)
        .filter(due_status="overdue")
        .order_by("due_on", "id")
    )


def reminders_by_invoice(invoice_ids) -> dict[int, list[PaymentReminder]]:
    """The reminders of these invoices (callers pass invoices from a scoped selector),
    by level: one query."""
    found = defaultdict(list)
    for reminder in PaymentReminder.objects.filter(invoice_id__in=list(invoice_ids)).order_by(
        "invoice_id", "days_overdue"
    ):
        found[reminder.invoice_id].append(reminder)
    return found


# --- SEPA: mandates, direct debits, credit transfers (docs/sepa.md) --------------------


def mandate_list(*, user) -> QuerySet[Mandate]:
    return scope_to_user(Mandate.objects.select_related("shop"), user=user)


def direct_debit_batch_list(*, user) -> QuerySet[DirectDebitBatch]:
    """The cooperative's batches: coordinators only (nobody else sees another shop's
    collection)."""
    if not sees_all_shops(user):
        return DirectDebitBatch.objects.none()
    return DirectDebitBatch.objects.all()


def direct_debit_items(batch_ids) -> QuerySet[DirectDebitItem]:
    """The items of these batches with what their output names (shop, mandate, invoice
    ids): three queries, whatever their number."""
    return (
        DirectDebitItem.objects.filter(batch_id__in=batch_ids)
        .select_related("shop", "mandate")
        .prefetch_related("invoices")
        .order_by("batch_id", "id")
    )


def credit_transfer_batch_list(*, user) -> QuerySet[CreditTransferBatch]:
    if not sees_all_shops(user):
        return CreditTransferBatch.objects.none()
    return CreditTransferBatch.objects.all()


def credit_transfer_items(batch_ids) -> QuerySet[CreditTransferItem]:
    return CreditTransferItem.objects.filter(batch_id__in=batch_ids).order_by("batch_id", "id")


def supplier_invoices_to_pay() -> QuerySet[SupplierInvoice]:
    """Approved supplier invoices owing something (their amount due, else their total)
    and in no transfer batch yet, nor their order paid by a transfer made before
    supplier invoices existed: what the transfers page offers (docs/sepa.md, "Paying
    suppliers")."""
    return (
        SupplierInvoice.objects.filter(status=SupplierInvoice.Status.APPROVED)
        .filter(Q(amount_due__gt=0) | Q(amount_due__isnull=True, total_incl_vat__gt=0))
        .annotate(transfers=Count("credit_transfers"))
        .filter(transfers=0)
        .exclude(supplier_order__credit_transfers__isnull=False)
        .select_related("supplier")
        .order_by("due_on", "issued_on", "pk")
    )


def mandate_references(*, shop_ids, on: dt.date) -> dict[int, str]:
    """The mandate reference (RUM) of each of `shop_ids` that has a SEPA mandate signed by
    `on`: its invoices of that day are collected by direct debit (registered on
    purchasing.hooks.invoice_mandates, payments/apps.py; docs/e-invoicing.md)."""
    return dict(
        Mandate.objects.filter(shop_id__in=list(shop_ids), signed_on__lte=on).values_list(
            "shop_id", "reference"
        )
    )
