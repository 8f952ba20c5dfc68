"""Reminders of overdue invoices (docs/invoices-due.md, "Reminders"): at 7 and 21 days
after the due date, once each, even with two sweeps at once on two database
connections; nothing for an invoice paid meanwhile; the e-mail in French; the
coordinator's page."""

import datetime as dt
import re
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mache.models import OutboxMessage
from payments.models import DirectDebitBatch, DirectDebitItem, Mandate, PaymentReminder
from payments.notifications import payment_reminder
from payments.services.reminders import payment_reminders_send, reminder_level
from purchasing.models import Invoice
from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, issued_invoice
from tests.helpers import text_of
from tests.mache.test_settings import run_manage
from tests.purchasing.test_deadline_race import run_in_thread, wait_for_lock_waiter
from worker.tasks import payment_reminders

DUE = dt.date(2026, 3, 2)  # a Monday; the sweeps below are given their day


def days(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


@pytest.fixture
def shop(db):
    CooperativeFactory(name="Coop du Coglais")
    shop = ShopFactory(name="Épicerie de Romazy", email="epicerie@romazy.test")
    UserFactory(username="epicier", role=User.Role.SHOPKEEPER, shops=[shop], email="jo@romazy.test")
    return shop


@pytest.fixture
def invoice(shop):
    return issued_invoice(shop, total="120.00", issued_on=days(-30), due_on=DUE, paid="50.00")


def reminder_messages():
    return list(
        OutboxMessage.objects.filter(task_name="worker.send_notification").values_list(
            "args", flat=True
        )
    )


def test_the_level_reached_is_the_highest_passed():
    levels = (7, 21)
    assert reminder_level(due_on=DUE, today=days(6), levels=levels) is None
    assert reminder_level(due_on=DUE, today=days(7), levels=levels) == 7
    assert reminder_level(due_on=DUE, today=days(20), levels=levels) == 7
    assert reminder_level(due_on=DUE, today=days(21), levels=levels) == 21
    assert reminder_level(due_on=DUE, today=days(400), levels=levels) == 21


def test_an_invoice_is_reminded_at_7_then_at_21_days_once_each(invoice):
    assert payment_reminders_send(today=days(6)) == []
    first = payment_reminders_send(today=days(7))
    assert len(first) == 1
    for day in (7, 8, 15, 20):  # the same level again, the same day or later: nothing
        assert payment_reminders_send(today=days(day)) == []
    second = payment_reminders_send(today=days(21))
    assert len(second) == 1
    for day in (21, 22, 60):
        assert payment_reminders_send(today=days(day)) == []
    assert list(
        PaymentReminder.objects.filter(invoice=invoice)
        .order_by("days_overdue")
        .values_list("days_overdue", flat=True)
    ) == [7, 21]
    # One e-mail enqueued per reminder, after commit, through the outbox.
    assert sorted(reminder_messages()) == sorted(
        [["payment_reminder", first[0]], ["payment_reminder", second[0]]]
    )


def test_a_missed_week_sends_the_level_reached_only(invoice):
    created = payment_reminders_send(today=days(25))
    assert [PaymentReminder.objects.get(pk=pk).days_overdue for pk in created] == [21]
    assert payment_reminders_send(today=days(26)) == []


def test_the_levels_come_from_the_settings(invoice, settings):
    settings.PAYMENT_REMINDER_DAYS = (3, 10, 30)
    assert len(payment_reminders_send(today=days(3))) == 1
    assert payment_reminders_send(today=days(7)) == []
    assert len(payment_reminders_send(today=days(10))) == 1


def test_a_paid_or_credited_invoice_is_not_reminded(shop):
    paid = issued_invoice(shop, issued_on=days(-30), due_on=DUE, paid="120.00")
    credited = issued_invoice(shop, issued_on=days(-30), due_on=DUE, credited="120.00")
    not_due = issued_invoice(shop, issued_on=days(-10), due_on=days(1))
    assert payment_reminders_send(today=days(7)) == []
    assert not PaymentReminder.objects.filter(invoice__in=[paid, credited, not_due]).exists()


def test_an_invoice_paid_between_the_sweep_and_the_email_gets_none(invoice):
    [reminder_id] = payment_reminders_send(today=days(7))
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=invoice.total_incl_vat)
    assert payment_reminder(reminder_id) == 0
    assert mail.outbox == []
    assert PaymentReminder.objects.get(pk=reminder_id).sent_at is None


def test_the_email_is_in_french_with_the_amounts_formatted(invoice):
    [reminder_id] = payment_reminders_send(today=days(7))
    assert payment_reminder(reminder_id) == 1
    [message] = mail.outbox
    assert message.to == ["epicerie@romazy.test", "jo@romazy.test"]
    assert message.subject == (f"[MACHE] Relance : facture {invoice.number} échue depuis 7 jours")
    body = message.body
    nbsp = "\u00a0"
    assert f"échue le {DUE:%d/%m/%Y}, n'est pas entièrement réglée" in body
    assert f"Montant TTC : 120,00{nbsp}€" in body
    assert f"Déjà réglé : 50,00{nbsp}€" in body
    assert f"Reste à payer : 70,00{nbsp}€" in body  # 120.00 - 50.00
    assert f"/factures/{invoice.pk}/" in body
    assert PaymentReminder.objects.get(pk=reminder_id).sent_at is not None
    # The same task delivered twice sends nothing more.
    assert payment_reminder(reminder_id) == 0
    assert len(mail.outbox) == 1


