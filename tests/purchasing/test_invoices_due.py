"""Invoices due (docs/invoices-due.md): the API's due date, status and amount due, the
?status= filter done in the database and agreeing with Invoice.status_on, the shop's
pages with what is overdue and what settled each invoice."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from purchasing.models import Invoice, InvoiceLine
from purchasing.rules import invoice_status
from purchasing.selectors import invoices_with_due
from tests.factories import issued_invoice, settle
from tests.helpers import text_of

from .test_receipt import consolidated, receive  # noqa: F401  (fixture)

DAY = dt.timedelta(days=1)
STATUSES = ["open", "partially_paid", "paid", "overdue", "credited"]


@pytest.fixture
def book(coop, shop, other_shop, today):
    """One invoice of each kind for `shop` (120.00 incl. VAT each), and one of another
    shop, overdue; name -> (invoice, the status the rule gives on TODAY)."""
    past, future = today - DAY, today + 10 * DAY
    made = {
        "open": (issued_invoice(shop, issued_on=today, due_on=future), "open"),
        "due_today": (issued_invoice(shop, issued_on=today, due_on=today), "open"),
        "overdue": (issued_invoice(shop, issued_on=past, due_on=past), "overdue"),
        "partly": (
            issued_invoice(shop, issued_on=today, due_on=future, paid="50.00"),
            "partially_paid",
        ),
        "partly_late": (
            issued_invoice(shop, issued_on=past, due_on=past, paid="50.00"),
            "overdue",
        ),
        "paid": (issued_invoice(shop, issued_on=past, due_on=past, paid="120.00"), "paid"),
        "credited": (
            issued_invoice(shop, issued_on=past, due_on=past, credited="120.00"),
            "credited",
        ),
        "paid_and_credited": (
            issued_invoice(shop, issued_on=today, due_on=future, paid="20", credited="100"),
            "paid",
        ),
        "part_credited": (
            issued_invoice(shop, issued_on=today, due_on=future, credited="20.00"),
            "open",
        ),
    }
    made["other_shop"] = (issued_invoice(other_shop, issued_on=past, due_on=past), "overdue")
    return made


def test_the_statuses_of_the_fixture_are_the_rules(book, today):
    # The fixture's expectations are the rule's, read from docs/invoices-due.md by hand above.
    for name, (invoice, expected) in book.items():
        assert invoice.status_on(today) == expected, name


def test_the_api_gives_due_date_status_amount_due_and_line_ids(api, shopkeeper, book):
    body = api.as_user(shopkeeper).get("/api/invoices/?page_size=50").json()
    by_id = {row["id"]: row for row in body["results"]}
    assert book["other_shop"][0].pk not in by_id  # scoped
    for name, (invoice, status) in book.items():
        if name == "other_shop":
            continue
        row = by_id[invoice.pk]
        assert row["status"] == status, name
        assert row["due_on"] == invoice.due_on.isoformat()
        expected_due = invoice.total_incl_vat - invoice.amount_paid - invoice.amount_credited
        assert row["amount_due"] == f"{expected_due:.2f}", name
    row = by_id[book["partly"][0].pk]
    assert row["amount_due"] == "70.00"  # 120.00 - 50.00
    assert by_id[book["paid_and_credited"][0].pk]["amount_due"] == "0.00"
    line = InvoiceLine.objects.get(invoice=book["open"][0])
    assert [ln["id"] for ln in by_id[book["open"][0].pk]["lines"]] == [line.pk]
    detail = api.as_user(shopkeeper).get(f"/api/invoices/{book['overdue'][0].pk}/").json()
    assert detail["status"] == "overdue" and detail["amount_due"] == "120.00"


@pytest.mark.parametrize("status", STATUSES)
def test_the_status_filter_is_the_status_of_each_invoice(api, coordinator, book, status):
    body = api.as_user(coordinator).get(f"/api/invoices/?status={status}&page_size=50").json()
    expected = {invoice.pk for invoice, s in book.values() if s == status}
    assert {row["id"] for row in body["results"]} == expected
    assert {row["status"] for row in body["results"]} <= {status}


def test_the_database_status_is_the_rule_for_every_invoice(book, today):
    """The SQL of invoices_with_due against rules.invoice_status, invoice by invoice, on
    the due date, the day before and the day after."""
    for day in (today - DAY, today, today + DAY):
        for invoice in invoices_with_due(Invoice.objects.all(), today=day):
            assert invoice.due_status == invoice_status(
                total=invoice.total_incl_vat,
                paid=invoice.amount_paid,
                credited=invoice.amount_credited,
                due_on=invoice.due_on,
                today=day,
            ), (invoice.number, day)
            assert invoice.due_amount == invoice.amount_due


def test_the_status_filter_combines_with_the_shop_filter(api, coordinator, book, other_shop):
    body = (
        api.as_user(coordinator).get(f"/api/invoices/?status=overdue&shop={other_shop.pk}").json()
    )
    assert [row["id"] for row in body["results"]] == [book["other_shop"][0].pk]


@pytest.mark.parametrize("value", ["late", "OPEN", "", "paid,open"])
def test_an_unknown_status_is_a_400_naming_the_filter(api, shopkeeper, book, value):
    response = api.as_user(shopkeeper).get("/api/invoices/", {"status": value})
    if value == "":
        # An empty filter is no filter, as for the other filters of the project.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "status" in response.json()


def test_the_list_has_a_fixed_query_count_with_the_filter(
    api, shopkeeper, shop, book, django_assert_num_queries, today
):
    client = api.as_user(shopkeeper)
    client.get("/api/invoices/")  # the token's first use writes its last use
    for _ in range(5):
        issued_invoice(shop, issued_on=today - DAY, due_on=today - DAY, paid="10.00")
    with django_assert_num_queries(5):  # token, count, page, lines, vat
        body = client.get("/api/invoices/?status=overdue").json()
    assert body["count"] == 7


def test_a_received_invoice_falls_due_after_the_cooperatives_term(
    api,
    coordinator,
    consolidated,  # noqa: F811
    today,
):
    # The worked example's cooperative (CooperativeFactory): its payment term.
    term = consolidated["coop"].payment_term_days
    invoices = receive(api, coordinator, consolidated).json()["invoices"]
    for row in invoices:
        assert row["due_on"] == (today + dt.timedelta(days=term)).isoformat()
        assert row["status"] == "open"
        assert row["amount_due"] == row["total_incl_vat"]
        ids = [ln["id"] for ln in row["lines"]]
        assert ids == list(
            InvoiceLine.objects.filter(invoice_id=row["id"])
            .order_by("position")
            .values_list("pk", flat=True)
        )


# --- Pages ------------------------------------------------------------------------------


def visible(response) -> str:
    """The page's text without its tags, spaces (no-break ones too) collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text_of(response)).replace("\u00a0", " "))


