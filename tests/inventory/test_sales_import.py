"""Import of a till export: POST /api/stock/sales-import/ (multipart: shop, file)."""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import MovementLot, StockBalance, StockLot, StockMovement
from inventory.services import MovementIn, end_of_day, movements_record
from mache.periods import paris_today
from tests.factories import ProductFactory, SupplierFactory

URL = "/api/stock/sales-import/"


def day(offset: int) -> dt.date:
    return paris_today() + dt.timedelta(days=offset)


def iso(offset: int) -> str:
    return day(offset).isoformat()


def french(offset: int) -> str:
    return f"{day(offset):%d/%m/%Y}"


def stock_up(shop, product, quantity, *, lot="L1", expires_on=None, days_ago=40):
    [movement] = movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind="receipt",
                quantity=quantity,
                occurred_at=end_of_day(day(-days_ago)),
                unit_cost=Decimal("1.2000"),
                lot=lot,
                expires_on=expires_on,
            )
        ]
    )
    return movement


def upload(text: str, *, bom: bool = False):
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    return SimpleUploadedFile("caisse.csv", data, content_type="text/csv")


def post(api, user, shop, text, **kwargs):
    return api.as_user(user).post(
        URL, {"shop": shop.pk, "file": upload(text, **kwargs)}, format="multipart"
    )


def snapshot():
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (StockMovement, StockBalance, StockLot, MovementLot)
    ]


def quantity_of(shop, product):
    return StockBalance.objects.get(shop=shop, product=product).quantity


def test_a_french_till_export_records_one_sale_per_day_and_product(api, shopkeeper, shop):
    # given two products in stock, butter in two lots expiring at different dates
    butter = ProductFactory(sku="BEU-250")
    jam = ProductFactory(sku="CONF-FR")
    late = stock_up(shop, butter, 10, lot="TARD", expires_on=day(30), days_ago=40)
    early = stock_up(shop, butter, 5, lot="TOT", expires_on=day(10), days_ago=30)
    stock_up(shop, jam, 10)
    text = (
        "\r\n".join(
            [
                "date;sku;quantity",
                f"{iso(-2)};BEU-250;3",
                f"{french(-2)};BEU-250;4",  # the same day again: added to the line above
                f"{french(-1)};CONF-FR;2",
                "",  # a blank line is skipped
                f"{iso(-1)};BEU-250;1",
            ]
        )
        + "\r\n"
    )

    # when the shopkeeper imports the export
    response = post(api, shopkeeper, shop, text, bom=True)

    # then one sale per day and product, dated at the end of that day
    assert response.status_code == 201, response.json()
    assert response.json() == {"movements": 3, "units": 10}
    sales = StockMovement.objects.filter(kind="sale").order_by("occurred_at", "product_id")
    assert [(m.product_id, m.quantity, m.occurred_at, m.note, m.created_by_id) for m in sales] == [
        (butter.pk, -7, end_of_day(day(-2)), "Import caisse", shopkeeper.pk),
        *sorted(
            [
                (butter.pk, -1, end_of_day(day(-1)), "Import caisse", shopkeeper.pk),
                (jam.pk, -2, end_of_day(day(-1)), "Import caisse", shopkeeper.pk),
            ]
        ),
    ]
    assert (quantity_of(shop, butter), quantity_of(shop, jam)) == (7, 8)
    # the lot expiring first went first
    remaining = {lot.movement_id: lot.remaining for lot in StockLot.objects.filter(product=butter)}
    assert remaining == {early.pk: 0, late.pk: 7}
    first_sale = sales.first()
    assert {
        (part.lot.code, part.quantity) for part in first_sale.lot_parts.select_related("lot")
    } == {("TOT", 5), ("TARD", 2)}


def test_a_comma_separated_file_with_french_column_names_is_accepted(api, shopkeeper, shop):
    bread = ProductFactory(sku="PAIN-1")
    stock_up(shop, bread, 5)
    text = f"Date,Référence,Quantité,Libellé\n{french(0)},PAIN-1,2,Pain de campagne\n"
    response = post(api, shopkeeper, shop, text)
    assert response.status_code == 201, response.json()
    assert quantity_of(shop, bread) == 3


