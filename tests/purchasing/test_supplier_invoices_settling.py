"""A supplier's invoice against what the shops already sent back or were credited
(docs/supplier-differences.md, "Returns and earlier credit notes"): the units sent back
to the supplier are not expected any more, a shop is never credited twice, and a
credit note or supplementary invoice that cannot be issued refuses the approval with a
409 naming the shop; the same file sent twice at once is one invoice."""

import datetime as dt
import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connections, transaction

from accounting.models import Entry
from catalogue.models import Supplier
from mache.periods import paris_today
from purchasing.models import CreditNote, Invoice, SupplierInvoice
from purchasing.services.credit_notes import REASON_MAX, credit_note_issue
from purchasing.services.supplier_invoices import (
    SupplierInvoiceExists,
    supplier_invoice_approve,
    supplier_invoice_receive,
    supplier_invoice_record,
)
from shops.models import Shop, User
from tests.factories import UserFactory
from tests.factories.supplier_einvoices import spec_for_supplier_order, ubl_xml

from .supplier_invoice_helpers import received_for, two_product_round

D = Decimal


@pytest.fixture
def world(db):
    supplier_order, shops, products, invoices = two_product_round()
    return {
        "supplier_order": supplier_order,
        "shops": shops,
        "products": products,
        "invoices": invoices,
    }


def record(received):
    return supplier_invoice_record(
        received=received, data=b"<invoice/>", filename="f.xml", source="upload"
    )


def galettes_of(world, shop: str):
    invoice = world["invoices"][world["shops"][shop].pk]
    return invoice, invoice.lines.get(product=world["products"]["galettes"])


def new_credit_notes(before: set[int]) -> dict[str, Decimal]:
    return {
        note.shop.name: note.total_excl_vat
        for note in CreditNote.objects.exclude(pk__in=before).select_related("shop")
    }


@pytest.mark.django_db
def test_units_sent_back_to_the_supplier_are_not_expected_nor_credited_again(world):
    # The Bar sends 6 of its 12 galettes back (credited 15.00); the supplier bills 12.
    invoice, galettes = galettes_of(world, "bar")
    credit_note_issue(
        invoice_id=invoice.pk,
        reason="Renvoyées",
        lines=[{"invoice_line": galettes.pk, "quantity": 6, "return_to_supplier": True}],
    )
    before = set(CreditNote.objects.values_list("pk", flat=True))
    galettes_id = world["products"]["galettes"].pk
    supplier_invoice = record(received_for(world["supplier_order"], units={galettes_id: 12}))
    assert (supplier_invoice.status, supplier_invoice.differences) == ("matched", [])
    supplier_invoice_approve(supplier_invoice_id=supplier_invoice.pk)
    assert new_credit_notes(before) == {}
    assert not Invoice.objects.filter(supplements__isnull=False).exists()


@pytest.mark.django_db
def test_a_lower_price_on_units_kept_is_split_over_what_each_shop_kept(world):
    # The Bar sent 6 galettes back; the supplier bills the 12 kept at 2.00, not 2.50:
    # 6.00 less, 3.00 each (6 galettes kept each), not 4.00 / 2.00.
    invoice, galettes = galettes_of(world, "bar")
    credit_note_issue(
        invoice_id=invoice.pk,
        reason="Renvoyées",
        lines=[{"invoice_line": galettes.pk, "quantity": 6, "return_to_supplier": True}],
    )
    before = set(CreditNote.objects.values_list("pk", flat=True))
    galettes_id = world["products"]["galettes"].pk
    received = received_for(
        world["supplier_order"], units={galettes_id: 12}, prices={galettes_id: "2.00"}
    )
    supplier_invoice_approve(supplier_invoice_id=record(received).pk)
    assert new_credit_notes(before) == {"Bar": D("3.00"), "Épicerie de Romazy": D("3.00")}


