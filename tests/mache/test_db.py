"""`mache.db.insert_rows` (COPY on PostgreSQL) applies no Python default: the columns it
leaves out take the database's own. The benchmarks and the set-based consolidation fill
these tables that way, so the fields added to them later carry a `db_default`."""

import datetime as dt

from catalogue.models import Product
from mache.db import insert_rows
from shops.models import Shop
from tests.factories import SupplierFactory, make_siret


def test_columns_left_out_of_a_copy_take_their_database_default(db):
    siret = make_siret()
    insert_rows(
        Shop,
        ["name", "legal_name", "siret", "kind", "address", "postcode", "commune", "zone"]
        + ["status", "joined_on", "shares", "email", "phone", "expiry_alert_days", "created_at"],
        [
            ["Épicerie", "EPICERIE", siret, "epicerie", "", "35560", "Rimou", "rural"]
            + ["active", dt.date(2026, 1, 1), 1, "", "", 3, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
        ],
    )
    shop = Shop.objects.get(siret=siret)
    assert (shop.contact_name, shop.opening_hours, shop.tour_position) == ("", "", None)

    supplier = SupplierFactory()
    insert_rows(
        Product,
        ["supplier_id", "sku", "name", "unit_label", "case_size", "unit_price", "vat_rate"]
        + ["active"],
        [[supplier.pk, "SKU-1", "Beurre", "plaquette", 10, "1.8500", "5.50", True]],
    )
    assert Product.objects.get(sku="SKU-1").category == ""
