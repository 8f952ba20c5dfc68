"""French display of amounts, prices, dates and rates: pure functions, no ORM.

Spaces are no-break spaces (U+00A0): "1 234,56 €" must not be cut across two lines,
and U+00A0 is in WinAnsi, the encoding of ReportLab's built-in fonts, where the
narrow U+202F is not (it would print as a missing glyph in the PDFs).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from .money import UNIT_PRICE_PLACES, money, to_decimal

NBSP = "\u00a0"


def _group_thousands(digits: str) -> str:
    """'1234567' -> '1 234 567' (no-break spaces)."""
    if len(digits) < 4:  # most quantities: nothing to group
        return digits
    return f"{int(digits):,}".replace(",", NBSP)


def _format_fixed(value: Decimal) -> str:
    """A Decimal already quantized to its places -> '-1 234,5600' (French separators)."""
    # A value that rounds to zero prints without a sign: "-0,00 €" would read as a debt.
    sign = "-" if value < 0 else ""
    units, _, decimals = f"{abs(value):f}".partition(".")
    text = _group_thousands(units)
    if decimals:
        text += "," + decimals
    return sign + text


def format_eur(amount) -> str:
    """An amount rounded half-up to the cent: Decimal("1234.565") -> "1 234,57 €"."""
    return f"{_format_fixed(money(amount))}{NBSP}€"


def format_unit_price(price, *, symbol: bool = True) -> str:
    """A unit price with its four decimals: Decimal("1.2") -> "1,2000 €" ("1,2000"
    without `symbol`, in a list whose head says "€")."""
    value = to_decimal(price).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)
    return f"{_format_fixed(value)}{NBSP}€" if symbol else _format_fixed(value)


def format_quantity(quantity: int) -> str:
    """A whole number of units or cases: 12000 -> "12 000"."""
    return ("-" if quantity < 0 else "") + _group_thousands(str(abs(int(quantity))))


def format_date(day: dt.date) -> str:
    """date(2026, 11, 26) -> "26/11/2026"."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def format_month_name(day: dt.date) -> str:
    """The month of a day in words: date(2026, 11, 1) -> "novembre 2026"."""
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def format_rate(rate) -> str:
    """A percentage without its useless zeros: Decimal("5.50") -> "5,5 %", "20.00" -> "20 %"."""
    value = to_decimal(rate)
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()
    return f"{_format_fixed(value)}{NBSP}%"


def format_long_date(day: dt.date) -> str:
    """A day in words, for a sentence: date(2026, 11, 1) -> "1er novembre 2026"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTH_NAMES[day.month - 1]} {day.year}"


def format_percent(value) -> str:
    """A share in percent, rounded half-up to the unit: 42.6 -> "43 %" (a gauge, a
    margin); an int or a Decimal, never a float (`mache.money.to_decimal`)."""
    whole = to_decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{_format_fixed(whole)}{NBSP}%"


def plural(count: int, singular: str, plural_form: str) -> str:
    """A count and its noun, French rule (0 and 1 take the singular):
    plural(1, "facture émise", "factures émises") -> "1 facture émise",
    plural(2, ...) -> "2 factures émises". Never "facture(s)"."""
    return f"{format_quantity(count)} {singular if abs(int(count)) < 2 else plural_form}"


def format_number(value) -> str:
    """A Decimal with the places it has, French separators: Decimal("-1234.567") ->
    "-1 234,567" (a value quoted back as typed in an error message)."""
    return _format_fixed(to_decimal(value))