@pytest.mark.django_db
def test_a_shop_already_credited_in_full_gets_nothing_more(world):
    # The Bar's galettes were credited in full (broken, kept by the cooperative's
    # account); then the supplier bills them 2.00: the Épicerie gets its 3.00, the Bar's
    # 6.00 stays with the cooperative, which bore its credit note. No 400 forever.
    invoice, galettes = galettes_of(world, "bar")
    credit_note_issue(
        invoice_id=invoice.pk,
        reason="Cassées",
        lines=[{"invoice_line": galettes.pk, "quantity": galettes.quantity}],
    )
    before = set(CreditNote.objects.values_list("pk", flat=True))
    galettes_id = world["products"]["galettes"].pk
    received = received_for(world["supplier_order"], prices={galettes_id: "2.00"})
    approved = supplier_invoice_approve(supplier_invoice_id=record(received).pk)
    assert approved.status == SupplierInvoice.Status.APPROVED
    assert new_credit_notes(before) == {"Épicerie de Romazy": D("3.00")}


@pytest.mark.django_db
def test_the_credit_notes_reason_is_cut_to_its_field(world):
    supplier = world["supplier_order"].round.supplier
    Supplier.objects.filter(pk=supplier.pk).update(name="Biscuiterie " + "R" * 188)
    galettes_id = world["products"]["galettes"].pk
    received = received_for(world["supplier_order"], number="N" * 100, prices={galettes_id: "2.00"})
    supplier_invoice_approve(supplier_invoice_id=record(received).pk)
    reasons = {len(note.reason) for note in CreditNote.objects.all()}
    assert reasons == {REASON_MAX}


@pytest.mark.django_db
def test_a_credit_note_refused_refuses_the_approval_with_a_409_naming_the_shop(world, api):
    # The Épicerie's joining date moved to tomorrow: no credit note of it may be dated
    # today. The approval answers 409 naming the shop and its invoice, not a 400 on
    # fields the endpoint does not take, and writes nothing.
    epicerie = world["shops"]["epicerie"]
    Shop.objects.filter(pk=epicerie.pk).update(joined_on=paris_today() + dt.timedelta(days=1))
    galettes_id = world["products"]["galettes"].pk
    received = received_for(world["supplier_order"], prices={galettes_id: "2.00"})
    supplier_invoice = record(received)
    entries = Entry.objects.count()
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    response = api.as_user(coordinator).post(
        f"/api/supplier-invoices/{supplier_invoice.pk}/approve/"
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    number = world["invoices"][epicerie.pk].number
    assert body["code"] == "supplier_differences_refused"
    assert body["detail"].startswith(
        f"Impossible d'émettre l'avoir pour Épicerie de Romazy (facture {number}) : "
        "Aucune date n'est encore possible"
    )
    supplier_invoice.refresh_from_db()
    assert supplier_invoice.status == SupplierInvoice.Status.DISCREPANCIES
    assert (CreditNote.objects.count(), Entry.objects.count()) == (0, entries)


def at_once(*calls, hold=0.3):
    """Each call in its own thread, connection and transaction; the first holds its
    transaction open `hold` seconds after its call, the others start meanwhile."""
    started = threading.Event()
    outcomes = [{} for _ in calls]

    def run(index, call):
        try:
            with transaction.atomic():
                outcomes[index]["value"] = call()
                if index == 0:
                    started.set()
                    threading.Event().wait(hold)
        except Exception as exc:  # inspected by the test
            outcomes[index]["error"] = exc
        finally:
            started.set()
            connections.close_all()

    threads = [threading.Thread(target=run, args=(0, calls[0]))]
    threads[0].start()
    started.wait(30)
    threads += [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls[1:], 1)]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_the_same_file_twice_at_once_is_one_invoice_and_a_409_exists():
    supplier_order = two_product_round()[0]
    data = ubl_xml(spec_for_supplier_order(supplier_order, number="SAME"))
    outcomes = at_once(
        lambda: supplier_invoice_receive(data=data, filename="f.xml"),
        lambda: supplier_invoice_receive(data=data, filename="f.xml"),
    )
    assert "error" not in outcomes[0]
    assert isinstance(outcomes[1].get("error"), SupplierInvoiceExists)
    assert SupplierInvoice.objects.count() == 1


@pytest.mark.django_db
def test_the_amount_due_is_kept_at_receipt(world):
    # BT-115: the total less what the supplier says was prepaid; what a transfer pays.
    received = received_for(world["supplier_order"])
    received = replace(received, amount_due=received.total_incl_vat - D("20.00"))
    invoice = record(received)
    invoice.refresh_from_db()
    assert invoice.amount_due == received.total_incl_vat - D("20.00")
