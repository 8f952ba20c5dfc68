"""`manage.py load_demo` builds a living cooperative (docs/demo.md): months of rounds,
invoices, stock with lots, Z tickets, losses, counts and reports, all through the
services; the books balance, the FEC passes the project's checker, a second load adds
nothing, and every role's main pages show that history."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth

from accounting.fec import fec_export, fec_inspect
from accounting.models import Entry, EntryLine, Ledger, LetteredLine, SalesDay
from inventory.models import StockCount, StockLot, StockMovement
from mache.models import OutboxMessage
from mache.periods import paris_today
from payments.models import DirectDebitBatch, Payment, PaymentReminder
from purchasing.models import (
    CreditNote,
    Invoice,
    Order,
    Round,
    SupplierOrder,
    SupplierOrderLine,
)
from shops.models import Cooperative, Shop, User
from tests.helpers import page_text
from wiring.demo.history import history_start
from worker.models import Report

pytestmark = pytest.mark.django_db(transaction=False)

COUNTED = [
    Round,
    Order,
    SupplierOrder,
    Invoice,
    StockMovement,
    StockLot,
    StockCount,
    SalesDay,
    Entry,
    EntryLine,
    Report,
    Payment,
    CreditNote,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def unbalanced_ledgers() -> list:
    """Ledgers whose debits and credits differ, with the difference."""
    return [
        (row["ledger"], row["debit"] - row["credit"])
        for row in EntryLine.objects.values("ledger").annotate(
            debit=Sum("debit"), credit=Sum("credit")
        )
        if row["debit"] != row["credit"]
    ]


def test_a_year_of_history_through_the_services(capsys, settings, tmp_path):
    """The full-length demo, loaded once (the test that takes time)."""
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Historique de 12 mois construit" in out
    assert "Démo chargée en" in out
    today = paris_today()
    start = history_start(today, 12)
    assert Cooperative.get().founded_on < start

    # Rounds delivered and invoiced in every month of the year past.
    invoiced = Round.objects.filter(status=Round.Status.INVOICED)
    months = set(
        invoiced.annotate(month=TruncMonth("delivery_date")).values_list("month", flat=True)
    )
    assert len({m for m in months if m < today.replace(day=1)}) >= 11
    assert SupplierOrder.objects.filter(status=SupplierOrder.Status.RECEIVED).count() == (
        invoiced.count()
    )
    # One or two deliveries fell short, and the shops were invoiced what came.
    assert SupplierOrderLine.objects.filter(received_units__lt=F("units")).exists()
    # An open round with the shops' orders in it, for the order form and the live fill.
    assert Order.objects.filter(round__status=Round.Status.OPEN).exists()

    active = Shop.objects.filter(status=Shop.Status.ACTIVE)
    for shop in active:
        assert Invoice.objects.filter(shop=shop).count() >= 20, shop.name
        assert SalesDay.objects.filter(shop=shop).count() >= 250, shop.name
        assert StockCount.objects.filter(shop=shop).count() >= 11, shop.name
        assert StockLot.objects.filter(shop=shop).exclude(expires_on=None).exists(), shop.name
    assert not Invoice.objects.filter(shop__status=Shop.Status.CANDIDATE).exists()
    assert not Invoice.objects.filter(issued_on__gt=today).exists()
    assert not SalesDay.objects.filter(date__gte=today).exists()
    losses = StockMovement.objects.filter(kind=StockMovement.Kind.LOSS)
    assert set(losses.values_list("reason", flat=True)) >= {"expired", "damaged"}
    assert StockMovement.objects.filter(kind=StockMovement.Kind.SALE).count() > 1000

    # The reports of every month over since the start: each shop's and the cooperative's.
    reports = Report.objects.filter(status=Report.Status.READY)
    assert set(reports.values_list("month", flat=True)) == {
        dt.date(start.year + (start.month + i - 1) // 12, (start.month + i - 1) % 12 + 1, 1)
        for i in range(12)
    }
    assert reports.filter(shop__isnull=True).count() == 12
    assert not Report.objects.exclude(status=Report.Status.READY).exists()
    # The money after the invoice: transfers, cheques (one returned unpaid), monthly
    # direct debits, a credit note, reminders of the slow payer; settled invoices
    # lettered, recent ones still due, some overdue.
    assert Payment.objects.filter(method="transfer").count() > 50
    assert Payment.objects.filter(method="direct_debit").count() >= 10
    assert Payment.objects.filter(cancelled_at__isnull=False).count() == 1
    assert CreditNote.objects.count() == 1
    assert DirectDebitBatch.objects.filter(status="settled").count() >= 10
    assert PaymentReminder.objects.exists()
    paid = Invoice.objects.filter(amount_paid__gt=0)
    assert paid.count() > Invoice.objects.count() // 2
    assert Invoice.objects.filter(
        total_incl_vat__gt=F("amount_paid") + F("amount_credited"), due_on__lt=today
    ).exists()
    assert LetteredLine.objects.count() >= 2 * paid.count()
    # The e-mails of the past are not sent a year late.
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    # The books balance, and each ledger's FEC of both years passes the checker.
    assert unbalanced_ledgers() == []
    for ledger in Ledger.objects.all():
        for year in {start.year, today.year}:
            name, content = fec_export(ledger=ledger, year=year)
            report = fec_inspect(content, name)
            assert report.violations == [], (ledger, year, report.violations[:5])

    # A second load adds nothing.
    before = counts()
    call_command("load_demo")
    assert "Historique déjà présent" in capsys.readouterr().out
    assert counts() == before


def test_a_short_demo_is_idempotent_and_every_role_sees_its_history(client, capsys):
    call_command("load_demo", months=2)
    assert "Historique de 2 mois construit" in capsys.readouterr().out
    before = counts()
    assert before["Invoice"] and before["SalesDay"] and before["StockCount"]
    assert before["Report"]
    call_command("load_demo", months=2)
    assert counts() == before
    assert unbalanced_ledgers() == []
    # Business pending today: a delivery awaited, an order under the minimum to review.
    pending = SupplierOrder.objects.filter(
        round__closes_at__date__gte=paris_today() - dt.timedelta(days=2)
    )
    assert pending.filter(status=SupplierOrder.Status.CONFIRMED).exists()
    assert pending.filter(status=SupplierOrder.Status.NEEDS_REVIEW).exists()

    romazy = User.objects.get(username="romazy")
    shop = romazy.shops.get()
    invoice = Invoice.objects.filter(shop=shop).order_by("-issued_on", "-pk").first()
    client.force_login(romazy)
    pages = {
        "/commerce/": None,
        "/factures/": invoice.number,
        "/commandes/": None,
        "/commandes/historique/": None,
        "/stock/": "Lait entier bio 1 L",
        "/caisse/": None,
        "/rapports/": None,
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        if expected:
            assert expected in page_text(response), url
    # Another shop's invoices are not the shopkeeper's.
    other = Invoice.objects.exclude(shop=shop).first()
    assert other.number not in page_text(client.get("/factures/"))

    client.force_login(User.objects.get(username="coordination"))
    rounds = page_text(client.get("/coordination/tournees/"))
    assert "Laiterie du Coglais" in rounds
    received = Round.objects.filter(status=Round.Status.INVOICED).first()
    assert client.get(f"/coordination/tournees/{received.pk}/").status_code == 200
    for url in ("/coordination/rapports/", "/coordination/membres/"):
        assert client.get(url).status_code == 200, url
    home = page_text(client.get("/coordination/"))
    assert "Aucune livraison attendue" not in home
    assert "Aucune commande fournisseur à valider" not in home

    client.force_login(User.objects.get(username="comptable"))
    assert client.get("/comptable/").status_code == 200
    books = client.get(f"/comptable/{shop.pk}/")
    assert books.status_code == 200
    assert "Ventes du" in page_text(books) or invoice.number in page_text(books)


def test_the_months_option_is_bounded():
    with pytest.raises(CommandError, match="entre 1 et 24"):
        call_command("load_demo", months=0)
    assert not Shop.objects.exists()
    assert not Round.objects.exists()
