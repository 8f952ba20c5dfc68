"""docs/consolidation.md as pure functions: the worked example, and the invariants."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from purchasing.rules import (
    GoodsLine,
    Tier,
    allocate,
    cases_for,
    group_price,
    line_amount,
    missing_for_next_case,
    needs_review,
    reallocate,
    shipping_for,
    shop_invoices,
)

P1_TIERS = [Tier(5, D("1.1000")), Tier(10, D("1.0000"))]


def test_cases_of_the_worked_example():
    assert cases_for(21, 5, 12) == 2  # 21 = 12 + 9; 3 missing <= 5 tolerance
    assert cases_for(7, 1, 6) == 1  # 7 = 6 + 1; 5 missing > 1
    assert cases_for(5, 0, 10) == 0  # P3 is dropped


def test_cases_edge_cases():
    assert cases_for(0, 0, 6) == 0
    assert cases_for(12, 0, 12) == 1
    assert cases_for(11, 1, 12) == 1
    assert cases_for(11, 0, 12) == 0
    assert cases_for(5, 0, 1) == 5


def test_missing_for_next_case():
    assert missing_for_next_case(21, 12) == 3
    assert missing_for_next_case(24, 12) == 0
    assert missing_for_next_case(0, 6) == 0


def test_group_price_takes_the_best_reached_tier():
    assert group_price(D("1.2000"), P1_TIERS, 2) == D("1.2000")
    assert group_price(D("1.2000"), P1_TIERS, 5) == D("1.1000")
    assert group_price(D("1.2000"), P1_TIERS, 12) == D("1.0000")
    assert group_price(D("1.2000"), list(reversed(P1_TIERS)), 10) == D("1.0000")


def test_allocations_of_the_worked_example():
    # P1: shops 101, 102, 103 asked 7, 10, 4 with tolerances 2, 0, 3
    assert allocate(24, [7, 10, 4], [2, 0, 3]) == [8, 10, 6]
    # P2: shops 101, 102 asked 4, 3 with tolerances 0, 1
    assert allocate(6, [4, 3], [0, 1]) == [3, 3]


def test_supplier_total_shipping_and_minimum_of_the_worked_example():
    total = line_amount(24, D("1.2000")) + line_amount(6, D("3.5000"))
    assert total == D("49.80")
    assert shipping_for(total, D("25.00"), D("300.00")) == D("25.00")
    assert shipping_for(D("300.00"), D("25.00"), D("300.00")) == D("0.00")
    assert shipping_for(D("1000.00"), D("30.00"), None) == D("30.00")
    assert needs_review(total, D("80.00"))
    assert not needs_review(D("80.00"), D("80.00"))


def test_invoice_of_shop_101_in_the_worked_example():
    def goods(product, units, price, rate):
        return GoodsLine(product, product, units, D(price), D(price), D(rate))

    shops = [
        (101, [goods("P1", 8, "1.2000", "5.50"), goods("P2", 3, "3.5000", "20.00")]),
        (102, [goods("P1", 10, "1.2000", "5.50"), goods("P2", 3, "3.5000", "20.00")]),
        (103, [goods("P1", 6, "1.2000", "5.50")]),
    ]
    drafts = shop_invoices(shops, shipping=D("25.00"), fee_rate=D("0.02"))
    assert [d.shipping for d in drafts] == [D("10.09"), D("11.30"), D("3.61")]
    first = drafts[0]
    assert first.goods_excl_vat == D("20.10")
    shipping_lines = [(ln.vat_rate, ln.amount) for ln in first.lines if ln.kind == "shipping"]
    assert shipping_lines == [(D("5.50"), D("4.82")), (D("20.00"), D("5.27"))]
    assert first.fee == D("0.40")
    assert first.vat == [(D("5.50"), D("14.42"), D("0.79")), (D("20.00"), D("16.17"), D("3.23"))]
    assert first.total_excl_vat == D("30.59")
    assert first.total_incl_vat == D("34.61")
    # every total is the sum of its rounded parts
    for draft in drafts:
        assert draft.total_excl_vat == sum(ln.amount for ln in draft.lines)
        assert draft.total_incl_vat == draft.total_excl_vat + sum(t for _, _, t in draft.vat)


def test_savings_are_the_volume_price_difference_per_line():
    line = GoodsLine("P1", "P1", 60, D("1.0000"), D("1.2000"), D("5.50"))
    [draft] = shop_invoices([(1, [line])], shipping=D("0"), fee_rate=D("0.02"))
    assert draft.savings == D("12.00")


goods_st = st.lists(
    st.tuples(
        st.integers(0, 60),
        st.decimals("0.0100", "80", places=4),  # a line of one unit is a cent at least
        st.sampled_from([D("2.10"), D("5.50"), D("10.00"), D("20.00")]),
    ),
    max_size=6,
)


@given(
    st.lists(goods_st, min_size=1, max_size=8),
    st.decimals("0", "90", places=2),
    st.integers(0, 9),
)
def test_one_shops_draft_alone_is_the_one_the_whole_round_gives(shops_goods, shipping, wanted):
    # The order form's estimate asks for one shop's draft only (issue 18): it must be
    # the very draft of the whole computation, shipping share and totals included.
    shops = [
        (
            shop,
            [
                GoodsLine(f"P{n}", f"P{n}", units, price, price, rate)
                for n, (units, price, rate) in enumerate(goods)
            ],
        )
        for shop, goods in enumerate(shops_goods)
    ]
    every = shop_invoices(shops, shipping=shipping, fee_rate=D("0.02"))
    alone = shop_invoices(shops, shipping=shipping, fee_rate=D("0.02"), only=wanted)
    assert alone == [draft for draft in every if draft.shop == wanted]


def test_nothing_received_means_no_invoice():
    line = GoodsLine("P1", "P1", 0, D("1.0000"), D("1.2000"), D("5.50"))
    assert shop_invoices([(1, [line])], shipping=D("25.00"), fee_rate=D("0.02")) == []


demands_st = st.lists(
    st.tuples(st.integers(0, 500), st.integers(0, 50)),
    min_size=1,
    max_size=30,
).filter(lambda rows: sum(q for q, _ in rows) > 0)


@given(demands=demands_st, case_size=st.integers(1, 48))
def test_allocation_invariants(demands, case_size):
    quantities = [q for q, _ in demands]
    tolerances = [t for _, t in demands]
    ordered, tolerance = sum(quantities), sum(tolerances)
    units = cases_for(ordered, tolerance, case_size) * case_size
    shares = allocate(units, quantities, tolerances)
    assert sum(shares) == units
    for quantity, tol, share in zip(quantities, tolerances, shares, strict=True):
        assert 0 <= share <= quantity + tol
        if units < ordered:
            # a shortfall costs nobody more than their proportional share plus one unit
            loss = quantity - share
            assert loss * ordered <= quantity * (ordered - units) + ordered
        else:
            assert share >= quantity


@given(planned=st.lists(st.integers(0, 200), min_size=1, max_size=30), data=st.data())
def test_reallocation_never_gives_more_than_planned(planned, data):
    received = data.draw(st.integers(0, sum(planned)))
    shares = reallocate(received, planned)
    assert sum(shares) == received
    assert all(0 <= s <= p for s, p in zip(shares, planned, strict=True))


def test_a_round_takes_orders_while_open_and_before_its_deadline():
    import datetime as dt

    from purchasing.models import Round

    closes_at = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    round_ = Round(status=Round.Status.OPEN, closes_at=closes_at)
    assert round_.takes_orders(closes_at - dt.timedelta(seconds=1))
    assert not round_.takes_orders(closes_at)
    round_.status = Round.Status.CONSOLIDATED
    assert not round_.takes_orders(closes_at - dt.timedelta(days=1))
