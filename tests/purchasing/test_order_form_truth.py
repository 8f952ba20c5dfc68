"""The order form tells the truth (issue 12, point 7): the shop's total is what it would be
invoiced if the round closed now, computed by the rules consolidation and receipt apply
(docs/consolidation.md, "What the order form shows"); the line's messages agree with that
allocation; search, category filter and the two ways to fill the form; bad input."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.selectors import product_list
from purchasing import rules
from purchasing.models import Invoice, Order, OrderLine, SupplierOrder
from purchasing.selectors import order_estimate
from purchasing.services.consolidation import round_consolidate
from purchasing.services.lifecycle import supplier_order_confirm
from purchasing.services.receipt import supplier_order_receive
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    add_tiers,
    biscuit_round,
    close_round,
    make_order,
)
from tests.helpers import eur
from tests.helpers import page_text as text

from .conftest import example_orders
from .order_form_helpers import row, sentences, typed, words

# --- The pure rule of the line's message ----------------------------------------------


@given(ordered=st.integers(0, 200), tolerance=st.integers(0, 60), case_size=st.integers(1, 24))
def test_the_units_missing_for_another_case_are_exactly_what_one_more_case_needs(
    ordered, tolerance, case_size
):
    cases = rules.cases_for(ordered, tolerance, case_size)
    missing = rules.missing_for_another_case(ordered, tolerance, case_size)
    assert rules.cases_for(ordered + missing, tolerance, case_size) == cases + 1
    for fewer in range(1, missing):
        assert rules.cases_for(ordered + fewer, tolerance, case_size) == cases


def test_the_message_of_the_issue_is_now_consistent():
    # 2 units asked of a case of 6, 4 of tolerance: the tolerance fills the case, so the
    # group would get 1 case, and 6 units more (not 4) make a second one.
    assert rules.cases_for(2, 4, 6) == 1
    assert rules.missing_for_another_case(2, 4, 6) == 6


# --- The estimate equals the invoice ---------------------------------------------------


def active_products(round_):
    return list(
        product_list(user=None)
        .filter(supplier_id=round_.supplier_id, active=True)
        .order_by("name", "id")
    )


def estimate_for(round_, shop, lines):
    """What the order form shows `shop` with `lines` typed ((product, quantity,
    tolerance)); its order as saved, if any."""
    order = Order.objects.filter(round=round_, shop=shop).first()
    return order_estimate(
        round_=round_,
        shop=shop,
        products=active_products(round_),
        order=order,
        typed={product.pk: (quantity, tolerance) for product, quantity, tolerance in lines},
    )


def received_in_full(round_) -> dict[int, Invoice]:
    """The real thing: consolidation, confirmation if under review, a full receipt."""
    close_round(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    if not supplier_order.lines.exists():
        return {}
    if supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW:
        supplier_order_confirm(supplier_order_id=supplier_order.pk)
    invoices = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    return {invoice.shop_id: invoice for invoice in invoices}


def assert_estimate_is_the_invoice(estimate, invoice):
    if invoice is None:
        assert estimate["invoice"] is None
        assert estimate["shop_incl"] == Decimal("0.00")
        return
    assert estimate["goods"] == invoice.goods_excl_vat
    assert estimate["shipping"] == invoice.shipping
    assert estimate["fee"] == invoice.fee
    assert estimate["shop_excl"] == invoice.total_excl_vat
    assert estimate["shop_vat"] == invoice.total_vat
    assert estimate["shop_incl"] == invoice.total_incl_vat
    assert estimate["invoice"].savings == invoice.savings


def test_the_worked_example_estimate_is_shop_101s_invoice(example):
    ex = example
    base = timezone.now() - dt.timedelta(minutes=30)
    orders = example_orders(ex)
    for n, (shop_id, lines) in enumerate(orders[:2]):
        make_order(
            ex["round"], ex["shops"][shop_id], *lines, created_at=base + dt.timedelta(minutes=n)
        )
    # Shop 103 has not saved yet: its typed lines come last, as its order would.
    typed_103 = orders[2][1]
    estimate_103 = estimate_for(ex["round"], ex["shops"][103], typed_103)
    make_order(ex["round"], ex["shops"][103], *typed_103, created_at=base + dt.timedelta(minutes=2))
    estimate_101 = estimate_for(ex["round"], ex["shops"][101], orders[0][1])

    # docs/consolidation.md: 9.60 + 10.50 goods, 10.09 shipping, 0.40 fee, 34.61 incl. VAT.
    assert estimate_101["goods"] == Decimal("20.10")
    assert estimate_101["shipping"] == Decimal("10.09")
    assert estimate_101["fee"] == Decimal("0.40")
    assert estimate_101["shop_excl"] == Decimal("30.59")
    assert estimate_101["shop_incl"] == Decimal("34.61")
    assert estimate_103["shop_incl"] == Decimal("11.57")
    lines = {line.product.sku: line for line in estimate_101["lines"]}
    assert (lines["P1"].allocated, lines["P1"].extra, lines["P1"].amount) == (
        8,
        1,
        Decimal("9.60"),
    )
    assert (lines["P2"].allocated, lines["P2"].short) == (3, 1)

    invoices = received_in_full(ex["round"])
    assert_estimate_is_the_invoice(estimate_101, invoices[101])
    assert_estimate_is_the_invoice(estimate_103, invoices[103])


PRICES = st.integers(100, 5000).map(lambda cents: Decimal(cents) / 1000)


@st.composite
def rounds(draw):
    products = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "case_size": st.sampled_from([1, 2, 3, 6, 12]),
                    "price": PRICES,
                    "vat": st.sampled_from(["5.50", "10.00", "20.00"]),
                    "tier": st.none() | st.integers(1, 3),
                }
            ),
            min_size=1,
            max_size=3,
        )
    )
    count = len(products)
    line = st.tuples(st.integers(0, count - 1), st.integers(1, 20), st.integers(0, 8))
    shops = draw(
        st.lists(
            st.lists(line, min_size=1, max_size=count, unique_by=lambda ln: ln[0]),
            min_size=1,
            max_size=4,
        )
    )
    return {
        "products": products,
        "shops": shops,
        "shipping": draw(st.sampled_from(["0.00", "25.00", "9.99"])),
        "franco": draw(st.sampled_from([None, "40.00", "300.00"])),
        "fee": draw(st.sampled_from(["0.02", "0.035", "0.00"])),
        # The shop whose typed lines differ from what is saved: a new order (last) or a
        # change of a saved one (its rank kept).
        "changed": draw(st.integers(0, len(shops) - 1)),
        "new": draw(st.booleans()),
        "old": draw(st.lists(line, min_size=1, max_size=count, unique_by=lambda ln: ln[0])),
    }


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=rounds())
def test_the_estimate_of_every_shop_is_the_invoice_the_real_receipt_issues(world):
    """For random orders: what the form shows each shop (typed lines in place of the
    saved ones) equals, to the cent, the invoice that consolidation and a full receipt
    issue for it."""
    with transaction.atomic():
        CooperativeFactory(service_fee_rate=Decimal(world["fee"]))
        supplier = SupplierFactory(
            shipping_fee=Decimal(world["shipping"]),
            free_shipping_threshold=world["franco"] and Decimal(world["franco"]),
        )
        products = []
        for spec in world["products"]:
            product = ProductFactory(
                supplier=supplier,
                case_size=spec["case_size"],
                unit_price=spec["price"],
                vat_rate=Decimal(spec["vat"]),
            )
            if spec["tier"]:
                add_tiers(product, (spec["tier"], str(spec["price"] - Decimal("0.05"))))
            products.append(product)
        round_ = RoundFactory(supplier=supplier)
        shops = [ShopFactory() for _ in world["shops"]]
        lines = [
            [(products[index], quantity, tolerance) for index, quantity, tolerance in spec]
            for spec in world["shops"]
        ]
        base = timezone.now() - dt.timedelta(hours=1)
        changed = world["changed"]
        new = world["new"] and changed == len(shops) - 1
        old = [(products[i], q, t) for i, q, t in world["old"]]
        for n, shop in enumerate(shops):
            if n == changed and new:
                continue  # not saved yet
            saved = old if n == changed else lines[n]
            make_order(round_, shop, *saved, created_at=base + dt.timedelta(seconds=n))

        estimates = {shops[changed].pk: estimate_for(round_, shops[changed], lines[changed])}
        # Then the changed shop saves what it typed (a new order comes last; a changed
        # one keeps its rank), and every other shop looks at its form.
        if new:
            make_order(
                round_, shops[changed], *lines[changed], created_at=base + dt.timedelta(hours=1)
            )
        else:
            order = Order.objects.get(round=round_, shop=shops[changed])
            OrderLine.objects.filter(order=order).delete()
            OrderLine.objects.bulk_create(
                OrderLine(order=order, product=p, quantity=q, tolerance=t)
                for p, q, t in lines[changed]
            )
        for n, shop in enumerate(shops):
            if n != changed:
                estimates[shop.pk] = estimate_for(round_, shop, lines[n])

        invoices = received_in_full(round_)
        for shop in shops:
            assert_estimate_is_the_invoice(estimates[shop.pk], invoices.get(shop.pk))
        transaction.set_rollback(True)


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def world(db):
    """The pages' round (tests/factories/purchasing.py): galettes (case of 6, another
    shop ordered 4) and cider (case of 12), with categories."""
    world = biscuit_round(
        min_order_amount="0.00",
        galettes={"category": "Épicerie sucrée"},
        cidre={"category": "Boissons"},
    )
    ProductFactory(
        supplier=world["supplier"], name="Crème de marrons", sku="CRM", category="Épicerie sucrée"
    )
    shop = ShopFactory(name="Épicerie de Romazy")
    return {
        **world,
        "shop": shop,
        "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]),
    }


def form_data(world, **values):
    data = {}
    for product in world["supplier"].products.filter(active=True):
        quantity, tolerance = values.get(product.sku, ("", ""))
        data[f"q{product.pk}"] = quantity
        data[f"t{product.pk}"] = tolerance
    return data


def test_the_line_says_what_the_shop_would_receive_consistently(client, world):
    client.force_login(world["keeper"])
    url = f"/commandes/{world['round'].pk}/estimation/"
    galettes, cidre = world["galettes"], world["cidre"]
    # 4 (other shop) + 1 with 1 of tolerance: 5 + 1 fills the case of 6. In short: one
    # case, none in progress (6 more units would make a second), 2 units for the shop.
    response = client.post(url, form_data(world, GAL=(1, 1)))
    assert words(response, galettes) == ("1 colis", eur("vous 2 u. · 5,00 €"))
    assert words(response, cidre) == ("", "")
    # In whole sentences (?detail=1, kept by the form's hidden field).
    response = client.post(url, {**form_data(world, GAL=(1, 1)), "detail": "1"})
    body = sentences(response, galettes)
    assert (
        'Vous recevriez <strong class="allocated">2 unités</strong>, dont 1 de votre tolérance'
        in body
    )
    assert "1 colis (6 unités) si la tournée fermait maintenant" in body
    assert "Colis complet." in body  # 6 more units would make a second case
    assert eur('<strong class="line-amount">5,00 €</strong>') in body

    # 2 asked + 4 of tolerance beside the other shop's 4: 6 units, one case; the group
    # would need 6 more for a second (never "il manque 4" beside "1 colis").
    data = form_data(world, GAL=(2, 4), CID=(5, 0))
    response = client.post(url, {**data, "detail": "1"})
    body = sentences(response, galettes)
    assert "Il manque 4 unités" not in body
    assert 'Vous recevriez <strong class="allocated">2 unités</strong> ;' in body
    # Cider: 5 of a case of 12, no case: the shop would receive nothing of it.
    body = sentences(response, cidre)
    assert "Il manque 7 unités au groupe pour un premier colis." in body
    assert "aucun colis si la tournée fermait maintenant : le produit serait retiré." in body
    assert "Vous ne recevriez rien : le groupe ne remplit aucun colis de ce produit." in body
    # In short: 6 units and 4 of tolerance lack 2 for a second case (6 - 4), never 4.
    response = client.post(url, data)
    assert words(response, galettes) == ("1 colis · manque 2", eur("vous 2 u. · 5,00 €"))
    assert words(response, cidre) == ("manque 7", "vous : rien")
    assert not Order.objects.filter(shop=world["shop"]).exists()


def test_a_tolerance_without_quantity_counts_for_nothing_as_when_saved(client, world):
    # 4 (other shop) + a tolerance of 2 alone: the services drop a line without quantity,
    # so no case is filled and nothing would be received.
    client.force_login(world["keeper"])
    url = f"/commandes/{world['round'].pk}/estimation/"
    response = client.post(url, {**form_data(world, GAL=("", 2)), "detail": "1"})
    body = sentences(response, world["galettes"])
    assert "Sans quantité, la tolérance seule n'est pas retenue." in body
    assert "Il manque 2 unités au groupe pour un premier colis." in body
    assert eur('<strong id="shop-incl">0,00 €</strong>') in text(response)
    response = client.post(url, form_data(world, GAL=("", 2)))
    assert words(response, world["galettes"]) == ("manque 2", "tolérance seule : non retenue")
    assert eur('<strong id="shop-incl">0,00 €</strong>') in text(response)


def test_the_total_shown_is_the_invoice_not_quantities_at_base_price(client, world):
    # 4 + 7 galettes with 1 of tolerance: 12 units, 2 cases, the tier price 2.20 for the
    # 8 units allocated (7 + 1), not 7 x 2.50.
    client.force_login(world["keeper"])
    response = client.post(
        f"/commandes/{world['round'].pk}/estimation/", form_data(world, GAL=(7, 1))
    )
    body = text(response)
    assert eur('<td class="num" id="shop-goods">17,60 €</td>') in body
    estimate = estimate_for(world["round"], world["shop"], [(world["galettes"], 7, 1)])
    assert eur(f'<strong id="shop-incl">{estimate["shop_incl"]}'.replace(".", ",")) in body
    make_order(world["round"], world["shop"], (world["galettes"], 7, 1))
    invoices = received_in_full(world["round"])
    assert invoices[world["shop"].pk].total_incl_vat == estimate["shop_incl"]


def test_search_and_category_filter_hide_products_without_leaving_the_form(client, world):
    client.force_login(world["keeper"])
    url = f"/commandes/{world['round'].pk}/"
    creme = world["supplier"].products.get(sku="CRM")
    response = client.get(url, {"q": "creme"})  # without its accent
    assert response.status_code == 200
    assert row(response, creme).visible
    assert row(response, world["galettes"]).hidden
    assert not row(response, world["galettes"]).section_hidden  # the cream's section
    assert row(response, world["cidre"]).section_hidden  # no drink left in sight
    # Hidden products stay in the form: what is typed for them is still posted.
    assert typed(response, f"q{world['galettes'].pk}") == ""
    assert typed(response, f"q{world['cidre'].pk}") == ""

    response = client.get(url, {"categorie": "Boissons"})
    assert row(response, world["cidre"]).visible
    assert row(response, creme).hidden and row(response, creme).section_hidden
    body = text(response)
    assert '<option value="Boissons" selected>Boissons</option>' in body
    assert "Tout afficher" in body

    response = client.get(url, {"q": "introuvable"})
    assert '<p class="muted" id="no-match">' in text(response)

    response = client.get(url, {"categorie": "Fromages"})
    assert "Cette catégorie n'existe pas chez ce fournisseur." in text(response)


def test_a_product_in_error_stays_visible_under_a_filter(client, world):
    client.force_login(world["keeper"])
    response = client.post(
        f"/commandes/{world['round'].pk}/?categorie=Boissons",
        form_data(world, GAL=("-3", "")),
    )
    assert response.status_code == 400
    assert row(response, world["galettes"]).visible
    assert "Pas de nombre négatif." in row(response, world["galettes"]).text


def test_repeat_my_last_order_fills_the_form_without_saving(client, world):
    galettes, cidre = world["galettes"], world["cidre"]
    old_round = RoundFactory(
        supplier=world["supplier"],
        opens_at=timezone.now() - dt.timedelta(days=20),
        closes_at=timezone.now() - dt.timedelta(days=14),
    )
    gone = ProductFactory(supplier=world["supplier"], name="Retiré", sku="OLD")
    make_order(old_round, world["shop"], (galettes, 9, 2), (cidre, 24, 0), (gone, 3, 0))
    gone.active = False
    gone.save()
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/", {"remplir": "derniere"})
    body = text(response)
    assert typed(response, f"q{galettes.pk}") == "9"
    assert typed(response, f"t{galettes.pk}") == "2"
    assert typed(response, f"q{cidre.pk}") == "24"
    assert typed(response, f"t{cidre.pk}") == ""
    assert typed(response, f"q{gone.pk}") is None
    assert "Retiré" not in body
    assert "Rien n'est enregistré tant que vous ne cliquez pas sur « Enregistrer »." in body
    assert not Order.objects.filter(round=world["round"], shop=world["shop"]).exists()

    # Another shop's last order is never offered.
    other = ShopFactory()
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[other])
    client.force_login(keeper)
    response = client.get(f"/commandes/{world['round'].pk}/", {"remplir": "derniere"})
    body = text(response)
    assert typed(response, f"q{galettes.pk}") == ""
    assert "Vous n'avez pas encore commandé chez ce fournisseur : rien à reprendre." in body


def test_the_suggestion_fills_the_form_without_saving(client, world, monkeypatch):
    from purchasing.views import shop as shop_views

    def suggestion(*, round_, shop):
        return {
            "covers_until": round_.delivery_date,
            "products": [
                {"product": world["galettes"].pk, "suggested_quantity": 11},
                {"product": world["cidre"].pk, "suggested_quantity": 0},
            ],
        }

    # The suggestion's own arithmetic is tested in test_suggestion.py; here, the filling.
    monkeypatch.setattr(shop_views, "round_suggestion", suggestion)
    make_order(world["round"], world["shop"], (world["cidre"], 12, 3))
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/", {"remplir": "suggestion"})
    body = text(response)
    assert typed(response, f"q{world['galettes'].pk}") == "11"
    assert typed(response, f"t{world['cidre'].pk}") == "3"  # the saved tolerance kept
    assert "Quantités suggérées d'après vos ventes des 28 derniers jours" in body
    assert list(
        OrderLine.objects.filter(order__shop=world["shop"]).values_list("product_id", "quantity")
    ) == [(world["cidre"].pk, 12)]


def test_the_real_suggestion_fills_the_form(client, world):
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/", {"remplir": "suggestion"})
    assert response.status_code == 200
    assert "Quantités suggérées" in text(response)


def test_bad_input_is_kept_and_said_beside_the_field_and_nothing_is_written(client, world):
    client.force_login(world["keeper"])
    response = client.post(
        f"/commandes/{world['round'].pk}/", form_data(world, GAL=("2,5", ""), CID=("12", "-1"))
    )
    assert response.status_code == 400
    body = text(response)
    assert typed(response, f"q{world['galettes'].pk}") == "2,5"
    assert typed(response, f"t{world['cidre'].pk}") == "-1"
    assert typed(response, f"q{world['cidre'].pk}") == "12"
    galettes_row = row(response, world["galettes"]).text
    assert "Saisissez un nombre entier d'unités." in galettes_row
    assert "Pas de nombre négatif." not in galettes_row
    assert "Pas de nombre négatif." in row(response, world["cidre"]).text
    assert "Corrigez les valeurs signalées : rien n'a été enregistré." in body
    assert not Order.objects.filter(shop=world["shop"]).exists()


def test_a_shopkeeper_of_another_shop_gets_404(client, world):
    client.force_login(world["keeper"])
    other = world["other"]
    url = f"/commandes/{world['round'].pk}/"
    assert client.get(url, {"shop": other.pk}).status_code == 404
    assert client.get(url, {"shop": other.pk, "remplir": "derniere"}).status_code == 404
    response = client.post(
        f"/commandes/{world['round'].pk}/estimation/?shop={other.pk}",
        form_data(world, GAL=(1, "")),
    )
    assert response.status_code == 404