def test_three_bad_lines_among_good_ones_are_all_named_and_nothing_is_written(
    api, shopkeeper, shop
):
    butter = ProductFactory(sku="BEU-250")
    stock_up(shop, butter, 50)
    before = snapshot()
    text = "\n".join(
        [
            "date;sku;quantity",
            f"{iso(-3)};BEU-250;2",  # 2 good
            "31/02/2026;BEU-250;1",  # 3 no such day
            f"{iso(-2)};BEU-250;4",  # 4 good
            f"{iso(-2)};BEU-250;1,5",  # 5 not a whole number
            f"{iso(-1)};INCONNU;1",  # 6 unknown SKU
            f"{french(-1)};BEU-250;1",  # 7 good
        ]
    )
    response = post(api, shopkeeper, shop, text)
    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "Ligne 3 : date « 31/02/2026 » invalide.",
            "Ligne 5 : quantité « 1,5 » invalide (nombre entier de 1 à 100000).",
            "Ligne 6 : référence « INCONNU » inconnue.",
        ]
    }
    assert snapshot() == before


def test_every_error_of_a_line_is_listed_in_order(api, shopkeeper, shop):
    response = post(
        api,
        shopkeeper,
        shop,
        f"date;sku;quantity\n2026/03/01;NULLE-PART;0\n{iso(-1)};;3\n{iso(-1)}\n",
    )
    assert response.status_code == 400
    assert response.json()["file"] == [
        "Ligne 2 : date « 2026/03/01 » invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA).",
        "Ligne 2 : quantité « 0 » invalide (nombre entier de 1 à 100000).",
        "Ligne 2 : référence « NULLE-PART » inconnue.",
        "Ligne 3 : référence (sku) manquante.",
        "Ligne 4 : 1 colonne au lieu d'au moins 3.",
    ]


def test_a_sale_in_the_future_is_refused(api, shopkeeper, shop):
    stock_up(shop, ProductFactory(sku="BEU-250"), 5)
    response = post(api, shopkeeper, shop, f"date;sku;quantity\n{french(1)};BEU-250;1\n")
    assert response.status_code == 400
    assert response.json() == {"file": [f"Ligne 2 : date « {french(1)} » dans le futur."]}
    assert not StockMovement.objects.filter(kind="sale").exists()


def test_a_sku_of_two_suppliers_names_the_product_this_shop_stocks(
    api, shopkeeper, shop, other_shop
):
    # given "CAF-250" at two suppliers; this shop stocks the second, another shop the first
    first = ProductFactory(supplier=SupplierFactory(), sku="CAF-250")
    second = ProductFactory(supplier=SupplierFactory(), sku="CAF-250")
    stock_up(other_shop, first, 10)
    stock_up(shop, second, 10)
    response = post(api, shopkeeper, shop, f"date;sku;quantity\n{iso(-1)};CAF-250;4\n")
    assert response.status_code == 201, response.json()
    sale = StockMovement.objects.get(kind="sale")
    assert (sale.shop_id, sale.product_id, sale.quantity) == (shop.pk, second.pk, -4)


def test_a_sku_the_shop_cannot_tell_apart_is_refused(api, shopkeeper, shop):
    ProductFactory(supplier=SupplierFactory(), sku="CAF-250")
    ProductFactory(supplier=SupplierFactory(), sku="CAF-250")
    both = [ProductFactory(supplier=SupplierFactory(), sku="THE-100") for _ in range(2)]
    for product in both:
        stock_up(shop, product, 10)
    response = post(
        api, shopkeeper, shop, f"date;sku;quantity\n{iso(-1)};CAF-250;1\n{iso(-1)};THE-100;1\n"
    )
    assert response.status_code == 400
    assert response.json()["file"] == [
        "Ligne 2 : référence « CAF-250 » ambiguë : 2 fournisseurs la portent et ce commerce "
        "n'a en stock aucun de ces produits.",
        "Ligne 3 : référence « THE-100 » ambiguë : ce commerce a en stock 2 produits de "
        "fournisseurs différents qui la portent.",
    ]


