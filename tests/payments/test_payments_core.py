"""The core of the money after the invoice: payments allocated, the shop's credit,
cancellation, lettering (docs/settlement.md)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounting import accounts
from accounting.lettering import letter_code, letters_of
from accounting.models import EntryLine, LetteredLine
from accounting.services import cooperative_ledger, ledger_for_shop
from mache.periods import paris_today
from payments.services.payments import PaymentCancelled, payment_cancel, payment_record
from purchasing.models import Invoice
from purchasing.services.settlement import invoice_customer_line, shop_credit_balance
from tests.factories.purchasing import received_round
from tests.factories.shops import ShopFactory

pytestmark = pytest.mark.django_db


def balance(ledger, number, code):
    totals = EntryLine.objects.filter(
        ledger=ledger, account__number=number, auxiliary__code=code
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or Decimal(0)) - (totals["c"] or Decimal(0))


def account_balances(shop):
    """(411000 + 419100 of the shop in the cooperative's books, minus the shop's 401000
    COOP balance in its own books): both are what the shop owes."""
    code = f"C{shop.pk:06d}"
    coop = cooperative_ledger()
    owed = balance(coop, accounts.CUSTOMERS, code) + balance(coop, accounts.CUSTOMER_CREDITS, code)
    return owed, -balance(ledger_for_shop(shop), accounts.SUPPLIERS, "COOP")


def test_letter_codes_run_from_aa_to_zz_then_three_letters():
    assert [letter_code(i) for i in (0, 1, 25, 26, 675, 676, 677)] == [
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "AAB",
    ]


def test_a_payment_pays_the_oldest_invoices_first_and_keeps_the_rest_as_credit():
    shop = ShopFactory()
    first = received_round({shop: 12})[shop.pk]
    second = received_round({shop: 6})[shop.pk]
    amount = first.total_incl_vat + Decimal("1.00")
    payment = payment_record(shop=shop, date=paris_today(), amount=amount, method="transfer")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.amount_due == 0 and first.status_on(paris_today()) == "paid"
    assert second.amount_paid == Decimal("1.00")
    assert second.status_on(paris_today()) == "partially_paid"
    assert payment.unallocated == 0
    # The paid invoice is lettered: its 411000 line and the payment's share.
    line = invoice_customer_line(first)
    [(code, _)] = [letters_of([line.pk])[line.pk]]
    lettered = EntryLine.objects.filter(lettered__lettering__code=code)
    assert lettered.count() == 2
    assert sum(line.debit - line.credit for line in lettered) == 0
    assert invoice_customer_line(second).pk not in letters_of([invoice_customer_line(second).pk])
    owed, shop_view = account_balances(shop)
    assert owed == shop_view == second.amount_due


def test_an_overpayment_is_a_credit_used_by_the_next_invoice_at_its_receipt():
    shop = ShopFactory()
    first = received_round({shop: 12})[shop.pk]
    payment = payment_record(
        shop=shop,
        date=paris_today(),
        amount=first.total_incl_vat + Decimal("10.00"),
        method="cheque",
        invoices=[first.pk],
    )
    assert payment.unallocated == Decimal("10.00")
    assert shop_credit_balance(shop) == Decimal("10.00")
    second = received_round({shop: 6})[shop.pk]
    second.refresh_from_db()
    assert second.amount_paid == Decimal("10.00")
    assert shop_credit_balance(shop) == 0
    owed, shop_view = account_balances(shop)
    assert owed == shop_view == second.total_incl_vat - Decimal("10.00")


def test_cancelling_a_payment_reverses_everything_it_did():
    shop = ShopFactory()
    first = received_round({shop: 12})[shop.pk]
    payment = payment_record(
        shop=shop,
        date=paris_today(),
        amount=first.total_incl_vat + Decimal("5.00"),
        method="cheque",
    )
    second = received_round({shop: 6})[shop.pk]  # takes the 5.00 of credit
    assert Invoice.objects.get(pk=second.pk).amount_paid == Decimal("5.00")

    payment_cancel(payment=payment, reason="Chèque impayé")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.amount_paid == 0 and second.amount_paid == 0
    assert shop_credit_balance(shop) == 0
    assert not LetteredLine.objects.exists()
    owed, shop_view = account_balances(shop)
    assert owed == shop_view == first.total_incl_vat + second.total_incl_vat
    with pytest.raises(PaymentCancelled):
        payment_cancel(payment=payment)


def test_a_new_letter_never_reuses_a_removed_code():
    shop = ShopFactory()
    invoice = received_round({shop: 12})[shop.pk]
    payment = payment_record(
        shop=shop, date=paris_today(), amount=invoice.total_incl_vat, method="transfer"
    )
    line = invoice_customer_line(invoice)
    assert letters_of([line.pk])[line.pk][0] == "AA"
    payment_cancel(payment=payment)
    payment_record(shop=shop, date=paris_today(), amount=invoice.total_incl_vat, method="transfer")
    assert letters_of([line.pk])[line.pk][0] == "AB"


def test_the_letter_is_dated_when_the_set_balanced_not_before_the_invoice():
    shop = ShopFactory()
    invoice = received_round({shop: 12})[shop.pk]
    yesterday = paris_today() - dt.timedelta(days=1)
    payment_record(
        shop=shop,
        date=yesterday,  # a cheque written the day before the delivery
        amount=invoice.total_incl_vat,
        method="cheque",
        invoices=[invoice.pk],
    )
    line = invoice_customer_line(invoice)
    assert letters_of([line.pk])[line.pk][1] == invoice.issued_on == paris_today()
