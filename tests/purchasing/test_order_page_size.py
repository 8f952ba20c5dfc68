"""The order form in compact rows (issue 18, point 3: the page of 300 products under
60 kB, bench/order_page.py): its size a product, the short words of each product's fill
for every state of the group's case and of the shop's line, the whole sentences kept
behind `?detail=1`, and what a catalogue or a shopkeeper can type escaped in both forms
(purchasing/views/order_rows.py, docs/consolidation.md "What the order form shows")."""

import datetime as dt
import html
import re
from decimal import Decimal

import lxml.html
import pytest
from django.utils import timezone

from purchasing.models import Order
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    add_tiers,
    make_order,
)
from tests.helpers import eur

from .order_form_helpers import (
    compact_fill,
    gauge,
    products_part,
    row,
    row_ids,
    sections,
    sentences,
    typed,
    words,
)

NBSP = "\u00a0"

# key: (name, reference, category, case size, unit price excl. VAT)
CATALOGUE = {
    "farine": ("Farine de blé T65", "FAR-T65", "Épicerie salée", 10, "1.35"),
    "lentilles": ("Lentilles vertes", "LEN-500", "Épicerie salée", 12, "2.10"),
    "huile": ("Huile de colza", "HUI-COL", "Épicerie salée", 6, "4.80"),
    "sel": ("Sel de Guérande", "SEL-GUE", "Épicerie salée", 12, "2.95"),
    "pates": ("Pâtes torsades", "PAT-TOR", "Épicerie salée", 20, "1.60"),
    "galettes": ("Galettes pur beurre", "GAL-250", "Épicerie sucrée", 6, "2.50"),
    "confiture": ("Confiture de fraises", "CON-FRA", "Épicerie sucrée", 6, "3.40"),
    "miel": ("Miel de châtaignier", "MIE-CHA", "Épicerie sucrée", 12, "6.90"),
    "caramels": ("Caramels au beurre salé", "CAR-BS", "Épicerie sucrée", 10, "3.20"),
    "chocolat": ("Chocolat noir 70 %", "CHO-70", "Épicerie sucrée", 20, "1.95"),
    "cidre": ("Cidre brut fermier", "CID-75", "Boissons", 12, "3.10"),
    "jus": ("Jus de pomme", "JUS-POM", "Boissons", 6, "2.60"),
    "biere": ("Bière blonde", "BIE-BLO", "Boissons", 24, "1.45"),
    "eau": ("Eau pétillante", "EAU-PET", "Boissons", 6, "0.85"),
    "beurre": ("Beurre demi-sel", "BEU-DS", "Crèmerie", 10, "2.30"),
    "yaourt": ("Yaourt nature", "YAO-NAT", "Crèmerie", 1, "0.55"),
    "lait": ("Lait entier", "LAI-ENT", "Crèmerie", 6, "1.10"),
    "fromage": ("Fromage blanc", "FRO-BLA", "Crèmerie", 6, "1.90"),
    "sacs": ("Sacs kraft", "SAC-KRA", "", 1, "0.12"),
    "bougies": ("Bougies de table", "BOU-TAB", "", 12, "0.95"),
}
# Volume prices: (from so many cases of the group, unit price).
TIERS = {
    "farine": [(5, "1.25")],
    "huile": [(3, "4.50"), (10, "4.30")],
    "galettes": [(2, "2.20")],
    "miel": [(4, "6.50")],
    "jus": [(5, "2.40")],
    "lait": [(10, "1.00")],
}
# The organic butter; the cider's own origin.
OWN = {"beurre": {"labels": ["AB"]}, "cidre": {"origin": "Pays d'Auge"}}

