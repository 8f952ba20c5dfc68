"""`build_shop_world`: one of every shop-scoped object.

The tenancy walk (tests/test_tenancy_walk.py) builds a world for a foreign shop and
checks that no endpoint lets another shop's user see or change any of it. When an
app adds a shop-scoped model, it adds one of it here, and the walk covers it.
"""

import datetime as dt

from django.utils import timezone

from inventory.services import movement_create, stock_count_record
from purchasing.models import RoundSchedule
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.receipt import supplier_order_receive
from shops.models import Shop, User

from .accounting import record_sales_day
from .catalogue import ProductFactory, SupplierFactory
from .purchasing import RoundFactory, make_order
from .shops import UserFactory
from .worker import ReportFactory


def build_shop_world(shop: Shop) -> dict:
    """One of every object that belongs to `shop`, for the tenancy walk: the shop's
    users, an order in an open round, a received round with its invoice and a credit
    note on it, stock, a Z ticket and a report."""
    world = {"shop": shop}
    world["shopkeeper"] = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    world["accountant"] = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier, case_size=1)
    open_round = RoundFactory(supplier=supplier)
    world["order"] = make_order(open_round, shop, (product, 3, 0))
    past = RoundFactory(supplier=supplier, closes_at=timezone.now() - dt.timedelta(minutes=1))
    world["past_order"] = make_order(past, shop, (product, 4, 0))
    world["supplier_order"] = round_consolidate(round_id=past.pk)
    world["invoices"] = supplier_order_receive(
        supplier_order_id=world["supplier_order"].pk, received={}
    )
    # Stock: the receipt above put 4 units in; sell one, count the rest.
    world["sale"] = movement_create(shop=shop, product=product, kind="sale", quantity=1)
    world["count"] = stock_count_record(
        shop=shop,
        counted_on=timezone.localdate(),
        lines=[{"product": product, "quantity": 2}],
        user=world["shopkeeper"],
    )
    # A credit note on the invoice: one unit taken back.
    world["credit_note"] = credit_note_issue(
        invoice_id=world["invoices"][0].pk,
        reason="Un article abîmé",
        lines=[{"invoice_line": world["invoices"][0].lines.get(kind="goods").pk, "quantity": 1}],
    )
    world["sales_day"] = record_sales_day(shop, date=timezone.localdate(), user=world["shopkeeper"])
    world["report"] = ReportFactory(shop=shop)
    # The cooperative's weekly round of that supplier (inactive: the walk opens nothing).
    world["schedule"] = RoundSchedule.objects.create(
        supplier=supplier,
        weekday=3,
        closes_at_time=dt.time(18, 0),
        delivery_weekday=4,
        active=False,
    )
    # --- Payments: a payment of the shop, its first invoice paid ---------------------
    from payments.models import BankLine, BankStatement
    from payments.services.payments import payment_record

    world["payment"] = payment_record(
        shop=shop,
        date=timezone.localdate(),
        amount=world["invoices"][0].total_incl_vat,
        method="transfer",
        reference="VIR-WORLD",
    )
    # A bank statement with a line nobody could match (the bank page's manual match).
    statement = BankStatement.objects.create(
        account_iban="FR7630006000011234567890189",
        statement_id=f"WORLD-{shop.pk}",
        from_date=timezone.localdate(),
        to_date=timezone.localdate(),
        format=BankStatement.Format.CAMT053,
        file_sha256="0" * 64,
    )
    world["bank_line"] = BankLine.objects.create(
        statement=statement,
        position=1,
        booked_on=timezone.localdate(),
        amount=world["invoices"][0].total_incl_vat,
        text=f"VIREMENT SANS REFERENCE {shop.pk}",
    )
    # The shop's mandate, a direct-debit batch collecting its invoice and a
    # transfer batch paying the round's supplier (docs/sepa.md).
    world.update(sepa_world(shop, world["invoices"], world["supplier_order"]))
    # A lot of the shop's recalled, not yet confirmed (docs/recalls.md): the shopkeeper's
    # pages show the banner.
    from inventory.recalls import recall_create

    from .inventory import receive_stock

    receive_stock(shop, product, 2, "1.0000", lot=f"RAPPEL-{shop.pk}")
    world["recall"] = recall_create(
        product=product, lot=f"RAPPEL-{shop.pk}", reason="Rappel de test", user=None
    )
    return world


def sepa_world(shop, invoices, supplier_order) -> dict:
    from payments.models import (
        CreditTransferBatch,
        CreditTransferItem,
        DirectDebitBatch,
        DirectDebitItem,
        Mandate,
    )

    mandate = Mandate.objects.create(
        shop=shop,
        reference=f"RUM-WORLD-{shop.pk}",
        signed_on=dt.date(2025, 1, 15),
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        scheme=Mandate.Scheme.B2B,
    )
    batch = DirectDebitBatch.objects.create(
        collection_date=timezone.localdate() + dt.timedelta(days=5),
        message_id=f"WORLD-PRLV-{shop.pk}",
        count=1,
        total=sum(invoice.total_incl_vat for invoice in invoices),
    )
    item = DirectDebitItem.objects.create(
        batch=batch,
        shop=shop,
        mandate=mandate,
        amount=batch.total,
        sequence_type="FRST",
        end_to_end_id=f"WORLD-D-{shop.pk}",
    )
    item.invoices.set(invoices)
    transfers = CreditTransferBatch.objects.create(
        execution_date=timezone.localdate() + dt.timedelta(days=1),
        message_id=f"WORLD-VIR-{shop.pk}",
        count=1,
        total=batch.total,
    )
    from purchasing.models import SupplierInvoice

    supplier_invoice = SupplierInvoice.objects.create(
        supplier=supplier_order.round.supplier,
        number=f"WORLD-FF-{shop.pk}",
        issued_on=supplier_order.round.delivery_date,
        supplier_order=supplier_order,
        total_excl_vat=batch.total,
        total_vat=0,
        total_incl_vat=batch.total,
        status=SupplierInvoice.Status.APPROVED,
        format=SupplierInvoice.Format.CII,
        file_name="facture.xml",
        original=b"<rsm:CrossIndustryInvoice/>",
        sha256="0" * 64,
        source="api",
    )
    CreditTransferItem.objects.create(
        batch=transfers,
        supplier=supplier_order.round.supplier,
        supplier_invoice=supplier_invoice,
        amount=batch.total,
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        end_to_end_id=f"WORLD-V-{shop.pk}",
    )
    return {"mandate": mandate, "direct_debit_batch": batch, "credit_transfer_batch": transfers}
