"""Income statement (compte de résultat) of a period, with the gross margin of a
retailer (marge commerciale): one aggregate query over the lines of classes 6 and 7."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from mache.money import ZERO

from ..models import Ledger
from .table import Column, ColumnKind, Percent, Row, RowKind, StatementTable, ledger_name
from .trial_balance import AccountMovements, account_movements

RATE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Group:
    key: str  # the JSON name of its amount
    label: str
    prefixes: tuple[str, ...]  # account numbers that start with one of these
    always: bool = True  # shown even with no account in it


# An account belongs to the first group one of whose prefixes it starts with: the
# order matters (707 before 70, 6037 before 6).
INCOME_GROUPS = (
    Group("sales_of_goods", "Ventes de marchandises", ("707",)),
    Group("other_sales", "Autres produits d'activité (services, refacturations)", ("70",)),
    Group("other_income", "Autres produits de gestion courante", ("75",)),
    Group("miscellaneous_income", "Autres produits", ("7",), always=False),
)
CHARGE_GROUPS = (
    Group("purchases_of_goods", "Achats de marchandises", ("607",)),
    Group("stock_variation", "Variation des stocks de marchandises", ("6037",)),
    Group("external_charges", "Charges externes", ("61", "62")),
    Group("other_charges", "Autres charges de gestion courante", ("65",)),
    Group("miscellaneous_charges", "Autres charges", ("6",), always=False),
)


def group_of(number: str, groups: tuple[Group, ...]) -> Group | None:
    return next((g for g in groups if number.startswith(g.prefixes)), None)


@dataclass(frozen=True)
class AccountAmount:
    account: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class GroupAmount:
    key: str
    label: str
    accounts: list[AccountAmount]
    always: bool

    @property
    def amount(self) -> Decimal:
        return sum((account.amount for account in self.accounts), ZERO)


@dataclass(frozen=True)
class IncomeStatement:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    income: list[GroupAmount]
    charges: list[GroupAmount]

    @property
    def amounts(self) -> dict[str, Decimal]:
        """Each group's amount by its key: {"sales_of_goods": ..., "external_charges": ...}."""
        return {group.key: group.amount for group in (*self.income, *self.charges)}

    def amount(self, key: str) -> Decimal:
        return self.amounts[key]

    @property
    def cost_of_goods_sold(self) -> Decimal:
        return self.amount("purchases_of_goods") + self.amount("stock_variation")

    @property
    def gross_margin(self) -> Decimal:
        return self.amount("sales_of_goods") - self.cost_of_goods_sold

    @property
    def margin_rate(self) -> Decimal | None:
        """Gross margin over sales of goods, in percent to the hundredth; None without sales."""
        sales = self.amount("sales_of_goods")
        if not sales:
            return None
        return (self.gross_margin * 100 / sales).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def total_income(self) -> Decimal:
        return sum((group.amount for group in self.income), ZERO)

    @property
    def total_charges(self) -> Decimal:
        return sum((group.amount for group in self.charges), ZERO)

    @property
    def result(self) -> Decimal:
        return self.total_income - self.total_charges

    def table(self) -> StatementTable:
        def group_rows(groups):
            return [
                Row((", ".join(a.account for a in g.accounts), g.label, g.amount))
                for g in groups
                if g.always or g.accounts
            ]

        rate = self.margin_rate
        rows = [
            Row(("Produits", None, None), RowKind.HEADING),
            *group_rows(self.income),
            Row(("", "Total des produits", self.total_income), RowKind.SUBTOTAL),
            Row(("Charges", None, None), RowKind.HEADING),
            *group_rows(self.charges),
            Row(("", "Total des charges", self.total_charges), RowKind.SUBTOTAL),
            Row(("Marge commerciale", None, None), RowKind.HEADING),
            Row(("", "Ventes de marchandises", self.amount("sales_of_goods"))),
            Row(
                (
                    "",
                    "Coût d'achat des marchandises vendues (achats et variation des stocks)",
                    self.cost_of_goods_sold,
                )
            ),
            Row(("", "Marge brute", self.gross_margin), RowKind.SUBTOTAL),
            Row(
                (
                    "",
                    "Taux de marge brute (marge / ventes de marchandises)",
                    Percent(rate) if rate is not None else None,
                )
            ),
        ]
        outcome = "bénéfice" if self.result >= 0 else "perte"
        return StatementTable(
            title="Compte de résultat",
            slug="compte-de-resultat",
            ledger_name=ledger_name(self.ledger),
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Comptes", width=16, wraps=True),
                Column("Rubrique", width=54, wraps=True),
                Column("Montant", ColumnKind.MONEY, 16),
            ),
            rows=tuple(rows),
            totals=(Row(("", f"Résultat de la période ({outcome})", self.result), RowKind.TOTAL),),
            label_column=1,
        )


def income_statement(*, ledger: Ledger, date_from: dt.date, date_to: dt.date) -> IncomeStatement:
    """The income statement of the period: one query (see `account_movements`)."""
    return income_from_movements(
        ledger=ledger,
        date_from=date_from,
        date_to=date_to,
        movements=account_movements(
            ledger=ledger, date_from=date_from, date_to=date_to, classes=("6", "7")
        ),
    )


def income_from_movements(
    *, ledger: Ledger, date_from: dt.date, date_to: dt.date, movements: Iterable[AccountMovements]
) -> IncomeStatement:
    """The income statement of accounts' movements already read (no query): income
    accounts count credit - debit, expense accounts debit - credit; the stock variation
    (603700) is a charge when stock falls. Accounts outside classes 6 and 7 are ignored."""
    groups = {
        g.key: GroupAmount(g.key, g.label, [], g.always) for g in (*INCOME_GROUPS, *CHARGE_GROUPS)
    }
    for movement in movements:
        if movement.account.startswith("7"):
            group = group_of(movement.account, INCOME_GROUPS)
            amount = movement.credit - movement.debit  # not -balance: no "-0.00"
        elif movement.account.startswith("6"):
            group, amount = group_of(movement.account, CHARGE_GROUPS), movement.balance
        else:
            continue
        groups[group.key].accounts.append(AccountAmount(movement.account, movement.label, amount))
    return IncomeStatement(
        ledger,
        date_from,
        date_to,
        [groups[g.key] for g in INCOME_GROUPS],
        [groups[g.key] for g in CHARGE_GROUPS],
    )
