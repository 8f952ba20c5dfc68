"""`manage.py load_demo` builds a living cooperative (docs/demo.md): months of rounds,
invoices, stock with lots, Z tickets, losses, counts and reports, the suppliers'
e-invoices and their payment, all through the services; the books balance, the FEC
passes the project's checker, a second load adds nothing, and every role's main pages
show that history."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth

from accounting.ereporting.selectors import e_reporting_month
from accounting.fec import fec_export, fec_inspect
from accounting.models import Entry, EntryLine, Ledger, LetteredLine, SalesDay
from inventory.models import StockCount, StockLot, StockMovement
from mache.models import OutboxMessage
from mache.periods import PARIS, paris_today, previous_month
from payments.models import CreditTransferBatch, DirectDebitBatch, Payment, PaymentReminder
from purchasing.models import (
    CreditNote,
    Invoice,
    Order,
    Round,
    SupplierInvoice,
    SupplierOrder,
    SupplierOrderLine,
)
from shops.models import Cooperative, Shop, User
from tests.helpers import page_text
from wiring.demo.history import REPORTS, at, history_start
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
    SupplierInvoice,
    CreditTransferBatch,
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

    # The reports of every month over since the start: each shop's and the cooperative's,
    # made at REPORTS on the 1st (before that hour on the 1st, the last month's are not).
    reports = Report.objects.filter(status=Report.Status.READY)
    expected = {
        dt.date(start.year + (start.month + i - 1) // 12, (start.month + i - 1) % 12 + 1, 1)
        for i in range(12)
    }
    if at(today.replace(day=1), REPORTS) > dt.datetime.now(PARIS):
        expected.discard(max(expected))
    assert set(reports.values_list("month", flat=True)) == expected
    assert reports.filter(shop__isnull=True).count() == len(expected)
    assert not Report.objects.exclude(status=Report.Status.READY).exists()
    # The money after the invoice: transfers, cheques (one returned unpaid), monthly
    # direct debits, a credit note, reminders of the slow payer; settled invoices
    # lettered, recent ones still due, some overdue.
    assert Payment.objects.filter(method="transfer").count() > 50
    assert Payment.objects.filter(method="direct_debit").count() >= 10
    assert Payment.objects.filter(cancelled_at__isnull=False).count() == 1
    assert CreditNote.objects.filter(reason__startswith="Un article arrivé cassé").count() == 1
    assert DirectDebitBatch.objects.filter(status="settled").count() >= 10
    assert PaymentReminder.objects.exists()
    paid = Invoice.objects.filter(amount_paid__gt=0)
    assert paid.count() > Invoice.objects.count() // 2
    assert Invoice.objects.filter(
        total_incl_vat__gt=F("amount_paid") + F("amount_credited"), due_on__lt=today
    ).exists()
    assert LetteredLine.objects.count() >= 2 * paid.count()
    suppliers_invoices(today)
    e_reporting(today)
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


def suppliers_invoices(today):
    """The suppliers' e-invoices of the last months: one per receipt since, most of them
    approved (the purchase booked from them), one cheaper (credit notes to the shops),
    one with more shipping (supplementary invoices), one rejected with its reason and
    corrected, the recent ones left to approve; paid by monthly credit transfers, those
    approved this month not yet."""
    invoices = SupplierInvoice.objects.all()
    since = previous_month(previous_month(today.replace(day=1)))
    received = SupplierOrder.objects.filter(
        status=SupplierOrder.Status.RECEIVED,
        round__delivery_date__gte=since,
        round__delivery_date__lt=today,
    )
    assert set(invoices.values_list("supplier_order", flat=True)) == set(
        received.values_list("pk", flat=True)
    )
    assert set(invoices.values_list("format", flat=True)) == {"cii", "facturx"}
    approved = invoices.filter(status=SupplierInvoice.Status.APPROVED)
    assert approved.count() >= 12
    assert not approved.filter(entry=None).exists()
    rejected = invoices.get(status=SupplierInvoice.Status.REJECTED)
    assert "facture corrigée" in rejected.reason
    assert approved.filter(supplier_order=rejected.supplier_order).exists()
    waiting = invoices.filter(status__in=["matched", "discrepancies"])
    assert waiting.filter(status="discrepancies").count() == 1
    assert not waiting.filter(received_at__date__lt=today - dt.timedelta(days=10)).exists()
    assert CreditNote.objects.filter(reason__startswith="Facture ").count() >= 2
    assert Invoice.objects.filter(supplements__isnull=False).exists()
    # Paid by the month's batch, executed early the next month; this month's not yet.
    month = dt.datetime.combine(today.replace(day=1), dt.time(0), tzinfo=PARIS)
    last_month = dt.datetime.combine(previous_month(month.date()), dt.time(0), tzinfo=PARIS)
    assert CreditTransferBatch.objects.filter(status="settled").exists()
    assert not approved.filter(decided_at__gte=month, credit_transfers__isnull=False).exists()
    assert not approved.filter(decided_at__lt=last_month, credit_transfers__isnull=True).exists()
    assert not invoices.exclude(status="approved").filter(credit_transfers__isnull=False).exists()


def e_reporting(today):
    """The grocers' tills count their sales, the boulangerie's does not; Romazy declares
    monthly (three periods a month), the others once a month."""
    days = SalesDay.objects.filter(shop__status=Shop.Status.ACTIVE)
    assert days.filter(shop__kind="epicerie", transactions__gt=0).exists()
    assert not days.filter(shop__kind="boulangerie", transactions__isnull=False).exists()
    month = previous_month(today.replace(day=1))
    romazy = Shop.objects.get(commune="Romazy")
    assert romazy.vat_regime == Shop.VatRegime.MONTHLY
    report = e_reporting_month(ledger=Ledger.objects.get(shop=romazy), month=month)
    assert len(report.periods) == 3
    assert all(
        period.days and period.reconciled and period.transactions for period in report.periods
    )
    other = Ledger.objects.exclude(shop=romazy).exclude(shop=None).first()
    assert len(e_reporting_month(ledger=other, month=month).periods) == 1


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
    # The suppliers' e-invoices, some left to approve, and the credit transfers.
    waiting = SupplierInvoice.objects.filter(status__in=["matched", "discrepancies"]).first()
    assert waiting.number in page_text(client.get("/coordination/factures-fournisseurs/"))
    page = client.get(f"/coordination/factures-fournisseurs/{waiting.pk}/")
    assert page.status_code == 200
    assert client.get("/coordination/virements/").status_code == 200
    home = page_text(client.get("/coordination/"))
    assert "Aucune livraison attendue" not in home
    assert "Aucune commande fournisseur à valider" not in home

    client.force_login(User.objects.get(username="comptable"))
    assert client.get("/comptable/").status_code == 200
    # The books of the last 30 days (the current month alone is empty early on the 1st).
    since = (paris_today() - dt.timedelta(days=30)).isoformat()
    books = client.get(f"/comptable/{shop.pk}/", {"start": since, "end": str(paris_today())})
    assert books.status_code == 200
    assert "Ventes du" in page_text(books) or invoice.number in page_text(books)
    # Romazy declares monthly: three periods, their sales counted.
    last_month = previous_month(paris_today().replace(day=1)).strftime("%Y-%m")
    text = page_text(client.get(f"/comptable/{shop.pk}/e-reporting/?mois={last_month}"))
    assert text.count("Période ") == 3
    assert "Rapproché" in text


def test_the_months_option_is_bounded():
    with pytest.raises(CommandError, match="entre 1 et 24"):
        call_command("load_demo", months=0)
    assert not Shop.objects.exists()
    assert not Round.objects.exists()
