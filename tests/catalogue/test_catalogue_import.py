"""CSV import of a supplier's catalogue: POST /api/suppliers/{id}/import/."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue import csv_import as importer
from catalogue.models import PriceTier, Product
from tests.factories import ProductFactory, SupplierFactory, add_tiers

HEADER = "sku;name;unit_label;case_size;unit_price;vat_rate;price_tiers;active"

GOOD_FILE = (
    "\n".join(
        [
            HEADER,
            "FAR-T65;Farine de blé T65 1 kg;paquet;10;1,2000;5,5;5:1,1000 | 10:1,0000|;oui",
            "CAF-250;Café moulu 250 g;paquet;12;3,45;5.50;;1",
            "SAV-MAR;Savon de Marseille;pain;24;2.1;20;;non",
        ]
    )
    + "\n"
)


def upload(text: str | bytes, name: str = "catalogue.csv", bom: bool = False):
    data = text.encode() if isinstance(text, str) else text
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_file(client, supplier, text, **kwargs):
    return client.post(
        f"/api/suppliers/{supplier.id}/import/",
        {"file": upload(text, **kwargs)},
        format="multipart",
    )


def snapshot():
    return (
        list(Product.objects.order_by("pk").values_list()),
        list(PriceTier.objects.order_by("pk").values_list()),
    )


def catalogue_of(supplier):
    return {
        p.sku: (
            p.name,
            p.unit_label,
            p.case_size,
            p.unit_price,
            p.vat_rate,
            p.active,
            [(t.min_cases, t.unit_price) for t in p.price_tiers.order_by("min_cases")],
        )
        for p in Product.objects.filter(supplier=supplier)
    }


def test_a_french_spreadsheet_export_creates_the_products_with_their_tiers(api, coordinator):
    supplier = SupplierFactory()
    response = post_file(
        api.as_user(coordinator), supplier, GOOD_FILE.replace("\n", "\r\n"), bom=True
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 3, "updated": 0}
    assert catalogue_of(supplier) == {
        "FAR-T65": (
            "Farine de blé T65 1 kg",
            "paquet",
            10,
            Decimal("1.2000"),
            Decimal("5.50"),
            True,
            [(5, Decimal("1.1000")), (10, Decimal("1.0000"))],
        ),
        "CAF-250": ("Café moulu 250 g", "paquet", 12, Decimal("3.4500"), Decimal("5.50"), True, []),
        "SAV-MAR": (
            "Savon de Marseille",
            "pain",
            24,
            Decimal("2.1000"),
            Decimal("20.00"),
            False,
            [],
        ),
    }


def test_a_comma_separated_file_with_dots_and_no_active_column_is_accepted(api, coordinator):
    supplier = SupplierFactory()
    text = (
        "sku,name,unit_label,case_size,unit_price,vat_rate,price_tiers\n"
        'LAIT-1L,"Lait entier, 1 L",brique,6,"1,0500",5.50,3:0.9900\n'
        "OEUF-6,Œufs plein air x6,boîte,10,2.3000,5.5,\n"
    )
    response = post_file(api.as_user(coordinator), supplier, text)
    assert response.status_code == 200, response.json()
    assert catalogue_of(supplier) == {
        "LAIT-1L": (
            "Lait entier, 1 L",
            "brique",
            6,
            Decimal("1.0500"),
            Decimal("5.50"),
            True,
            [(3, Decimal("0.9900"))],
        ),
        "OEUF-6": ("Œufs plein air x6", "boîte", 10, Decimal("2.3000"), Decimal("5.50"), True, []),
    }


def test_reimporting_updates_the_products_and_replaces_their_tiers(api, coordinator):
    supplier = SupplierFactory()
    client = api.as_user(coordinator)
    assert post_file(client, supplier, GOOD_FILE).status_code == 200
    first_ids = set(Product.objects.values_list("pk", flat=True))
    new_file = "\n".join(
        [
            HEADER,
            "FAR-T65;Farine de blé T65 1 kg;paquet;10;1,1500;5,5;20:0,9500;non",
            "CAF-250;Café moulu 250 g;paquet;12;3,45;5.50;4:3,3000;1",
            "THE-VERT;Thé vert 100 g;boîte;6;4,2000;5,5;;",
        ]
    )
    response = post_file(client, supplier, new_file)
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 2}
    catalogue = catalogue_of(supplier)
    assert catalogue["FAR-T65"] == (
        "Farine de blé T65 1 kg",
        "paquet",
        10,
        Decimal("1.1500"),
        Decimal("5.50"),
        False,
        [(20, Decimal("0.9500"))],
    )
    assert catalogue["CAF-250"][6] == [(4, Decimal("3.3000"))]
    assert catalogue["THE-VERT"][5] is True
    assert catalogue["SAV-MAR"][3] == Decimal("2.1000")  # not in the file: left alone
    assert first_ids <= set(Product.objects.values_list("pk", flat=True))  # same rows


def test_three_bad_lines_among_good_ones_are_all_named_and_nothing_is_written(api, coordinator):
    supplier = SupplierFactory()
    existing = ProductFactory(supplier=supplier, sku="CAF-250", unit_price=Decimal("9.0000"))
    add_tiers(existing, (2, "8.0000"))
    before = snapshot()
    text = "\n".join(
        [
            HEADER,
            "FAR-T65;Farine;paquet;10;1,2000;5,5;;1",  # 2 good
            "CAF-250;Café;paquet;12;abc;5,5;;1",  # 3 bad price
            "SAV-MAR;Savon;pain;24;2,1;20;;1",  # 4 good
            "THE-VERT;Thé;boîte;6;4,20;7;;1",  # 5 bad VAT rate
            "RIZ-1K;Riz;sachet;1,5;2,00;5,5;;1",  # 6 bad case size
            "SEL-1K;Sel;sachet;10;0,90;5,5;;oui",  # 7 good
        ]
    )
    response = post_file(api.as_user(coordinator), supplier, text)
    assert response.status_code == 400
    errors = response.json()["file"]
    assert errors[0] == "Ligne 3 : prix unitaire « abc » invalide."
    assert [message.split(" : ")[0] for message in errors] == ["Ligne 3", "Ligne 5", "Ligne 6"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("X;Nom;u;6;1,2000;5,5;5:1,3000;1", "dépasse le prix de base"),
        ("X;Nom;u;6;1,2000;5,5;5:1,1000|5:1,0000;1", "5 colis figure déjà"),
        ("X;Nom;u;6;1,2000;5,5;5-1,1000;1", "palier « 5-1,1000 » invalide"),
        ("X;Nom;u;6;1,2000;5,5;0:1,1000;1", "palier « 0:1,1000 » invalide"),
        ("X;Nom;u;6;1,2000;19,6;;1", "taux de TVA « 19,6 » non permis"),
        ("X;Nom;u;6;1,2000;5,499;;1", "taux de TVA « 5,499 » non permis"),
        ("X;Nom;u;6;1,20001;5,5;;1", "prix unitaire « 1,20001 » invalide"),
        ("X;Nom;u;6;0;5,5;;1", "prix unitaire « 0 » invalide"),
        ("X;Nom;u;6;-1,00;5,5;;1", "prix unitaire « -1,00 » invalide"),
        ("X;Nom;u;6;1 200,00;5,5;;1", "prix unitaire « 1 200,00 » invalide"),
        ("X;Nom;u;0;1,2000;5,5;;1", "unités par colis « 0 » invalide"),
        ("X;Nom;u;6;1,2000;5,5;;peut-être", "actif « peut-être » invalide"),
        ("X;Nom;u;6;;5,5;;1", "prix unitaire (vide) invalide"),
        ("X;Nom;u;6;1,2000;;;1", "taux de TVA (vide) non permis"),
        (";Nom;u;6;1,2000;5,5;;1", "référence (sku) manquante"),
        ("X;;u;6;1,2000;5,5;;1", "désignation (name) manquante"),
        ("X;Nom;u;6;1,2000;5,5;;1;en trop", "9 colonnes au lieu de 8"),
        ("X;Nom;u;6;1,2000", "5 colonnes au lieu de 8"),
        (f"{'X' * 65};Nom;u;6;1,2000;5,5;;1", "référence (sku) trop longue"),
    ],
)
def test_each_bad_cell_is_a_line_error(api, coordinator, row, expected):
    supplier = SupplierFactory()
    response = post_file(api.as_user(coordinator), supplier, f"{HEADER}\n{row}\n")
    assert response.status_code == 400
    [message] = response.json()["file"]
    assert message.startswith("Ligne 2 : ")
    assert expected in message
    assert not Product.objects.exists()


def test_a_sku_twice_in_the_file_is_an_error_on_its_second_line(api, coordinator):
    supplier = SupplierFactory()
    text = "\n".join([HEADER, "A;Un;u;1;1;5,5;;1", "B;Deux;u;1;1;5,5;;1", "A;Trois;u;1;1;5,5;;1"])
    response = post_file(api.as_user(coordinator), supplier, text)
    assert response.status_code == 400
    assert response.json() == {"file": ["Ligne 4 : la référence « A » figure déjà ligne 2."]}
    assert not Product.objects.exists()


def test_blank_lines_are_skipped_and_still_counted(api, coordinator):
    supplier = SupplierFactory()
    text = "\n".join([HEADER, "A;Un;u;1;1;5,5;;1", "", ";;;;;;;", "B;Deux;u;1;x;5,5;;1"])
    response = post_file(api.as_user(coordinator), supplier, text)
    assert response.json() == {"file": ["Ligne 5 : prix unitaire « x » invalide."]}


def test_a_quoted_newline_keeps_the_line_numbers_of_the_file(api, coordinator):
    supplier = SupplierFactory()
    text = "\n".join([HEADER, 'A;"Nom sur\ndeux lignes";u;1;1;5,5;;1', "B;Deux;u;1;x;5,5;;1"])
    response = post_file(api.as_user(coordinator), supplier, text)
    assert response.json() == {"file": ["Ligne 4 : prix unitaire « x » invalide."]}


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("sku;name;unit_label;case_size;vat_rate;price_tiers", "unit_price"),
        ("sku;nom;unit_label;case_size;unit_price;vat_rate;price_tiers", "name"),
        ("A;Un;u;1;1;5,5;;1", "sku, name, unit_label, case_size, unit_price"),
    ],
)
def test_a_wrong_header_is_400_naming_the_missing_columns(api, coordinator, header, named):
    supplier = SupplierFactory()
    response = post_file(api.as_user(coordinator), supplier, f"{header}\nA;Un;u;1;1;5,5;;1\n")
    assert response.status_code == 400
    errors = response.json()["file"]
    assert errors[0].startswith("Ligne 1 : colonnes manquantes : ")
    assert named in errors[0]
    assert not Product.objects.exists()


def test_an_unknown_column_is_refused_rather_than_ignored(api, coordinator):
    response = post_file(
        api.as_user(coordinator), SupplierFactory(), f"{HEADER};actif\nA;Un;u;1;1;5,5;;1;0\n"
    )
    assert response.status_code == 400
    assert "Ligne 1 : colonnes inconnues : actif." in response.json()["file"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file"),
        (b"\xef\xbb\xbf\r\n \n", "Le fichier est vide."),
        (HEADER.encode() + b"\n", "Le fichier ne contient aucun produit."),
        ("sku;name\nCafé".encode("latin-1"), "UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "n'est pas un CSV"),
    ],
)
def test_empty_or_unreadable_files_are_400(api, coordinator, content, expected):
    response = post_file(api.as_user(coordinator), SupplierFactory(), content)
    assert response.status_code == 400
    assert "file" in response.json()
    assert expected == "file" or expected in response.json()["file"][0]


def test_a_request_without_a_file_is_400(api, coordinator):
    supplier = SupplierFactory()
    response = api.as_user(coordinator).post(
        f"/api/suppliers/{supplier.id}/import/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_a_file_over_the_size_cap_is_400(api, coordinator, monkeypatch):
    from mache import csvfiles

    monkeypatch.setattr(csvfiles, "MAX_FILE_BYTES", 1024)
    text = HEADER + "\n" + "".join(f"S{n};Nom;u;1;1;5,5;;1\n" for n in range(100))
    response = post_file(api.as_user(coordinator), SupplierFactory(), text)
    assert response.status_code == 400
    assert "dépasse" in response.json()["file"][0]
    assert not Product.objects.exists()


def test_a_file_over_the_row_cap_is_400(api, coordinator, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    text = HEADER + "\n" + "".join(f"S{n};Nom;u;1;1;5,5;;1\n" for n in range(6))
    response = post_file(api.as_user(coordinator), SupplierFactory(), text)
    assert response.status_code == 400
    assert "plus de 5 produits" in response.json()["file"][0]
    assert not Product.objects.exists()


@pytest.mark.parametrize("role_fixture", ["shopkeeper", "accountant"])
def test_only_coordinators_import(api, request, role_fixture):
    client = api.as_user(request.getfixturevalue(role_fixture))
    supplier = SupplierFactory()
    response = post_file(client, supplier, GOOD_FILE)
    assert response.status_code == 403
    assert not Product.objects.exists()


def test_an_unknown_supplier_is_404(api, coordinator):
    response = api.as_user(coordinator).post(
        "/api/suppliers/987654/import/", {"file": upload(GOOD_FILE)}, format="multipart"
    )
    assert response.status_code == 404


def test_another_suppliers_products_are_untouched(api, coordinator):
    supplier, other = SupplierFactory(), SupplierFactory()
    theirs = ProductFactory(supplier=other, sku="FAR-T65", unit_price=Decimal("9.0000"))
    add_tiers(theirs, (3, "8.5000"))
    before = catalogue_of(other)
    response = post_file(api.as_user(coordinator), supplier, GOOD_FILE)
    assert response.json() == {"created": 3, "updated": 0}
    assert catalogue_of(other) == before


def test_the_import_makes_the_same_number_of_queries_for_5_and_50_rows(
    api, coordinator, django_assert_num_queries
):
    client = api.as_user(coordinator)
    for size in (5, 50):
        supplier = SupplierFactory()
        # The first half of the rows update existing products (with tiers), the rest create.
        for n in range(size // 2):
            add_tiers(
                ProductFactory(supplier=supplier, sku=f"S{n}", unit_price=Decimal("3")),
                (2, "2.5000"),
            )
        text = (
            HEADER
            + "\n"
            + "".join(
                f"S{n};Produit {n};u;6;2,5000;5,5;5:2,4000|10:2,3000;1\n" for n in range(size)
            )
        )
        # token, supplier, savepoint, supplier lock, products lock, insert products,
        # update products, delete tiers, insert tiers, release savepoint
        with django_assert_num_queries(10):
            response = post_file(client, supplier, text)
        assert response.json() == {"created": size - size // 2, "updated": size // 2}
        assert PriceTier.objects.filter(product__supplier=supplier).count() == 2 * size