def test_the_invoices_page_shows_each_status_and_the_total_overdue(client, shopkeeper, book):
    client.force_login(shopkeeper)
    text = visible(client.get("/factures/"))
    # Overdue: 120.00 (overdue) + 70.00 (partly_late), by hand.
    assert "2 factures échues : 190,00 € à régler" in text
    for label in ("À payer", "Partiellement payée", "Payée", "En retard", "Avoir total"):
        assert label in text
    assert book["other_shop"][0].number not in text
    overdue = book["overdue"][0]
    assert f"Échéance : {overdue.due_on:%d/%m/%Y} · reste à payer : 120,00 €" in text
    # What is left to pay in all, by hand: 120 x 9 - 50 - 50 - 120 - 120 - 120 - 20.
    assert "Reste à payer : 600,00 €" in text


def test_without_overdue_invoices_the_page_has_no_overdue_card(
    client, coop, shop, shopkeeper, today
):
    issued_invoice(shop, issued_on=today, due_on=today + DAY)
    client.force_login(shopkeeper)
    response = client.get("/factures/")
    assert response.status_code == 200
    assert 'id="overdue"' not in response.content.decode()
    assert "À payer" in visible(response)


def test_the_invoice_page_lists_its_settlements_not_cancelled(
    client, shopkeeper, coop, shop, today
):
    invoice = issued_invoice(shop, issued_on=today - 40 * DAY)
    settle(invoice, amount="30.00", date=today - 20 * DAY)
    settle(invoice, amount="25.00", date=today - 15 * DAY, kind="credit_note")
    settle(invoice, amount="99.00", date=today - 10 * DAY, cancelled_at=timezone.now())
    client.force_login(shopkeeper)
    text = visible(client.get(f"/factures/{invoice.pk}/"))
    assert "En retard" in text
    assert "Reste à payer : 65,00 €" in text  # 120.00 - 30.00 - 25.00
    assert f"{today - 20 * DAY:%d/%m/%Y} Règlement 30,00 €" in text
    assert f"{today - 15 * DAY:%d/%m/%Y} Avoir 25,00 €" in text
    assert "99,00" not in text


def test_the_invoice_page_is_scoped(client, shopkeeper, book):
    client.force_login(shopkeeper)
    assert client.get(f"/factures/{book['other_shop'][0].pk}/").status_code == 404
    assert client.get(f"/factures/{book['overdue'][0].pk}/").status_code == 200


def test_the_invoices_page_has_a_fixed_query_count(client, shopkeeper, shop, book, today):
    client.force_login(shopkeeper)
    client.get("/factures/")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/factures/").status_code == 200
        return len(queries)

    before = count()
    for _ in range(6):
        issued_invoice(shop, issued_on=today - DAY, due_on=today - DAY)
    assert count() == before
    assert Decimal(0) < Decimal(before) <= 25
