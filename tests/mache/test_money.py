from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mache.money import from_cents, money, split, split_money, to_cents


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.345", "2.35"),  # half goes up
        ("2.344", "2.34"),
        ("-2.345", "-2.35"),  # half-up is away from zero
        ("0.005", "0.01"),
        ("10", "10.00"),
        (Decimal("1.2") * 21, "25.20"),
        (7, "7.00"),
    ],
)
def test_money_rounds_half_up_to_the_cent(raw, expected):
    assert money(raw) == Decimal(expected)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        money(0.1)


def test_money_refuses_text_that_is_not_an_amount():
    with pytest.raises(ValueError):
        money("douze")


def test_to_cents_refuses_a_third_decimal():
    assert to_cents(Decimal("12.30")) == 1230
    with pytest.raises(ValueError):
        to_cents(Decimal("12.305"))


def test_split_of_the_spec_worked_example():
    # docs/consolidation.md: P1 extra 3 units over tolerances 2, 0, 3 -> 1, 0, 2
    assert split(3, [2, 0, 3]) == [1, 0, 2]
    # P2: 6 units over quantities 4, 3 -> 3, 3 (the last unit to the larger remainder)
    assert split(6, [4, 3]) == [3, 3]
    # shipping 25.00 over goods 20.10 / 22.50 / 7.20 -> 10.09 / 11.30 / 3.61
    assert split_money(Decimal("25.00"), [Decimal("20.10"), Decimal("22.50"), Decimal("7.20")]) == [
        Decimal("10.09"),
        Decimal("11.30"),
        Decimal("3.61"),
    ]
    # shop 101's shipping share 10.09 over its goods 9.60 (5.5 %) and 10.50 (20 %)
    assert split_money(Decimal("10.09"), [Decimal("9.60"), Decimal("10.50")]) == [
        Decimal("4.82"),
        Decimal("5.27"),
    ]


def test_split_ties_go_to_the_first_party():
    assert split(1, [1, 1, 1]) == [1, 0, 0]
    assert split(2, [1, 1, 1]) == [1, 1, 0]


def test_split_of_nothing_over_nothing_is_nothing():
    assert split(0, [0, 0]) == [0, 0]
    assert split(0, []) == []


@pytest.mark.parametrize(("total", "weights"), [(1, [0, 0]), (-1, [1]), (1, [2, -1])])
def test_split_refuses_impossible_shares(total, weights):
    with pytest.raises(ValueError):
        split(total, weights)


weights_st = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40).filter(
    lambda ws: sum(ws) > 0
)


@given(total=st.integers(min_value=0, max_value=10**9), weights=weights_st)
def test_split_always_sums_to_its_total_and_never_gives_a_negative_share(total, weights):
    shares = split(total, weights)
    assert sum(shares) == total
    assert all(share >= 0 for share in shares)
    assert len(shares) == len(weights)


@given(total=st.integers(min_value=0, max_value=10**9), weights=weights_st)
def test_split_stays_within_one_unit_of_the_exact_share(total, weights):
    weight_sum = sum(weights)
    for share, weight in zip(split(total, weights), weights, strict=True):
        # |share - total*w/W| < 1, in integers
        assert abs(share * weight_sum - total * weight) < weight_sum
        if weight == 0:
            assert share == 0


@given(data=st.data(), weights=weights_st)
def test_split_respects_caps_when_the_total_fits_in_the_weights(data, weights):
    # The tolerance rule: split(E, tolerances) with E <= sum of tolerances never gives a
    # shop more than its tolerance.
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    for share, cap in zip(split(total, weights), weights, strict=True):
        assert share <= cap


@given(
    cents=st.integers(min_value=0, max_value=10**8),
    amounts=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=20).filter(
        lambda xs: sum(xs) > 0
    ),
)
def test_split_money_sums_to_the_cent(cents, amounts):
    parts = split_money(from_cents(cents), [from_cents(a) for a in amounts])
    assert sum(parts, Decimal("0")) == from_cents(cents)
    assert all(part.as_tuple().exponent == -2 for part in parts)
