import datetime as dt
from decimal import Decimal

import pytest

from mache.formats import (
    NBSP,
    format_date,
    format_eur,
    format_month_name,
    format_quantity,
    format_rate,
    format_unit_price,
)


def nb(text: str) -> str:
    """Expected values are written with plain spaces; the functions print no-break ones."""
    return text.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0"), "0,00 €"),
        (Decimal("0.00"), "0,00 €"),
        (Decimal("49.8"), "49,80 €"),
        (Decimal("999.99"), "999,99 €"),
        (Decimal("1000"), "1 000,00 €"),
        (Decimal("1234.56"), "1 234,56 €"),
        (Decimal("123456.7"), "123 456,70 €"),
        (Decimal("1234567.89"), "1 234 567,89 €"),
        (Decimal("-1234.56"), "-1 234,56 €"),
        (Decimal("-0.5"), "-0,50 €"),
        (7, "7,00 €"),
        ("12.3", "12,30 €"),
    ],
)
def test_format_eur_groups_thousands_and_keeps_two_decimals(amount, expected):
    assert format_eur(amount) == nb(expected)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("2.345"), "2,35 €"),  # half goes up
        (Decimal("2.344"), "2,34 €"),
        (Decimal("-2.345"), "-2,35 €"),  # half-up is away from zero, as mache.money does
        (Decimal("999.995"), "1 000,00 €"),  # the rounding carries into the thousands
        (Decimal("-0.004"), "0,00 €"),  # rounds to zero: no "-0,00 €"
    ],
)
def test_format_eur_rounds_half_up_to_the_cent(amount, expected):
    assert format_eur(amount) == nb(expected)


def test_format_eur_uses_no_break_spaces_only():
    text = format_eur(Decimal("1234.56"))
    assert text == "1\u00a0234,56\u00a0€"
    assert " " not in text


def test_formats_refuse_floats():
    with pytest.raises(TypeError):
        format_eur(1.5)
    with pytest.raises(TypeError):
        format_unit_price(1.5)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (Decimal("1.2"), "1,2000 €"),
        (Decimal("1.2000"), "1,2000 €"),
        (Decimal("0.0001"), "0,0001 €"),
        (Decimal("0.83335"), "0,8334 €"),  # half-up at the fourth decimal
        (Decimal("1234.5"), "1 234,5000 €"),
        (Decimal("0"), "0,0000 €"),
    ],
)
def test_format_unit_price_keeps_four_decimals(price, expected):
    assert format_unit_price(price) == nb(expected)


@pytest.mark.parametrize(
    ("quantity", "expected"), [(0, "0"), (12, "12"), (1200, "1 200"), (-3500, "-3 500")]
)
def test_format_quantity(quantity, expected):
    assert format_quantity(quantity) == nb(expected)


def test_format_date():
    assert format_date(dt.date(2026, 11, 26)) == "26/11/2026"
    assert format_date(dt.date(2027, 1, 5)) == "05/01/2027"


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (Decimal("5.50"), "5,5 %"),
        (Decimal("2.10"), "2,1 %"),
        (Decimal("20.00"), "20 %"),
        (Decimal("10.00"), "10 %"),
        (Decimal("0.00"), "0 %"),
        (Decimal("12.25"), "12,25 %"),
    ],
)
def test_format_rate_drops_useless_zeros(rate, expected):
    assert format_rate(rate) == nb(expected)


def test_a_month_in_words_is_french_for_every_month():
    assert format_month_name(dt.date(2026, 2, 14)) == "février 2026"
    assert format_month_name(dt.date(2026, 8, 1)) == "août 2026"
    assert [format_month_name(dt.date(2025, m, 1)).split()[0] for m in (1, 12)] == [
        "janvier",
        "décembre",
    ]
