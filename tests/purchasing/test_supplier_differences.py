"""What a supplier billed more or less than the shops were invoiced for, back to the
shops (docs/supplier-differences.md): the split rule alone (with hypothesis), then the
service on the worked example of docs/consolidation.md received in full: credit notes,
supplementary invoices (Factur-X, numbers, both books), once only."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from accounting.models import Entry, EntryLine
from payments.services.payments import payment_record
from purchasing import difference_rules as dr
from purchasing.facturx import invoice_cii
from purchasing.facturx.validation import cii_failures
from purchasing.models import CreditNote, Invoice, InvoiceSequence
from purchasing.pdf import invoice_pdf
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.receipt import supplier_order_receive
from purchasing.services.supplier_differences import (
    DifferencesNotReceived,
    SupplierDifferencesRefused,
    supplier_differences_settle,
)
from shops.models import Shop
from tests.helpers import page_text, pdf_text

from .test_consolidation import close, place_example

D = Decimal
TODAY = timezone.localdate

# --- The rule alone -------------------------------------------------------------------


def shop(number, goods, shipping):
    return dr.ShopInvoiced(
        shop=number,
        goods={p: (D(a), D(r)) for p, (a, r) in goods.items()},
        shipping={D(r): D(a) for r, a in shipping.items()},
    )


EXAMPLE = [
    shop(101, {1: ("9.60", "5.50"), 2: ("10.50", "20.00")}, {"5.50": "4.82", "20.00": "5.27"}),
    shop(102, {1: ("12.00", "5.50"), 2: ("10.50", "20.00")}, {"5.50": "6.03", "20.00": "5.27"}),
    shop(103, {1: ("7.20", "5.50")}, {"5.50": "3.61"}),
]


def shares(differences):
    return {d.shop: [(s.product, s.amount, s.vat_rate) for s in d.shares] for d in differences}


def test_a_product_is_split_by_the_shops_amounts_of_it_largest_remainder_first():
    # 1.00 over 9.60 / 12.00 / 7.20: 33.33, 41.67, 25 cents; the cent left goes to the
    # largest remainder (102's 0.67).
    found = dr.shop_differences(deltas={1: D("-1.00")}, shops=EXAMPLE, vat_rates={})
    assert shares(found) == {
        101: [(1, D("-0.33"), D("5.50"))],
        102: [(1, D("-0.42"), D("5.50"))],
        103: [(1, D("-0.25"), D("5.50"))],
    }


def test_the_shipping_is_split_by_the_shops_shipping_then_over_its_rates():
    found = dr.shop_differences(deltas={None: D("5.00")}, shops=EXAMPLE, vat_rates={})
    assert shares(found) == {
        101: [(None, D("0.96"), D("5.50")), (None, D("1.06"), D("20.00"))],
        102: [(None, D("1.21"), D("5.50")), (None, D("1.05"), D("20.00"))],
        103: [(None, D("0.72"), D("5.50"))],
    }


def test_a_product_no_shop_was_invoiced_is_split_by_their_goods_at_its_rate():
    found = dr.shop_differences(deltas={9: D("4.98")}, shops=EXAMPLE, vat_rates={9: D("20.00")})
    # Goods 20.10 / 22.50 / 7.20 (49.80).
    assert shares(found) == {
        101: [(9, D("2.01"), D("20.00"))],
        102: [(9, D("2.25"), D("20.00"))],
        103: [(9, D("0.72"), D("20.00"))],
    }


def test_a_round_without_shipping_shares_a_shipping_billed_by_goods_and_their_rates():
    shops = [
        shop(1, {1: ("10.00", "5.50"), 2: ("10.00", "20.00")}, {}),
        shop(2, {1: ("40.00", "5.50")}, {}),
    ]
    found = dr.shop_differences(deltas={None: D("3.00")}, shops=shops, vat_rates={})
    assert shares(found) == {
        1: [(None, D("0.50"), D("5.50")), (None, D("0.50"), D("20.00"))],
        2: [(None, D("2.00"), D("5.50"))],
    }


def test_a_credit_never_exceeds_what_the_shops_were_invoiced():
    # The supplier's line (12 x 0.125 = 1.50) against the shops' (0.63 + 0.88 = 1.51)
    # is the other way; here the shops' lines sum under the supplier's: 1.49 at most.
    shops = [shop(1, {1: ("0.62", "5.50")}, {}), shop(2, {1: ("0.87", "5.50")}, {})]
    found = dr.shop_differences(deltas={1: D("-1.50")}, shops=shops, vat_rates={})
    assert shares(found) == {1: [(1, D("-0.62"), D("5.50"))], 2: [(1, D("-0.87"), D("5.50"))]}


amounts = st.integers(min_value=0, max_value=50_000).map(lambda c: D(c) / 100)


@settings(max_examples=200, deadline=None)
@given(
    delta=st.integers(min_value=-100_000, max_value=100_000).map(lambda c: D(c) / 100),
    weights=st.lists(amounts, min_size=1, max_size=8).filter(any),
)
def test_split_signed_adds_up_keeps_the_sign_and_is_proportional_within_a_cent(delta, weights):
    parts = dr.split_signed(delta, weights)
    assert sum(parts, D("0.00")) == delta
    assert all(part == 0 or (part > 0) == (delta > 0) for part in parts)
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - delta * weight / total) < D("0.01")


@settings(max_examples=100, deadline=None)
@given(
    deltas=st.dictionaries(
        st.sampled_from([1, 2, None]),
        st.integers(min_value=-2_000, max_value=2_000).map(lambda c: D(c) / 100),
        min_size=1,
    )
)
def test_shop_differences_add_up_to_each_delta_and_credit_no_more_than_invoiced(deltas):
    found = dr.shop_differences(deltas=deltas, shops=EXAMPLE, vat_rates={})
    invoiced = {1: D("28.80"), 2: D("21.00"), None: D("25.00")}
    for product, delta in deltas.items():
        given_back = sum(
            (s.amount for d in found for s in d.shares if s.product == product), D("0.00")
        )
        assert given_back == max(delta, -invoiced[product])
    for difference in found:
        own = next(s for s in EXAMPLE if s.shop == difference.shop)
        for share in difference.credits:
            limit = own.goods[share.product][0] if share.product else own.shipping[share.vat_rate]
            assert -share.amount <= limit


# --- The service ----------------------------------------------------------------------


@pytest.fixture
def received(example):
    """The worked example received in full (tests/purchasing/test_credit_notes.py):
    P1 at 1.20 (5.5 %) 8 / 10 / 6 units to shops 101 / 102 / 103; P2 at 3.50 (20 %) 3 / 3
    to 101 / 102; shipping 25.00 split 10.09 / 11.30 / 3.61; invoices MACHE-YYYY-000001
    to 000003."""
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    example["supplier_order"] = supplier_order
    example["invoices"] = {i.shop_id: i for i in Invoice.objects.filter(supplements=None)}
    return example


def settle(ex, deltas, reason="Facture fournisseur F-1 de Laiterie d'exemple"):
    return supplier_differences_settle(
        supplier_order=ex["supplier_order"], deltas=deltas, issued_on=TODAY(), reason=reason
    )


def by_account(source, kind):
    """{(account, vat rate): (debit, credit)} of the entry of `source` in the books of
    `kind` ("shop" or "cooperative")."""
    found = {}
    lines = EntryLine.objects.filter(entry__source=source, ledger__kind=kind).select_related(
        "account", "entry__journal"
    )
    for line in lines:
        key = (line.account.number, line.vat_rate)
        debit, credit = found.get(key, (D("0.00"), D("0.00")))
        found[key] = (debit + line.debit, credit + line.credit)
    journals = {line.entry.journal.code for line in lines}
    return found, journals


def test_a_lower_price_on_a_product_of_three_shops_credits_each_to_the_cent(received):
    credit_notes, invoices = settle(received, {received["p1"].pk: D("-1.00")})

    assert invoices == []
    notes = {note.shop_id: note for note in credit_notes}
    assert {k: (n.total_excl_vat, n.total_vat, n.total_incl_vat) for k, n in notes.items()} == {
        101: (D("0.33"), D("0.02"), D("0.35")),
        102: (D("0.42"), D("0.02"), D("0.44")),
        103: (D("0.25"), D("0.01"), D("0.26")),
    }
    for shop_id, note in notes.items():
        assert note.invoice == received["invoices"][shop_id]
        assert note.reason == "Facture fournisseur F-1 de Laiterie d'exemple"
        [line] = note.lines.all()
        assert (line.kind, line.vat_rate, line.invoice_line_id) == ("goods", D("5.50"), None)
        assert line.label == "Moins facturé par Laiterie d'exemple : Produit P1"
    assert [n.number for n in credit_notes] == [
        f"MACHE-AV-{TODAY().year}-{n:06d}" for n in (1, 2, 3)
    ]
    shop_books, shop_journals = by_account(f"credit-note:{notes[101].number}", "shop")
    assert shop_journals == {"ACH"}
    assert shop_books == {
        ("401000", None): (D("0.35"), D("0.00")),
        ("607000", D("5.50")): (D("0.00"), D("0.33")),
        ("445660", D("5.50")): (D("0.00"), D("0.02")),
    }
    coop_books, coop_journals = by_account(f"credit-note:{notes[101].number}", "cooperative")
    assert coop_journals == {"VTE"}
    assert coop_books == {
        ("707000", D("5.50")): (D("0.33"), D("0.00")),
        ("445710", D("5.50")): (D("0.02"), D("0.00")),
        ("411000", None): (D("0.00"), D("0.35")),
    }
    invoice = Invoice.objects.get(pk=received["invoices"][101].pk)
    assert invoice.amount_credited == D("0.35")


def test_a_missing_line_credits_its_whole_amount(received):
    credit_notes, _ = settle(received, {received["p2"].pk: D("-21.00")})

    assert {n.shop_id: n.total_incl_vat for n in credit_notes} == {
        101: D("12.60"),
        102: D("12.60"),
    }
    for note in credit_notes:
        books, _ = by_account(f"credit-note:{note.number}", "cooperative")
        assert books[("707000", D("20.00"))] == (D("10.50"), D("0.00"))
        assert books[("445710", D("20.00"))] == (D("2.10"), D("0.00"))


def test_a_higher_shipping_is_reinvoiced_on_supplementary_invoices(received, tmp_path):
    credit_notes, invoices = settle(received, {None: D("5.00")})

    assert credit_notes == []
    year = TODAY().year
    # Gap-free, after the round's three invoices.
    assert [i.number for i in invoices] == [f"MACHE-{year}-{n:06d}" for n in (4, 5, 6)]
    assert InvoiceSequence.objects.get(year=year).last_number == 6
    found = {i.shop_id: i for i in Invoice.objects.filter(supplements__isnull=False)}
    assert {k: (i.total_excl_vat, i.total_vat, i.total_incl_vat) for k, i in found.items()} == {
        101: (D("2.02"), D("0.26"), D("2.28")),
        102: (D("2.26"), D("0.28"), D("2.54")),
        103: (D("0.72"), D("0.04"), D("0.76")),
    }
    invoice = found[101]
    round_invoice = received["invoices"][101]
    assert invoice.supplements == round_invoice
    assert (invoice.round_id, invoice.supplier_order_id) == (
        round_invoice.round_id,
        round_invoice.supplier_order_id,
    )
    assert (invoice.fee, invoice.savings, invoice.shipping) == (D("0"), D("0"), D("2.02"))
    assert invoice.due_on - invoice.issued_on == round_invoice.due_on - round_invoice.issued_on
    assert invoice.payment_means == round_invoice.payment_means
    assert [(ln.kind, ln.label, ln.amount, ln.vat_rate) for ln in invoice.lines.all()] == [
        (
            "shipping",
            "Complément facturé par Laiterie d'exemple : port (TVA 5,5\u00a0%)",
            D("0.96"),
            D("5.50"),
        ),
        (
            "shipping",
            "Complément facturé par Laiterie d'exemple : port (TVA 20\u00a0%)",
            D("1.06"),
            D("20.00"),
        ),
    ]
    # Factur-X: valid, and naming the invoice it adds to (BT-25, BT-26).
    xml = invoice_cii(invoice)
    assert cii_failures(xml) == []
    ram = {
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    }
    reference = etree.fromstring(xml).find(".//ram:InvoiceReferencedDocument", ram)
    assert reference.findtext("ram:IssuerAssignedID", namespaces=ram) == round_invoice.number
    assert f"Facture complémentaire de la facture {round_invoice.number}" in pdf_text(
        invoice_pdf(invoice), tmp_path
    )
    # Both books, like a round's invoice.
    shop_books, shop_journals = by_account(f"invoice:{invoice.number}", "shop")
    assert shop_journals == {"ACH"}
    assert shop_books == {
        ("624100", D("5.50")): (D("0.96"), D("0.00")),
        ("624100", D("20.00")): (D("1.06"), D("0.00")),
        ("445660", D("5.50")): (D("0.05"), D("0.00")),
        ("445660", D("20.00")): (D("0.21"), D("0.00")),
        ("401000", None): (D("0.00"), D("2.28")),
    }
    coop_books, coop_journals = by_account(f"invoice:{invoice.number}", "cooperative")
    assert coop_journals == {"VTE"}
    assert coop_books == {
        ("411000", None): (D("2.28"), D("0.00")),
        ("708000", D("5.50")): (D("0.00"), D("0.96")),
        ("708000", D("20.00")): (D("0.00"), D("1.06")),
        ("445710", D("5.50")): (D("0.00"), D("0.05")),
        ("445710", D("20.00")): (D("0.00"), D("0.21")),
    }


def test_a_shop_billed_less_and_more_gets_one_credit_note_and_one_supplementary_invoice(
    received,
):
    p1, p2 = received["p1"].pk, received["p2"].pk
    credit_notes, invoices = settle(received, {p1: D("-1.00"), p2: D("0.60"), None: D("5.00")})

    assert [n.shop_id for n in credit_notes] == [101, 102, 103]
    assert [i.shop_id for i in invoices] == [101, 102, 103]
    both = next(i for i in invoices if i.shop_id == 101)
    assert [(ln.kind, ln.product_id, ln.amount, ln.vat_rate) for ln in both.lines.all()] == [
        ("goods", p2, D("0.30"), D("20.00")),
        ("shipping", None, D("0.96"), D("5.50")),
        ("shipping", None, D("1.06"), D("20.00")),
    ]
    assert [ln.label for ln in both.lines.all()][0] == (
        "Complément facturé par Laiterie d'exemple : Produit P2"
    )
    assert (both.goods_excl_vat, both.shipping, both.total_excl_vat) == (
        D("0.30"),
        D("2.02"),
        D("2.32"),
    )
    # VAT 0.96 x 5.5 % = 0.05; (0.30 + 1.06) x 20 % = 0.27.
    assert (both.total_vat, both.total_incl_vat) == (D("0.32"), D("2.64"))
    books, _ = by_account(f"invoice:{both.number}", "shop")
    assert books[("607000", D("20.00"))] == (D("0.30"), D("0.00"))


def test_settled_twice_issues_once(received):
    deltas = {received["p1"].pk: D("-1.00"), None: D("5.00")}
    first = settle(received, deltas)
    again = settle(received, deltas)

    assert again == first
    assert CreditNote.objects.count() == 3
    assert Invoice.objects.filter(supplements__isnull=False).count() == 3


def test_a_credit_on_an_invoice_already_paid_goes_to_the_shops_credit(received):
    invoice = received["invoices"][101]
    payment_record(
        shop=invoice.shop,
        date=TODAY(),
        amount=invoice.total_incl_vat,
        method="cheque",
        invoices=[invoice.pk],
    )

    credit_notes, _ = settle(received, {received["p1"].pk: D("-1.00")})

    note = next(n for n in credit_notes if n.shop_id == 101)
    assert note.applied == D("0.00")
    books, _ = by_account(f"credit-note:{note.number}", "cooperative")
    assert books[("419100", None)] == (D("0.00"), D("0.35"))
    assert ("411000", None) not in books


def test_a_shops_credit_pays_its_supplementary_invoice(received):
    # 101 paid 0.50 too much on its round invoice; the supplementary invoice takes it.
    invoice = received["invoices"][101]
    payment_record(
        shop=invoice.shop,
        date=TODAY(),
        amount=invoice.total_incl_vat + D("0.50"),
        method="cheque",
        invoices=[invoice.pk],
    )

    _, invoices = settle(received, {None: D("5.00")})

    supplement = Invoice.objects.get(pk=next(i.pk for i in invoices if i.shop_id == 101))
    assert supplement.amount_due == D("1.78")  # 2.28 - 0.50


def test_one_document_refused_refuses_them_all(received):
    # 103 joins tomorrow (a data error): no credit note of it may be dated today. The
    # others' documents, issued before, are not written either: 409 naming 103.
    whole = received["invoices"][103]
    Shop.objects.filter(pk=whole.shop_id).update(joined_on=TODAY() + dt.timedelta(days=1))
    entries = Entry.objects.count()

    with pytest.raises(SupplierDifferencesRefused) as refused:
        settle(received, {received["p1"].pk: D("-1.00"), None: D("5.00")})

    assert f"(facture {whole.number})" in refused.value.detail
    assert refused.value.extra == {"shops": [whole.shop_id], "cause": "invalid"}
    assert CreditNote.objects.count() == 0
    assert Invoice.objects.count() == 3
    assert Entry.objects.count() == entries
    assert InvoiceSequence.objects.get(year=TODAY().year).last_number == 3


def test_a_shop_credited_in_full_already_is_credited_nothing_more(received):
    # 103's invoice is wholly credited already: its share of P1 stays with the
    # cooperative (docs/supplier-differences.md, "Returns and earlier credit notes");
    # the others get theirs, 103 still gets its part of the shipping billed more.
    whole = received["invoices"][103]
    credit_note_issue(
        invoice_id=whole.pk,
        reason="Erreur",
        lines=[{"invoice_line": ln.pk, "quantity": ln.quantity} for ln in whole.lines.all()],
    )
    credit_notes, invoices = settle(received, {received["p1"].pk: D("-1.00"), None: D("5.00")})
    assert {note.invoice.shop_id: note.total_excl_vat for note in credit_notes} == {
        received["invoices"][101].shop_id: D("0.33"),
        received["invoices"][102].shop_id: D("0.42"),
    }
    assert whole.shop_id in {invoice.shop_id for invoice in invoices}


def test_a_supplier_order_not_received_is_refused(example):
    place_example(example)
    close(example["round"])
    supplier_order = round_consolidate(round_id=example["round"].pk)
    with pytest.raises(DifferencesNotReceived):
        supplier_differences_settle(
            supplier_order=supplier_order, deltas={None: D("1.00")}, issued_on=TODAY(), reason="x"
        )


# --- Pages and API: a supplementary invoice is one of the shop's invoices ---------------


def visible(response) -> str:
    """The page's text, tags left out (a link inside a sentence reads as the sentence)."""
    assert response.status_code == 200
    return re.sub(r"<[^>]+>", "", page_text(response))


