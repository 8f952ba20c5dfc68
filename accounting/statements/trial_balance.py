"""Trial balance (balance générale): each account's movements over a period."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from mache.money import ZERO

from ..models import EntryLine, Ledger
from .table import Column, ColumnKind, Row, RowKind, StatementTable, ledger_name


@dataclass(frozen=True)
class AccountMovements:
    account: str  # the account number, 607000 say
    label: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


def account_movements(
    *, ledger: Ledger, date_from: dt.date, date_to: dt.date, classes: Sequence[str] = ()
) -> list[AccountMovements]:
    """The sums of debits and credits of each account over [date_from, date_to], in
    account order; accounts without a line in the period are left out. `classes`
    ("6", "7") narrows to the accounts whose numbers start with them.

    ONE aggregate query over the lines, whatever their number: lines carry their
    ledger and date (denormalised), so the (ledger, account, date) index serves the
    filter and no join with the entries is needed; only the account labels are joined.
    """
    lines = EntryLine.objects.filter(ledger=ledger, date__gte=date_from, date__lte=date_to)
    if classes:
        in_classes = Q()
        for prefix in classes:
            in_classes |= Q(account__number__startswith=prefix)
        lines = lines.filter(in_classes)
    rows = (
        lines.values_list("account__number", "account__label")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account__number")
    )
    return [AccountMovements(number, label, debit, credit) for number, label, debit, credit in rows]


@dataclass(frozen=True)
class TrialBalance:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    accounts: list[AccountMovements]

    @property
    def total_debit(self) -> Decimal:
        return sum((account.debit for account in self.accounts), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((account.credit for account in self.accounts), ZERO)

    def table(self) -> StatementTable:
        return StatementTable(
            title="Balance générale",
            slug="balance",
            ledger_name=ledger_name(self.ledger),
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Compte", width=9),
                Column("Intitulé", width=40, wraps=True),
                Column("Débit", ColumnKind.MONEY, 15),
                Column("Crédit", ColumnKind.MONEY, 15),
                Column("Solde", ColumnKind.MONEY, 15),
            ),
            rows=tuple(
                Row((a.account, a.label, a.debit, a.credit, a.balance)) for a in self.accounts
            ),
            totals=(
                Row(
                    (
                        "",
                        "Total",
                        self.total_debit,
                        self.total_credit,
                        self.total_debit - self.total_credit,
                    ),
                    RowKind.TOTAL,
                ),
            ),
            label_column=1,
        )


def trial_balance(*, ledger: Ledger, date_from: dt.date, date_to: dt.date) -> TrialBalance:
    """Per account, the debits and credits of the lines dated in the period and the
    balance (debit - credit): one query (see `account_movements`)."""
    return TrialBalance(
        ledger,
        date_from,
        date_to,
        account_movements(ledger=ledger, date_from=date_from, date_to=date_to),
    )