# What the other shops saved (product: (quantity, tolerance), one shop a product), what
# our shop saved, and what it types on top (the tolerance alone is never saved: the
# services drop a line without quantity).
OTHERS = {
    "lentilles": (4, 0),
    "huile": (8, 0),
    "sel": (24, 0),
    "galettes": (4, 0),
    "jus": (6, 0),
    "cidre": (9, 0),
    "beurre": (4, 0),
    "yaourt": (7, 0),
    "sacs": (1500, 0),
    "biere": (30, 6),
    "lait": (20, 0),
    "caramels": (10, 0),
}
OURS = {"galettes": (8, 0), "cidre": (1, 2), "confiture": (5, 0), "yaourt": (5, 0)}
TYPED = {**OURS, "beurre": ("", 3)}

# Each state, worked out by hand from the situation above (docs/consolidation.md, rules
# 1 to 3): the group's words, the shop's, the gauge of the case in progress; for the
# saved order (the page) and for what is typed (the estimate, a refused form).
EXPECTED = {
    # Nobody ordered: nothing to say, an empty gauge.
    "farine": ("", "", 0),
    # 4 of a case of 12, no case yet: 8 missing for a first one; 4/12 of a case.
    "lentilles": ("manque 8", "", 33),
    # 8 of a case of 6: one case, 2 of the next, 4 missing; below the 3 cases' price.
    "huile": ("1 colis · manque 4", "", 33),
    # 24 of a case of 12: two whole cases, none in progress.
    "sel": ("2 colis", "", 100),
    # 4 + our 8 of a case of 6: two cases, the price from 2 cases (2.20); ours 8 x 2.20.
    "galettes": ("2 colis · 2,2000", eur("vous 8 u. · 17,60 €"), 100),
    # 6 of a case of 6: one case, below the price from 5 cases: no price said.
    "jus": ("1 colis", "", 100),
    # 9 + our 1 with 2 of tolerance, a case of 12: 10 + 2 fill one case; our 1 and the
    # 2 of tolerance, 3 x 3.10; the next case needs 12 more (the tolerance is used).
    "cidre": ("1 colis", eur("vous 3 u. · 9,30 €"), 100),
    # Our 5 of a case of 6 alone: no case, 1 missing, we would receive nothing.
    "confiture": ("manque 1", "vous : rien", 83),
    # Sold by the unit: 7 + our 5 = 12 units, ours 5 x 0.55.
    "yaourt": ("12 u.", eur("vous 5 u. · 2,75 €"), 100),
    # Sold by the unit, thousands grouped.
    "sacs": (f"1{NBSP}500 u.", "", 100),
    # 30 and 6 of tolerance, a case of 24: 30 + 6 < 48, one case; 12 more would make
    # two (24 x 2 - 6 - 30), the tolerance counted: the case in progress half full.
    "biere": ("1 colis · manque 12", "", 50),
    # 20 of a case of 6: 3 cases, 2 of the next, 4 missing.
    "lait": ("3 colis · manque 4", "", 33),
    # 10 of a case of 10: one case.
    "caramels": ("1 colis", "", 100),
    # 4 of a case of 10: 6 missing.
    "beurre": ("manque 6", "", 40),
}
# Typed, not saved: the tolerance alone counts for nothing and is said so.
EXPECTED_TYPED = {**EXPECTED, "beurre": ("manque 6", "tolérance seule : non retenue", 40)}

# Issue 18: the page for 300 products under 60 kB before compression, measured by
# bench/order_page.py (59.4 kB when these budgets were set). Measured here, on this
# round, with the products' ids written on 3 digits as in the benchmark's 300 (they
# appear three times a row): 180.5 bytes a product, the sections' heads shared by 20
# products only, and 6,419 bytes for the rest of the page (header, filters, totals,
# breakdown). The budgets are a little above these: a row that grows by a few bytes
# fails here, long before the benchmark is run.
BYTES_A_PRODUCT = 185
BYTES_OUTSIDE_THE_PRODUCTS = 6_800


