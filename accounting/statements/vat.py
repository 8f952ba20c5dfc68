"""VAT statement of a period: the lines of the monthly CA3 return. Base and tax per
rate, collected (sales) and deductible (purchases), and the lines of form 3310-CA3-SD
they fill (docs/statements.md, "VAT statement and the CA3 lines"); one aggregate query."""

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
DEDUCTIBLE_ON_FIXED_ASSETS = "44562"  # TVA sur immobilisations: CA3 line 19, not 20
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
class Ca3Line:
    line: str  # the form's code: "08", "9B", "TD"
    label: str
    base: Decimal | None = None  # excl. VAT, on the lines that have one
    tax: Decimal | None = None


# The taxable rates of metropolitan France and the CA3 line of each (docs/statements.md).
CA3_RATE_LINES = {
    Decimal("20.00"): ("08", "Taux normal 20 %"),
    Decimal("5.50"): ("09", "Taux réduit 5,5 %"),
    Decimal("10.00"): ("9B", "Taux réduit 10 %"),
    Decimal("2.10"): ("T6", "France continentale, taux de 2,1 %"),
}
ZERO_RATE = Decimal("0.00")


@dataclass(frozen=True)
class VatStatement:
    ledger: Ledger
    date_from: dt.date
    date_to: dt.date
    collected: list[VatLine]
    deductible: list[VatLine]
    # The part of the deductible tax on fixed assets (44562): CA3 line 19.
    deductible_on_fixed_assets: Decimal = ZERO

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

    @property
    def ca3(self) -> list[Ca3Line]:
        """The lines of form 3310-CA3-SD these books fill, in the form's order: A1 (and E2
        for sales at 0 %), the tax due per rate (08, 09, 9B, T6), 16, the deductible tax
        (19, 20), 23, then TD and 28 (VAT due) or 25 and 27 (a credit). Lines the books
        cannot know (imports, intra-EU, refunds asked: 26, AA, X5...) are left to the
        accountant."""
        collected = {line.rate: line for line in self.collected}
        taxable_base = sum(
            (line.base for rate, line in collected.items() if rate in CA3_RATE_LINES), ZERO
        )
        lines = [Ca3Line("A1", "Ventes, prestations de services", base=taxable_base)]
        if ZERO_RATE in collected:
            lines.append(
                Ca3Line("E2", "Autres opérations non imposables", base=collected[ZERO_RATE].base)
            )
        for rate, (code, label) in CA3_RATE_LINES.items():
            line = collected.get(rate)
            lines.append(
                Ca3Line(code, label, line.base if line else ZERO, line.amount if line else ZERO)
            )
        on_fixed_assets = self.deductible_on_fixed_assets
        lines += [
            Ca3Line("16", "Total de la TVA brute due (lignes 08 à 5B)", tax=self.total_collected),
            Ca3Line(
                "19", "TVA déductible : biens constituant des immobilisations", tax=on_fixed_assets
            ),
            Ca3Line(
                "20",
                "TVA déductible : autres biens et services",
                tax=self.total_deductible - on_fixed_assets,
            ),
            Ca3Line("23", "Total de la TVA déductible (lignes 19 à 2C)", tax=self.total_deductible),
        ]
        net = self.net_due
        if net >= 0:
            lines += [
                Ca3Line("TD", "TVA nette due (lignes 16 - 23)", tax=net),
                Ca3Line("28", "TVA nette due (ligne TD - ligne X5)", tax=net),
            ]
        else:
            lines += [
                Ca3Line("25", "Crédit de TVA (lignes 23 - 16)", tax=-net),
                Ca3Line("27", "Crédit à reporter (lignes 25 - 26 - AA)", tax=-net),
            ]
        return lines

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
            Row(
                ("Lignes de la déclaration CA3 (formulaire 3310-CA3-SD)", None, None, None),
                RowKind.HEADING,
            ),
            *(Row((f"{line.line} — {line.label}", None, line.base, line.tax)) for line in self.ca3),
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


def vat_statement(
    *, ledger: Ledger, date_from: dt.date, date_to: dt.date, journal: str | None = None
) -> VatStatement:
    """Collected VAT: lines of 4457* accounts (credit - debit), base: class-7 lines of the
    same rate (credit - debit). Deductible VAT: 4456* lines (debit - credit), base:
    class-6 lines of the same rate (debit - credit). A tax line's rate is its `vat_rate`,
    else the one its sub-account names; a tax line with neither is shown as such (the
    totals must match the tax accounts), a base line without a rate is no VAT base.
    `journal` (a code): the lines of that journal only, as the e-reporting reconciles
    with the sales journal (docs/e-reporting.md)."""
    tax_account = Q(account__number__startswith=COLLECTED_TAX) | Q(
        account__number__startswith=DEDUCTIBLE_TAX
    )
    base_account = Q(vat_rate__isnull=False) & (
        Q(account__number__startswith="6") | Q(account__number__startswith="7")
    )
    lines_of_period = EntryLine.objects.filter(
        ledger=ledger, date__gte=date_from, date__lte=date_to
    )
    if journal is not None:
        lines_of_period = lines_of_period.filter(entry__journal__code=journal)
    rows = (
        lines_of_period.filter(tax_account | base_account)
        .values_list("account__number", "vat_rate")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by()
    )
    # {side: {rate: [base, tax]}}
    sums = {
        "collected": defaultdict(lambda: [ZERO, ZERO]),
        "deductible": defaultdict(lambda: [ZERO, ZERO]),
    }
    on_fixed_assets = ZERO
    for number, rate, debit, credit in rows:
        if number.startswith(COLLECTED_TAX):
            sums["collected"][_tax_rate(rate, number)][1] += credit - debit
        elif number.startswith(DEDUCTIBLE_TAX):
            sums["deductible"][_tax_rate(rate, number)][1] += debit - credit
            if number.startswith(DEDUCTIBLE_ON_FIXED_ASSETS):
                on_fixed_assets += debit - credit
        elif number.startswith("7"):
            sums["collected"][rate][0] += credit - debit
        else:
            sums["deductible"][rate][0] += debit - credit

    def lines(side):
        # Rates in increasing order, the line without a rate last.
        ordered = sorted(sums[side], key=lambda r: (r is None, r or ZERO))
        return [VatLine(rate, *sums[side][rate]) for rate in ordered]

    return VatStatement(
        ledger, date_from, date_to, lines("collected"), lines("deductible"), on_fixed_assets
    )