def test_selling_more_than_the_stock_is_refused_whole(api, shopkeeper, shop):
    butter = ProductFactory(sku="BEU-250", name="Beurre doux")
    jam = ProductFactory(sku="CONF-FR")
    stock_up(shop, butter, 3)
    stock_up(shop, jam, 10)
    before = snapshot()
    response = post(
        api, shopkeeper, shop, f"date;sku;quantity\n{iso(-1)};CONF-FR;2\n{iso(-1)};BEU-250;4\n"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert "« Beurre doux » : 3 en stock, 4 demandés" in response.json()["detail"]
    assert snapshot() == before  # the jam's good line was not written either


def test_a_wrong_header_names_the_columns(api, shopkeeper, shop):
    response = post(api, shopkeeper, shop, "jour;date;produit;quantité\n2026-03-01;;X;1\n")
    assert response.status_code == 400
    assert response.json()["file"] == [
        "Ligne 1 : colonnes manquantes : sku.",
        "Ligne 1 : colonnes en double : date.",
        "L'en-tête attendu est : date;sku;quantity (ou date;référence;quantité).",
    ]


def test_a_file_with_only_a_header_or_nothing_is_refused(api, shopkeeper, shop):
    assert post(api, shopkeeper, shop, "date;sku;quantity\n").json() == {
        "file": ["Le fichier ne contient aucune vente."]
    }
    assert post(api, shopkeeper, shop, "").status_code == 400


def test_the_size_and_the_number_of_rows_are_capped(api, shopkeeper, shop):
    too_big = "date;sku;quantity\n" + "x" * (2 * 1024 * 1024)
    assert post(api, shopkeeper, shop, too_big).json() == {"file": ["Le fichier dépasse 2 Mo."]}
    too_long = "date;sku;quantity\n" + f"{iso(-1)};BEU-250;1\n" * 20_001
    assert post(api, shopkeeper, shop, too_long).json() == {
        "file": ["Le fichier compte plus de 20 000 lignes : découpez-le."]
    }


def test_a_shop_the_caller_may_not_see_is_an_error_on_shop(api, shopkeeper, other_shop):
    butter = ProductFactory(sku="BEU-250")
    stock_up(other_shop, butter, 10)
    before = snapshot()
    response = post(api, shopkeeper, other_shop, f"date;sku;quantity\n{iso(-1)};BEU-250;1\n")
    assert response.status_code == 400
    assert list(response.json()) == ["shop"]
    assert snapshot() == before


def test_a_coordinator_imports_for_any_shop(api, coordinator, other_shop):
    butter = ProductFactory(sku="BEU-250")
    stock_up(other_shop, butter, 10)
    response = post(api, coordinator, other_shop, f"date;sku;quantity\n{iso(-1)};BEU-250;1\n")
    assert response.status_code == 201, response.json()
    assert quantity_of(other_shop, butter) == 9


def test_an_accountant_may_not_import(api, accountant, shop):
    butter = ProductFactory(sku="BEU-250")
    stock_up(shop, butter, 10)
    response = post(api, accountant, shop, f"date;sku;quantity\n{iso(-1)};BEU-250;1\n")
    assert response.status_code == 403
    assert quantity_of(shop, butter) == 10


def test_the_query_count_does_not_grow_with_the_rows(api, shopkeeper, shop):
    def import_of(rows):
        products = ProductFactory.create_batch(rows // 2 or 1)
        movements_record(
            movements=[
                MovementIn(
                    shop_id=shop.pk,
                    product_id=product.pk,
                    kind="receipt",
                    quantity=100,
                    occurred_at=end_of_day(day(-30)),
                    unit_cost=Decimal("1.2000"),
                )
                for product in products
            ]
        )
        lines = ["date;sku;quantity"] + [
            f"{iso(-1 - n % 2)};{products[n % len(products)].sku};1" for n in range(rows)
        ]
        client = api.as_user(shopkeeper)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                URL, {"shop": shop.pk, "file": upload("\n".join(lines))}, format="multipart"
            )
        assert response.status_code == 201, response.json()
        assert response.json()["units"] == rows
        return len(queries)

    few = import_of(5)
    assert import_of(50) == few
