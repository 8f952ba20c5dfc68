"""Credit notes (avoirs): the rules alone, the service (numbers, limits, both books, the
stock), the PDF, the API with its tenancy and bad input, the pages
(docs/credit-notes.md)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounting.lettering import letters_of
from accounting.models import Entry, EntryLine
from inventory.models import StockBalance, StockMovement
from inventory.services import InsufficientStock, movement_create
from mache.errors import InvalidInput
from mache.money import money
from payments.services.payments import payment_record
from purchasing import credit_note_rules as cn_rules
from purchasing.models import CreditNote, Invoice, InvoiceSettlement
from purchasing.rules import line_amount, vat_amount
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.receipt import supplier_order_receive
from purchasing.services.settlement import invoice_customer_line, shop_credit_balance
from shops.models import User
from tests.factories import ShopFactory, UserFactory
from tests.factories.purchasing import received_round
from tests.helpers import page_text, pdf_text

from .test_consolidation import close, place_example

D = Decimal
TODAY = timezone.localdate


@pytest.fixture
def invoiced(example):
    """The worked example received in full: shop 101's invoice is P1 8 x 1.20 = 9.60
    (5.5 %), P2 3 x 3.50 = 10.50 (20 %), shipping 4.82 (5.5 %) + 5.27 (20 %), fee 0.40
    (20 %): 30.59 HT, 34.61 TTC (tests/purchasing/test_receipt.py)."""
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    example["invoice"] = Invoice.objects.get(shop_id=101)
    example["lines"] = {
        (line.kind, line.product_id, line.vat_rate): line for line in example["invoice"].lines.all()
    }
    return example


def line_of(ex, kind, product=None, rate=None):
    return next(
        line
        for (k, p, r), line in ex["lines"].items()
        if k == kind and (product is None or p == product.pk) and (rate is None or r == D(rate))
    )


def whole_invoice(ex) -> list[dict]:
    return [{"invoice_line": line.pk, "quantity": line.quantity} for line in ex["lines"].values()]


def coop_lines(number):
    return list(
        EntryLine.objects.filter(
            entry__source=f"credit-note:{number}", ledger__kind="cooperative"
        ).select_related("account", "auxiliary")
    )


def shop_lines(number):
    return list(
        EntryLine.objects.filter(
            entry__source=f"credit-note:{number}", ledger__kind="shop"
        ).select_related("account", "auxiliary")
    )


def by_account(lines):
    """{(account, vat rate): (debit, credit)} summed."""
    found = {}
    for line in lines:
        key = (line.account.number, line.vat_rate)
        debit, credit = found.get(key, (D("0.00"), D("0.00")))
        found[key] = (debit + line.debit, credit + line.credit)
    return found


# --- The rules alone ------------------------------------------------------------------

INVOICE_LINES = [
    cn_rules.InvoicedLine(1, "goods", "Produit P1", 11, 8, D("1.2000"), D("9.60"), D("5.50")),
    cn_rules.InvoicedLine(2, "goods", "Produit P2", 12, 3, D("3.5000"), D("10.50"), D("20.00")),
    cn_rules.InvoicedLine(3, "shipping", "Port 5,5", None, 1, D("4.8200"), D("4.82"), D("5.50")),
    cn_rules.InvoicedLine(4, "shipping", "Port 20", None, 1, D("5.2700"), D("5.27"), D("20.00")),
    cn_rules.InvoicedLine(5, "fee", "Frais", None, 1, D("0.4000"), D("0.40"), D("20.00")),
]
TOTAL = D("34.61")
# 14.42 x 5.5 / 100 = 0.7931 -> 0.79; 16.17 x 20 / 100 = 3.234 -> 3.23
INVOICE_VAT = {D("5.50"): D("0.79"), D("20.00"): D("3.23")}


def draft(asked, credited=None):
    return cn_rules.credit_note_draft(
        invoice_lines=INVOICE_LINES,
        invoice_vat=INVOICE_VAT,
        invoice_total_incl_vat=TOTAL,
        credited=credited or cn_rules.Credited(),
        asked=asked,
    )


def test_a_shipping_share_over_two_vat_rates_is_exact_to_the_cent():
    """The worked case: the shipping share given back, 4.82 at 5.5 % and 5.27 at 20 %."""
    note = draft(
        [
            cn_rules.AmountBack("Port 5,5 %", D("4.82"), D("5.50")),
            cn_rules.AmountBack("Port 20 %", D("5.27"), D("20.00")),
        ]
    )
    # By hand: 4.82 x 5.5 / 100 = 0.2651 -> 0.27; 5.27 x 20 / 100 = 1.054 -> 1.05.
    assert note.vat == [(D("5.50"), D("4.82"), D("0.27")), (D("20.00"), D("5.27"), D("1.05"))]
    assert vat_amount(D("4.82"), D("5.50")) == D("0.27")
    assert (note.total_excl_vat, note.total_vat, note.total_incl_vat) == (
        D("10.09"),
        D("1.32"),
        D("11.41"),
    )
    assert [line.kind for line in note.lines] == ["shipping", "shipping"]
    assert all(line.invoice_line is None for line in note.lines)


def test_units_are_taken_back_at_the_line_price_and_rate():
    note = draft([cn_rules.UnitsBack(invoice_line=1, quantity=3, return_to_supplier=True)])
    [line] = note.lines
    assert (line.kind, line.product, line.quantity, line.unit_price) == ("goods", 11, 3, D("1.2"))
    assert line.amount == line_amount(3, D("1.2000")) == D("3.60")
    assert line.return_to_supplier
    # 3.60 x 5.5 / 100 = 0.198 -> 0.20
    assert note.vat == [(D("5.50"), D("3.60"), D("0.20"))]
    assert note.total_incl_vat == D("3.80")


def test_units_taken_back_in_several_notes_never_exceed_the_line_amount():
    # 1.2345 a unit: 1 unit 1.23, 2 units 2.469 -> 2.47; the second unit is 1.24.
    assert cn_rules.units_amount(before=0, units=1, unit_price=D("1.2345")) == D("1.23")
    assert cn_rules.units_amount(before=1, units=1, unit_price=D("1.2345")) == D("1.24")
    assert money(2 * D("1.2345")) == D("2.47")


def test_no_more_units_than_remain_on_the_line():
    credited = cn_rules.Credited(units={1: 6}, amounts={("goods", D("5.50")): D("7.20")})
    with pytest.raises(InvalidInput) as refused:
        draft([cn_rules.UnitsBack(invoice_line=1, quantity=3)], credited)
    [errors] = refused.value.errors["lines"]
    assert "2 unités restent" in errors["quantity"][0]
    assert draft([cn_rules.UnitsBack(invoice_line=1, quantity=2)], credited).total_excl_vat == D(
        "2.40"
    )


def test_no_more_than_remains_at_a_kind_and_rate():
    # A price error credited on the goods at 5.5 %, then every unit: 9.60 is all there is.
    credited = cn_rules.Credited(amounts={("goods", D("5.50")): D("1.00")})
    with pytest.raises(InvalidInput) as refused:
        draft([cn_rules.UnitsBack(invoice_line=1, quantity=8)], credited)
    assert "8,60" in refused.value.errors["lines"][0]["quantity"][0]
    # A kind named: that kind at that rate is the limit (4.82 of shipping at 5.5 %).
    with pytest.raises(InvalidInput) as refused:
        draft([cn_rules.AmountBack("Port", D("4.83"), D("5.50"), kind="shipping")])
    assert list(refused.value.errors["lines"][0]) == ["amount_excl_vat"]
    assert "en port à 5,5\u00a0%" in refused.value.errors["lines"][0]["amount_excl_vat"][0]
    # No shipping was invoiced at 10 %.
    with pytest.raises(InvalidInput):
        draft([cn_rules.AmountBack("Port", D("0.01"), D("10.00"))])


def test_no_more_than_remains_in_total():
    credited = cn_rules.Credited(total_incl_vat=D("30.00"))
    with pytest.raises(InvalidInput) as refused:
        draft([cn_rules.UnitsBack(invoice_line=2, quantity=2)], credited)  # 8.40 TTC
    assert "4,61" in refused.value.errors["lines"][0]


def test_bad_lines_are_named_by_their_index():
    with pytest.raises(InvalidInput) as refused:
        draft(
            [
                cn_rules.UnitsBack(invoice_line=1, quantity=1),
                cn_rules.UnitsBack(invoice_line=99, quantity=1),
                cn_rules.AmountBack("Port", D("0.00"), D("5.50")),
                cn_rules.UnitsBack(invoice_line=1, quantity=1),
            ]
        )
    errors = refused.value.errors["lines"]
    assert errors[0] == {}
    assert list(errors[1]) == ["invoice_line"]
    assert list(errors[2]) == ["amount_excl_vat"]
    assert list(errors[3]) == ["invoice_line"]  # the same line twice
    with pytest.raises(InvalidInput):
        draft([])


def test_applied_is_what_the_invoice_still_owes():
    assert cn_rules.credit_applied(total_incl_vat=D("11.41"), amount_due=D("34.61")) == D("11.41")
    assert cn_rules.credit_applied(total_incl_vat=D("11.41"), amount_due=D("4.61")) == D("4.61")
    assert cn_rules.credit_applied(total_incl_vat=D("11.41"), amount_due=D("0.00")) == D("0.00")


# An amount with no kind: what remains at its rate, shipping, then fee, then goods.


def test_an_amount_with_no_kind_takes_the_shipping_first_then_the_fee_then_the_goods():
    # At 20 %: shipping 5.27, fee 0.40, goods 10.50. 6.00 asked: 5.27 + 0.40 + 0.33.
    note = draft([cn_rules.AmountBack("Geste commercial", D("6.00"), D("20.00"))])
    assert [(line.kind, line.label, line.amount) for line in note.lines] == [
        ("shipping", "Geste commercial", D("5.27")),
        ("fee", "Geste commercial", D("0.40")),
        ("goods", "Geste commercial", D("0.33")),
    ]
    assert sum(line.amount for line in note.lines) == D("6.00")
    assert all(line.invoice_line is None and line.product is None for line in note.lines)
    # 6.00 x 20 / 100 = 1.20
    assert note.vat == [(D("20.00"), D("6.00"), D("1.20"))]
    # One kind takes it all: one line.
    [line] = draft([cn_rules.AmountBack("Port", D("5.00"), D("20.00"))]).lines
    assert (line.kind, line.amount) == ("shipping", D("5.00"))


def test_an_amount_with_no_kind_takes_what_earlier_notes_and_this_one_left():
    # The shipping at 20 % credited before; this note takes the fee as units, too.
    credited = cn_rules.Credited(amounts={("shipping", D("20.00")): D("5.27")})
    note = draft(
        [
            cn_rules.UnitsBack(invoice_line=5, quantity=1),
            cn_rules.AmountBack("Erreur de prix", D("1.00"), D("20.00")),
        ],
        credited,
    )
    assert [(line.kind, line.invoice_line, line.amount) for line in note.lines] == [
        ("fee", 5, D("0.40")),
        ("goods", None, D("1.00")),
    ]
    # The fee alone at 20 % once the shipping is credited.
    [line] = draft([cn_rules.AmountBack("Frais", D("0.40"), D("20.00"))], credited).lines
    assert (line.kind, line.amount) == ("fee", D("0.40"))


def test_an_amount_with_no_kind_is_capped_by_all_that_remains_at_its_rate():
    # 16.17 at 20 %: the 3 units of P2 (10.50) leave 5.67.
    with pytest.raises(InvalidInput) as refused:
        draft(
            [
                cn_rules.UnitsBack(invoice_line=2, quantity=3),
                cn_rules.AmountBack("Port", D("5.68"), D("20.00")),
            ]
        )
    errors = refused.value.errors["lines"]
    assert errors[0] == {}
    assert list(errors[1]) == ["amount_excl_vat"]
    assert "à 20\u00a0%" in errors[1]["amount_excl_vat"][0]
    assert "16,17" in errors[1]["amount_excl_vat"][0] and "16,18" in errors[1]["amount_excl_vat"][0]
    assert draft(
        [
            cn_rules.UnitsBack(invoice_line=2, quantity=3),
            cn_rules.AmountBack("Port", D("5.67"), D("20.00")),
        ]
    ).total_excl_vat == D("16.17")
    # Two amount lines at one rate count together.
    with pytest.raises(InvalidInput) as refused:
        draft(
            [
                cn_rules.AmountBack("Port", D("10.00"), D("5.50")),
                cn_rules.AmountBack("Prix", D("4.43"), D("5.50")),
            ]
        )
    assert [list(errors) for errors in refused.value.errors["lines"]] == [
        ["amount_excl_vat"],
        ["amount_excl_vat"],
    ]


# VAT over several credit notes: the one that takes the rest of a rate takes its VAT.

SMALL_LINES = [
    cn_rules.InvoicedLine(1, "goods", "Bonbon", 11, 6, D("0.0900"), D("0.54"), D("5.50")),
]


def credit_in_turn(invoice_lines, notes):
    """Each of `notes` (lists of asked lines) issued in turn on an invoice of
    `invoice_lines`, as the service does: the drafts."""
    bases = {}
    for line in invoice_lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, D("0.00")) + line.amount
    invoice_vat = {rate: vat_amount(base, rate) for rate, base in bases.items()}
    total = sum(bases.values()) + sum(invoice_vat.values())
    units, amounts, vat, credited_total, drafts = {}, {}, {}, D("0.00"), []
    for asked in notes:
        note = cn_rules.credit_note_draft(
            invoice_lines=invoice_lines,
            invoice_vat=invoice_vat,
            invoice_total_incl_vat=total,
            credited=cn_rules.Credited(dict(units), dict(amounts), credited_total, dict(vat)),
            asked=asked,
        )
        for line in note.lines:
            if line.invoice_line is not None:
                units[line.invoice_line] = units.get(line.invoice_line, 0) + line.quantity
            group = (line.kind, line.vat_rate)
            amounts[group] = amounts.get(group, D("0.00")) + line.amount
        for rate, _, tax in note.vat:
            vat[rate] = vat.get(rate, D("0.00")) + tax
        credited_total += note.total_incl_vat
        drafts.append(note)
    return drafts, invoice_vat, total


def test_unit_by_unit_credit_notes_add_up_to_the_invoice():
    # 0.54 x 5.5 / 100 = 0.0297 -> 0.03; one unit: 0.09 x 5.5 / 100 = 0.00495 -> 0.00.
    drafts, invoice_vat, total = credit_in_turn(
        SMALL_LINES, [[cn_rules.UnitsBack(invoice_line=1, quantity=1)]] * 6
    )
    assert total == D("0.57")
    assert [note.total_vat for note in drafts] == [D("0.00")] * 5 + [D("0.03")]
    assert sum(note.total_incl_vat for note in drafts) == total


def test_the_last_note_takes_back_vat_rounded_up_by_the_earlier_ones():
    # 0.10 a unit: 0.0055 -> 0.01 each, 0.05 over five notes; the invoice's 0.033 -> 0.03.
    lines = [cn_rules.InvoicedLine(1, "goods", "Bonbon", 11, 6, D("0.1"), D("0.60"), D("5.50"))]
    drafts, _, total = credit_in_turn(lines, [[cn_rules.UnitsBack(invoice_line=1, quantity=1)]] * 6)
    assert [note.total_vat for note in drafts] == [D("0.01")] * 5 + [D("-0.02")]
    assert sum(note.total_incl_vat for note in drafts) == total == D("0.63")


def test_units_too_cheap_credited_one_by_one_can_use_up_the_total_first():
    """The known limit (docs/credit-notes.md): 20 units at 0.03 at 20 %, 0.72 TTC; each
    unit 0.03 + 0.006 -> 0.01 = 0.04 TTC, so 18 of them take it all."""
    lines = [cn_rules.InvoicedLine(1, "goods", "Clou", 11, 20, D("0.03"), D("0.60"), D("20.00"))]
    one = [cn_rules.UnitsBack(invoice_line=1, quantity=1)]
    drafts, _, total = credit_in_turn(lines, [one] * 18)
    assert sum(note.total_incl_vat for note in drafts) == total == D("0.72")
    with pytest.raises(InvalidInput) as refused:
        credit_in_turn(lines, [one] * 19)
    assert "dépasse" in refused.value.errors["lines"][0]
    # The last two units together: VAT 0.12 - 0.18 = -0.06, nothing to credit.
    with pytest.raises(InvalidInput) as refused:
        credit_in_turn(lines, [one] * 18 + [[cn_rules.UnitsBack(invoice_line=1, quantity=2)]])
    assert "ne crédite rien" in refused.value.errors["lines"][0]


@given(data=st.data())
@settings(max_examples=150, deadline=None)
def test_any_sequence_of_unit_credit_notes_taking_everything_adds_up_to_the_invoice(data):
    invoice_lines = [
        cn_rules.InvoicedLine(
            number,
            "goods",
            f"Produit {number}",
            number,
            quantity,
            price,
            line_amount(quantity, price),
            rate,
        )
        for number, (quantity, price, rate) in enumerate(
            data.draw(
                st.lists(
                    st.tuples(
                        st.integers(min_value=1, max_value=6),
                        # from 0.10 a unit: below, each note's VAT rounded up could,
                        # note after note, pass the invoice's (docs/credit-notes.md)
                        st.integers(min_value=1000, max_value=99999).map(lambda n: D(n) / 10000),
                        st.sampled_from([D("2.10"), D("5.50"), D("10.00"), D("20.00")]),
                    ),
                    min_size=1,
                    max_size=3,
                )
            ),
            start=1,
        )
    ]
    units = data.draw(
        st.permutations([line.id for line in invoice_lines for _ in range(line.quantity)])
    )
    cuts = data.draw(st.lists(st.booleans(), min_size=len(units) - 1, max_size=len(units) - 1))
    notes, current = [], {}
    for position, line_id in enumerate(units):
        current[line_id] = current.get(line_id, 0) + 1
        if position == len(units) - 1 or cuts[position]:
            notes.append([cn_rules.UnitsBack(line_id, n) for line_id, n in current.items()])
            current = {}
    drafts, invoice_vat, total = credit_in_turn(invoice_lines, notes)
    assert sum(note.total_incl_vat for note in drafts) == total
    vat = {}
    for note in drafts:
        for rate, _, tax in note.vat:
            vat[rate] = vat.get(rate, D("0.00")) + tax
    assert vat == invoice_vat


# --- The service ------------------------------------------------------------------------


def test_a_credit_note_of_the_whole_invoice_credits_it(invoiced, coordinator):
    invoice = invoiced["invoice"]
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Livraison refusée",
        lines=whole_invoice(invoiced),
        user=coordinator,
    )
    assert note.number == f"MACHE-AV-{TODAY().year}-000001"
    assert (note.total_excl_vat, note.total_vat, note.total_incl_vat) == (
        invoice.total_excl_vat,
        invoice.total_vat,
        invoice.total_incl_vat,
    )
    assert note.applied == D("34.61")
    assert sorted((v.rate, v.base, v.amount) for v in note.vat_lines.all()) == sorted(
        (v.rate, v.base, v.amount) for v in invoice.vat_lines.all()
    )
    invoice.refresh_from_db()
    assert invoice.amount_due == D("0.00")
    assert invoice.amount_credited == D("34.61")
    assert invoice.status_on(TODAY()) == "credited"
    [settlement] = InvoiceSettlement.objects.filter(invoice=invoice)
    assert (settlement.kind, settlement.amount, settlement.credit_note) == (
        "credit_note",
        D("34.61"),
        note,
    )
    assert settlement.line.account.number == "411000"
    assert settlement.line.credit == D("34.61")
    # Nothing due: the invoice's 411000 line and the credit note's share one letter.
    letters = letters_of([invoice_customer_line(invoice).pk, settlement.line_id])
    assert len(letters) == 2 and len(set(letters.values())) == 1
    # Nothing more can be credited.
    with pytest.raises(InvalidInput):
        credit_note_issue(
            invoice_id=invoice.pk,
            reason="Encore",
            lines=[{"label": "Port", "amount_excl_vat": D("0.01"), "vat_rate": D("5.50")}],
        )


def test_both_books_are_balanced_and_mirror_each_other(invoiced):
    """The worked case posted: the shipping share over two rates."""
    invoice = invoiced["invoice"]
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Port facturé à tort",
        lines=[
            {"label": "Port 5,5 %", "amount_excl_vat": D("4.82"), "vat_rate": D("5.50")},
            {"label": "Port 20 %", "amount_excl_vat": D("5.27"), "vat_rate": D("20.00")},
        ],
    )
    coop, shop = coop_lines(note.number), shop_lines(note.number)
    for lines in (coop, shop):
        assert sum(line.debit for line in lines) == sum(line.credit for line in lines) == D("11.41")
    assert by_account(coop) == {
        ("708000", D("5.50")): (D("4.82"), D("0.00")),
        ("708000", D("20.00")): (D("5.27"), D("0.00")),
        ("445710", D("5.50")): (D("0.27"), D("0.00")),
        ("445710", D("20.00")): (D("1.05"), D("0.00")),
        ("411000", None): (D("0.00"), D("11.41")),
    }
    assert by_account(shop) == {
        ("401000", None): (D("11.41"), D("0.00")),
        ("624100", D("5.50")): (D("0.00"), D("4.82")),
        ("624100", D("20.00")): (D("0.00"), D("5.27")),
        ("445660", D("5.50")): (D("0.00"), D("0.27")),
        ("445660", D("20.00")): (D("0.00"), D("1.05")),
    }
    entries = Entry.objects.filter(source=f"credit-note:{note.number}")
    assert {(e.journal.code, e.piece_ref, e.label) for e in entries} == {
        ("VTE", note.number, f"Avoir {note.number}"),
        ("ACH", note.number, f"Avoir {note.number}"),
    }
    [customer] = [line for line in coop if line.account.number == "411000"]
    assert customer.auxiliary.code == "C000101"
    [supplier] = [line for line in shop if line.account.number == "401000"]
    assert supplier.auxiliary.code == "COOP"


def test_goods_and_fee_post_to_their_accounts(invoiced):
    invoice = invoiced["invoice"]
    p2 = line_of(invoiced, "goods", invoiced["p2"])
    fee = line_of(invoiced, "fee")
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Abîmé",
        lines=[
            {"invoice_line": p2.pk, "quantity": 1},
            {"invoice_line": fee.pk, "quantity": 1},
        ],
    )
    # 3.50 + 0.40 = 3.90 at 20 %: VAT 0.78
    assert note.total_incl_vat == D("4.68")
    assert by_account(coop_lines(note.number)) == {
        ("707000", D("20.00")): (D("3.50"), D("0.00")),
        ("706000", D("20.00")): (D("0.40"), D("0.00")),
        ("445710", D("20.00")): (D("0.78"), D("0.00")),
        ("411000", None): (D("0.00"), D("4.68")),
    }
    shop = by_account(shop_lines(note.number))
    assert shop[("607000", D("20.00"))] == (D("0.00"), D("3.50"))
    assert shop[("622800", D("20.00"))] == (D("0.00"), D("0.40"))  # the ledger's fee account


def test_goods_taken_back_leave_the_stock_at_their_average_cost(invoiced, coordinator):
    invoice = invoiced["invoice"]
    p1 = invoiced["p1"]
    before = StockBalance.objects.get(shop_id=101, product=p1)
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Abîmés à la livraison",
        lines=[
            {
                "invoice_line": line_of(invoiced, "goods", p1).pk,
                "quantity": 3,
                "return_to_supplier": True,
            }
        ],
        user=coordinator,
    )
    [movement] = StockMovement.objects.filter(kind="return")
    assert (movement.shop_id, movement.product_id, movement.quantity) == (101, p1.pk, -3)
    assert movement.unit_cost == before.average_cost == D("1.82625000")
    assert movement.source == f"credit-note-line:{note.lines.get().pk}"
    after = StockBalance.objects.get(shop_id=101, product=p1)
    assert after.quantity == before.quantity - 3 == 5
    assert after.value == money(5 * before.average_cost)
    assert note.lines.get().return_to_supplier


SHIPPING_BACK = [
    {"label": "Port 5,5 %", "amount_excl_vat": D("4.82"), "vat_rate": D("5.50")},
    {"label": "Port 20 %", "amount_excl_vat": D("5.27"), "vat_rate": D("20.00")},
]


def test_an_excess_over_what_is_due_is_a_credit_of_the_shop(invoiced):
    """The invoice was mostly paid: the credit note takes what is due off it, the rest
    goes to 419100."""
    invoice = invoiced["invoice"]
    payment_record(
        shop=invoice.shop, date=TODAY(), amount=D("30.00"), method="transfer", invoices=[invoice.pk]
    )
    note = credit_note_issue(invoice_id=invoice.pk, reason="Port", lines=SHIPPING_BACK)
    assert note.applied == D("4.61")  # 34.61 - 30.00
    coop = by_account(coop_lines(note.number))
    assert coop[("411000", None)] == (D("0.00"), D("4.61"))
    assert coop[("419100", None)] == (D("0.00"), D("6.80"))
    invoice.refresh_from_db()
    assert invoice.amount_due == D("0.00")
    assert invoice.status_on(TODAY()) == "paid"
    # Nothing else open: the credit stays with the shop.
    assert shop_credit_balance(invoice.shop) == D("6.80")


def test_the_excess_pays_the_shops_other_open_invoices(invoiced):
    invoice = invoiced["invoice"]
    shop = invoice.shop
    later = received_round({shop: 6})[shop.pk]
    payment_record(
        shop=shop,
        date=TODAY(),
        amount=invoice.total_incl_vat,
        method="cheque",
        invoices=[invoice.pk],
    )
    note = credit_note_issue(invoice_id=invoice.pk, reason="Port", lines=SHIPPING_BACK)
    assert note.applied == D("0.00")
    coop = by_account(coop_lines(note.number))
    assert ("411000", None) not in coop
    assert coop[("419100", None)] == (D("0.00"), D("11.41"))
    later.refresh_from_db()
    used = min(D("11.41"), later.total_incl_vat)
    assert later.amount_paid == used
    assert [(s.kind, s.amount) for s in later.settlements.all()] == [("credit", used)]
    assert shop_credit_balance(shop) == D("11.41") - used


def test_numbers_have_no_gap_even_when_an_issue_rolls_back(invoiced):
    invoice = invoiced["invoice"]
    one_unit = [{"invoice_line": line_of(invoiced, "goods", invoiced["p1"]).pk, "quantity": 1}]
    with pytest.raises(RuntimeError), transaction.atomic():
        credit_note_issue(invoice_id=invoice.pk, reason="Annulé", lines=one_unit)
        raise RuntimeError("the caller's transaction fails after the issue")
    assert not CreditNote.objects.exists()
    first = credit_note_issue(invoice_id=invoice.pk, reason="Un", lines=one_unit)
    second = credit_note_issue(invoice_id=invoice.pk, reason="Deux", lines=one_unit)
    year = TODAY().year
    assert [first.number, second.number] == [
        f"MACHE-AV-{year}-000001",
        f"MACHE-AV-{year}-000002",
    ]
    # Refused: nothing written, no number taken.
    with pytest.raises(InvalidInput):
        credit_note_issue(
            invoice_id=invoice.pk,
            reason="Trop",
            lines=[{"invoice_line": one_unit[0]["invoice_line"], "quantity": 7}],
        )
    third = credit_note_issue(invoice_id=invoice.pk, reason="Trois", lines=one_unit)
    assert third.sequence == 3


def test_the_issue_date_is_a_business_date_after_the_invoice(invoiced):
    invoice = invoiced["invoice"]
    lines = [{"invoice_line": line_of(invoiced, "fee").pk, "quantity": 1}]
    for day in (invoice.issued_on - dt.timedelta(days=1), TODAY() + dt.timedelta(days=1)):
        with pytest.raises(InvalidInput) as refused:
            credit_note_issue(invoice_id=invoice.pk, reason="Frais", lines=lines, issued_on=day)
        assert list(refused.value.errors) == ["issued_on"]
    assert not CreditNote.objects.exists()


def test_a_refused_issue_writes_nothing(invoiced):
    invoice = invoiced["invoice"]
    p1 = line_of(invoiced, "goods", invoiced["p1"])
    counts = (Entry.objects.count(), StockMovement.objects.count())
    with pytest.raises(InvalidInput):
        credit_note_issue(
            invoice_id=invoice.pk,
            reason="Trop",
            lines=[{"invoice_line": p1.pk, "quantity": 9}],
        )
    assert (Entry.objects.count(), StockMovement.objects.count()) == counts
    assert not CreditNote.objects.exists()
    invoice.refresh_from_db()
    assert invoice.amount_credited == 0


# --- PDF ---------------------------------------------------------------------------------


def test_the_pdf_shows_the_number_the_invoice_and_the_totals(invoiced, api, tmp_path):
    invoice = invoiced["invoice"]
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Port facturé à tort",
        lines=[
            {"label": "Port 5,5 %", "amount_excl_vat": D("4.82"), "vat_rate": D("5.50")},
            {"label": "Port 20 %", "amount_excl_vat": D("5.27"), "vat_rate": D("20.00")},
        ],
    )
    keeper = invoiced["keepers"][101]
    response = api.as_user(keeper).get(f"/api/credit-notes/{note.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert note.number in text
    assert invoice.number in text
    assert "Port facturé à tort" in text
    assert "11,41 €" in text
    assert invoice.buyer_name in text


# --- API --------------------------------------------------------------------------------


def post(api, user, payload):
    return api.as_user(user).post("/api/credit-notes/", payload, format="json")


def test_the_coordinator_issues_a_credit_note_through_the_api(invoiced, api, coordinator):
    invoice = invoiced["invoice"]
    p2 = line_of(invoiced, "goods", invoiced["p2"])
    response = post(
        api,
        coordinator,
        {
            "invoice": invoice.pk,
            "reason": "Bouteille cassée",
            "lines": [
                {"invoice_line": p2.pk, "quantity": 1, "return_to_supplier": True},
                {"label": "Port 20 %", "amount_excl_vat": "1.00", "vat_rate": "20.00"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id",
        "number",
        "invoice",
        "shop",
        "issued_on",
        "lines",
        "vat",
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
        "einvoice_status",  # issue 15 (docs/e-invoicing.md)
    }
    assert (body["invoice"], body["shop"], body["issued_on"]) == (
        invoice.pk,
        101,
        TODAY().isoformat(),
    )
    assert body["vat"] == [{"rate": "20.00", "base": "4.50", "amount": "0.90"}]
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "4.50",
        "0.90",
        "5.40",
    )
    assert [
        (ln["invoice_line"], ln["kind"], ln["quantity"], ln["amount"], ln["return_to_supplier"])
        for ln in body["lines"]
    ] == [(p2.pk, "goods", 1, "3.50", True), (None, "shipping", None, "1.00", False)]


@pytest.mark.parametrize(
    "lines, field",
    [
        ([], None),
        ([{"invoice_line": "P1", "quantity": 0}], "quantity"),
        ([{"label": "Port", "amount_excl_vat": "-1.00", "vat_rate": "5.50"}], "amount_excl_vat"),
        ([{"label": "Port", "amount_excl_vat": "0.00", "vat_rate": "5.50"}], "amount_excl_vat"),
        ([{"label": "Port", "amount_excl_vat": "1.00", "vat_rate": "7.00"}], "vat_rate"),
        ([{"label": "Port", "amount_excl_vat": "1.00"}], "vat_rate"),
        ([{"invoice_line": "P1", "quantity": 9}], "quantity"),
        ([{"invoice_line": "P1", "quantity": 1, "amount_excl_vat": "1.00"}], "amount_excl_vat"),
        # 9.60 of goods + 4.82 of shipping at 5.5 %: 14.42 is all there is at that rate.
        ([{"label": "Port", "amount_excl_vat": "14.43", "vat_rate": "5.50"}], "amount_excl_vat"),
        ([{"invoice_line": 999999, "quantity": 1}], "invoice_line"),
    ],
)
def test_bad_lines_answer_400_naming_the_field(invoiced, api, coordinator, lines, field):
    p1 = line_of(invoiced, "goods", invoiced["p1"])
    for line in lines:
        if line.get("invoice_line") == "P1":
            line["invoice_line"] = p1.pk
    response = post(
        api, coordinator, {"invoice": invoiced["invoice"].pk, "reason": "x", "lines": lines}
    )
    assert response.status_code == 400, response.json()
    errors = response.json()["lines"]
    if field is None:
        assert errors  # an empty list: DRF's own message
    else:
        assert field in errors[0], errors
    assert not CreditNote.objects.exists()
    assert not StockMovement.objects.filter(kind="return").exists()


def test_a_total_above_what_remains_answers_400_on_lines(invoiced, api, coordinator):
    invoice = invoiced["invoice"]
    Invoice.objects.filter(pk=invoice.pk)  # nothing paid: the whole invoice remains
    credit_note_issue(
        invoice_id=invoice.pk,
        reason="Moitié",
        lines=[{"invoice_line": line_of(invoiced, "goods", invoiced["p2"]).pk, "quantity": 3}],
    )
    response = post(
        api, coordinator, {"invoice": invoice.pk, "reason": "x", "lines": whole_invoice(invoiced)}
    )
    assert response.status_code == 400
    assert "lines" in response.json()
    assert CreditNote.objects.count() == 1


def test_an_unknown_invoice_and_a_missing_reason_answer_400(invoiced, api, coordinator):
    lines = [{"label": "Port", "amount_excl_vat": "1.00", "vat_rate": "5.50"}]
    response = post(api, coordinator, {"invoice": 999999, "reason": "x", "lines": lines})
    assert response.status_code == 400 and "invoice" in response.json()
    response = post(
        api, coordinator, {"invoice": invoiced["invoice"].pk, "reason": "", "lines": lines}
    )
    assert response.status_code == 400 and "reason" in response.json()
    response = post(api, coordinator, {"invoice": invoiced["invoice"].pk, "reason": "x"})
    assert response.status_code == 400 and "lines" in response.json()
    assert not CreditNote.objects.exists()


@pytest.mark.parametrize("role", [User.Role.SHOPKEEPER, User.Role.ACCOUNTANT])
def test_only_the_coordinator_issues_credit_notes(invoiced, api, role):
    shop = invoiced["shops"][101]
    user = UserFactory(role=role, shops=[shop])
    response = post(
        api,
        user,
        {
            "invoice": invoiced["invoice"].pk,
            "reason": "x",
            "lines": [{"label": "Port", "amount_excl_vat": "1.00", "vat_rate": "5.50"}],
        },
    )
    assert response.status_code == 403
    assert not CreditNote.objects.exists()


def test_users_see_the_credit_notes_of_their_shops_only(invoiced, api, coordinator):
    mine = credit_note_issue(
        invoice_id=invoiced["invoice"].pk,
        reason="Frais",
        lines=[{"invoice_line": line_of(invoiced, "fee").pk, "quantity": 1}],
    )
    other_invoice = Invoice.objects.get(shop_id=102)
    theirs = credit_note_issue(
        invoice_id=other_invoice.pk,
        reason="Frais",
        lines=[{"invoice_line": other_invoice.lines.get(kind="fee").pk, "quantity": 1}],
    )
    keeper = invoiced["keepers"][101]
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[invoiced["shops"][101]])
    stranger = UserFactory(role=User.Role.ACCOUNTANT, shops=[ShopFactory()])
    for user in (keeper, accountant):
        body = api.as_user(user).get("/api/credit-notes/").json()
        assert [row["id"] for row in body["results"]] == [mine.pk]
        assert api.as_user(user).get(f"/api/credit-notes/{theirs.pk}/").status_code == 404
        assert api.as_user(user).get(f"/api/credit-notes/{theirs.pk}/pdf/").status_code == 404
    assert api.as_user(stranger).get("/api/credit-notes/").json()["results"] == []
    body = api.as_user(coordinator).get("/api/credit-notes/", {"invoice": other_invoice.pk}).json()
    assert [row["id"] for row in body["results"]] == [theirs.pk]
    body = api.as_user(coordinator).get("/api/credit-notes/", {"shop": 101}).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert api.as_user(coordinator).get("/api/credit-notes/", {"shop": "x"}).status_code == 400


def test_the_list_takes_a_fixed_number_of_queries(
    invoiced, api, coordinator, django_assert_num_queries
):
    client = api.as_user(coordinator)
    fee = {i.shop_id: i.lines.get(kind="fee") for i in Invoice.objects.all()}
    credit_note_issue(
        invoice_id=fee[101].invoice_id,
        reason="Frais",
        lines=[{"invoice_line": fee[101].pk, "quantity": 1}],
    )
    client.get("/api/credit-notes/")  # the token's first use
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/credit-notes/").status_code == 200
    for shop_id in (102, 103):
        credit_note_issue(
            invoice_id=fee[shop_id].invoice_id,
            reason="Frais",
            lines=[{"invoice_line": fee[shop_id].pk, "quantity": 1}],
        )
    with django_assert_num_queries(len(one)):
        body = client.get("/api/credit-notes/").json()
    assert body["count"] == 3
    assert CreditNote.objects.aggregate(t=Sum("total_incl_vat"))["t"] > 0


def test_goods_no_longer_in_stock_cannot_be_taken_back(invoiced):
    p2 = invoiced["p2"]
    movement_create(shop=invoiced["shops"][101], product=p2, kind="sale", quantity=3)
    response_lines = [{"invoice_line": line_of(invoiced, "goods", p2).pk, "quantity": 1}]
    with pytest.raises(InsufficientStock):
        credit_note_issue(invoice_id=invoiced["invoice"].pk, reason="x", lines=response_lines)
    assert not CreditNote.objects.exists()


# --- Pages ------------------------------------------------------------------------------


def test_the_coordinator_issues_a_credit_note_from_the_invoice_page(invoiced, client, coordinator):
    invoice = invoiced["invoice"]
    client.force_login(coordinator)
    page = page_text(client.get(f"/coordination/factures/{invoice.pk}/"))
    assert invoice.number in page and "Émettre un avoir" in page and "Aucun avoir" in page
    form = client.get(f"/coordination/factures/{invoice.pk}/avoir/")
    assert form.status_code == 200
    p1 = line_of(invoiced, "goods", invoiced["p1"])
    response = client.post(
        f"/coordination/factures/{invoice.pk}/avoir/",
        {
            "reason": "Deux pots cassés",
            "issued_on": TODAY().strftime("%d/%m/%Y"),
            f"u{p1.pk}": "2",
            f"ret{p1.pk}": "on",
            "a_shipping_550": "1,00",
        },
    )
    note = CreditNote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/avoirs/{note.pk}/"
    # 2.40 + 1.00 at 5.5 %: 3.40 HT, VAT 0.187 -> 0.19
    assert note.total_incl_vat == D("3.59")
    assert [(ln.quantity, ln.return_to_supplier, ln.kind) for ln in note.lines.all()] == [
        (2, True, "goods"),
        (None, False, "shipping"),
    ]
    detail = page_text(client.get(response["Location"]))
    assert note.number in detail and "Deux pots cassés" in detail
    assert f"/avoirs/{note.pk}/pdf/" in client.get(response["Location"]).content.decode()
    page = page_text(client.get(f"/coordination/factures/{invoice.pk}/"))
    assert note.number in page


def test_the_form_says_in_french_what_it_refuses(invoiced, client, coordinator):
    invoice = invoiced["invoice"]
    client.force_login(coordinator)
    url = f"/coordination/factures/{invoice.pk}/avoir/"
    response = client.post(url, {"reason": "Rien"})
    assert response.status_code == 400
    assert "Choisissez des unités à reprendre ou un montant à créditer." in page_text(response)
    p1 = line_of(invoiced, "goods", invoiced["p1"])
    response = client.post(url, {"reason": "Trop", f"u{p1.pk}": "9"})
    assert response.status_code == 400 and "Au plus 8" in page_text(response)
    response = client.post(url, {"reason": "Trop de port", "a_shipping_550": "4,83"})
    assert response.status_code == 400
    assert "Reste à créditer en port à 5,5 %" in page_text(response).replace("\u00a0", " ")
    response = client.post(url, {"reason": "", "a_shipping_550": "1"})
    assert response.status_code == 400 and "Indiquez le motif" in page_text(response)
    assert not CreditNote.objects.exists()


def test_shops_read_their_credit_notes_and_not_the_others(invoiced, client):
    mine = credit_note_issue(
        invoice_id=invoiced["invoice"].pk,
        reason="Frais offerts",
        lines=[{"invoice_line": line_of(invoiced, "fee").pk, "quantity": 1}],
    )
    other = Invoice.objects.get(shop_id=102)
    theirs = credit_note_issue(
        invoice_id=other.pk,
        reason="Frais",
        lines=[{"invoice_line": other.lines.get(kind="fee").pk, "quantity": 1}],
    )
    client.force_login(invoiced["keepers"][101])
    listed = page_text(client.get("/avoirs/"))
    assert mine.number in listed and theirs.number not in listed
    assert mine.number in page_text(client.get("/factures/"))
    assert client.get(f"/avoirs/{mine.pk}/").status_code == 200
    assert client.get(f"/avoirs/{mine.pk}/pdf/")["Content-Type"] == "application/pdf"
    assert client.get(f"/avoirs/{theirs.pk}/").status_code == 404
    assert client.get(f"/avoirs/{theirs.pk}/pdf/").status_code == 404
    assert client.get(f"/coordination/factures/{other.pk}/").status_code == 403
    assert client.get(f"/coordination/factures/{invoiced['invoice'].pk}/avoir/").status_code == 403


# --- An amount with no kind, and VAT over several notes, through the service ------------


def invoice_of(units, unit_price, vat_rate):
    """A shop's invoice for `units` of one product (tests.factories.purchasing
    .received_round): the supplier's 25.00 of shipping at the product's rate below 300.00
    of goods, the cooperative's fee (2 % of the goods) at 20 %."""
    shop = ShopFactory()
    invoice = received_round({shop: units}, unit_price=unit_price, vat_rate=vat_rate)[shop.pk]
    return invoice, {(line.kind, line.vat_rate): line for line in invoice.lines.all()}