@pytest.fixture
def world(db):
    CooperativeFactory()
    supplier = SupplierFactory(name="Épicerie en gros du Couesnon")
    products = {}
    for key, (name, sku, category, case, price) in CATALOGUE.items():
        products[key] = ProductFactory(
            supplier=supplier,
            name=name,
            sku=sku,
            category=category,
            case_size=case,
            unit_price=Decimal(price),
            **OWN.get(key, {}),
        )
        add_tiers(products[key], *TIERS.get(key, []))
    round_ = RoundFactory(supplier=supplier)
    base = timezone.now() - dt.timedelta(hours=1)
    for n, (key, (quantity, tolerance)) in enumerate(OTHERS.items()):
        make_order(
            round_,
            ShopFactory(),
            (products[key], quantity, tolerance),
            created_at=base + dt.timedelta(minutes=n),
        )
    shop = ShopFactory(name="Épicerie de Romazy")
    make_order(
        round_,
        shop,
        *[(products[key], q, t) for key, (q, t) in OURS.items()],
        created_at=base + dt.timedelta(minutes=30),
    )
    return {
        "round": round_,
        "products": products,
        "shop": shop,
        "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop]),
    }


def url(world, tail=""):
    return f"/commandes/{world['round'].pk}/{tail}"


def form_data(world, lines, **extra) -> dict:
    """Every product's two fields, as the browser posts them."""
    data = {}
    for key, product in world["products"].items():
        quantity, tolerance = lines.get(key, ("", ""))
        data[f"q{product.pk}"] = quantity
        data[f"t{product.pk}"] = tolerance
    return {**data, **extra}


# --- (a) The size --------------------------------------------------------------------


def test_a_product_costs_a_few_bytes_and_the_page_around_them_too(client, world):
    client.force_login(world["keeper"])
    response = client.get(url(world))
    assert response.status_code == 200
    count = len(row_ids(response))
    assert count == len(CATALOGUE)
    products = products_part(response).encode()
    rest = len(response.content) - len(products)
    # Each id on 3 digits, whatever the database's sequences are at.
    products = re.sub(rb"(name=[qt]|id=f)\d+", rb"\g<1>000", products)
    assert len(products) / count <= BYTES_A_PRODUCT, len(products) / count
    assert rest <= BYTES_OUTSIDE_THE_PRODUCTS, rest


def test_the_products_come_by_category_then_those_without(client, world):
    client.force_login(world["keeper"])
    response = client.get(url(world))
    p = world["products"]

    def ids(*keys):
        return [p[key].pk for key in keys]

    # The categories in alphabetical order, accents aside; the products by name; those
    # without a category last, without a title.
    assert sections(response) == [
        ("Boissons", "Boissons", ids("biere", "cidre", "eau", "jus")),
        ("Crèmerie", "Crèmerie", ids("beurre", "fromage", "lait", "yaourt")),
        ("Épicerie salée", "Épicerie salée", ids("farine", "huile", "lentilles", "pates", "sel")),
        (
            "Épicerie sucrée",
            "Épicerie sucrée",
            ids("caramels", "chocolat", "confiture", "galettes", "miel"),
        ),
        ("", None, ids("bougies", "sacs")),
    ]
    # The organic butter's row says so; the cider's own origin beside it.
    assert row(response, p["beurre"]).classes == {"bio"}
    assert row(response, p["cidre"]).classes == set()
    assert "<em class=tags>Pays d&#x27;Auge</em>" in row(response, p["cidre"]).html
    assert row(response, p["huile"]).small == (
        "HUI-COL · par 6 · 4,8000\ndès 3 colis : 4,5000\ndès 10 colis : 4,3000"
    )


# --- (b) The short words of each state ----------------------------------------------


def expected(table, key) -> tuple[str, str, int]:
    return table.get(key, ("", "", 0))  # the others: nobody ordered them


def test_each_state_in_short_on_the_page(client, world):
    client.force_login(world["keeper"])
    response = client.get(url(world))
    for key, product in world["products"].items():
        group, shop, full = expected(EXPECTED, key)
        assert words(response, product) == (group, shop), key
        assert gauge(response, product) == full, key
    # Nothing to say: an empty fill (app.css hides it), without a gauge.
    farine = world["products"]["farine"]
    assert compact_fill(response, farine).group(0) == f"<i id=f{farine.pk}></i>"


