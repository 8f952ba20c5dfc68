"""Two payments of one invoice at once, on two real database connections (threads): the
shop's then the invoice's row lock (purchasing.services.settlement) makes the second
wait, then see nothing due; its money becomes the shop's credit. Never over-paid."""

import threading
from decimal import Decimal

import pytest
from django.db import transaction

from accounting.models import Entry, LetteredLine
from mache.periods import paris_today
from payments.models import Payment
from payments.services.payments import payment_record
from purchasing.models import Invoice
from purchasing.services.settlement import invoice_customer_line, shop_credit_balance
from tests.factories import CooperativeFactory, ShopFactory
from tests.factories.purchasing import received_round
from tests.payments.test_shop_account import books_owed
from tests.purchasing.test_deadline_race import run_in_thread, wait_for_lock_waiter

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_payments_of_one_invoice_at_once_never_over_pay_it():
    CooperativeFactory()
    shop = ShopFactory()
    invoice = received_round({shop: 12})[shop.pk]
    total = invoice.total_incl_vat
    locked, release = threading.Event(), threading.Event()

    def first():
        # Records its payment and holds the locks until the second one waits on them.
        with transaction.atomic():
            payment = payment_record(
                shop=shop,
                date=paris_today(),
                amount=total,
                method="transfer",
                invoices=[invoice.pk],
            )
            locked.set()
            release.wait(10)
        return payment

    def second():
        locked.wait(10)
        return payment_record(
            shop=shop, date=paris_today(), amount=total, method="cheque", invoices=[invoice.pk]
        )

    first_thread, first_outcome = run_in_thread(first)
    second_thread, second_outcome = run_in_thread(second)
    assert locked.wait(10)
    wait_for_lock_waiter()  # the second payment waits on the first's lock
    release.set()
    first_thread.join(20)
    second_thread.join(20)
    assert "error" not in first_outcome, first_outcome
    assert "error" not in second_outcome, second_outcome

    invoice.refresh_from_db()
    assert invoice.amount_paid == total and invoice.amount_due == 0
    paid_first = Payment.objects.get(pk=first_outcome["value"].pk)
    paid_second = Payment.objects.get(pk=second_outcome["value"].pk)
    assert paid_first.unallocated == 0 and paid_first.allocations.count() == 1
    assert paid_second.unallocated == total and paid_second.allocations.count() == 0
    assert shop_credit_balance(shop) == total
    # One letter on the invoice: its line and the first payment's.
    line = invoice_customer_line(invoice)
    assert LetteredLine.objects.filter(line=line).exists()
    assert LetteredLine.objects.count() == 2
    # Both books balanced, and they agree on what the shop owes: -total (its credit).
    for entry in Entry.objects.prefetch_related("lines"):
        lines = list(entry.lines.all())
        assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines), entry
    coop, shop_side = books_owed(shop, paris_today())
    assert coop == shop_side == -total
    assert Invoice.objects.filter(pk=invoice.pk, amount_paid__gt=total).count() == 0
    assert Decimal(0) <= invoice.amount_paid <= invoice.total_incl_vat