def amount_line(amount, rate, label="Geste commercial"):
    return {"label": label, "amount_excl_vat": amount, "vat_rate": rate}


def test_a_fee_is_credited_with_no_kind_named(api, coordinator):
    invoice, lines = invoice_of(12, "2.5000", "5.50")
    assert set(lines) == {
        ("goods", D("5.50")),
        ("shipping", D("5.50")),  # no shipping at 20 %
        ("fee", D("20.00")),
    }
    assert lines[("fee", D("20.00"))].amount == D("0.60")
    response = post(
        api,
        coordinator,
        {
            "invoice": invoice.pk,
            "reason": "Frais de service offerts",
            "lines": [amount_line("0.60", "20.00", "Frais de service")],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(ln["kind"], ln["label"], ln["amount"]) for ln in body["lines"]] == [
        ("fee", "Frais de service", "0.60")
    ]
    # 0.60 x 20 / 100 = 0.12
    assert body["total_incl_vat"] == "0.72"
    assert by_account(coop_lines(body["number"])) == {
        ("706000", D("20.00")): (D("0.60"), D("0.00")),
        ("445710", D("20.00")): (D("0.12"), D("0.00")),
        ("411000", None): (D("0.00"), D("0.72")),
    }
    assert by_account(shop_lines(body["number"])) == {
        ("401000", None): (D("0.72"), D("0.00")),
        ("622800", D("20.00")): (D("0.00"), D("0.60")),  # the ledger's fee account
        ("445660", D("20.00")): (D("0.00"), D("0.12")),
    }


def test_an_amount_at_a_rate_with_no_shipping_goes_to_the_goods(db):
    # 360.00 of goods: above the supplier's 300.00, no shipping.
    invoice, lines = invoice_of(6, "60.0000", "5.50")
    assert ("shipping", D("5.50")) not in lines
    note = credit_note_issue(
        invoice_id=invoice.pk, reason="Erreur de prix", lines=[amount_line(D("10.00"), D("5.50"))]
    )
    assert [(line.kind, line.amount) for line in note.lines.all()] == [("goods", D("10.00"))]
    # 10.00 x 5.5 / 100 = 0.55
    assert by_account(coop_lines(note.number)) == {
        ("707000", D("5.50")): (D("10.00"), D("0.00")),
        ("445710", D("5.50")): (D("0.55"), D("0.00")),
        ("411000", None): (D("0.00"), D("10.55")),
    }
    shop = by_account(shop_lines(note.number))
    assert shop[("607000", D("5.50"))] == (D("0.00"), D("10.00"))
    assert not StockMovement.objects.filter(kind="return").exists()


def test_an_amount_larger_than_one_kind_is_split_shipping_fee_goods(api, coordinator):
    # At 20 %: goods 15.00, shipping 25.00, fee 0.30.
    invoice, lines = invoice_of(6, "2.5000", "20.00")
    assert {kind: line.amount for (kind, _), line in lines.items()} == {
        "goods": D("15.00"),
        "shipping": D("25.00"),
        "fee": D("0.30"),
    }
    credit_note_issue(
        invoice_id=invoice.pk, reason="Port", lines=[amount_line(D("5.00"), D("20.00"))]
    )
    response = post(
        api,
        coordinator,
        {"invoice": invoice.pk, "reason": "Geste", "lines": [amount_line("30.00", "20.00")]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(ln["kind"], ln["label"], ln["amount"]) for ln in body["lines"]] == [
        ("shipping", "Geste commercial", "20.00"),
        ("fee", "Geste commercial", "0.30"),
        ("goods", "Geste commercial", "9.70"),
    ]
    assert sum(D(ln["amount"]) for ln in body["lines"]) == D("30.00") == D(body["total_excl_vat"])
    assert body["vat"] == [{"rate": "20.00", "base": "30.00", "amount": "6.00"}]
    coop = by_account(coop_lines(body["number"]))
    assert (coop[("708000", D("20.00"))], coop[("706000", D("20.00"))]) == (
        (D("20.00"), D("0.00")),
        (D("0.30"), D("0.00")),
    )
    assert coop[("707000", D("20.00"))] == (D("9.70"), D("0.00"))


def test_an_amount_above_all_that_remains_at_its_rate_answers_400(api, coordinator):
    invoice, lines = invoice_of(6, "2.5000", "20.00")
    goods = lines[("goods", D("20.00"))]
    payload = {
        "invoice": invoice.pk,
        "reason": "Livraison refusée",
        "lines": [
            {"invoice_line": goods.pk, "quantity": 6},
            amount_line("25.31", "20.00", "Port et frais"),  # 40.30 - 15.00 = 25.30 remain
        ],
    }
    response = post(api, coordinator, payload)
    assert response.status_code == 400, response.json()
    errors = response.json()["lines"]
    assert errors[0] == {}
    assert list(errors[1]) == ["amount_excl_vat"]
    assert "Reste à créditer à 20\u00a0%" in errors[1]["amount_excl_vat"][0]
    assert not CreditNote.objects.exists()
    # The rest exactly: the whole invoice, exact to the cent.
    payload["lines"][1]["amount_excl_vat"] = "25.30"
    response = post(api, coordinator, payload)
    assert response.status_code == 201, response.json()
    assert response.json()["total_incl_vat"] == str(invoice.total_incl_vat)
    invoice.refresh_from_db()
    assert invoice.status_on(TODAY()) == "credited"


@pytest.mark.parametrize(
    "unit_price, last_vat",
    [
        # 25.54 x 5.5 % = 1.4047 -> 1.40 on the invoice; the first note (shipping and a
        # unit, 25.09) 1.37995 -> 1.38, four units at 0.00495 -> 0.00: the last one 0.02.
        ("0.0900", D("0.02")),
        # 25.60 -> 1.41; the first note (25.10) 1.3805 -> 1.38, four units at 0.0055 ->
        # 0.01: 1.42 already, the last one gives back -0.01.
        ("0.1000", D("-0.01")),
    ],
)
def test_an_invoice_credited_in_six_notes_adds_up_to_it(db, unit_price, last_vat):
    invoice, lines = invoice_of(6, unit_price, "5.50")
    goods = lines[("goods", D("5.50"))]
    first = [
        {"invoice_line": goods.pk, "quantity": 1},
        {"invoice_line": lines[("shipping", D("5.50"))].pk, "quantity": 1},
        {"invoice_line": lines[("fee", D("20.00"))].pk, "quantity": 1},
    ]
    notes = [credit_note_issue(invoice_id=invoice.pk, reason="Casse", lines=first)]
    for _ in range(5):
        notes.append(
            credit_note_issue(
                invoice_id=invoice.pk,
                reason="Casse",
                lines=[{"invoice_line": goods.pk, "quantity": 1}],
            )
        )
    assert notes[-1].vat_lines.get().amount == last_vat
    assert sum(note.total_incl_vat for note in notes) == invoice.total_incl_vat
    for rate, vat in invoice.vat_lines.values_list("rate", "amount"):
        credited = sum(
            n.vat_lines.filter(rate=rate).aggregate(s=Sum("amount"))["s"] or 0 for n in notes
        )
        assert credited == vat
    invoice.refresh_from_db()
    assert invoice.amount_due == D("0.00")
    assert invoice.status_on(TODAY()) == "credited"
    settlements = list(InvoiceSettlement.objects.filter(invoice=invoice))
    assert len(settlements) == 6
    letters = letters_of([invoice_customer_line(invoice).pk, *(s.line_id for s in settlements)])
    assert len(letters) == 7 and len(set(letters.values())) == 1
    # Both books balanced, the VAT given back on the other side when negative.
    last = notes[-1].number
    for book in (coop_lines(last), shop_lines(last)):
        assert sum(line.debit for line in book) == sum(line.credit for line in book)
    if last_vat < 0:
        assert by_account(coop_lines(last))[("445710", D("5.50"))] == (D("0.00"), D("0.01"))
        assert by_account(shop_lines(last))[("445660", D("5.50"))] == (D("0.01"), D("0.00"))
