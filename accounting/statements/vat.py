"""VAT statement of a period: the lines of the monthly CA3 return. Base and tax per
rate, collected (sales) and deductible (purchases); one aggregate query."""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from mache.fields import VAT_RATES
from mache.money import ZERO

from ..models import EntryLine, Ledger
from .table import Column, ColumnKind, Percent, Row, RowKind, StatementTable, ledger_name

COLLECTED_TAX = "4457"
DEDUCTIBLE_TAX = "4456"
SUBACCOUNT_RATE = re.compile(r"^445[67]\d(\d{3})$")


def rate_of_vat_account(number: str) -> Decimal | None:
    """The rate a VAT sub-account names in its last three digits, in tenths of a percent
    (docs/money.md: 44571055 is 5.5 %, 44571200 is 20 %); None for any other account."""
    match = SUBACCOUNT_RATE.match(number)
    if not match:
        return None
    rate = (Decimal(match.group(1)) / 10).quantize(Decimal("0.01"))
    return rate if f"{rate}" in VAT_RATES else None


def _tax_rate(rate: Decimal | None, number: str) -> Decimal | None:
    return rate if rate is not None else rate_of_vat_account(number)


@dataclass(frozen=True)
class VatLine:
    rate: Decimal | None  # None: a tax line that names no rate
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class VatStatement:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    collected: list[VatLine]
    deductible: list[VatLine]

    @property
    def total_collected_base(self) -> Decimal:
        return sum((line.base for line in self.collected), ZERO)

    @property
    def total_collected(self) -> Decimal:
        return sum((line.amount for line in self.collected), ZERO)

    @property
    def total_deductible_base(self) -> Decimal:
        return sum((line.base for line in self.deductible), ZERO)

    @property
    def total_deductible(self) -> Decimal:
        return sum((line.amount for line in self.deductible), ZERO)

    @property
    def net_due(self) -> Decimal:
        """Collected - deductible: negative is a credit of VAT."""
        return self.total_collected - self.total_deductible

    def table(self) -> StatementTable:
        def rate_rows(label, lines):
            return [
                Row(
                    (
                        label if line.rate is not None else f"{label} (taux non précisé)",
                        Percent(line.rate) if line.rate is not None else None,
                        line.base,
                        line.amount,
                    )
                )
                for line in lines
            ]

        net = self.net_due
        rows = (
            Row(("TVA collectée", None, None, None), RowKind.HEADING),
            *rate_rows("Opérations imposables", self.collected),
            Row(
                (
                    "Total de la TVA collectée",
                    None,
                    self.total_collected_base,
                    self.total_collected,
                ),
                RowKind.SUBTOTAL,
            ),
            Row(("TVA déductible", None, None, None), RowKind.HEADING),
            *rate_rows("Biens et services", self.deductible),
            Row(
                (
                    "Total de la TVA déductible",
                    None,
                    self.total_deductible_base,
                    self.total_deductible,
                ),
                RowKind.SUBTOTAL,
            ),
        )
        return StatementTable(
            title="Déclaration de TVA",
            slug="tva",
            ledger_name=ledger_name(self.ledger),
            date_from=self.date_from,
            date_to=self.date_to,
            columns=(
                Column("Rubrique", width=44, wraps=True),
                Column("Taux", ColumnKind.RATE, 9),
                Column("Base HT", ColumnKind.MONEY, 16),
                Column("TVA", ColumnKind.MONEY, 16),
            ),
            rows=rows,
            totals=(
                Row(
                    (
                        "TVA nette due" if net >= 0 else "Crédit de TVA (TVA nette due négative)",
                        None,
                        None,
                        net,
                    ),
                    RowKind.TOTAL,
                ),
            ),
        )


def vat_statement(*, ledger: Ledger, date_from: dt.date, date_to: dt.date) -> VatStatement:
    """Collected VAT: lines of 4457* accounts (credit - debit), base: class-7 lines of the
    same rate (credit - debit). Deductible VAT: 4456* lines (debit - credit), base:
    class-6 lines of the same rate (debit - credit). A tax line's rate is its `vat_rate`,
    else the one its sub-account names; a tax line with neither is shown as such (the
    totals must match the tax accounts), a base line without a rate is no VAT base."""
    tax_account = Q(account__number__startswith=COLLECTED_TAX) | Q(
        account__number__startswith=DEDUCTIBLE_TAX
    )
    base_account = Q(vat_rate__isnull=False) & (
        Q(account__number__startswith="6") | Q(account__number__startswith="7")
    )
    rows = (
        EntryLine.objects.filter(ledger=ledger, date__gte=date_from, date__lte=date_to)
        .filter(tax_account | base_account)
        .values_list("account__number", "vat_rate")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by()
    )
    # {side: {rate: [base, tax]}}
    sums = {
        "collected": defaultdict(lambda: [ZERO, ZERO]),
        "deductible": defaultdict(lambda: [ZERO, ZERO]),
    }
    for number, rate, debit, credit in rows:
        if number.startswith(COLLECTED_TAX):
            sums["collected"][_tax_rate(rate, number)][1] += credit - debit
        elif number.startswith(DEDUCTIBLE_TAX):
            sums["deductible"][_tax_rate(rate, number)][1] += debit - credit
        elif number.startswith("7"):
            sums["collected"][rate][0] += credit - debit
        else:
            sums["deductible"][rate][0] += debit - credit

    def lines(side):
        # Rates in increasing order, the line without a rate last.
        ordered = sorted(sums[side], key=lambda r: (r is None, r or ZERO))
        return [VatLine(rate, *sums[side][rate]) for rate in ordered]

    return VatStatement(ledger, date_from, date_to, lines("collected"), lines("deductible"))
