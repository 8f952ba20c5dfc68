"""/api/payments/ (docs/api.md, "Money"): scoped lists, the coordinator records and
cancels, bad input refused with nothing written."""

from decimal import Decimal

import pytest

from accounting import accounts
from accounting.models import EntryLine
from accounting.services import cooperative_ledger
from mache.periods import paris_today
from payments.models import Payment
from payments.services.payments import payment_record
from purchasing.models import Invoice
from tests.factories import ShopFactory, UserFactory
from tests.factories.purchasing import received_round
from tests.helpers import tables_digest

pytestmark = pytest.mark.django_db

APPS = ["payments", "purchasing", "accounting"]


def body(shop, amount, **extra):
    return {
        "shop": shop.pk,
        "date": paris_today().isoformat(),
        "amount": str(amount),
        "method": "transfer",
        "reference": "VIR 2026-03 ROMAZY",
        "invoices": None,
        **extra,
    }


@pytest.fixture
def invoices(shop, other_shop):
    first = received_round({shop: 12, other_shop: 6})
    second = received_round({shop: 6})
    return {"first": first[shop.pk], "second": second[shop.pk], "foreign": first[other_shop.pk]}


def test_a_coordinator_records_a_payment_on_the_oldest_invoices_and_keeps_the_rest(
    api, coordinator, shop, invoices
):
    first, second = invoices["first"], invoices["second"]
    amount = first.total_incl_vat + second.total_incl_vat + Decimal("7.50")
    response = api.as_user(coordinator).post("/api/payments/", body(shop, amount), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["shop"] == shop.pk and data["amount"] == str(amount)
    assert data["method"] == "transfer" and data["reference"] == "VIR 2026-03 ROMAZY"
    assert data["allocations"] == [
        {"invoice": first.pk, "amount": str(first.total_incl_vat)},
        {"invoice": second.pk, "amount": str(second.total_incl_vat)},
    ]
    assert data["unallocated"] == "7.50"
    assert data["cancelled_at"] is None
    assert Invoice.objects.get(pk=first.pk).amount_due == 0


def test_named_invoices_are_paid_in_the_order_given(api, coordinator, shop, invoices):
    first, second = invoices["first"], invoices["second"]
    response = api.as_user(coordinator).post(
        "/api/payments/", body(shop, Decimal("5.00"), invoices=[second.pk]), format="json"
    )
    assert response.status_code == 201
    assert response.json()["allocations"] == [{"invoice": second.pk, "amount": "5.00"}]
    assert Invoice.objects.get(pk=first.pk).amount_paid == 0


def test_a_payment_above_all_that_is_owed_is_accepted_as_a_credit(api, coordinator, shop, invoices):
    owed = invoices["first"].total_incl_vat + invoices["second"].total_incl_vat
    response = api.as_user(coordinator).post(
        "/api/payments/", body(shop, owed + Decimal("1000.00")), format="json"
    )
    assert response.status_code == 201
    assert response.json()["unallocated"] == "1000.00"
    credit = EntryLine.objects.filter(
        ledger=cooperative_ledger(),
        account__number=accounts.CUSTOMER_CREDITS,
        auxiliary__code=f"C{shop.pk:06d}",
    ).get()
    assert credit.credit == Decimal("1000.00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "douze"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"date": "2026-02-30"}, "date"),
        ({"invoices": "foreign"}, "invoices"),
        ({"invoices": [999999]}, "invoices"),
        ({"shop": 999999}, "shop"),
        ({"shop": None}, "shop"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    api, coordinator, shop, invoices, change, field
):
    if change.get("invoices") == "foreign":
        change = {"invoices": [invoices["first"].pk, invoices["foreign"].pk]}
    before = tables_digest(APPS)
    response = api.as_user(coordinator).post(
        "/api/payments/", {**body(shop, Decimal("10.00")), **change}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert tables_digest(APPS) == before


def test_only_the_coordinator_records_or_cancels(api, shop, shopkeeper, accountant, invoices):
    payment = payment_record(
        shop=shop, date=paris_today(), amount=Decimal("10.00"), method="cheque"
    )
    before = tables_digest(APPS)
    for user in (shopkeeper, accountant):
        client = api.as_user(user)
        assert client.post("/api/payments/", body(shop, 10), format="json").status_code == 403
        assert client.post(f"/api/payments/{payment.pk}/cancel/").status_code == 403
    assert tables_digest(APPS) == before


def test_the_list_is_scoped_to_the_shops_one_may_see(
    api, coordinator, shop, other_shop, shopkeeper, accountant, invoices
):
    mine = payment_record(shop=shop, date=paris_today(), amount=Decimal("3.00"), method="cash")
    foreign = payment_record(
        shop=other_shop, date=paris_today(), amount=Decimal("4.00"), method="card"
    )
    for user in (shopkeeper, accountant):
        client = api.as_user(user)
        ids = [row["id"] for row in client.get("/api/payments/").json()["results"]]
        assert ids == [mine.pk]
        assert client.get(f"/api/payments/{foreign.pk}/").status_code == 404
        assert client.get(f"/api/payments/{mine.pk}/").status_code == 200
    stranger = UserFactory(role="accountant", shops=[other_shop])
    ids = [row["id"] for row in api.as_user(stranger).get("/api/payments/").json()["results"]]
    assert ids == [foreign.pk]
    ids = [row["id"] for row in api.as_user(coordinator).get("/api/payments/").json()["results"]]
    assert sorted(ids) == sorted([mine.pk, foreign.pk])


def test_the_list_filters_by_shop_and_dates(api, coordinator, shop, other_shop, invoices):
    payment_record(shop=shop, date=paris_today(), amount=Decimal("3.00"), method="cash")
    theirs = payment_record(
        shop=other_shop, date=paris_today(), amount=Decimal("4.00"), method="card"
    )
    client = api.as_user(coordinator)
    rows = client.get(f"/api/payments/?shop={other_shop.pk}").json()["results"]
    assert [row["id"] for row in rows] == [theirs.pk]
    today = paris_today().isoformat()
    assert len(client.get(f"/api/payments/?from={today}&to={today}").json()["results"]) == 2
    assert client.get("/api/payments/?from=2999-01-01").json()["results"] == []
    response = client.get("/api/payments/?from=hier")
    assert response.status_code == 400 and "from" in response.json()


def test_cancelling_reverses_the_payment_and_twice_is_a_conflict(api, coordinator, shop, invoices):
    first = invoices["first"]
    client = api.as_user(coordinator)
    created = client.post(
        "/api/payments/", body(shop, first.total_incl_vat, method="cheque"), format="json"
    ).json()
    assert Invoice.objects.get(pk=first.pk).amount_due == 0

    response = client.post(
        f"/api/payments/{created['id']}/cancel/", {"reason": "Chèque impayé"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["cancelled_at"]
    assert Invoice.objects.get(pk=first.pk).amount_due == first.total_incl_vat
    assert Payment.objects.get(pk=created["id"]).cancel_reason == "Chèque impayé"

    before = tables_digest(APPS)
    again = client.post(f"/api/payments/{created['id']}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "payment_cancelled"
    assert tables_digest(APPS) == before


def test_a_cancellation_dated_before_the_payment_is_refused(api, coordinator, shop, invoices):
    payment = payment_record(shop=shop, date=paris_today(), amount=Decimal("5.00"), method="cash")
    before = tables_digest(APPS)
    response = api.as_user(coordinator).post(
        f"/api/payments/{payment.pk}/cancel/", {"date": "2000-01-01"}, format="json"
    )
    assert response.status_code == 400 and "date" in response.json()
    assert tables_digest(APPS) == before


def test_the_list_makes_a_fixed_number_of_queries(
    api, coordinator, shop, invoices, django_assert_num_queries
):
    client = api.as_user(coordinator)
    payment_record(shop=shop, date=paris_today(), amount=Decimal("1.00"), method="cash")
    client.get("/api/payments/")  # the token cached, the ledgers made

    # token, count, page, allocations, their settlements
    with django_assert_num_queries(5):
        client.get("/api/payments/")
    for _ in range(6):
        shop_ = ShopFactory()
        invoice = received_round({shop_: 6})[shop_.pk]
        payment_record(
            shop=shop_,
            date=paris_today(),
            amount=invoice.total_incl_vat + Decimal("2.00"),
            method="transfer",
        )
    with django_assert_num_queries(5):
        rows = client.get("/api/payments/").json()["results"]
    assert len(rows) == 7 and all(row["allocations"] is not None for row in rows)