def test_the_shop_sees_its_supplementary_invoice_beside_the_rounds(received, client):
    settle(received, {None: D("5.00")})
    round_invoice = received["invoices"][101]
    supplement = Invoice.objects.get(shop_id=101, supplements__isnull=False)
    client.force_login(received["keepers"][101])

    invoices = visible(client.get(reverse("shop-invoices")))
    assert f"{supplement.number}" in invoices
    assert f"Facture complémentaire de la facture {round_invoice.number}" in invoices
    detail = visible(client.get(reverse("shop-invoice", args=[supplement.pk])))
    assert f"Facture complémentaire de la facture {round_invoice.number}" in detail
    orders = visible(client.get(reverse("shop-orders")))
    assert f"Facture {round_invoice.number}" in orders
    assert f"Facture complémentaire {supplement.number}" in orders


def test_the_api_lists_supplementary_invoices_in_as_many_queries(
    received, api, django_assert_num_queries
):
    client = api.as_user(received["keepers"][101])
    client.get("/api/invoices/")  # the token's first use
    with CaptureQueriesContext(connection) as before:
        assert client.get("/api/invoices/").json()["count"] == 1

    settle(received, {received["p2"].pk: D("0.60"), None: D("5.00")})

    with django_assert_num_queries(len(before)):
        body = client.get("/api/invoices/").json()
    by_number = {row["number"]: row for row in body["results"]}
    supplement = Invoice.objects.get(shop_id=101, supplements__isnull=False)
    round_invoice = received["invoices"][101]
    assert by_number[round_invoice.number]["supplements"] is None
    row = by_number[supplement.number]
    assert row["supplements"] == round_invoice.pk
    assert (row["round"], row["supplier_order"]) == (
        round_invoice.round_id,
        round_invoice.supplier_order_id,
    )
    assert row["total_incl_vat"] == "2.64"
    assert row["status"] == "open"


