"""Aged balance (balance âgée) of customers (411) or suppliers (401) at a date
(docs/statements.md, "Aged balance"). One query, whatever the number of lines.

The books keep no lettering and no due date: an invoice (a line on the third party's
normal side: debit for a customer, credit for a supplier) is due PAYMENT_TERM_DAYS after
its document's date (the entry's `piece_date`), the cooperative's term, printed on its
invoices. What is paid (the other side) settles first the entry it reverses, if it is a
reversal, then the oldest open invoices (first in, first out). What remains open is
aged by the days past its due date at `at`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from mache.money import ZERO

from .. import accounts
from ..models import EntryLine, Ledger
from .opening import books_start
from .table import Column, ColumnKind, Row, RowKind, StatementTable, ledger_name

# The cooperative's payment term (purchasing's invoices print it): 30 days.
PAYMENT_TERM_DAYS = 30

CUSTOMERS, SUPPLIERS = "customers", "suppliers"
SIDES = {
    # side: (collective account prefix, title, the sign of an invoice: debit - credit > 0)
    CUSTOMERS: (accounts.CUSTOMERS[:3], "Balance âgée des clients", 1),
    SUPPLIERS: (accounts.SUPPLIERS[:3], "Balance âgée des fournisseurs", -1),
}
BUCKETS = ("not_due", "days_0_30", "days_31_60", "days_61_90", "over_90")
BUCKET_TITLES = ("Non échu", "0 à 30 j", "31 à 60 j", "61 à 90 j", "Plus de 90 j")


def bucket_of(*, due: dt.date, at: dt.date) -> str:
    """The age of an amount due on `due`, seen at `at`: not due while `due` is after
    `at`; on its due date it is 0 days late (days_0_30)."""
    late = (at - due).days
    if late < 0:
        return "not_due"
    if late <= 30:
        return "days_0_30"
    if late <= 60:
        return "days_31_60"
    if late <= 90:
        return "days_61_90"
    return "over_90"


@dataclass
class _Item:
    entry: int
    reversal_of: int | None
    due: dt.date
    amount: Decimal  # what is left of it, always positive


def open_items(lines: list[tuple], *, sign: int) -> list[_Item]:
    """The open part of one third party's lines [(entry id, reversal_of id, date,
    piece_date, debit, credit)], by date. Invoices (the `sign` side) fall due after the
    payment term; a settlement left over (paid in advance, a credit note bigger than
    what was open) is open too, negative, due on its own date."""
    invoices, settlements = [], []
    for entry, reversal_of, day, piece_date, debit, credit in lines:
        amount = (debit - credit) * sign
        if amount > 0:
            due = (piece_date or day) + dt.timedelta(days=PAYMENT_TERM_DAYS)
            invoices.append(_Item(entry, reversal_of, due, amount))
        elif amount < 0:
            settlements.append(_Item(entry, reversal_of, day, -amount))

    def settle(item: _Item, against: list[_Item]) -> None:
        for other in against:
            if not item.amount:
                return
            taken = min(item.amount, other.amount)
            item.amount -= taken
            other.amount -= taken

    # A reversal cancels the entry it reverses first, whichever side it is on.
    for items, pool in ((invoices, settlements), (settlements, invoices)):
        for item in items:
            if item.reversal_of is not None:
                settle(item, [other for other in pool if other.entry == item.reversal_of])
    invoices.sort(key=lambda item: item.due)
    for payment in settlements:
        settle(payment, [invoice for invoice in invoices if invoice.amount])
    left = [item for item in invoices if item.amount]
    left += [_Item(p.entry, p.reversal_of, p.due, -p.amount) for p in settlements if p.amount]
    return left


@dataclass
class AgedAccount:
    aux: str  # the auxiliary account's code; "" for lines that name none
    label: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))

    def __getattr__(self, name):
        if name in BUCKETS:
            return self.amounts[name]
        raise AttributeError(name)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass(frozen=True)
class AgedBalance:
    ledger: Ledger
    side: str
    at: dt.date
    accounts: list[AgedAccount]

    # The statement views and files name a period: an aged balance is at one date.
    @property
    def date_from(self) -> dt.date:
        return self.at

    @property
    def date_to(self) -> dt.date:
        return self.at

    @property
    def totals(self) -> dict[str, Decimal]:
        sums = {key: sum((a.amounts[key] for a in self.accounts), ZERO) for key in BUCKETS}
        return sums | {"total": sum(sums.values(), ZERO)}

    def table(self) -> StatementTable:
        totals = self.totals
        slug = "balance-agee-clients" if self.side == CUSTOMERS else "balance-agee-fournisseurs"
        return StatementTable(
            title=SIDES[self.side][1],
            slug=slug,
            ledger_name=ledger_name(self.ledger),
            date_from=self.at,
            date_to=self.at,
            as_of=True,
            columns=(
                Column("Compte", width=12),
                Column("Tiers", width=32, wraps=True),
                *(Column(title, ColumnKind.MONEY, 13) for title in BUCKET_TITLES),
                Column("Total", ColumnKind.MONEY, 14),
            ),
            rows=tuple(
                Row((a.aux, a.label, *(a.amounts[key] for key in BUCKETS), a.total))
                for a in self.accounts
            ),
            totals=(
                Row(
                    ("", "Total", *(totals[key] for key in BUCKETS), totals["total"]),
                    RowKind.TOTAL,
                ),
            ),
            label_column=1,
        )


def aged_balance(*, ledger: Ledger, side: str, at: dt.date) -> AgedBalance:
    """Per auxiliary account of the side's collective accounts (411... or 401...), its
    open items at `at` by age (see the module doc); third parties with nothing open are
    left out. Lines without an auxiliary account are one third party per account. One
    query."""
    prefix, _, sign = SIDES[side]
    lines = (
        EntryLine.objects.filter(
            ledger=ledger,
            account__number__startswith=prefix,
            date__lte=at,
            date__gte=books_start(ledger=ledger, on=at),
        )
        .order_by("date", "entry_id", "pk")
        .values_list(
            "account__number",
            "auxiliary__code",
            "auxiliary__label",
            "entry_id",
            "entry__reversal_of_id",
            "date",
            "entry__piece_date",
            "debit",
            "credit",
        )
    )
    by_party: dict[tuple[str, str], list[tuple]] = {}
    labels: dict[tuple[str, str], str] = {}
    for number, code, label, *rest in lines:
        key = (code, "") if code else ("", number)
        by_party.setdefault(key, []).append(tuple(rest))
        labels[key] = label if code else f"Compte {number} sans compte auxiliaire"
    result = []
    for key in sorted(by_party):
        items = open_items(by_party[key], sign=sign)
        if not items:
            continue
        account = AgedAccount(key[0], labels[key])
        for item in items:
            account.amounts[bucket_of(due=item.due, at=at)] += item.amount
        result.append(account)
    return AgedBalance(ledger, side, at, result)
