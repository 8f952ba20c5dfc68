"""General ledger (grand livre): each account's lines over a period, with its opening
balance, running balance, letter (docs/lettering.md) and closing totals. Two queries,
whatever the number of lines: the letters are joined in the lines' query."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum

from mache.money import ZERO

from ..models import EntryLine, Ledger
from .opening import books_start
from .table import (
    Column,
    ColumnKind,
    Row,
    RowKind,
    StatementTable,
    entry_reference,
    ledger_name,
    money_or_blank,
)

# Income and expense accounts start every fiscal year (the calendar year, as entry
# numbers do) at zero: at year end their balance goes to the result, so what they held
# in earlier years is no part of their opening balance.
RESULT_CLASSES = ("6", "7")


@dataclass(frozen=True)
class LedgerLine:
    date: dt.date
    journal: str
    entry: str  # the entry's reference, "VTE-2026-000012"
    piece_ref: str
    label: str
    auxiliary: str | None
    debit: Decimal
    credit: Decimal
    balance: Decimal  # the account's running balance after this line
    letter: str = ""  # its letter (accounting.lettering), "" when not lettered


@dataclass(frozen=True)
class AccountLedger:
    account: str
    label: str
    opening_balance: Decimal
    lines: list[LedgerLine]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.total_debit - self.total_credit


@dataclass(frozen=True)
class GeneralLedger:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    accounts: list[AccountLedger]

    @property
    def total_debit(self) -> Decimal:
        return sum((account.total_debit for account in self.accounts), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((account.total_credit for account in self.accounts), ZERO)

    def table(self) -> StatementTable:
        # No journal column: the entry's reference starts with its journal's code.
        rows = []
        for account in self.accounts:
            rows.append(Row((f"{account.account} {account.label}",) + (None,) * 7, RowKind.HEADING))
            rows.append(
                Row(
                    (
                        self.date_from,
                        "",
                        "",
                        "Solde d'ouverture",
                        None,
                        None,
                        account.opening_balance,
                        "",
                    ),
                    RowKind.INFO,
                )
            )
            rows += [
                Row(
                    (
                        line.date,
                        line.entry,
                        line.piece_ref,
                        line.label,
                        money_or_blank(line.debit),
                        money_or_blank(line.credit),
                        line.balance,
                        line.letter,
                    )
                )
                for line in account.lines
            ]
            rows.append(
                Row(
                    (
                        self.date_to,
                        "",
                        "",
                        f"Total du compte {account.account}",
                        account.total_debit,
                        account.total_credit,
                        account.closing_balance,
                        "",
                    ),
                    RowKind.SUBTOTAL,
                )
            )
        return StatementTable(
            title="Grand livre",
            slug="grand-livre",
            ledger_name=ledger_name(self.ledger),
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Date", ColumnKind.DATE, 11),
                Column("Écriture", width=16),
                Column("Pièce", width=18, wraps=True),
                Column("Libellé", width=40, wraps=True),
                Column("Débit", ColumnKind.MONEY, 14),
                Column("Crédit", ColumnKind.MONEY, 14),
                Column("Solde", ColumnKind.MONEY, 14),
                Column("Lettre", width=6),
            ),
            rows=tuple(rows),
            totals=(
                Row(
                    (None, "", "", "Total général", self.total_debit, self.total_credit, None, ""),
                    RowKind.TOTAL,
                ),
            ),
            carried=(4, 5),
            label_column=3,
        )


def _opening_balances(*, ledger: Ledger, date_from: dt.date) -> dict[str, tuple[str, Decimal]]:
    """{account number: (label, balance before date_from)}: one aggregate query. An
    opening entry dated date_from is no part of it: it is the first line of the period."""
    result_account = Q()
    for prefix in RESULT_CLASSES:
        result_account |= Q(account__number__startswith=prefix)
    rows = (
        # From the books' start: lines before the latest opening entry are inside it.
        EntryLine.objects.filter(
            ledger=ledger,
            date__lt=date_from,
            date__gte=books_start(ledger=ledger, on=date_from),
        )
        .filter(~result_account | Q(date__gte=date_from.replace(month=1, day=1)))
        .values_list("account__number", "account__label")
        .annotate(balance=Sum(F("debit") - F("credit")))
        .order_by()
    )
    return {number: (label, balance) for number, label, balance in rows}


def general_ledger(*, ledger: Ledger, date_from: dt.date, date_to: dt.date) -> GeneralLedger:
    """Every account with lines in the period or a balance at its start, in account
    order; its lines by date, then journal and entry number. Two queries."""
    opening = _opening_balances(ledger=ledger, date_from=date_from)
    lines = (
        EntryLine.objects.filter(ledger=ledger, date__gte=date_from, date__lte=date_to)
        .order_by(
            "account__number",
            "date",
            "entry__journal__code",
            "entry__fiscal_year",
            "entry__number",
            "pk",
        )
        .values_list(
            "account__number",
            "account__label",
            "date",
            "entry__journal__code",
            "entry__fiscal_year",
            "entry__number",
            "entry__piece_ref",
            "label",
            "auxiliary__code",
            "debit",
            "credit",
            # One-to-one: the join adds no row (accounting.lettering).
            "lettered__lettering__code",
        )
    )
    by_account: dict[str, list] = {}
    for line in lines:
        by_account.setdefault(line[0], []).append(line)
    labels = {number: rows[0][1] for number, rows in by_account.items()}
    labels |= {number: label for number, (label, _) in opening.items()}

    accounts = []
    for number in sorted(set(by_account) | {n for n, (_, b) in opening.items() if b}):
        balance = opening_balance = opening.get(number, (None, ZERO))[1]
        ledger_lines = []
        for (
            _,
            _,
            day,
            journal,
            year,
            entry_number,
            piece_ref,
            label,
            auxiliary,
            debit,
            credit,
            letter,
        ) in by_account.get(number, []):
            balance += debit - credit
            ledger_lines.append(
                LedgerLine(
                    date=day,
                    journal=journal,
                    entry=entry_reference(journal, year, entry_number),
                    piece_ref=piece_ref,
                    label=label,
                    auxiliary=auxiliary,
                    debit=debit,
                    credit=credit,
                    balance=balance,
                    letter=letter or "",
                )
            )
        accounts.append(AccountLedger(number, labels[number], opening_balance, ledger_lines))
    return GeneralLedger(ledger, date_from, date_to, accounts)
