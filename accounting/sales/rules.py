"""The rules of a Z ticket (daily till summary), pure functions: what makes it valid,
the lines of its entry, the source it is posted under.

A Z ticket gives the day's sales VAT included, per rate, and how they were paid. It is
posted in the shop's books, in the same transaction as the ticket itself (docs/postings.md,
"Z tickets"): journal VTE, dated the sales day, piece `Z-<YYYYMMDD>`, source
`z:<shop id>:<YYYY-MM-DD>` (the unique key of the source: the books hold a day once).
The day is a business date of the shop (shops.dates: from its joining, not in the future).

    debit  530000  cash                       credit 707000  sales excl. VAT, per rate
    debit  512000  card ("Carte bancaire")    credit 445710  VAT, per rate
    debit  512000  other ("Autres règlements")

The VAT inside an amount incl. VAT is round(ttc * rate / (100 + rate), 2), half-up; the
amount excl. VAT is the rest, so each rate's two credits add up to its sales exactly and
the entry balances whenever the payments equal the sales. Zero amounts give no line
(the books refuse them); a rate that sold nothing is not kept on the ticket either.
`sales_by_rate` is that split, the one the entry and the B2C e-reporting both read
(docs/e-reporting.md).

The ticket may give the number of sales the till counted (`transactions`, for the
e-reporting): a whole number from 0 to MAX_TRANSACTIONS, or nothing.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from mache.fields import VAT_RATES
from mache.formats import format_date, format_eur, format_number, format_quantity, format_rate
from mache.money import CENT, ZERO, money
from shops.dates import Bounds, date_bounds_error

from .. import accounts
from ..services import LineIn

JOURNAL = "VTE"
LAWFUL_RATES = frozenset(Decimal(rate) for rate in VAT_RATES)
# A village shop's till counts a few hundred sales a day; more than this is a typing error.
MAX_TRANSACTIONS = 100_000


@dataclass(frozen=True)
class SalesDayIn:
    """A Z ticket as entered: (rate, amount incl. VAT) lines and the three payments."""

    date: dt.date
    lines: Sequence[tuple[Decimal, Decimal]]
    cash: Decimal = ZERO
    card: Decimal = ZERO
    other: Decimal = ZERO
    transactions: int | None = None  # the number of sales the till counted, if given

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return self.cash + self.card + self.other


def vat_included(amount_incl_vat: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside an amount incl. VAT: 120.00 at 20 % -> 20.00; 10.55 at 5.5 % -> 0.55."""
    return money(amount_incl_vat * rate / (100 + rate))


@dataclass(frozen=True)
class RateSales:
    """The sales of a day at one rate, split as the entry posts them."""

    rate: Decimal
    base: Decimal  # excl. VAT: credited to 707000
    vat: Decimal  # credited to 445710


def sales_by_rate(lines: Sequence[tuple[Decimal, Decimal]]) -> list[RateSales]:
    """(rate, amount incl. VAT) lines split into base and VAT, rates ascending; a zero
    amount gives nothing. The entry (`sales_entry_lines`) and the e-reporting both read
    this split: what is reported is what is posted."""
    split = []
    for rate, amount in sorted(lines):
        if amount:
            vat = vat_included(amount, rate)
            split.append(RateSales(rate=rate, base=amount - vat, vat=vat))
    return split


def sales_entry_lines(
    *, lines: Sequence[tuple[Decimal, Decimal]], cash: Decimal, card: Decimal, other: Decimal
) -> list[LineIn]:
    """The lines of a Z ticket's entry: payments debited, then per rate (ascending) the
    sales excl. VAT and the VAT credited. No line for a zero amount.

    Balanced whenever cash + card + other equals the lines' total (check that first).
    """
    entry_lines = [
        LineIn(account, debit=amount, label=label)
        for account, amount, label in (
            (accounts.CASH, cash, "Espèces"),
            (accounts.BANK, card, "Carte bancaire"),
            (accounts.BANK, other, "Autres règlements"),
        )
        if amount
    ]
    for sales in sales_by_rate(lines):
        if sales.base:
            entry_lines.append(
                LineIn(
                    accounts.SALES,
                    credit=sales.base,
                    vat_rate=sales.rate,
                    label=f"Ventes TVA {format_rate(sales.rate)}",
                )
            )
        if sales.vat:
            entry_lines.append(
                LineIn(
                    accounts.VAT_COLLECTED,
                    credit=sales.vat,
                    vat_rate=sales.rate,
                    label=f"TVA collectée {format_rate(sales.rate)}",
                )
            )
    return entry_lines


def sales_day_errors(day: SalesDayIn, *, bounds: Bounds, today: dt.date) -> dict[str, list[str]]:
    """What is wrong with a Z ticket, by field (`date`, `lines`, `payments`,
    `transactions`); {} if nothing.
    `bounds`: the shop's business dates (shops.dates.business_date_bounds)."""
    errors: dict[str, list[str]] = {}
    if day.date > today:
        errors["date"] = [
            f"Le {format_date(day.date)} est dans le futur : un ticket Z se "
            f"saisit le jour même ou après."
        ]
    elif error := date_bounds_error(day.date, bounds, today=today):
        errors["date"] = [error]
    line_errors, seen = [], set()
    if not day.lines:
        line_errors.append("Un ticket Z compte au moins une ligne.")
    for rate, amount in day.lines:
        if rate not in LAWFUL_RATES:
            line_errors.append(f"Taux de TVA {format_rate(rate)} non permis.")
        elif rate in seen:
            line_errors.append(
                f"Le taux {format_rate(rate)} figure deux fois : une ligne par taux."
            )
        seen.add(rate)
        if amount < 0 or amount != amount.quantize(CENT):
            line_errors.append(
                f"Montant {format_number(amount)} invalide (positif, deux décimales au plus)."
            )
    payment_errors = [
        f"Règlement {format_number(amount)} invalide (positif, deux décimales au plus)."
        for amount in (day.cash, day.card, day.other)
        if amount < 0 or amount != amount.quantize(CENT)
    ]
    if not line_errors and not payment_errors:
        if not day.total:
            line_errors.append("Le total des ventes est nul : il n'y a rien à comptabiliser.")
        elif day.paid != day.total:
            payment_errors.append(
                f"Les règlements ({format_eur(day.paid)}) ne correspondent "
                f"pas au total des ventes ({format_eur(day.total)})."
            )
    if line_errors:
        errors["lines"] = line_errors
    if payment_errors:
        errors["payments"] = payment_errors
    if error := transactions_error(day.transactions):
        errors["transactions"] = [error]
    elif day.transactions == 0 and not line_errors and day.total:
        # A till that sold something counted at least one sale (docs/e-reporting.md).
        errors["transactions"] = [
            f"Nombre de ventes 0 pour {format_eur(day.total)} de ventes : indiquez le "
            "nombre de ventes du ticket Z, ou laissez-le vide."
        ]
    return errors


def transactions_error(count) -> str | None:
    """What is wrong with a ticket's number of sales (None: not given, allowed)."""
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_TRANSACTIONS:
        return (
            f"Nombre de ventes {count} invalide : un nombre entier de 0 à "
            f"{format_quantity(MAX_TRANSACTIONS)}."
        )
    return None


def source_of(shop, day: dt.date, reissue: int = 0) -> str:
    """The posting source of a shop's ticket of `day`, the `reissue`-th after as many
    reversed ones (0: the first ticket of the day)."""
    source = f"z:{shop.pk}:{day.isoformat()}"
    return f"{source}/{reissue}" if reissue else source
