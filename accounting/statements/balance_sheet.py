"""Balance sheet (bilan) at the end of a period, in a simplified PCG layout
(docs/statements.md, "Balance sheet"). One aggregate query, whatever the number of lines.

Every account's balance goes to one line of one side. Accounts of third parties and of
cash (classes 4 and 5) are placed by the sign of their balance, per auxiliary account
where they have some: a customer in credit is a debt, a bank overdraft a borrowing, as
the PCG presents them. Other accounts keep their side, a contra balance (depreciation,
a loss carried forward) lowering it. Classes 6 and 7 make the result. So the two
totals are equal whenever the books balance, which every entry does.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Case, F, Sum, Value, When

from mache.money import ZERO

from ..models import EntryLine, Ledger
from .opening import books_start
from .table import Column, ColumnKind, Row, RowKind, StatementTable, ledger_name

ASSETS, LIABILITIES = "assets", "equity_and_liabilities"


@dataclass(frozen=True)
class Heading:
    key: str
    label: str
    always: bool = True  # shown even at zero


ASSET_HEADINGS = (
    Heading("intangible_assets", "Immobilisations incorporelles", always=False),
    Heading("tangible_assets", "Immobilisations corporelles"),
    Heading("financial_assets", "Immobilisations financières", always=False),
    Heading("stocks", "Stocks de marchandises et autres approvisionnements"),
    Heading("trade_receivables", "Créances clients et comptes rattachés"),
    Heading("other_receivables", "Autres créances (dont TVA déductible, fournisseurs débiteurs)"),
    Heading("securities", "Valeurs mobilières de placement", always=False),
    Heading("cash", "Disponibilités"),
    Heading("special_assets", "Comptes spéciaux débiteurs (classe 8)", always=False),
)
LIABILITY_HEADINGS = (
    Heading("capital", "Capital"),
    Heading("revaluation", "Écarts de réévaluation", always=False),
    Heading("reserves", "Réserves"),
    Heading("retained_earnings", "Report à nouveau"),
    Heading("result", "Résultat de l'exercice (produits - charges de la période)"),
    Heading(
        "pending_result",
        "Résultats antérieurs en instance d'affectation (comptes 12, exercices non clôturés)",
        always=False,
    ),
    Heading("investment_subsidies", "Subventions d'investissement", always=False),
    Heading("regulated_provisions", "Provisions réglementées", always=False),
    Heading("provisions", "Provisions pour risques et charges", always=False),
    Heading("borrowings", "Emprunts et dettes financières (dont découverts bancaires)"),
    Heading("trade_payables", "Dettes fournisseurs et comptes rattachés"),
    Heading("tax_and_social", "Dettes fiscales et sociales (dont TVA collectée)"),
    Heading("other_debts", "Autres dettes (dont clients créditeurs)"),
    Heading("special_liabilities", "Comptes spéciaux créditeurs (classe 8)", always=False),
)

# Accounts that keep their side: (prefix, side, heading). The longest prefix that
# matches wins, so 280 (amortissements des immobilisations incorporelles) goes with 20,
# not with 2.
FIXED_SIDE = {
    "20": (ASSETS, "intangible_assets"),
    "280": (ASSETS, "intangible_assets"),
    "290": (ASSETS, "intangible_assets"),
    "2": (ASSETS, "tangible_assets"),  # 21, 22, 23 and their 281, 282, 291, 293
    "26": (ASSETS, "financial_assets"),
    "27": (ASSETS, "financial_assets"),
    "296": (ASSETS, "financial_assets"),
    "297": (ASSETS, "financial_assets"),
    "3": (ASSETS, "stocks"),  # 39 (dépréciations) lowers it
    "491": (ASSETS, "trade_receivables"),  # dépréciation des comptes clients
    "49": (ASSETS, "other_receivables"),
    "50": (ASSETS, "securities"),
    "59": (ASSETS, "securities"),
    "10": (LIABILITIES, "capital"),  # 101, 104, 108, 109 (non appelé: lowers it)
    "105": (LIABILITIES, "revaluation"),
    "106": (LIABILITIES, "reserves"),
    "11": (LIABILITIES, "retained_earnings"),  # 110 créditeur, 119 débiteur
    "12": (LIABILITIES, "pending_result"),  # 120/129: a closed year's result
    "13": (LIABILITIES, "investment_subsidies"),
    "14": (LIABILITIES, "regulated_provisions"),
    "15": (LIABILITIES, "provisions"),
    "16": (LIABILITIES, "borrowings"),
    "17": (LIABILITIES, "borrowings"),
}
# Accounts placed by the sign of their balance: (debit heading, credit heading).
BY_SIGN = {
    "40": ("other_receivables", "trade_payables"),  # fournisseurs débiteurs, avances
    "41": ("trade_receivables", "other_debts"),  # clients créditeurs
    "42": ("other_receivables", "tax_and_social"),
    "43": ("other_receivables", "tax_and_social"),
    "44": ("other_receivables", "tax_and_social"),  # 4456 déductible, 4457 collectée
    "4": ("other_receivables", "other_debts"),  # 45, 46, 47, 48 and 18
    "18": ("other_receivables", "other_debts"),
    "5": ("cash", "borrowings"),  # 512 à découvert, 519 concours bancaires
    "8": ("special_assets", "special_liabilities"),
}
RESULT_CLASSES = ("6", "7")


def _match(number: str, table: dict) -> tuple[int, tuple | None]:
    """(length of the longest prefix of `number` in `table`, its value), or (0, None)."""
    for length in range(len(number), 0, -1):
        if number[:length] in table:
            return length, table[number[:length]]
    return 0, None


def place(number: str, balance: Decimal) -> tuple[str, str, Decimal]:
    """(side, heading, amount on that side) of an account's balance (debit - credit), for
    accounts outside classes 6 and 7. An asset counts debit - credit, the other side
    credit - debit."""
    fixed_length, fixed = _match(number, FIXED_SIDE)
    sign_length, by_sign = _match(number, BY_SIGN)
    # The longer prefix decides: 491 keeps its side, 41 goes by its sign.
    if fixed and fixed_length >= sign_length:
        side, key = fixed
    elif by_sign:
        side, key = (ASSETS, by_sign[0]) if balance > 0 else (LIABILITIES, by_sign[1])
    else:  # an account the layout names nowhere (a class-1 account 19...): by its sign
        side, key = (ASSETS, "other_receivables") if balance > 0 else (LIABILITIES, "other_debts")
    return side, key, balance if side == ASSETS else -balance


@dataclass(frozen=True)
class SheetLine:
    key: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class BalanceSheet:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    assets: list[SheetLine]
    equity_and_liabilities: list[SheetLine]

    @property
    def total_assets(self) -> Decimal:
        return sum((line.amount for line in self.assets), ZERO)

    @property
    def total_equity_and_liabilities(self) -> Decimal:
        return sum((line.amount for line in self.equity_and_liabilities), ZERO)

    @property
    def result(self) -> Decimal:
        return next(line.amount for line in self.equity_and_liabilities if line.key == "result")

    def table(self) -> StatementTable:
        def lines(sheet_lines):
            return [Row((line.label, line.amount)) for line in sheet_lines]

        return StatementTable(
            title="Bilan",
            slug="bilan",
            ledger_name=ledger_name(self.ledger),
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Rubrique", width=60, wraps=True),
                Column("Montant", ColumnKind.MONEY, 16),
            ),
            rows=(
                Row(("Actif", None), RowKind.HEADING),
                *lines(self.assets),
                Row(("Total de l'actif", self.total_assets), RowKind.SUBTOTAL),
                Row(("Passif (capitaux propres et dettes)", None), RowKind.HEADING),
                *lines(self.equity_and_liabilities),
                Row(
                    ("Total du passif", self.total_equity_and_liabilities),
                    RowKind.SUBTOTAL,
                ),
            ),
        )


def balance_sheet(*, ledger: Ledger, date_from: dt.date, date_to: dt.date) -> BalanceSheet:
    """The balance sheet at `date_to`: the balances of the lines from the books' start
    (the latest opening entry, accounting.statements.opening) to `date_to`. The result of
    the period is classes 7 - 6 over [date_from, date_to]; classes 6 and 7 before
    date_from (a year not closed yet) join the results awaiting allocation. One query."""
    rows = (
        EntryLine.objects.filter(
            ledger=ledger, date__lte=date_to, date__gte=books_start(ledger=ledger, on=date_to)
        )
        .annotate(
            before=Case(
                When(date__lt=date_from, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values_list("account__number", "auxiliary_id", "before")
        .annotate(balance=Sum(F("debit") - F("credit")))
        .order_by()
    )
    amounts = {heading.key: ZERO for heading in (*ASSET_HEADINGS, *LIABILITY_HEADINGS)}
    special = ZERO  # class 8 nets as one account: its entries balance among themselves
    for number, _, before, balance in rows:
        if number.startswith(RESULT_CLASSES):
            amounts["pending_result" if before else "result"] -= balance
        elif number.startswith("8"):
            special += balance
        else:
            # Per account and auxiliary: each third party on the side of its balance.
            _, key, amount = place(number, balance)
            amounts[key] += amount
    if special:
        _, key, amount = place("8", special)
        amounts[key] += amount

    def lines(headings):
        return [
            SheetLine(h.key, h.label, amounts[h.key])
            for h in headings
            if h.always or amounts[h.key]
        ]

    return BalanceSheet(
        ledger, date_from, date_to, lines(ASSET_HEADINGS), lines(LIABILITY_HEADINGS)
    )
