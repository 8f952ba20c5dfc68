"""The coordinator's catalogue pages (catalogue/views.py): suppliers, products and their
price tiers, the CSV import, the search. Bad input keeps what was typed, says in French
beside the field what is wrong, and writes nothing."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.models import PriceTier, Product, Supplier
from catalogue.views import import_summary
from tests.factories import ProductFactory, SupplierFactory, add_tiers
from tests.helpers import page_text, rows_of, text_of

HEADER = "sku;name;unit_label;case_size;unit_price;vat_rate;price_tiers;active"


def catalogue_rows():
    return rows_of(Supplier, Product, PriceTier)


def field_block(response, name: str) -> str:
    """The HTML of one field as mache/field.html draws it: label, input, errors."""
    html = text_of(response)
    match = re.search(rf'<div class="[^"]*">\s*<label for="id_{name}">.*?</div>', html, re.DOTALL)
    assert match, f"no field {name}"
    return match.group(0)


def input_value(response, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', text_of(response))
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


# --- Roles -----------------------------------------------------------------------------

PAGES = [
    "/coordination/fournisseurs/",
    "/coordination/fournisseurs/nouveau/",
    "/coordination/fournisseurs/{supplier}/",
    "/coordination/produits/",
    "/coordination/produits/nouveau/",
    "/coordination/produits/{product}/",
    "/coordination/catalogue/import/",
]


@pytest.fixture
def product(db):
    supplier = SupplierFactory(name="Laiterie Saint-Père")
    product = ProductFactory(
        supplier=supplier,
        sku="CR-20",
        name="Crème fraîche épaisse",
        case_size=6,
        unit_price=Decimal("2.5000"),
        vat_rate=Decimal("5.50"),
    )
    add_tiers(product, (5, "2.3000"), (10, "2.2000"))
    return product


def urls(product):
    return [url.format(supplier=product.supplier_id, product=product.pk) for url in PAGES]


def test_the_coordinator_opens_every_catalogue_page(client, coordinator, product):
    client.force_login(coordinator)
    for url in urls(product):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'href="/coordination/produits/">Catalogue</a>' in text_of(response)


@pytest.mark.parametrize("role", ["shopkeeper", "accountant"])
def test_other_roles_get_the_french_403_page(client, product, role, request):
    client.force_login(request.getfixturevalue(role))
    before = catalogue_rows()
    for url in urls(product):
        for method in (client.get, client.post):
            response = method(url, {"name": "Pirate"})
            assert response.status_code == 403, url
            assert "Votre rôle ne permet pas d'ouvrir cette page" in text_of(response)
    assert catalogue_rows() == before


def test_a_visitor_is_sent_to_the_login(client, product):
    for url in urls(product):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_the_coordinators_home_leads_to_the_catalogue(client, coordinator, coop):
    client.force_login(coordinator)
    assert 'href="/coordination/produits/">Catalogue</a>' in text_of(client.get("/coordination/"))


def test_an_unknown_supplier_or_product_is_404(client, coordinator, db):
    client.force_login(coordinator)
    assert client.get("/coordination/fournisseurs/999999/").status_code == 404
    assert client.get("/coordination/produits/999999/").status_code == 404


# --- Suppliers ---------------------------------------------------------------------------

GOOD_SUPPLIER = {
    "name": "Épicerie Centrale du Perche",
    "siret": "",
    "email": "commandes@epicerie-perche.fr",
    "address": "2 rue des Halles, 61400 Mortagne-au-Perche",
    "min_order_amount": "1 250,50",
    "free_shipping_threshold": "300",
    "shipping_fee": "25,00 €",
}


def test_the_coordinator_creates_a_supplier(client, coordinator, db):
    client.force_login(coordinator)
    response = client.post("/coordination/fournisseurs/nouveau/", GOOD_SUPPLIER, follow=True)
    supplier = Supplier.objects.get()
    assert response.redirect_chain == [(f"/coordination/fournisseurs/{supplier.pk}/", 302)]
    assert "Fournisseur « Épicerie Centrale du Perche » créé." in page_text(response)
    assert (
        supplier.name,
        supplier.email,
        supplier.min_order_amount,
        supplier.free_shipping_threshold,
        supplier.shipping_fee,
    ) == (
        "Épicerie Centrale du Perche",
        "commandes@epicerie-perche.fr",
        Decimal("1250.50"),
        Decimal("300.00"),
        Decimal("25.00"),
    )
    # Shown back in French.
    assert input_value(response, "min_order_amount") == "1250,50"


def test_an_empty_free_shipping_threshold_means_none(client, coordinator, db):
    client.force_login(coordinator)
    client.post(
        "/coordination/fournisseurs/nouveau/", {**GOOD_SUPPLIER, "free_shipping_threshold": ""}
    )
    assert Supplier.objects.get().free_shipping_threshold is None


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("name", "", "Ce champ est obligatoire."),
        ("email", "commandes@", "Une adresse comme commandes@fournisseur.fr."),
        ("min_order_amount", "douze", "Un nombre comme 12,30, deux décimales au plus."),
        ("min_order_amount", "-5", "Un nombre comme 12,30, deux décimales au plus."),
        ("shipping_fee", "12,345", "Un nombre comme 12,30, deux décimales au plus."),
        ("shipping_fee", "1e3", "Un nombre comme 12,30, deux décimales au plus."),
        ("free_shipping_threshold", "NaN", "Un nombre comme 12,30, deux décimales au plus."),
        ("siret", "12345678901234", "SIRET"),  # the model's validator, through the service
    ],
)
def test_a_bad_supplier_keeps_what_was_typed_and_writes_nothing(
    client, coordinator, db, field, typed, message
):
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post("/coordination/fournisseurs/nouveau/", {**GOOD_SUPPLIER, field: typed})
    assert response.status_code == 200
    block = field_block(response, field)
    assert 'class="errorlist"' in block and message in block
    assert input_value(response, field) == (typed or None)
    assert input_value(response, "address") == GOOD_SUPPLIER["address"]
    assert catalogue_rows() == before


def test_a_supplier_name_already_taken_is_said_beside_the_name(client, coordinator, db):
    SupplierFactory(name=GOOD_SUPPLIER["name"])
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post("/coordination/fournisseurs/nouveau/", GOOD_SUPPLIER)
    assert "Un fournisseur porte déjà ce nom." in field_block(response, "name")
    assert catalogue_rows() == before


def test_the_coordinator_edits_a_supplier_terms(client, coordinator, product):
    supplier = product.supplier
    client.force_login(coordinator)
    page = client.get(f"/coordination/fournisseurs/{supplier.pk}/")
    assert input_value(page, "name") == "Laiterie Saint-Père"
    assert input_value(page, "shipping_fee") == "25,00"
    response = client.post(
        f"/coordination/fournisseurs/{supplier.pk}/",
        {**GOOD_SUPPLIER, "name": supplier.name, "min_order_amount": "150"},
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.min_order_amount == Decimal("150.00")
    assert supplier.email == "commandes@epicerie-perche.fr"


def test_a_bad_edit_of_a_supplier_writes_nothing(client, coordinator, product):
    other = SupplierFactory(name="Fromagerie Œuvre")
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post(
        f"/coordination/fournisseurs/{product.supplier_id}/",
        {**GOOD_SUPPLIER, "name": other.name, "shipping_fee": "3,5"},
    )
    assert "Un fournisseur porte déjà ce nom." in field_block(response, "name")
    assert input_value(response, "name") == "Fromagerie Œuvre"
    assert catalogue_rows() == before


def test_the_suppliers_list_searches_without_accents(client, coordinator, product):
    SupplierFactory(name="Épicerie Centrale du Perche")
    client.force_login(coordinator)
    text = page_text(client.get("/coordination/fournisseurs/", {"q": "EPICERIE"}))
    assert "Épicerie Centrale du Perche" in text
    assert "Laiterie Saint-Père" not in text
    assert "1 fournisseur" in text
    text = page_text(client.get("/coordination/fournisseurs/", {"q": "saint-pere"}))
    assert "Laiterie Saint-Père" in text and "1 actif" in text


# --- Products ----------------------------------------------------------------------------


def product_form(owner, /, **changes):
    data = {
        "supplier": str(owner.pk),
        "sku": "BEU-250",
        "name": "Beurre doux 250 g",
        "unit_label": "plaquette",
        "case_size": "20",
        "unit_price": "1,85",
        "vat_rate": "5.50",
        "category": "Crèmerie",
        "active": "on",
        "paliers-TOTAL_FORMS": "3",
        "paliers-INITIAL_FORMS": "0",
        "paliers-MIN_NUM_FORMS": "0",
        "paliers-MAX_NUM_FORMS": "10",
        "paliers-0-min_cases": "5",
        "paliers-0-unit_price": "1,75",
        "paliers-1-min_cases": "10",
        "paliers-1-unit_price": "1.65",
        "paliers-2-min_cases": "",
        "paliers-2-unit_price": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def tiers_of(product):
    return list(product.price_tiers.order_by("min_cases").values_list("min_cases", "unit_price"))


def test_the_coordinator_creates_a_product_with_its_tiers(client, coordinator, product):
    supplier = product.supplier
    client.force_login(coordinator)
    response = client.post("/coordination/produits/nouveau/", product_form(supplier), follow=True)
    created = Product.objects.get(sku="BEU-250")
    assert response.redirect_chain == [(f"/coordination/produits/{created.pk}/", 302)]
    assert "Produit « Beurre doux 250 g » enregistré." in page_text(response)
    assert (
        created.supplier,
        created.case_size,
        created.unit_price,
        created.vat_rate,
        created.category,
        created.active,
    ) == (supplier, 20, Decimal("1.8500"), Decimal("5.50"), "Crèmerie", True)
    assert tiers_of(created) == [(5, Decimal("1.7500")), (10, Decimal("1.6500"))]


def test_the_product_page_shows_the_product_and_its_tiers(client, coordinator, product):
    client.force_login(coordinator)
    response = client.get(f"/coordination/produits/{product.pk}/")
    assert input_value(response, "sku") == "CR-20"
    assert input_value(response, "unit_price") == "2,50"
    assert input_value(response, "paliers-0-min_cases") == "5"
    assert input_value(response, "paliers-0-unit_price") == "2,30"
    assert input_value(response, "paliers-1-unit_price") == "2,20"
    assert input_value(response, "paliers-2-min_cases") is None  # a blank row to add one
    assert '<option value="5.50" selected>' in text_of(response)


def test_a_new_product_starts_active_with_the_default_unit(client, coordinator, product):
    client.force_login(coordinator)
    response = client.get(f"/coordination/produits/nouveau/?fournisseur={product.supplier_id}")
    assert input_value(response, "unit_label") == "unité"
    assert re.search(r'<input[^>]*name="active"[^>]*checked', text_of(response))
    assert f'<option value="{product.supplier_id}" selected>' in text_of(response)


def test_the_coordinator_changes_the_price_and_tiers(client, coordinator, product):
    """Emptying a row removes its tier; a filled blank row adds one."""
    client.force_login(coordinator)
    response = client.post(
        f"/coordination/produits/{product.pk}/",
        product_form(
            product.supplier,
            sku="CR-20",
            name=product.name,
            unit_price="2,4",
            active=None,
            **{
                "paliers-TOTAL_FORMS": "4",
                "paliers-INITIAL_FORMS": "2",
                "paliers-0-min_cases": "",
                "paliers-0-unit_price": "",
                "paliers-1-min_cases": "10",
                "paliers-1-unit_price": "2,1",
                "paliers-2-min_cases": "20",
                "paliers-2-unit_price": "1,9999",
                "paliers-3-min_cases": "",
                "paliers-3-unit_price": "",
            },
        ),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.unit_price, product.active) == (Decimal("2.4000"), False)
    assert tiers_of(product) == [(10, Decimal("2.1000")), (20, Decimal("1.9999"))]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("sku", "", "Ce champ est obligatoire."),
        ("name", "", "Ce champ est obligatoire."),
        ("case_size", "0", "Au moins 1."),
        ("case_size", "douze", "Un nombre entier, comme 12."),
        ("case_size", "100001", "100\u00a0000 au plus."),
        ("unit_price", "0", "Doit être supérieur à zéro."),
        ("unit_price", "1,23456", "Un nombre comme 1,2500, quatre décimales au plus."),
        ("unit_price", "1,2.3", "Un nombre comme 1,2500, quatre décimales au plus."),
        ("vat_rate", "7.00", "Choisissez un taux de la liste."),
        ("supplier", "999999", "Choisissez un fournisseur de la liste."),
        ("sku", "CR-20", "Cette référence existe déjà chez ce fournisseur."),  # the service
    ],
)
def test_a_bad_product_keeps_what_was_typed_and_writes_nothing(
    client, coordinator, product, field, typed, message
):
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post(
        "/coordination/produits/nouveau/", product_form(product.supplier, **{field: typed})
    )
    assert response.status_code == 200
    block = field_block(response, field)
    assert 'class="errorlist"' in block and message in block
    if field not in ("supplier", "vat_rate"):
        assert input_value(response, field) == (typed or None)
    # The other fields, the tiers included, are kept too.
    if field != "name":
        assert input_value(response, "name") == "Beurre doux 250 g"
    assert input_value(response, "paliers-1-unit_price") == "1.65"
    assert catalogue_rows() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"paliers-0-unit_price": "1,90"},
            "price_tiers",
            "Palier 1 : le prix 1,9000\u00a0€ dépasse le prix de base 1,8500\u00a0€.",
        ),
        (
            {"paliers-1-min_cases": "5"},
            "price_tiers",
            "Palier 2 : 5 colis figure déjà.",
        ),
        ({"paliers-2-min_cases": "20"}, "paliers-2-unit_price", "À remplir aussi"),
        ({"paliers-0-min_cases": "0"}, "paliers-0-min_cases", "Au moins 1."),
        ({"paliers-1-unit_price": "gratuit"}, "paliers-1-unit_price", "Un nombre comme 1,2500"),
    ],
)
def test_bad_tiers_are_said_beside_the_tiers_and_nothing_is_written(
    client, coordinator, product, changes, field, message
):
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post(
        f"/coordination/produits/{product.pk}/",
        product_form(product.supplier, sku="CR-20", **changes),
    )
    assert response.status_code == 200
    html = text_of(response)
    if field == "price_tiers":
        tiers = html[html.index("<legend>Paliers de prix</legend>") : html.index("</fieldset>")]
        assert message in tiers
    else:
        assert message in field_block(response, field)
    # What was typed stays, though the product's saved tiers differ.
    for name, value in changes.items():
        assert input_value(response, name) == value
    assert input_value(response, "name") == "Beurre doux 250 g"
    assert catalogue_rows() == before


def test_a_tampered_tier_formset_is_refused_in_french(client, coordinator, product):
    client.force_login(coordinator)
    before = catalogue_rows()
    data = product_form(product.supplier)
    del data["paliers-TOTAL_FORMS"]
    response = client.post("/coordination/produits/nouveau/", data)
    assert response.status_code == 200
    assert catalogue_rows() == before


# --- The products' list: search, filters, pagination -------------------------------------


@pytest.fixture
def many_products(product):
    epicerie = SupplierFactory(name="Épicerie Centrale")
    for n in range(30):
        ProductFactory(supplier=epicerie, name=f"Épice n° {n:02d}", sku=f"EP-{n:02d}")
    ProductFactory(supplier=epicerie, name="Crème de marrons", sku="CM-1", active=False)
    return epicerie


def test_the_products_search_ignores_accents_and_case(client, coordinator, many_products):
    client.force_login(coordinator)
    text = page_text(client.get("/coordination/produits/", {"q": "CREME"}))
    assert "Crème fraîche épaisse" in text and "Crème de marrons" in text
    assert "2 produits" in text and "Épice n°" not in text
    text = page_text(client.get("/coordination/produits/", {"q": "creme fraiche"}))
    assert "Crème fraîche épaisse" in text and "Crème de marrons" not in text
    text = page_text(client.get("/coordination/produits/", {"q": "cr-20"}))
    assert "1 produit</strong>" in text and "Crème fraîche épaisse" in text


def test_the_products_list_filters_by_supplier_and_state(client, coordinator, many_products):
    client.force_login(coordinator)
    filters = {"q": "creme", "supplier": many_products.pk}
    text = page_text(client.get("/coordination/produits/", filters))
    assert "Crème de marrons" in text and "Crème fraîche" not in text
    text = page_text(client.get("/coordination/produits/", {"q": "crème", "active": "1"}))
    assert "Crème fraîche épaisse" in text and "Crème de marrons" not in text
    text = page_text(client.get("/coordination/produits/", {"active": "0"}))
    assert "1 produit</strong>" in text and "Crème de marrons" in text and "retiré" in text


def test_a_bad_filter_is_said_and_left_out(client, coordinator, many_products):
    client.force_login(coordinator)
    response = client.get("/coordination/produits/", {"supplier": "999999", "q": "crème"})
    assert response.status_code == 200
    assert "Choisissez un fournisseur de la liste." in field_block(response, "supplier")
    assert "2 produits" in page_text(response)
    assert input_value(response, "q") == "crème"


def test_the_products_list_is_paginated_keeping_the_filters(
    client, coordinator, many_products, django_assert_max_num_queries
):
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        first = client.get("/coordination/produits/", {"q": "epice"})
    text = page_text(first)
    assert "30 produits" in text and "Page 1 sur 2" in text
    assert "Épice n° 00" in text and "Épice n° 25" not in text
    assert 'href="?q=epice&amp;page=2"' in first.content.decode()
    second = page_text(client.get("/coordination/produits/", {"q": "epice", "page": "2"}))
    assert "Épice n° 25" in second and "Épice n° 00" not in second and "Page 2 sur 2" in second


def test_the_products_list_shows_prices_in_french(client, coordinator, product):
    client.force_login(coordinator)
    text = page_text(client.get("/coordination/produits/"))
    assert "2,5000\u00a0€" in text and "5,5\u00a0%" in text
    assert "dès 5 colis : 2,3000\u00a0€" in text


# --- The CSV import ------------------------------------------------------------------------


def upload(text: str):
    return SimpleUploadedFile("catalogue.csv", text.encode(), content_type="text/csv")


@pytest.mark.parametrize(
    ("result", "summary"),
    [
        ({"created": 0, "updated": 1}, "0 produit créé, 1 mis à jour."),
        ({"created": 1, "updated": 0}, "1 produit créé, 0 mis à jour."),
        ({"created": 3, "updated": 2}, "3 produits créés, 2 mis à jour."),
    ],
)
def test_the_import_summary_speaks_french(result, summary):
    assert import_summary(result) == summary


def test_a_good_file_is_imported_and_counted(client, coordinator, product):
    client.force_login(coordinator)
    text = "\n".join(
        [
            HEADER,
            "CR-20;Crème fraîche épaisse 20 cl;pot;6;2,6;5,5;;oui",
            "BEU-250;Beurre doux 250 g;plaquette;20;1,85;5,5;5:1,75|10:1,65;oui",
            "LAI-1;Lait entier 1 L;bouteille;6;1,10;5,5;;",
        ]
    )
    response = client.post(
        "/coordination/catalogue/import/",
        {"supplier": product.supplier_id, "file": upload(text)},
        follow=True,
    )
    assert response.redirect_chain == [
        (f"/coordination/catalogue/import/?fournisseur={product.supplier_id}", 302)
    ]
    assert (
        "Import du catalogue de « Laiterie Saint-Père » : 2 produits créés, 1 mis à jour."
        in page_text(response)
    )
    product.refresh_from_db()
    assert product.unit_price == Decimal("2.6000") and tiers_of(product) == []
    assert Product.objects.filter(supplier=product.supplier).count() == 3


def test_a_bad_file_lists_every_bad_line_and_writes_nothing(client, coordinator, product):
    client.force_login(coordinator)
    before = catalogue_rows()
    text = "\n".join(
        [
            HEADER,
            "BEU-250;Beurre doux 250 g;plaquette;20;1,85;5,5;;oui",
            "LAI-1;Lait entier 1 L;bouteille;zéro;1,10;5,5;;",
            "FRO-1;Fromage;pièce;6;1,10;7;;",
            "BEU-250;Beurre en double;plaquette;20;1,85;5,5;;",
        ]
    )
    response = client.post(
        "/coordination/catalogue/import/",
        {"supplier": product.supplier_id, "file": upload(text)},
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Fichier refusé : rien n'a été enregistré. 3 erreurs :" in text
    assert "Ligne 3 : unités par colis « zéro » invalide" in text
    assert "Ligne 4 : taux de TVA « 7 » non permis" in text
    assert "Ligne 5 : la référence « BEU-250 » figure déjà ligne 2." in text
    # The supplier chosen stays chosen.
    assert f'<option value="{product.supplier_id}" selected>' in text_of(response)
    assert catalogue_rows() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"file": "nothing"}, "supplier", "Ce champ est obligatoire."),
        ({"supplier": "999999"}, "supplier", "Choisissez un fournisseur de la liste."),
        ({"supplier": "{supplier}"}, "file", "Choisissez un fichier."),
        ({"supplier": "{supplier}", "file": ""}, "file", "Le fichier est vide."),
        ({"supplier": "{supplier}", "file": "sku;name\nA;B"}, "file", "Fichier refusé"),
    ],
)
def test_a_bad_import_form_says_why_beside_the_field(
    client, coordinator, product, data, field, message
):
    client.force_login(coordinator)
    before = catalogue_rows()
    post = {}
    for key, value in data.items():
        if key == "file":
            post[key] = SimpleUploadedFile("catalogue.csv", value.encode())
        else:
            post[key] = value.format(supplier=product.supplier_id)
    response = client.post("/coordination/catalogue/import/", post)
    assert response.status_code == 200
    html = text_of(response)
    if field == "file":
        start = html.index('<label for="id_file">')
        block = html[start : html.index("</form>", start)]
    else:
        block = field_block(response, field)
    assert message in block
    assert catalogue_rows() == before
