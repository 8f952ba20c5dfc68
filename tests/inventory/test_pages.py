"""Stock pages: balances and value, alerts, lots, recording a loss (plain and htmx), a
count and a minimum; bad input said beside the field with nothing written; tenancy;
query budgets."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from inventory.models import StockBalance, StockCount, StockMovement
from inventory.services import minimum_set
from shops.models import User
from tests.factories import ProductFactory, ShopFactory, UserFactory
from tests.helpers import text_of
from tests.shops.test_pages import PAGE_BUDGET, errors_beside

from .conftest import days, receive

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def stocked(shop, product):
    """Butter: 10 in two lots (4 expiring tomorrow, 6 in a month); cream: 3 under a
    minimum of 5; jam: none left."""
    cream = ProductFactory(name="Crème fraîche")
    jam = ProductFactory(name="Confiture de fraises")
    receive(shop, product, 4, "1.2000", lot="B1", expires_on=days(1))
    receive(shop, product, 6, "1.5000", lot="B2", expires_on=days(30))
    receive(shop, cream, 3, "2.0000")
    receive(shop, jam, 2, "3.0000")
    from inventory.services import movement_create

    movement_create(shop=shop, product=jam, kind="sale", quantity=2)
    minimum_set(shop=shop, product=cream, minimum=5)
    return {"butter": product, "cream": cream, "jam": jam}


@pytest.fixture
def keeper_client(client, shopkeeper):
    client.force_login(shopkeeper)
    return client


def balance(shop, product) -> int:
    return StockBalance.objects.get(shop=shop, product=product).quantity


def test_the_stock_page_lists_balances_values_expiry_and_alerts(keeper_client, stocked):
    response = keeper_client.get("/stock/")
    assert response.status_code == 200
    page = text_of(response)
    # butter: 10 units at (4 x 1.20 + 6 x 1.50) / 10 = 1.38
    assert "1,3800\u00a0€" in page and "13,80\u00a0€" in page
    assert days(1).strftime("%d/%m/%Y") in page
    assert "6,00\u00a0€" in page  # cream
    # the total is the sum of the values shown: 13.80 + 6.00 + 0.00
    assert re.search(
        r'3 produits · valeur du stock HT :\s*<strong id="stock-total">19,80\xa0€', page
    )
    # alerts: lot B1 within the shop's 3 days; cream under its minimum
    alerts = page[page.index('id="alertes"') : page.index("<h2>Produits</h2>")]
    assert "B1" in alerts and "B2" not in alerts and "Crème fraîche" in alerts
    assert "Lots qui périment d'ici 3 jours" in alerts
    assert 'badge warn">bas' in page
    # only products on the shelves can be lost
    loss_form = page[page.index('<h2 id="perte">') :]
    assert "Beurre demi-sel" in loss_form and "Confiture" not in loss_form


def test_a_loss_is_recorded_and_the_page_says_so(keeper_client, shop, stocked):
    butter = stocked["butter"]
    response = keeper_client.post(
        f"/stock/?shop={shop.pk}", {"product": butter.pk, "quantity": "5", "reason": "expired"}
    )
    assert response.status_code == 302 and response["Location"] == f"/stock/?shop={shop.pk}"
    loss = StockMovement.objects.get(kind="loss")
    assert (loss.quantity, loss.reason, loss.created_by.username) == (-5, "expired", "epicier")
    assert balance(shop, butter) == 5
    page = text_of(keeper_client.get(response["Location"]))
    assert "Perte enregistrée : 5 × Beurre demi-sel (périmé)." in page
    assert "B1" not in page[page.index('id="alertes"') :]  # the expiring lot went first


def test_a_loss_through_htmx_redraws_the_stock_panel(keeper_client, shop, stocked):
    butter = stocked["butter"]
    response = keeper_client.post(
        f"/stock/?shop={shop.pk}",
        {"product": butter.pk, "quantity": "3", "reason": "damaged"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Reswap"] == "outerHTML show:window:top"
    page = text_of(response)
    assert page.startswith('\n<div id="stock-panel">') or '<div id="stock-panel">' in page[:200]
    assert "<html" not in page
    assert "Perte enregistrée : 3 × Beurre demi-sel (abîmé)." in page
    assert f'<tr data-product="{butter.pk}">' in page
    row = page[page.index(f'<tr data-product="{butter.pk}">') :]
    assert '<td class="num">7' in row[:400]
    assert 'name="quantity"' in page and 'value="3"' not in page  # a fresh form
    assert balance(shop, butter) == 7


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({}, "product", "Ce champ est obligatoire."),
        ({}, "quantity", "Ce champ est obligatoire."),
        ({"quantity": "0"}, "quantity", "La quantité vendue ou perdue doit être d'au moins 1."),
        ({"quantity": "-2"}, "quantity", "La quantité vendue ou perdue doit être d'au moins 1."),
        ({"quantity": "deux"}, "quantity", "Saisissez un nombre entier."),
        (
            {"quantity": "1000000"},
            "quantity",
            "Assurez-vous que cette valeur est inférieure ou égale à 100000.",
        ),
        (
            {"quantity": "11"},
            "quantity",
            "Stock insuffisant : « Beurre demi-sel » : 10 en stock, 11 demandés.",
        ),
        ({"reason": ""}, "reason", "Précisez le motif de la perte : périmé, abîmé, vol ou autre."),
        (
            {"reason": "mangé"},
            "reason",
            "Sélectionnez un choix valide. mangé n’en fait pas partie.",
        ),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_bad_loss_is_said_beside_the_field_keeps_the_input_and_writes_nothing(
    keeper_client, shop, stocked, post, field, message, headers
):
    butter = stocked["butter"]
    data = {"product": str(butter.pk), "quantity": "2", "reason": "theft", **post} if post else {}
    before = StockMovement.objects.count()
    response = keeper_client.post(f"/stock/?shop={shop.pk}", data, **headers)
    assert response.status_code == 200
    page = text_of(response)
    assert errors_beside(page, field) == [message]
    assert StockMovement.objects.count() == before and balance(shop, butter) == 10
    if data:
        assert f'<option value="{butter.pk}" selected>' in page
        assert f'value="{html.escape(data["quantity"])}"' in page
    if headers:
        assert response["HX-Reswap"] == "outerHTML show:#perte:top"


def test_a_product_out_of_stock_or_of_another_shop_cannot_be_chosen(
    keeper_client, shop, stocked, other_shop
):
    elsewhere = ProductFactory(name="Saucisson d'ailleurs")
    receive(other_shop, elsewhere, 5, "4.0000")
    for product in (stocked["jam"], elsewhere):
        response = keeper_client.post(
            f"/stock/?shop={shop.pk}", {"product": product.pk, "quantity": "1", "reason": "other"}
        )
        assert errors_beside(text_of(response), "product") == [
            f"Sélectionnez un choix valide. {product.pk} n’en fait pas partie."
        ]
    assert not StockMovement.objects.filter(kind="loss").exists()
    assert balance(other_shop, elsewhere) == 5


def test_stock_pages_respect_roles_and_tenancy(client, shop, other_shop, shopkeeper, stocked):
    receive(other_shop, stocked["butter"], 2, "1.0000")
    client.force_login(shopkeeper)
    for url in ["/stock/", "/stock/inventaire/", f"/stock/produits/{stocked['butter'].pk}/"]:
        assert client.get(f"{url}?shop={other_shop.pk}").status_code == 404, url
        assert client.post(f"{url}?shop={other_shop.pk}", {}).status_code == 404, url
    assert balance(other_shop, stocked["butter"]) == 2
    for role in (User.Role.COORDINATOR, User.Role.ACCOUNTANT):
        client.force_login(UserFactory(role=role, shops=[shop]))
        assert client.get("/stock/").status_code == 403


# --- Product: lots, movements, minimum ----------------------------------------------


def test_a_product_page_shows_its_lots_first_to_expire_first_and_its_movements(
    keeper_client, shop, stocked
):
    butter = stocked["butter"]
    receive(shop, butter, 2, "1.0000", lot="SANS-DATE")
    page = text_of(keeper_client.get(f"/stock/produits/{butter.pk}/"))
    lots = page[page.index("<h2>Lots en stock</h2>") : page.index("<h2>Derniers mouvements")]
    assert lots.index("B1") < lots.index("B2") < lots.index("SANS-DATE")
    assert "Réception" in page and "+4" in page
    assert client_404(keeper_client, "/stock/produits/999999/")
    never = ProductFactory(name="Jamais reçu")
    assert client_404(keeper_client, f"/stock/produits/{never.pk}/")


def client_404(client, url) -> bool:
    return client.get(url).status_code == 404


def test_a_minimum_is_set_and_cleared(keeper_client, shop, stocked):
    butter = stocked["butter"]
    url = f"/stock/produits/{butter.pk}/?shop={shop.pk}"
    response = keeper_client.post(url, {"minimum": "12"})
    assert response.status_code == 302 and response["Location"] == url
    assert StockBalance.objects.get(shop=shop, product=butter).minimum == 12
    page = text_of(keeper_client.get(url))
    assert "Stock minimum de Beurre demi-sel : 12 unités." in page
    assert 'name="minimum" value="12"' in page
    assert (
        "Beurre demi-sel"
        in text_of(keeper_client.get("/stock/"))
        .split('id="alertes"')[1]
        .split("<h2>Produits</h2>")[0]
    )
    keeper_client.post(url, {"minimum": ""})
    assert StockBalance.objects.get(shop=shop, product=butter).minimum is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Assurez-vous que cette valeur est supérieure ou égale à 0."),
        ("beaucoup", "Saisissez un nombre entier."),
        ("100001", "Assurez-vous que cette valeur est inférieure ou égale à 100000."),
    ],
)
def test_a_bad_minimum_is_said_beside_the_field_and_changes_nothing(
    keeper_client, shop, stocked, value, message
):
    cream = stocked["cream"]
    response = keeper_client.post(f"/stock/produits/{cream.pk}/", {"minimum": value})
    assert response.status_code == 200
    page = text_of(response)
    assert errors_beside(page, "minimum") == [message]
    assert f'value="{value}"' in page
    assert StockBalance.objects.get(shop=shop, product=cream).minimum == 5


# --- Counts ---------------------------------------------------------------------------


def test_a_count_posts_its_differences_and_skips_the_products_left_empty(
    keeper_client, shop, stocked
):
    butter, cream, jam = stocked["butter"], stocked["cream"], stocked["jam"]
    page = text_of(keeper_client.get("/stock/inventaire/"))
    today = f"{timezone.localdate():%d/%m/%Y}"
    assert f'value="{today}"' in page  # today by default, typed as dates are shown
    response = keeper_client.post(
        f"/stock/inventaire/?shop={shop.pk}",
        {
            "counted_on": today,
            f"counted_{butter.pk}": "8",
            f"counted_{cream.pk}": "3",
            f"counted_{jam.pk}": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/stock/?shop={shop.pk}"
    count = StockCount.objects.get()
    assert {(line.product_id, line.expected, line.counted) for line in count.lines.all()} == {
        (butter.pk, 10, 8),
        (cream.pk, 3, 3),
    }
    assert (balance(shop, butter), balance(shop, cream), balance(shop, jam)) == (8, 3, 0)
    page = text_of(keeper_client.get(response["Location"]))
    assert (
        f"Inventaire du {timezone.localdate():%d/%m/%Y} enregistré : 2 produits comptés, "
        "1 écart corrigé dans le stock."
    ) in page
    recent = text_of(keeper_client.get("/stock/inventaire/"))
    assert "Derniers inventaires" in recent and "epicier" in recent


def test_a_count_of_yesterday_compares_with_yesterdays_stock(keeper_client, shop, product):
    receive(shop, product, 5, "1.0000", at=timezone.now() - dt.timedelta(days=2))
    receive(shop, product, 5, "1.0000")
    keeper_client.post(
        "/stock/inventaire/", {"counted_on": str(days(-1)), f"counted_{product.pk}": "4"}
    )
    assert StockCount.objects.get().lines.get().expected == 5
    assert balance(shop, product) == 9


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"counted_on": ""}, "counted_on", "Ce champ est obligatoire."),
        ({"counted_on": "31/02/2026"}, "counted_on", "Saisissez une date valide."),
        ({"counted_on": "hier"}, "counted_on", "Saisissez une date valide."),
        (
            {"counted_on": "FUTURE"},
            "counted_on",
            "La date doit être comprise entre le 01/01/2015 (adhésion du commerce) et aujourd'hui.",
        ),
        ({"BUTTER": "-1"}, "BUTTER", "Assurez-vous que cette valeur est supérieure ou égale à 0."),
        ({"BUTTER": "huit"}, "BUTTER", "Saisissez un nombre entier."),
        (
            {"BUTTER": "100001"},
            "BUTTER",
            "Assurez-vous que cette valeur est inférieure ou égale à 100000.",
        ),
    ],
)
def test_a_bad_count_is_said_beside_the_field_keeps_the_input_and_writes_nothing(
    keeper_client, shop, stocked, post, field, message
):
    butter, cream = stocked["butter"], stocked["cream"]
    names = {"BUTTER": f"counted_{butter.pk}"}
    data = {
        "counted_on": str(timezone.localdate()),
        f"counted_{butter.pk}": "9",
        f"counted_{cream.pk}": "4",
    }
    for key, value in post.items():
        data[names.get(key, key)] = str(days(1)) if value == "FUTURE" else value
    response = keeper_client.post("/stock/inventaire/", data)
    assert response.status_code == 200
    page = text_of(response)
    assert errors_beside(page, names.get(field, field)) == [message]
    assert f'name="counted_{cream.pk}" value="4"' in page
    assert f'value="{data[names.get(field, field)]}"' in page
    assert not StockCount.objects.exists()
    assert (balance(shop, butter), balance(shop, cream)) == (10, 3)


def test_a_count_with_nothing_counted_says_so_above_the_table(keeper_client, shop, stocked):
    response = keeper_client.post("/stock/inventaire/", {"counted_on": str(timezone.localdate())})
    page = text_of(response)
    assert '<ul class="errorlist"><li>Comptez au moins un produit.</li></ul>' in page
    assert page.index("Comptez au moins un produit.") < page.index('name="counted_on"')
    assert not StockCount.objects.exists()


# --- Query budgets ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_stock_pages_stay_within_a_fixed_query_budget(
    keeper_client, shop, shopkeeper, django_assert_max_num_queries, size
):
    shopkeeper.shops.add(*(ShopFactory() for _ in range(size)))
    products = [ProductFactory() for _ in range(size)]
    for n, product in enumerate(products):
        receive(shop, product, 10, "1.0000", lot=f"L{n}a", expires_on=days(n % 5))
        receive(shop, product, 5, "2.0000", lot=f"L{n}b", expires_on=days(10 + n))
        minimum_set(shop=shop, product=product, minimum=12 if n % 2 else None)
    keeper_client.post(
        "/stock/inventaire/",
        {"counted_on": str(timezone.localdate()), **{f"counted_{p.pk}": "14" for p in products}},
    )
    first = products[0]
    for n in range(size):
        receive(shop, first, 1, "1.0000", lot=f"X{n}", expires_on=days(n))
    for url in ["/stock/", "/stock/inventaire/", f"/stock/produits/{first.pk}/"]:
        with django_assert_max_num_queries(PAGE_BUDGET):
            assert keeper_client.get(f"{url}?shop={shop.pk}").status_code == 200, url
    with django_assert_max_num_queries(PAGE_BUDGET):
        response = keeper_client.post(
            f"/stock/?shop={shop.pk}",
            {"product": first.pk, "quantity": "1", "reason": "theft"},
            **HTMX,
        )
    assert "Perte enregistrée" in text_of(response)
    with django_assert_max_num_queries(PAGE_BUDGET + 5):
        keeper_client.post(
            f"/stock/inventaire/?shop={shop.pk}",
            {
                "counted_on": str(timezone.localdate()),
                **{f"counted_{p.pk}": "13" for p in products},
            },
        )
    assert StockCount.objects.count() == 2
