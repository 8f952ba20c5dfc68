"""The accent- and case-insensitive search (mache.search, docs/search.md): on PostgreSQL
(the suite's database) through `unaccent`, on SQLite (`make run`) through the Python
function registered on each new connection."""

import pytest
from django.db import connections

from catalogue import selectors
from catalogue.models import Product, Supplier
from mache.search import SQLITE_FUNCTION, fold, search_q
from tests.factories import ProductFactory, SupplierFactory


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Épicerie", "epicerie"),
        ("Crème fraîche", "creme fraiche"),
        ("CRÈME BRÛLÉE", "creme brulee"),
        ("Œufs de caille", "oeufs de caille"),
        ("Bœuf", "boeuf"),
        ("Straße", "strasse"),
        ("ﬁlet", "filet"),  # a typographic ligature (NFKD splits it)
        ("Noël à Saint-Étienne", "noel a saint-etienne"),
        ("", ""),
    ],
)
def test_fold_removes_case_accents_and_ligatures(text, folded):
    assert fold(text) == folded


def test_fold_keeps_none():
    assert fold(None) is None


@pytest.fixture
def catalogue(db):
    epicerie = SupplierFactory(name="Épicerie Centrale du Perche")
    laiterie = SupplierFactory(name="Laiterie Saint-Père")
    creme = ProductFactory(supplier=laiterie, name="Crème fraîche épaisse", sku="CR-ÉP-20")
    beurre = ProductFactory(supplier=laiterie, name="Beurre doux 250 g", sku="BIO-12")
    oeufs = ProductFactory(supplier=epicerie, name="Œufs plein air ×6", sku="OEU-6")
    percent = ProductFactory(supplier=epicerie, name="Sucre 100% canne", sku="SUC-1")
    return {
        "epicerie": epicerie,
        "laiterie": laiterie,
        "creme": creme,
        "beurre": beurre,
        "oeufs": oeufs,
        "percent": percent,
    }


def found_products(text, **filters):
    return set(selectors.product_search(user=None, text=text, **filters))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("creme", {"creme"}),
        ("CRÈME", {"creme"}),
        ("Creme Fraiche", {"creme"}),
        ("fraiche creme", {"creme"}),  # every word, in any order
        ("cr-ep", {"creme"}),  # the reference, accent-free
        ("bio-12", {"beurre"}),
        ("beurre BIO-12", {"beurre"}),  # words in different fields
        ("oeufs", {"oeufs"}),
        ("œufs", {"oeufs"}),
        ("100%", {"percent"}),  # % is a character, not a wildcard
        ("1_0", set()),  # nor is _
        ("chocolat", set()),
        ("", {"creme", "beurre", "oeufs", "percent"}),
        ("   ", {"creme", "beurre", "oeufs", "percent"}),
    ],
)
def test_products_are_found_by_name_or_reference_whatever_accents_and_case(
    catalogue, text, expected
):
    assert found_products(text) == {catalogue[key] for key in expected}


def test_the_search_combines_with_the_supplier_and_active_filters(catalogue):
    catalogue["beurre"].active = False
    catalogue["beurre"].save()
    assert found_products("e", supplier=catalogue["laiterie"]) == {
        catalogue["creme"],
        catalogue["beurre"],
    }
    assert found_products("e", supplier=catalogue["laiterie"], active=True) == {catalogue["creme"]}
    assert found_products("e", active=False) == {catalogue["beurre"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("epicerie", {"epicerie"}), ("SAINT-PERE", {"laiterie"}), ("perche", {"epicerie"})],
)
def test_suppliers_are_found_by_name_whatever_accents_and_case(catalogue, text, expected):
    found = set(selectors.supplier_search(user=None, text=text))
    assert found == {catalogue[key] for key in expected}


def test_postgresql_folds_with_unaccent(catalogue):
    sql = str(Product.objects.filter(search_q(["name"], "creme")).query)
    assert "LOWER(unaccent(" in sql


# --- SQLite, the database of `make run` ------------------------------------------------

SQLITE = "search_sqlite"


@pytest.fixture
def sqlite_db(django_db_blocker, tmp_path):
    """A SQLite database beside the suite's PostgreSQL (a file: Django never closes an
    in-memory one), holding the supplier and product tables, opened through Django so
    that `connection_created` fires on it."""
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "s.db")}
    configured = connections.configure_settings({"default": sqlite, SQLITE: dict(sqlite)})
    connections.settings[SQLITE] = configured[SQLITE]
    # Not the `db` fixture: its test case forbids any database but the suite's; this one
    # is the test's own file, thrown away after it.
    with django_db_blocker.unblock():
        connection = connections[SQLITE]
        with connection.schema_editor() as editor:
            editor.create_model(Supplier)
            editor.create_model(Product)
        yield SQLITE
        connections[SQLITE].close()
    del connections[SQLITE]
    del connections.settings[SQLITE]


def test_sqlite_folds_with_the_function_registered_on_each_connection(sqlite_db):
    supplier = Supplier.objects.using(sqlite_db).create(name="Épicerie du Bœuf")
    for sku, name in [("CR-1", "Crème fraîche"), ("CHO-2", "Chocolat noir")]:
        Product(supplier=supplier, sku=sku, name=name, unit_price=1, vat_rate="5.50").save(
            using=sqlite_db
        )

    products = Product.objects.using(sqlite_db)
    sql, _ = products.filter(search_q(["name"], "x")).query.get_compiler(sqlite_db).as_sql()
    assert f"{SQLITE_FUNCTION}(" in sql
    assert [p.name for p in products.filter(search_q(["name", "sku"], "CREME"))] == [
        "Crème fraîche"
    ]
    assert [p.name for p in products.filter(search_q(["name", "sku"], "fraîche cr-1"))] == [
        "Crème fraîche"
    ]
    suppliers = Supplier.objects.using(sqlite_db)
    assert [s.name for s in suppliers.filter(search_q(["name"], "epicerie boeuf"))] == [
        "Épicerie du Bœuf"
    ]

    # A connection opened later (make run opens one per request) knows the function too.
    connections[sqlite_db].close()
    connection = connections[sqlite_db]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {SQLITE_FUNCTION}(%s)", ["Épicerie"])
        assert cursor.fetchone() == ("epicerie",)