def test_a_shop_without_address_is_not_emailed(db):
    CooperativeFactory()
    mute = ShopFactory(email="")
    late = issued_invoice(mute, issued_on=days(-30), due_on=DUE)
    [reminder_id] = payment_reminders_send(today=days(7))
    assert PaymentReminder.objects.get(pk=reminder_id).invoice_id == late.pk
    assert payment_reminder(reminder_id) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_once():
    """Sweep A has inserted the reminder and not committed; sweep B, on another
    connection, read no reminder yet, inserts too and waits on the unique index; A
    commits; B's insert fails on the constraint and B moves on. One reminder, one e-mail
    enqueued."""
    CooperativeFactory()
    shop = ShopFactory(email="epicerie@romazy.test")
    invoice = issued_invoice(shop, issued_on=days(-30), due_on=DUE)
    inserted, release = threading.Event(), threading.Event()

    def sweep_a():
        with transaction.atomic():
            created = payment_reminders_send(today=days(7))
            inserted.set()
            release.wait(timeout=20)
        return created

    thread_a, outcome_a = run_in_thread(sweep_a)
    assert inserted.wait(timeout=20)
    thread_b, outcome_b = run_in_thread(lambda: payment_reminders_send(today=days(7)))
    wait_for_lock_waiter()  # sweep B waits on sweep A's reminder
    release.set()
    thread_a.join(timeout=20)
    thread_b.join(timeout=20)
    assert "error" not in outcome_a and "error" not in outcome_b, (outcome_a, outcome_b)
    assert len(outcome_a["value"]) == 1
    assert outcome_b["value"] == []
    assert PaymentReminder.objects.filter(invoice=invoice).count() == 1
    assert reminder_messages() == [["payment_reminder", outcome_a["value"][0]]]


def test_the_beat_task_is_scheduled_and_sweeps(invoice, settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["payment-reminders"]
    assert schedule["task"] == payment_reminders.name == "worker.payment_reminders"
    # Run today: the invoice fell due long before, so its highest level is reached.
    created = payment_reminders.run()
    assert [PaymentReminder.objects.get(pk=pk).days_overdue for pk in created] == [21]
    assert payment_reminders.run() == []


# --- The coordinator's page -------------------------------------------------------------


def visible(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text_of(response)).replace("\u00a0", " "))


def test_the_coordinator_sees_overdue_invoices_and_their_reminders(client, invoice, shop, today):
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    other = ShopFactory(name="Bar de Vieux-Vy")
    recent = issued_invoice(other, total="30.00", issued_on=today, due_on=today)  # not late
    late = issued_invoice(other, total="60.00", issued_on=today - dt.timedelta(days=40))
    [reminder_id] = payment_reminders_send(today=days(7))
    payment_reminder(reminder_id)
    client.force_login(coordinator)
    text = visible(client.get("/coordination/relances/"))
    # Overdue: 70.00 (the invoice, 120.00 - 50.00) + 60.00, by hand.
    assert "2 factures : 130,00 € à encaisser" in text
    assert invoice.number in text and late.number in text and recent.number not in text
    assert "7 jours : envoyée le" in text
    assert "Aucune" in text  # the other invoice has no reminder yet


def test_the_reminders_page_is_for_the_coordinator_with_a_fixed_query_count(client, shop):
    for role in (User.Role.SHOPKEEPER, User.Role.ACCOUNTANT):
        client.force_login(UserFactory(role=role, shops=[shop]))
        assert client.get("/coordination/relances/").status_code == 403
    client.force_login(UserFactory(role=User.Role.COORDINATOR))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/coordination/relances/").status_code == 200
        return len(queries)

    issued_invoice(shop, issued_on=days(-30), due_on=DUE)
    payment_reminders_send(today=days(7))
    before = count()
    for _ in range(5):
        issued_invoice(ShopFactory(), issued_on=days(-30), due_on=DUE)
    payment_reminders_send(today=days(21))
    assert count() == before


def test_the_levels_are_read_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PAYMENT_REMINDER_DAYS)",
        env={"PAYMENT_REMINDER_DAYS": "30, 10,60"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "(10, 30, 60)"
    default = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PAYMENT_REMINDER_DAYS)",
        env={},
    )
    assert default.stdout.strip().splitlines()[-1] == "(7, 21)"


def test_an_invoice_awaiting_its_direct_debit_is_not_reminded(invoice, shop):
    mandate = Mandate.objects.create(
        shop=shop,
        reference="RUM-ROMAZY-1",
        signed_on=days(-60),
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    batch = DirectDebitBatch.objects.create(collection_date=days(9), message_id="MACHE-PRLV-1")
    item = DirectDebitItem.objects.create(
        batch=batch,
        shop=shop,
        mandate=mandate,
        amount=invoice.amount_due,
        sequence_type="FRST",
        end_to_end_id="D1-MACHE",
    )
    item.invoices.add(invoice)
    assert payment_reminders_send(today=days(7)) == []
    # Rejected by the bank: the shop must pay it, and is reminded.
    DirectDebitItem.objects.filter(pk=item.pk).update(status=DirectDebitItem.Status.REJECTED)
    assert len(payment_reminders_send(today=days(8))) == 1
