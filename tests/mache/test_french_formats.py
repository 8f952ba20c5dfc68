"""The French formats added for docs/french.md: amounts read back to the cent, plurals,
percentages, dates in words, and their template filters and tag."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from mache.formats import (
    NBSP,
    format_eur,
    format_long_date,
    format_number,
    format_percent,
    format_rate,
    plural,
)

cents = st.integers(min_value=-(10**11), max_value=10**11).map(lambda c: Decimal(c) / 100)


def read_back(text: str) -> Decimal:
    """What a person reads, as a Decimal: "-1 234,50 €" -> Decimal("-1234.50")."""
    assert text.endswith(f"{NBSP}€")
    digits = text.removesuffix(f"{NBSP}€").replace(NBSP, "").replace(",", ".")
    return Decimal(digits)


@given(cents)
def test_an_amount_to_the_cent_reads_back_as_itself(amount):
    text = format_eur(amount)
    assert read_back(text) == amount
    assert "." not in text and " " not in text  # decimal comma, no-break spaces only
    units = text.removeprefix("-").split(",")[0].split(NBSP)
    assert all(len(group) == 3 for group in units[1:]) and 1 <= len(units[0]) <= 3


@given(cents)
def test_a_negative_amount_takes_a_hyphen_minus_and_nothing_else_does(amount):
    text = format_eur(amount)
    assert text.startswith("-") == (amount < 0)
    assert "\u2212" not in text  # one sign everywhere: "-12,00 €", never "−12,00 €"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 facture émise"),  # French: zero takes the singular
        (1, "1 facture émise"),
        (2, "2 factures émises"),
        (1000, f"1{NBSP}000 factures émises"),
    ],
)
def test_plural_follows_the_french_rule(count, expected):
    assert plural(count, "facture émise", "factures émises") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("42.5"), "43 %"), (Decimal("42.49"), "42 %"), (0, "0 %"), (100, "100 %")],
)
def test_percent_rounds_half_up_to_the_unit(value, expected):
    assert format_percent(value) == expected.replace(" ", NBSP)


def test_percent_refuses_a_float():
    with pytest.raises(TypeError):
        format_percent(42.5)


@pytest.mark.parametrize(
    ("rate", "expected"), [("5.50", "5,5 %"), ("2.10", "2,1 %"), ("20.00", "20 %"), ("0", "0 %")]
)
def test_a_vat_rate_reads_as_in_french_law(rate, expected):
    assert format_rate(Decimal(rate)) == expected.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 12), "12 novembre 2026"),
        (dt.date(2026, 8, 1), "1er août 2026"),
        (dt.date(2027, 2, 28), "28 février 2027"),
    ],
)
def test_a_date_in_words(day, expected):
    assert format_long_date(day) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("1.234"), "1,234"), (Decimal("-3"), "-3"), (Decimal("12345.6"), "12 345,6")],
)
def test_a_number_quoted_back_keeps_its_places(value, expected):
    assert format_number(value) == expected.replace(" ", NBSP)


def render(source: str, **context) -> str:
    return Template("{% load mache_format %}" + source).render(Context(context))


@pytest.mark.parametrize(("count", "word"), [(0, "lot"), (1, "lot"), (2, "lots"), (None, "lot")])
def test_the_plural_tag_and_filters(count, word):
    assert render('{% plural n "lot" "lots" %}', n=count) == f"{count or 0} {word}"
    assert render('{{ n|plural:"lot,lots" }}', n=count) == f"{count or 0} {word}"
    assert render("lot{{ n|frpluralize }}", n=count) == word
    assert render('périme{{ n|frpluralize:"nt" }}', n=count) == (
        "périment" if word == "lots" else "périme"
    )
    assert render('trava{{ n|frpluralize:"il,ux" }}', n=count) == (
        "travaux" if word == "lots" else "travail"
    )


def test_the_percent_and_long_date_filters():
    assert render("{{ v|percent }}", v=Decimal("12.5")) == f"13{NBSP}%"
    assert render("{{ d|frlongdate }}", d=dt.date(2026, 11, 12)) == "12 novembre 2026"
    assert render("{{ d|frlongdate }}{{ v|percent }}", d=None, v=None) == ""