def test_the_coordinators_round_page_lists_both(received, client, coordinator):
    settle(received, {None: D("5.00")})
    client.force_login(coordinator)
    text = visible(client.get(reverse("coord-round", args=[received["round"].pk])))
    for number in Invoice.objects.values_list("number", flat=True):
        assert number in text
    assert f"complète {received['invoices'][103].number}" in text


def test_the_monthly_savings_count_a_supplementary_invoice_with_its_round(received):
    from worker.reports.figures.common import INVOICE_FIELDS, invoice_savings, with_supplements

    def savings():
        rows = with_supplements(Invoice.objects.filter(shop_id=101)).values_list(*INVOICE_FIELDS)
        return invoice_savings(rows)

    [before] = savings()
    settle(received, {received["p2"].pk: D("0.60"), None: D("5.00")})
    [after] = savings()

    # One purchase still: the shop paid 0.30 more goods and 2.02 more shipping on it.
    assert after.number == received["invoices"][101].number
    assert after.goods_excl_vat == before.goods_excl_vat + D("0.30")
    assert after.shipping_share == before.shipping_share + D("2.02")


def test_the_split_weighs_what_each_shop_kept_and_caps_what_remains():
    # Pure: shop 1 sent back half its P (weight 10 - 5), shop 2 keeps 5 but has only
    # 1.00 left to credit on its goods at 5.5 %: its share is cut to 1.00.
    first = dr.ShopInvoiced(
        shop=1, goods={"P": (D("10.00"), D("5.50"))}, shipping={}, returned={"P": D("5.00")}
    )
    second = dr.ShopInvoiced(
        shop=2,
        goods={"P": (D("5.00"), D("5.50"))},
        shipping={},
        left={("goods", D("5.50")): D("1.00")},
        goods_left={"P": D("5.00")},
    )
    found = dr.shop_differences(deltas={"P": D("-4.00")}, shops=[first, second], vat_rates={})
    assert [(d.shop, [s.amount for s in d.shares]) for d in found] == [
        (1, [D("-2.00")]),
        (2, [D("-1.00")]),
    ]
