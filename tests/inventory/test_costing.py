from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.costing import NegativeStock, StockState, apply_movement, unit_cost_of
from mache.money import money


def test_receipts_move_the_weighted_average_cost():
    state, moved = apply_movement(StockState(), 10, D("1.2000"))
    assert state == StockState(10, D("1.2000"), D("12.00")) and moved == D("1.2000")
    state, _ = apply_movement(state, 20, D("1.5000"))
    # (10 x 1.20 + 20 x 1.50) / 30 = 1.40
    assert state == StockState(30, D("1.4000"), D("42.00"))


def test_exits_leave_the_average_and_move_at_it():
    state = StockState(30, D("1.4000"), D("42.00"))
    after, moved = apply_movement(state, -7)
    assert after == StockState(23, D("1.4000"), D("32.20"))
    assert moved == D("1.4000")


def test_the_average_is_rounded_half_up_to_eight_decimals():
    state, _ = apply_movement(StockState(3, D("1.0000"), D("3.00")), 4, D("1.1111"))
    # (3 + 4.4444) / 7 = 1.0634857142... -> 1.06348571
    assert state.average_cost == D("1.06348571")
    assert state.value == money(7 * D("1.06348571"))
    # ... and a cost's ninth decimal rounds half-up: 2 / 3 -> 0.66666667.
    assert apply_movement(StockState(), 3, D("2") / 3)[0].average_cost == D("0.66666667")


@given(value_cents=st.integers(1, 10**9), quantity=st.integers(1, 999_999))
def test_a_receipt_from_an_empty_stock_is_worth_its_value_to_the_cent(value_cents, quantity):
    """docs/inventory.md, "Stock at its full cost": 8 decimals keep a line's full cost
    through its division by its units, up to 999,999 units."""
    value = D(value_cents) / 100
    state, _ = apply_movement(StockState(), quantity, unit_cost_of(value, quantity))
    assert state.value == value


def test_an_emptied_stock_keeps_its_last_cost_and_restarts_at_the_next_receipt():
    state, _ = apply_movement(StockState(5, D("2.0000"), D("10.00")), -5)
    assert state == StockState(0, D("2.0000"), D("0.00"))
    found, _ = apply_movement(state, 2)  # a count finds two more
    assert found.value == D("4.00")
    restarted, _ = apply_movement(state, 4, D("3.0000"))
    assert restarted.average_cost == D("3.0000")


def test_stock_never_goes_negative():
    with pytest.raises(NegativeStock) as refused:
        apply_movement(StockState(2, D("1.0000"), D("2.00")), -3)
    assert (refused.value.available, refused.value.asked) == (2, 3)


movements = st.lists(
    st.one_of(
        st.tuples(st.integers(1, 500), st.decimals(D("0.0001"), D("999.9999"), places=4)),
        st.tuples(st.integers(-500, 500), st.none()),
    ),
    max_size=40,
)


@given(movements)
def test_any_sequence_keeps_quantity_non_negative_and_value_consistent(steps):
    state = StockState()
    for delta, cost in steps:
        try:
            state, _ = apply_movement(state, delta, cost)
        except NegativeStock:
            continue
        assert state.quantity >= 0
        assert state.value == money(state.quantity * state.average_cost)
        assert state.average_cost >= 0


def test_units_found_without_a_known_cost_take_the_fallback_never_zero():
    state, moved = apply_movement(StockState(), 5, None, D("2.4000"))
    assert state == StockState(5, D("2.4000"), D("12.00")) and moved == D("2.4000")
    # Once a cost is known (it survives an empty stock), the fallback is not used.
    known = StockState(0, D("1.9000"), D("0.00"))
    assert apply_movement(known, 3, None, D("2.4000")) == (
        StockState(3, D("1.9000"), D("5.70")),
        D("1.9000"),
    )
    # Exits never take it.
    assert apply_movement(StockState(2, D("0.0000"), D("0.00")), -1, None, D("2.4000"))[1] == 0