def test_each_state_in_short_in_the_estimate_and_a_refused_form(client, world):
    client.force_login(world["keeper"])
    response = client.post(
        url(world, "estimation/"), form_data(world, TYPED), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    for key, product in world["products"].items():
        group, shop, full = expected(EXPECTED_TYPED, key)
        assert words(response, product) == (group, shop), key
        assert gauge(response, product) == full, key
        assert compact_fill(response, product)["oob"], key  # swapped in place by htmx

    # Refused (a negative tolerance): the page says what was typed, as the estimate.
    saved = list(Order.objects.get(shop=world["shop"]).lines.values_list("product_id", "quantity"))
    response = client.post(url(world), form_data(world, {**TYPED, "farine": ("", "-1")}))
    assert response.status_code == 400
    for key, product in world["products"].items():
        group, shop, full = expected(EXPECTED_TYPED, key)
        assert words(response, product) == (group, shop), key
        assert gauge(response, product) == full, key
        assert not compact_fill(response, product)["oob"], key
    assert "Pas de nombre négatif." in row(response, world["products"]["farine"]).text
    assert saved == list(
        Order.objects.get(shop=world["shop"]).lines.values_list("product_id", "quantity")
    )


# --- (c) The whole sentences behind ?detail=1 -------------------------------------

SENTENCES = (
    "Il manque",
    "Colis complet",
    "Aucun colis",
    "Vendu à l'unité",
    "Groupe :",
    "Vous recevriez",
    "Vous ne recevriez rien",
    "tolérance seule n'est pas retenue",
    "HT l'unité",
    "TVA",
)


def order_form(response) -> str:
    body = response.content.decode()
    return body[body.index('<form method="post" novalidate id="order-form"') :]


def test_the_default_page_says_no_sentence(client, world):
    client.force_login(world["keeper"])
    response = client.get(url(world))
    products = html.unescape(products_part(response))
    for sentence in SENTENCES:
        assert sentence not in products, sentence
    assert 'class="case-fill"' not in response.content.decode()
    assert 'name="detail"' not in response.content.decode()
    assert '<a href="?detail=1">Le détail en phrases</a>' in order_form(response)


def test_the_detail_says_the_sentences_and_keeps_itself_in_the_form(client, world):
    client.force_login(world["keeper"])
    p = world["products"]
    response = client.get(url(world, "?detail=1"))
    assert response.status_code == 200
    assert '<input type="hidden" name="detail" value="1">' in order_form(response)
    assert "<i id=f" not in products_part(response)
    for key, product in p.items():
        assert gauge(response, product) == expected(EXPECTED, key)[2], key
    assert row(response, p["galettes"]).small == eur(
        f"GAL-250 · colis de 6 · TVA 5,5{NBSP}% · 2,5000 € HT l'unité\ndès 2 colis : 2,2000 €"
    )
    assert (
        "Colis complet. Groupe : 12 unités demandées, 2 colis (12 unités) si la tournée "
        "fermait maintenant, à 2,2000\u00a0€ HT."
    ) in sentences(response, p["galettes"])
    assert eur(
        'Vous recevriez <strong class="allocated">8 unités</strong> ; '
        '<strong class="line-amount">17,60 €</strong> HT.'
    ) in sentences(response, p["galettes"])
    assert (
        "Il manque 8 unités au groupe pour un premier colis. Groupe : 4 unités demandées, "
        "aucun colis si la tournée fermait maintenant : le produit serait retiré."
    ) in sentences(response, p["lentilles"])
    assert "Il manque 4 unités au groupe pour un colis de plus." in sentences(response, p["huile"])
    assert ", dont 2 de votre tolérance" in sentences(response, p["cidre"])
    assert "Vous ne recevriez rien : le groupe ne remplit aucun colis de ce produit." in (
        sentences(response, p["confiture"])
    )
    assert "Vendu à l'unité." in sentences(response, p["yaourt"])
    assert "Aucun colis entamé. Groupe : 0 unité demandée, aucun colis." in (
        sentences(response, p["farine"])
    )


def test_the_estimate_follows_the_detail_asked(client, world):
    client.force_login(world["keeper"])
    estimate = url(world, "estimation/")
    response = client.post(estimate, form_data(world, TYPED, detail="1"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<i id=f" not in body
    for key, product in world["products"].items():
        fill = sentences(response, product)
        assert 'hx-swap-oob="true"' in fill.split(">")[0], key
        assert gauge(response, product) == expected(EXPECTED_TYPED, key)[2], key
    assert "Sans quantité, la tolérance seule n'est pas retenue." in (
        sentences(response, world["products"]["beurre"])
    )
    response = client.post(estimate, form_data(world, TYPED), HTTP_HX_REQUEST="true")
    assert 'class="case-fill"' not in response.content.decode()


def test_the_save_comes_back_to_the_form_it_was_made_in(client, world):
    client.force_login(world["keeper"])
    galettes = world["products"]["galettes"]
    response = client.post(url(world), form_data(world, {**OURS, "galettes": (9, 1)}, detail="1"))
    assert response.status_code == 302 and response["Location"] == url(world, "?detail=1")
    line = Order.objects.get(shop=world["shop"]).lines.get(product=galettes)
    assert (line.quantity, line.tolerance) == (9, 1)
    page = client.get(response["Location"])
    assert '<input type="hidden" name="detail" value="1">' in order_form(page)
    assert "Commande enregistrée." in page.content.decode()

    response = client.post(url(world), form_data(world, OURS))
    assert response.status_code == 302 and response["Location"] == url(world)

    # Refused in detail: the page keeps it, the field in error in full.
    response = client.post(url(world), form_data(world, {**OURS, "farine": ("-1", "")}, detail="1"))
    assert response.status_code == 400
    assert '<input type="hidden" name="detail" value="1">' in order_form(response)
    assert "Pas de nombre négatif." in row(response, world["products"]["farine"]).text
    assert "Aucun colis entamé." in sentences(response, world["products"]["farine"])


# --- (d) What a catalogue or a shopkeeper types, escaped ---------------------------

NASTY = {
    "name": "<script>alert(\"nom\")</script> & 'Cie'",
    "sku": '"><script>sku</script>',
    "unit_label": '<i>bouteille</i> "75 cl"',
    "category": "\"><script>cat</script> 'x'",
    "origin": '<img src=x onerror="alert(1)">',
}


@pytest.fixture
def nasty(world):
    product = ProductFactory(
        supplier=world["round"].supplier, case_size=6, unit_price=Decimal("2.00"), **NASTY
    )
    add_tiers(product, (2, "1.80"))
    make_order(world["round"], ShopFactory(), (product, 4, 0))
    return product


def parsed(response):
    return lxml.html.fromstring(response.content.decode())


@pytest.mark.parametrize("query", ["", "?detail=1"])
def test_what_the_catalogue_says_is_escaped_in_both_forms(client, world, nasty, query):
    client.force_login(world["keeper"])
    response = client.get(url(world, query))
    assert response.status_code == 200
    body = response.content.decode()
    for raw in ("<script>alert", "<script>sku", "<script>cat", "<i>bouteille", "<img src=x"):
        assert raw not in body, raw
    line = row(response, nasty)
    assert f"<b>{html.escape(NASTY['name'])}</b><small>{html.escape(NASTY['sku'])} · " in line.html
    assert html.escape(NASTY["unit_label"]) in line.html
    assert f"<em class=tags>{html.escape(NASTY['origin'])}</em>" in line.html
    assert f'data-category="{html.escape(NASTY["category"])}"' in line.section
    assert line.category == NASTY["category"]
    # Read back by a browser: the same text, no element made of it.
    doc = parsed(response)
    assert doc.xpath('//form[@id="order-form"]//script') == []
    [item] = doc.xpath(f'//li[.//input[@name="q{nasty.pk}"]]')
    assert item.find("b").text_content() == NASTY["name"]
    assert item.find("small").text_content().startswith(f"{NASTY['sku']} · ")
    assert NASTY["unit_label"] in item.find("small").text_content()
    assert item.find("em").text_content() == NASTY["origin"]
    section = item.getparent().getparent()
    assert section.get("data-category") == NASTY["category"]
    assert section.find("h2").text_content() == NASTY["category"]


@pytest.mark.parametrize("detail", [{}, {"detail": "1"}])
def test_what_the_shopkeeper_typed_is_escaped(client, world, nasty, detail):
    client.force_login(world["keeper"])
    quantity, tolerance = '2"><script>val</script>', "'3'"
    data = form_data(world, OURS, **detail)
    data.update({f"q{nasty.pk}": quantity, f"t{nasty.pk}": tolerance})
    response = client.post(url(world), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>val" not in body
    assert f'value="{html.escape(quantity)}"' in row(response, nasty).html
    assert f'value="{html.escape(tolerance)}"' in row(response, nasty).html
    assert typed(response, f"q{nasty.pk}") == quantity
    assert typed(response, f"t{nasty.pk}") == tolerance
    [field] = parsed(response).xpath(f'//input[@name="q{nasty.pk}"]')
    assert field.get("value") == quantity
    assert parsed(response).xpath('//form[@id="order-form"]//script') == []


# --- The links keep the view and the filters ------------------------------------------


def links(response) -> dict[str, str]:
    """Link text -> its query string (unescaped), and the filter form's hidden fields."""
    tree = lxml.html.fromstring(response.content.decode())
    found = {a.text_content().strip(): a.get("href") for a in tree.iter("a") if a.get("href")}
    hidden = {
        field.get("name"): field.get("value")
        for field in tree.xpath('//form[@id="product-filter"]//input[@type="hidden"]')
    }
    return found, hidden


def test_the_detail_view_is_kept_by_the_filters_and_the_fill_links(client, world):
    client.force_login(world["keeper"])
    shop = world["shop"].pk
    response = client.get(url(world, f"?detail=1&q=farine&shop={shop}"))
    found, hidden = links(response)
    assert hidden == {"shop": str(shop), "detail": "1"}  # "Filtrer" keeps both
    assert found["Tout afficher"] == f"?shop={shop}&detail=1"
    assert found["Reprendre ma dernière commande"] == f"?remplir=derniere&shop={shop}&detail=1"
    assert found["Utiliser la suggestion"] == f"?remplir=suggestion&shop={shop}&detail=1"
    # The switch keeps the search and the shop, and leaves the detail.
    assert found["Vue courte"] == f"?q=farine&shop={shop}"
    short = client.get(url(world, found["Vue courte"])).content.decode()
    assert 'name="detail"' not in short and 'class="case-fill"' not in short

    response = client.get(url(world, f"?q=farine&remplir=derniere&shop={shop}"))
    found, hidden = links(response)
    assert hidden == {"shop": str(shop)}
    assert found["Tout afficher"] == f"?shop={shop}"
    # To the detail, with the search and the shop, without filling the form again.
    assert found["Le détail en phrases"] == f"?q=farine&shop={shop}&detail=1"


def test_a_field_in_error_names_its_product_for_a_screen_reader(client, world):
    client.force_login(world["keeper"])
    farine = world["products"]["farine"]
    response = client.post(url(world), form_data(world, {"farine": ("-3", "")}))
    assert response.status_code == 400
    tree = lxml.html.fromstring(response.content.decode())
    [label] = tree.xpath(f'//label[@for="id_q{farine.pk}"]')
    assert label.text_content() == "Quantité : Farine de blé T65"
    assert label.xpath('.//span[@class="visually-hidden"]')[0].text_content() == (
        " : Farine de blé T65"
    )
