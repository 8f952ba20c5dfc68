"""What the shops owe on the cooperative's invoices, in the monthly reports
(docs/invoices-due.md, "In the monthly reports"): invoiced, paid, credited, due and
overdue at the month's last day, and the days of sales outstanding. Every expected
amount below is worked out by hand from the rules, invoice by invoice."""

import datetime as dt
from decimal import Decimal as D

import pytest

from mache.periods import PARIS, current_month, last_day_of_month, previous_month
from tests.factories import CooperativeFactory, ShopFactory, issued_invoice, settle
from tests.helpers import pdf_text, squeezed
from worker.reports import (
    cooperative_report_data,
    cooperative_report_pdf,
    shop_report_data,
    shop_report_pdf,
)
from worker.reports.figures import days_of_sales_outstanding, window
from worker.reports.figures.receivables import receivables_by_shop

DAY = dt.timedelta(days=1)


def paris(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


@pytest.fixture
def last_month() -> dt.date:
    """The month of the figures: read as the test starts, never at import (a run may cross
    midnight, and a month, in Paris)."""
    return previous_month(current_month())


@pytest.fixture
def month(db, last_month):
    """Shop A: four invoices (one issued after the month), shop B: one, shop C: none."""
    first, last = last_month, last_day_of_month(last_month)
    CooperativeFactory()
    a, b, c = (ShopFactory(name=name) for name in ("Épicerie A", "Bar B", "Café C"))
    # A1: 100.00, issued 20 days before the month, due on the 11th (overdue at the end).
    a1 = issued_invoice(a, total="100.00", issued_on=first - 20 * DAY, due_on=first + 10 * DAY)
    settle(a1, amount="40.00", date=first + 5 * DAY)  # paid in the month
    settle(a1, amount="10.00", date=first + 20 * DAY, kind="credit")  # credit used
    settle(a1, amount="50.00", date=last + 3 * DAY)  # after the month: not counted
    # A2: 200.00, issued on the 4th, due after the month.
    a2 = issued_invoice(a, total="200.00", issued_on=first + 3 * DAY, due_on=last + 5 * DAY)
    settle(a2, amount="50.00", date=first + 9 * DAY, kind="credit_note")
    # A cheque cancelled within the month: never counted.
    settle(a2, amount="30.00", date=first + 11 * DAY, cancelled_at=paris(last - 2 * DAY))
    # A cheque returned after the month: it still counted at the month's end.
    settle(a2, amount="20.00", date=first + 14 * DAY, cancelled_at=paris(last + 2 * DAY))
    # A3: issued the day after the month: out of it.
    issued_invoice(a, total="50.00", issued_on=last + DAY)
    # A4: 80.00, issued 120 days before the month's end, paid long before.
    a4 = issued_invoice(a, total="80.00", issued_on=last - 120 * DAY)
    settle(a4, amount="80.00", date=last - 100 * DAY)
    # B1: 90.00, issued on the 2nd, due on the 6th, unpaid.
    issued_invoice(b, total="90.00", issued_on=first + DAY, due_on=first + 5 * DAY)
    return {"a": a, "b": b, "c": c}


# The figures of shop A, by hand:
#   invoiced = A2 = 200.00
#   paid = 40.00 (A1) + 10.00 (A1, credit) + 20.00 (A2, cancelled after the month) = 70.00
#   credited = 50.00 (A2)
#   due = A1 (100 - 40 - 10 = 50.00) + A2 (200 - 50 - 20 = 130.00) + A4 (0) = 180.00
#   overdue = A1 only (due on the 11th) = 50.00
#   invoiced over the 90 days ending the last day = A1 + A2 = 300.00 (A4 is older)
#   DSO = 180 / 300 x 90 = 54 days
SHOP_A = {
    "invoiced": D("200.00"),
    "paid": D("70.00"),
    "credited": D("50.00"),
    "due": D("180.00"),
    "overdue": D("50.00"),
    "invoiced_dso": D("300.00"),
    "dso": D("54"),
}
# Shop B: invoiced 90.00, nothing paid, all overdue; DSO = 90 / 90 x 90 = 90 days.
SHOP_B = {
    "invoiced": D("90.00"),
    "paid": D("0.00"),
    "credited": D("0.00"),
    "due": D("90.00"),
    "overdue": D("90.00"),
    "invoiced_dso": D("90.00"),
    "dso": D("90"),
}


def as_dict(receivables) -> dict:
    return {name: getattr(receivables, name) for name in SHOP_A}


def test_the_shops_figures_at_the_months_end(month, last_month):
    assert as_dict(shop_report_data(shop=month["a"], month=last_month).receivables) == SHOP_A
    assert as_dict(shop_report_data(shop=month["b"], month=last_month).receivables) == SHOP_B


def test_a_shop_never_invoiced_has_zeros_and_no_dso(month, last_month):
    figures = shop_report_data(shop=month["c"], month=last_month).receivables
    assert (figures.invoiced, figures.due, figures.overdue) == (D("0.00"),) * 3
    assert figures.dso is None


def test_the_cooperatives_figures_sum_the_shops(month, last_month):
    data = cooperative_report_data(month=last_month)
    assert [(row.name, as_dict(row.receivables)) for row in data.receivables_by_shop] == [
        ("Bar B", SHOP_B),  # the most overdue first
        ("Épicerie A", SHOP_A),
    ]
    # By hand: due 180 + 90 = 270, invoiced over 90 days 300 + 90 = 390;
    # DSO = 270 / 390 x 90 = 62.3 -> 62 days (not the mean of 54 and 90).
    assert as_dict(data.receivables) == {
        "invoiced": D("290.00"),
        "paid": D("70.00"),
        "credited": D("50.00"),
        "due": D("270.00"),
        "overdue": D("140.00"),
        "invoiced_dso": D("390.00"),
        "dso": D("62"),
    }


def test_the_month_before_is_read_as_it_stood_then(month, last_month):
    # At the end of the month before, only A1 and A4 existed: A1 was not yet due
    # (due on the 11th of this month) and nothing had been paid on it; A4 was paid.
    before = receivables_by_shop(win=window(previous_month(last_month)))
    name, figures = before[month["a"].pk]
    assert (figures.invoiced, figures.due, figures.overdue) == (
        D("100.00"),
        D("100.00"),
        D("0.00"),
    )
    assert month["b"].pk not in before


def test_dso_rounds_half_up_and_needs_sales():
    assert days_of_sales_outstanding(D("270.00"), D("390.00")) == D("62")
    assert days_of_sales_outstanding(D("1.00"), D("36.00")) == D("3")  # 2.5 -> 3
    assert days_of_sales_outstanding(D("5.00"), D("0.00")) is None


def test_two_queries_whatever_the_number_of_invoices(month, django_assert_num_queries, last_month):
    with django_assert_num_queries(2):
        receivables_by_shop(win=window(last_month))
    for n in range(5):
        shop = ShopFactory()
        invoice = issued_invoice(shop, issued_on=last_month + n * DAY)
        settle(invoice, amount="10.00", date=last_month + (n + 1) * DAY)
    with django_assert_num_queries(2):
        assert len(receivables_by_shop(win=window(last_month))) == 7


def test_the_pdfs_print_the_figures(month, tmp_path, last_month):
    shop_pdf = squeezed(
        pdf_text(shop_report_pdf(shop_report_data(shop=month["a"], month=last_month)), tmp_path)
    )
    assert "Factures de la coopérative" in shop_pdf
    assert "Facturé TTC dans le mois 200,00 €" in shop_pdf
    assert "Réglé dans le mois 70,00 €" in shop_pdf
    assert f"Reste dû au {last_day_of_month(last_month):%d/%m/%Y} 180,00 €" in shop_pdf
    assert "dont en retard 50,00 €" in shop_pdf
    assert "Délai moyen de paiement (DSO, 90 jours) 54 jours" in shop_pdf

    coop_pdf = squeezed(
        pdf_text(cooperative_report_pdf(cooperative_report_data(month=last_month)), tmp_path)
    )
    assert "Bar B 90,00 € 0,00 € 90,00 € 90,00 € 90 jours" in coop_pdf
    assert "Épicerie A 200,00 € 70,00 € 180,00 € 50,00 € 54 jours" in coop_pdf
    assert "Total 290,00 € 70,00 € 270,00 € 140,00 € 62 jours" in coop_pdf
