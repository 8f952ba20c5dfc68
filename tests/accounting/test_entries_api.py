import datetime as dt
from decimal import Decimal

import pytest

from accounting.closing import period_close
from accounting.models import ClosedPeriod, Entry
from accounting.services import LineIn, chart_of_accounts, entry_post
from mache.errors import NotAllowed
from mache.periods import paris_today
from tests.factories import CooperativeFactory, ShopFactory


def manual(shop_param, **changes):
    return {
        "shop": shop_param,
        "journal": "OD",
        "date": str(paris_today()),
        "label": "Régularisation",
        "piece_ref": "NOTE-12",
        "lines": [
            {"account": "658000", "debit": "12.30", "label": "Charge"},
            {"account": "512000", "credit": "12.30", "label": "Banque"},
        ],
        **changes,
    }


def test_an_accountant_posts_a_manual_entry(api, accountant, shop, today):
    response = api.as_user(accountant).post("/api/entries/", manual(shop.pk), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["shop"], body["journal"], body["number"]) == (shop.pk, "OD", 1)
    assert body["reference"] == f"OD-{today.year}-000001"
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in body["lines"]] == [
        ("658000", "12.30", "0.00"),
        ("512000", "0.00", "12.30"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "lines": [
                    {"account": "658000", "debit": "12.30"},
                    {"account": "512000", "credit": "12.31"},
                ]
            },
            "lines",
        ),
        ({"lines": []}, "lines"),
        ({"lines": [{"account": "658000", "debit": "1.00"}]}, "lines"),
        (
            {
                "lines": [
                    {"account": "658000", "debit": "1.00", "credit": "1.00"},
                    {"account": "512000", "credit": "0.00", "debit": "0.00"},
                ]
            },
            "lines",
        ),
        (
            {
                "lines": [
                    {"account": "658000", "debit": "-1.00"},
                    {"account": "512000", "credit": "-1.00"},
                ]
            },
            "lines",
        ),
        (
            {
                "lines": [
                    {"account": "658000", "debit": "1.005"},
                    {"account": "512000", "credit": "1.005"},
                ]
            },
            "lines",
        ),
        (
            {
                "lines": [
                    {"account": "999999", "debit": "1.00"},
                    {"account": "512000", "credit": "1.00"},
                ]
            },
            "lines",
        ),
        (
            {
                "lines": [
                    {"account": "65A", "debit": "1.00"},
                    {"account": "512000", "credit": "1.00"},
                ]
            },
            "lines",
        ),
        ({"journal": "XYZ"}, "journal"),
        ({"date": "15/10/2026"}, "date"),
        ({"label": ""}, "label"),
    ],
)
def test_bad_manual_entries_are_400_and_post_nothing(api, accountant, shop, change, field):
    response = api.as_user(accountant).post(
        "/api/entries/", manual(shop.pk, **change), format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Entry.objects.exists()


def test_an_entry_in_a_closed_month_is_400(api, accountant, shop, today):
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    ClosedPeriod.objects.create(ledger=shop.ledger, month=last_month)
    response = api.as_user(accountant).post(
        "/api/entries/", manual(shop.pk, date=str(last_month + dt.timedelta(days=3))), format="json"
    )
    assert response.status_code == 400
    assert "clôturé" in response.json()["date"][0]
    assert not Entry.objects.exists()


def test_posted_entries_are_never_edited_or_deleted(api, accountant, shop):
    entry = api.as_user(accountant).post("/api/entries/", manual(shop.pk), format="json").json()
    for method in ("put", "patch", "delete"):
        response = getattr(api, method)(
            f"/api/entries/{entry['id']}/", manual(shop.pk), format="json"
        )
        assert response.status_code == 405
    assert Entry.objects.get(pk=entry["id"]).label == "Régularisation"


def test_a_reversal_swaps_the_sides_and_happens_once(api, accountant, shop):
    client = api.as_user(accountant)
    entry = client.post("/api/entries/", manual(shop.pk), format="json").json()
    response = client.post(f"/api/entries/{entry['id']}/reverse/", {}, format="json")
    assert response.status_code == 201
    reversal = response.json()
    assert reversal["reversal_of"] == entry["id"]
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in reversal["lines"]] == [
        ("658000", "0.00", "12.30"),
        ("512000", "12.30", "0.00"),
    ]
    again = client.post(f"/api/entries/{entry['id']}/reverse/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"
    reversal_of_reversal = client.post(f"/api/entries/{reversal['id']}/reverse/", {}, format="json")
    assert reversal_of_reversal.status_code == 409
    assert Entry.objects.count() == 2


def test_shopkeepers_read_their_books_but_do_not_post(api, shopkeeper, shop):
    client = api.as_user(shopkeeper)
    assert client.post("/api/entries/", manual(shop.pk), format="json").status_code == 403
    assert client.get(f"/api/entries/?shop={shop.pk}").status_code == 200
    assert client.get(f"/api/accounts/?shop={shop.pk}").json()["count"] == len(chart_of_accounts())


def test_the_cooperatives_books_are_for_coordinators(api, coordinator, accountant, shop):
    CooperativeFactory()
    assert api.as_user(accountant).get("/api/entries/?shop=coop").status_code == 404
    assert (
        api.as_user(accountant).post("/api/entries/", manual("coop"), format="json").status_code
        == 400
    )
    response = api.as_user(coordinator).post("/api/entries/", manual("coop"), format="json")
    assert response.status_code == 201 and response.json()["shop"] == "coop"
    journals = api.get("/api/journals/?shop=coop").json()["results"]
    assert [j["code"] for j in journals] == ["ACH", "BQ", "CAI", "OD", "VTE"]


def test_an_accountant_sees_only_the_books_of_their_shops(api, accountant, shop, other_shop, today):
    entry_post(
        ledger=other_shop.ledger,
        journal="OD",
        date=today,
        label="Autre",
        piece_ref="X",
        lines=[LineIn("658000", debit=Decimal("1.00")), LineIn("512000", credit=Decimal("1.00"))],
    )
    client = api.as_user(accountant)
    assert client.get(f"/api/entries/?shop={other_shop.pk}").status_code == 404
    assert client.get("/api/entries/").json()["results"] == []
    foreign = Entry.objects.get()
    assert client.get(f"/api/entries/{foreign.pk}/").status_code == 404
    assert client.post(f"/api/entries/{foreign.pk}/reverse/", {}, format="json").status_code == 404
    assert Entry.objects.count() == 1


def test_entries_filter_by_period_and_journal(api, accountant, shop, today):
    for day, journal in ((today - dt.timedelta(days=40), "OD"), (today, "OD"), (today, "BQ")):
        entry_post(
            ledger=shop.ledger,
            journal=journal,
            date=day,
            label="x",
            piece_ref="x",
            lines=[
                LineIn("658000", debit=Decimal("1.00")),
                LineIn("512000", credit=Decimal("1.00")),
            ],
        )
    client = api.as_user(accountant)
    since = today - dt.timedelta(days=5)
    assert client.get(f"/api/entries/?shop={shop.pk}&from={since}").json()["count"] == 2
    assert client.get(f"/api/entries/?shop={shop.pk}&from={since}&journal=BQ").json()["count"] == 1
    assert client.get(f"/api/entries/?shop={shop.pk}&from=hier").status_code == 400


def test_the_entry_list_makes_a_fixed_number_of_queries(
    api, accountant, shop, django_assert_num_queries, today
):
    for n in range(15):
        entry_post(
            ledger=shop.ledger,
            journal="OD",
            date=today,
            label=f"e{n}",
            piece_ref="x",
            lines=[
                LineIn("658000", debit=Decimal("1.00")),
                LineIn("512000", credit=Decimal("1.00")),
            ],
        )
    client = api.as_user(accountant)
    # token, shop, ledger, count, page, lines (with accounts and auxiliaries)
    with django_assert_num_queries(6):
        assert client.get(f"/api/entries/?shop={shop.pk}").json()["count"] == 15


def test_closing_a_month_locks_it(api, coordinator, shop, today):
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    client = api.as_user(coordinator)
    response = client.post(
        "/api/periods/close/", {"shop": shop.pk, "month": f"{last_month:%Y-%m}"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert ClosedPeriod.objects.filter(ledger=shop.ledger, month=last_month).exists()
    current = client.post(
        "/api/periods/close/", {"shop": shop.pk, "month": f"{today:%Y-%m}"}, format="json"
    )
    assert current.status_code == 400 and "month" in current.json()
    bad = client.post("/api/periods/close/", {"shop": shop.pk, "month": "2026-13"}, format="json")
    assert bad.status_code == 400 and "month" in bad.json()


def test_accountants_post_entries_but_do_not_close_months(api, accountant, shop, today):
    # Issue 10, point 6: closing a month is for good, and the coordinator's alone.
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    response = api.as_user(accountant).post(
        "/api/periods/close/", {"shop": shop.pk, "month": f"{last_month:%Y-%m}"}, format="json"
    )
    assert response.status_code == 403
    assert not ClosedPeriod.objects.exists()


def test_the_closing_service_refuses_an_accountant_too(accountant, shop, today):
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with pytest.raises(NotAllowed):
        period_close(ledger=shop.ledger, month=last_month, user=accountant)
    assert not ClosedPeriod.objects.exists()


def test_shopkeepers_do_not_close_months(api, shopkeeper, shop):
    response = api.as_user(shopkeeper).post(
        "/api/periods/close/", {"shop": shop.pk, "month": "2026-01"}, format="json"
    )
    assert response.status_code == 403
    assert not ClosedPeriod.objects.exists()


def test_a_ledger_has_the_chart_of_accounts_and_the_five_journals(db):
    ledger = ShopFactory().ledger
    numbers = set(ledger.accounts.values_list("number", flat=True))
    assert {
        "370000",
        "401000",
        "411000",
        "445660",
        "445710",
        "607000",
        "622800",
        "707000",
    } <= numbers
    assert len(numbers) == len(chart_of_accounts())
    assert sorted(ledger.journals.values_list("code", flat=True)) == [
        "ACH",
        "BQ",
        "CAI",
        "OD",
        "VTE",
    ]
