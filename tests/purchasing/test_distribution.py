"""Distribution of a received order (issue 17, points 1-4; docs/distribution.md): the
delivery notes (units and lots exactly those of the invoices and the stock), the hub's
picking list (totals equal to the receipt), the day's tour, where the supplier delivers,
tour positions; tenancy, query counts and bad input."""

import csv
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import StockLot
from mache.formats import format_date
from purchasing import distribution
from purchasing.models import Allocation, InvoiceLine, Round
from purchasing.pdf import purchase_order_pdf
from shops.models import Cooperative, Shop, User
from shops.services import cooperative_update
from tests.factories import ShopFactory, UserFactory
from tests.helpers import page_count, pdf_text, squeezed
from tests.shops.test_cooperative_page import form as cooperative_form

from .distribution_helpers import TOMME_LOT, YAOURT_LOT, distributed_round


@pytest.fixture
def world(db):
    return distributed_round()


@pytest.fixture
def coord(api, db):
    return api.as_user(UserFactory(username="coord", role=User.Role.COORDINATOR))


def notes_url(world, **query):
    url = f"/api/supplier-orders/{world['supplier_order'].pk}/delivery-notes/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def received(world):
    """{(shop id, product id): units received}, from the allocations."""
    return {
        (a.shop_id, a.product_id): a.received
        for a in Allocation.objects.filter(supplier_order=world["supplier_order"])
    }


# --- Pure rules -------------------------------------------------------------------------


def shop(pk, name, position=None, lat=None, lon=None):
    return SimpleNamespace(pk=pk, name=name, tour_position=position, latitude=lat, longitude=lon)


def test_tour_order_is_position_then_name_for_shops_without():
    shops = [shop(1, "Zèbre"), shop(2, "Alpha", 3), shop(3, "beta"), shop(4, "Gamma", 1)]
    assert [s.pk for s in distribution.in_tour_order(shops)] == [4, 2, 3, 1]


def test_the_picking_matrix_sums_per_product_and_per_shop():
    a, b = shop(1, "A", 2), shop(2, "B", 1)
    p, q = SimpleNamespace(pk=10, name="Pain"), SimpleNamespace(pk=11, name="Beurre")
    matrix = distribution.picking_matrix([(a, p, 3), (b, p, 2), (a, q, 5), (b, q, 0)])
    assert [s.pk for s in matrix.shops] == [2, 1]
    assert [(r.product.name, r.units, r.total) for r in matrix.rows] == [
        ("Beurre", [0, 5], 5),
        ("Pain", [2, 3], 5),
    ]
    assert (matrix.shop_totals, matrix.total) == ([2, 8], 10)


def test_the_shortest_route_visits_the_nearest_first_and_puts_shops_without_coordinates_last():
    shops = [
        shop(1, "Loin", 1, Decimal("48.30"), Decimal("-1.50")),
        shop(2, "Près", 2, Decimal("48.10"), Decimal("-1.50")),
        shop(3, "Milieu", 3, Decimal("48.20"), Decimal("-1.50")),
        shop(4, "Sans coordonnées", 4),
    ]
    order = distribution.route_order((48.0, -1.5), shops)
    assert [s.name for s in order] == ["Près", "Milieu", "Loin", "Sans coordonnées"]
    # 2-opt undoes a crossing that nearest neighbour leaves.
    square = [
        shop(1, "a", 1, Decimal("0"), Decimal("1")),
        shop(2, "b", 2, Decimal("1"), Decimal("1")),
        shop(3, "c", 3, Decimal("1"), Decimal("0")),
    ]
    assert [s.name for s in distribution.route_order((0.0, 0.0), square)] in (
        ["a", "b", "c"],
        ["c", "b", "a"],
    )


# --- Delivery notes -----------------------------------------------------------------------


def test_each_note_has_the_units_and_lots_of_the_invoice_and_the_stock(world, coord, tmp_path):
    response = coord.get(notes_url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert page_count(pdf, tmp_path) == 3
    tomme, yaourts = world["tomme"], world["yaourts"]
    units = received(world)
    assert sum(units[(s.pk, tomme.pk)] for s in world["tour"]) == 10  # 2 short of 12
    for page, shop_ in enumerate(world["tour"], start=1):  # one page per shop, tour order
        text = squeezed(pdf_text(pdf, tmp_path, page=page))
        assert f"Bon de livraison n° {world['supplier_order'].pk}-{shop_.pk}" in text
        assert shop_.name in text
        invoiced = {
            line.product_id: line.quantity
            for line in InvoiceLine.objects.filter(
                invoice=world["invoices"][shop_.pk], kind=InvoiceLine.Kind.GOODS
            )
        }
        lots = {
            lot.product_id: lot
            for lot in StockLot.objects.filter(shop=shop_, movement__kind="receipt")
        }
        for product, (code, expires_on) in ((tomme, TOMME_LOT), (yaourts, YAOURT_LOT)):
            allocation = Allocation.objects.filter(
                supplier_order=world["supplier_order"], shop=shop_, product=product
            ).first()
            if allocation is None:
                assert product.name not in text
                continue
            got = allocation.received
            # The note, the invoice and the stock agree on units and lot.
            assert invoiced[product.pk] == got
            assert (lots[product.pk].initial, lots[product.pk].code) == (got, code)
            assert lots[product.pk].expires_on == expires_on
            short = allocation.allocated - got
            row = (
                f"{product.name} {product.unit_label} {allocation.allocated} {got} "
                f"{short if short else ''}".strip()
                + f" {code} {format_date(expires_on)}"
            )
            assert " ".join(row.split()) in text
        assert "LIVRÉ PAR" in text and "REÇU PAR" in text
        assert f"Unités livrées {sum(invoiced.values())}" in text


def test_the_notes_say_the_shortfall(world, coord, tmp_path):
    shorts = {
        a.shop_id: a.allocated - a.received
        for a in Allocation.objects.filter(
            supplier_order=world["supplier_order"], product=world["tomme"]
        )
    }
    assert sum(shorts.values()) == 2
    text = squeezed(pdf_text(coord.get(notes_url(world)).content, tmp_path))
    assert "Les unités manquantes ne sont pas facturées" in text
    for shop_id, short in shorts.items():
        pdf = coord.get(notes_url(world, shop=shop_id)).content
        assert f"Unités manquantes {short}" in squeezed(pdf_text(pdf, tmp_path))


def test_a_shopkeeper_gets_only_the_note_of_their_shop(world, api, tmp_path):
    romazy = world["romazy"]
    keeper = api.as_user(UserFactory(role=User.Role.SHOPKEEPER, shops=[romazy]))
    own = keeper.get(notes_url(world))
    assert own.status_code == 200
    text = pdf_text(own.content, tmp_path)
    assert romazy.name in text and world["sens"].name not in text
    assert page_count(own.content, tmp_path) == 1
    assert keeper.get(notes_url(world, shop=romazy.pk)).status_code == 200
    assert keeper.get(notes_url(world, shop=world["sens"].pk)).status_code == 404
    # A supplier order serving none of their shops does not exist for them.
    stranger = api.as_user(UserFactory(role=User.Role.SHOPKEEPER, shops=[ShopFactory()]))
    assert stranger.get(notes_url(world)).status_code == 404
    # The picking list and the tour are the coordinator's.
    keeper = api.as_user(UserFactory(role=User.Role.SHOPKEEPER, shops=[romazy]))
    order = world["supplier_order"].pk
    assert keeper.get(f"/api/supplier-orders/{order}/picking-list/").status_code == 403
    day = world["round"].delivery_date.isoformat()
    assert keeper.get(f"/api/tours/{day}/").status_code == 403


def test_notes_wait_for_the_receipt_and_refuse_bad_input(db, coord):
    world = distributed_round(receive=False)
    response = coord.get(notes_url(world))
    assert response.status_code == 409
    assert response.json()["code"] == "not_received"
    assert coord.get(notes_url(world, shop="abc")).status_code == 400
    assert coord.get(notes_url(world, shop=999999)).status_code == 404
    assert coord.get("/api/supplier-orders/999999/delivery-notes/").status_code == 404


def test_notes_take_a_fixed_number_of_queries(world, coord):
    # The first download renders and stores the notes (docs/documents.md): the
    # selector's queries and the document's row; later ones read that row only.
    with CaptureQueriesContext(connection) as all_shops:
        assert coord.get(notes_url(world)).status_code == 200
    with CaptureQueriesContext(connection) as one_shop:
        assert coord.get(notes_url(world, shop=world["sens"].pk)).status_code == 200
    assert len(all_shops) == len(one_shop)
    assert len(all_shops) <= 10, [q["sql"] for q in all_shops.captured_queries]
    with CaptureQueriesContext(connection) as stored:
        assert coord.get(notes_url(world)).status_code == 200
    assert len(stored) <= 4, [q["sql"] for q in stored.captured_queries]


# --- Picking list -------------------------------------------------------------------------


def test_the_picking_list_csv_totals_equal_the_receipt(world, coord):
    order = world["supplier_order"]
    response = coord.get(f"/api/supplier-orders/{order.pk}/picking-list/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    tour = world["tour"]
    assert rows[0] == [
        "Référence",
        "Produit",
        *(f"{n}. {s.name}" for n, s in enumerate(tour, 1)),
        "Total",
    ]
    units = received(world)
    by_sku = {row[0]: row for row in rows[1:-1]}
    assert set(by_sku) == {"TOM", "YAO"}, rows
    for product in (world["tomme"], world["yaourts"]):
        row = by_sku[product.sku]
        assert row[2:-1] == [str(units.get((s.pk, product.pk)) or 0) for s in tour]
        line = order.lines.get(product=product)
        assert int(row[-1]) == line.received_units
    assert rows[-1][-1] == str(sum(line.received_units for line in order.lines.all()))


def test_the_picking_list_pdf(world, coord, tmp_path):
    order = world["supplier_order"]
    response = coord.get(f"/api/supplier-orders/{order.pk}/picking-list/?format=pdf")
    assert response.status_code == 200
    text = squeezed(pdf_text(response.content, tmp_path))
    assert f"Liste de préparation — commande n° {order.pk}" in text
    assert (
        "Ordre de la tournée : 1. Bar de Vieux-Vy · 2. Épicerie de Romazy · "
        "3. Boulangerie de Sens" in text
    )
    units = received(world)
    yaourts = world["yaourts"]
    tomme = world["tomme"]
    assert (
        f"Tomme du Coglais (TOM) {units[(world['vieux_vy'].pk, tomme.pk)]} "
        f"{units[(world['romazy'].pk, tomme.pk)]} {units[(world['sens'].pk, tomme.pk)]} 10"
    ) in text
    assert "Yaourts nature (YAO) 6 6 12" in text
    assert (yaourts.pk,) and "Prévisionnel" not in text
    assert (
        coord.get(f"/api/supplier-orders/{order.pk}/picking-list/?format=xlsx").status_code == 400
    )


# --- The day's tour -----------------------------------------------------------------------


def test_the_tour_lists_the_shops_in_order_with_what_to_drop(world, coord, tmp_path):
    day = world["round"].delivery_date
    body = coord.get(f"/api/tours/{day.isoformat()}/").json()
    assert body["delivery_date"] == day.isoformat()
    assert [s["name"] for s in body["stops"]] == [s.name for s in world["tour"]]
    assert [s["stop"] for s in body["stops"]] == [1, 2, 3]
    first = body["stops"][0]
    assert (first["phone"], first["opening_hours"], first["tour_position"]) == (
        "02 99 33 44 55",
        "Tous les jours 7h-20h",
        1,
    )
    units = received(world)
    for stop in body["stops"]:
        [drop] = stop["drops"]
        assert drop["supplier_order"] == world["supplier_order"].pk
        assert drop["supplier"] == "Fromagerie du Coglais"
        assert {line["product"]: line["units"] for line in drop["lines"]} == {
            product: n for (shop_id, product), n in units.items() if shop_id == stop["shop"] and n
        }
    pdf = coord.get(f"/api/tours/{day.isoformat()}/?format=pdf")
    assert pdf.status_code == 200
    text = squeezed(pdf_text(pdf.content, tmp_path))
    assert f"Feuille de tournée du {format_date(day)}" in text
    assert text.index("1. Bar de Vieux-Vy") < text.index("2. Épicerie de Romazy")
    assert text.index("2. Épicerie de Romazy") < text.index("3. Boulangerie de Sens")
    assert "Tél. 02 99 00 11 22" in text and "Horaires : Mar-sam 8h-12h30" in text
    # Another day: nothing to deliver.
    other = coord.get(f"/api/tours/{(day + dt.timedelta(days=1)).isoformat()}/").json()
    assert other["stops"] == []


def test_the_tour_leaves_out_rounds_delivered_to_each_shop(world, coord):
    Round.objects.filter(pk=world["round"].pk).update(delivery=Round.Delivery.SHOPS)
    day = world["round"].delivery_date.isoformat()
    assert coord.get(f"/api/tours/{day}/").json()["stops"] == []


def test_the_tour_by_shortest_route(world, coord):
    Shop.objects.filter(pk=world["sens"].pk).update(latitude="48.10", longitude="-1.50")
    Shop.objects.filter(pk=world["romazy"].pk).update(latitude="48.30", longitude="-1.50")
    Shop.objects.filter(pk=world["vieux_vy"].pk).update(latitude="48.20", longitude="-1.50")
    day = world["round"].delivery_date.isoformat()
    body = coord.get(f"/api/tours/{day}/?order=route").json()
    names = [s["name"] for s in body["stops"]]
    # From the first stop of the tour (the hub has no coordinates), the nearest next.
    assert names == ["Bar de Vieux-Vy", "Boulangerie de Sens", "Épicerie de Romazy"] or names == [
        "Bar de Vieux-Vy",
        "Épicerie de Romazy",
        "Boulangerie de Sens",
    ]
    assert body["order"] == "route"


@pytest.mark.parametrize(
    "path", ["/api/tours/demain/", "/api/tours/2026-13-01/", "/api/tours/20261126/"]
)
def test_a_bad_tour_date_is_400(coord, path):
    response = coord.get(path)
    assert response.status_code == 400
    assert "delivery_date" in response.json()


def test_a_bad_tour_format_is_400(world, coord):
    day = world["round"].delivery_date.isoformat()
    assert coord.get(f"/api/tours/{day}/?format=csv").status_code == 400
    assert coord.get(f"/api/tours/{day}/?order=alphabet").status_code == 400


def test_the_tour_takes_a_fixed_number_of_queries(world, coord):
    day = world["round"].delivery_date.isoformat()
    with CaptureQueriesContext(connection) as queries:
        assert coord.get(f"/api/tours/{day}/").status_code == 200
    first = len(queries)
    distributed_round_again = ShopFactory(name="Ajout", tour_position=9)
    assert distributed_round_again.pk
    with CaptureQueriesContext(connection) as queries:
        assert coord.get(f"/api/tours/{day}/").status_code == 200
    assert len(queries) == first <= 6


# --- Where the supplier delivers ------------------------------------------------------------


def test_the_purchase_order_says_where_the_supplier_delivers(world, tmp_path):
    order = world["supplier_order"]
    text = squeezed(pdf_text(purchase_order_pdf(order), tmp_path))
    assert "Livraison à la plateforme : Plateforme MACHE, ZA du Lindon, 35630 Hédé-Bazouges" in text
    Round.objects.filter(pk=world["round"].pk).update(delivery=Round.Delivery.SHOPS)
    order.refresh_from_db()
    text = squeezed(pdf_text(purchase_order_pdf(order), tmp_path))
    assert "Livraison dans chaque commerce (adresses ci-dessous)" in text
    assert "Livraison à la plateforme" not in text
    assert text.index(
        "Bar de Vieux-Vy : 1 place du Bourg, 35490 Vieux-Vy-sur-Couesnon"
    ) < text.index("Épicerie de Romazy : 3 rue de l'Église, 35490 Romazy")


# --- Tour positions -------------------------------------------------------------------------


def test_a_tour_position_shared_by_two_shops_is_400_on_the_field(world, coord, client):
    romazy, sens = world["romazy"], world["sens"]
    taken = "Un autre commerce occupe déjà cette place dans la tournée."
    response = coord.patch(f"/api/shops/{sens.pk}/", {"tour_position": 2}, format="json")
    assert response.status_code == 400
    assert response.json() == {"tour_position": [taken]}
    sens.refresh_from_db()
    assert sens.tour_position is None  # nothing written
    # Its own place again, or a free one: accepted.
    own = coord.patch(f"/api/shops/{romazy.pk}/", {"tour_position": 2}, format="json")
    assert own.status_code == 200
    free = coord.patch(f"/api/shops/{sens.pk}/", {"tour_position": 3}, format="json")
    assert free.status_code == 200
    sens.refresh_from_db()
    assert sens.tour_position == 3


def test_the_rounds_api_sets_where_the_supplier_delivers(world, coord):
    round_ = world["round"]
    body = coord.get(f"/api/rounds/{round_.pk}/").json()
    assert body["delivery"] == "hub"
    supplier = world["supplier"].pk
    now = dt.datetime.now(dt.UTC)
    created = coord.post(
        "/api/rounds/",
        {
            "supplier": supplier,
            "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(days=2)).isoformat(),
            "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
            "delivery": "shops",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["delivery"] == "shops"
    new = created.json()["id"]
    response = coord.patch(f"/api/rounds/{new}/", {"delivery": "hub"}, format="json")
    assert response.status_code == 200
    assert Round.objects.get(pk=new).delivery == "hub"
    bad = coord.patch(f"/api/rounds/{new}/", {"delivery": "drone"}, format="json")
    assert bad.status_code == 400 and "delivery" in bad.json()
    assert Round.objects.get(pk=new).delivery == "hub"
    # A received round is no longer changed.
    assert (
        coord.patch(f"/api/rounds/{round_.pk}/", {"delivery": "shops"}, format="json").status_code
        == 409
    )


def test_the_member_form_says_a_shared_tour_position_beside_the_field(world, client):
    from tests.shops.test_member_pages import new_shop_form

    client.force_login(UserFactory(role=User.Role.COORDINATOR))
    sens = world["sens"]
    data = {**new_shop_form(), "name": sens.name, "siret": sens.siret, "tour_position": "1"}
    response = client.post(f"/coordination/membres/{sens.pk}/modifier/", data)
    assert response.status_code == 200  # the form again, as every refused member form
    assert response.context["form"].errors["tour_position"] == [
        "Un autre commerce occupe déjà cette place dans la tournée."
    ]
    sens.refresh_from_db()
    assert (sens.name, sens.tour_position) == ("Boulangerie de Sens", None)


def test_the_shortest_route_starts_at_the_hub_when_its_coordinates_are_known(world, coord):
    # North to south: the hub, Romazy, Vieux-Vy, Sens; the tour's own order differs.
    Shop.objects.filter(pk=world["sens"].pk).update(latitude="48.10", longitude="-1.50")
    Shop.objects.filter(pk=world["romazy"].pk).update(latitude="48.30", longitude="-1.50")
    Shop.objects.filter(pk=world["vieux_vy"].pk).update(latitude="48.20", longitude="-1.50")
    # The coordinator types the hub's coordinates on the cooperative's page.
    cooperative_update(data={"hub_latitude": Decimal("48.35"), "hub_longitude": Decimal("-1.5")})
    day = world["round"].delivery_date.isoformat()
    names = [s["name"] for s in coord.get(f"/api/tours/{day}/?order=route").json()["stops"]]
    assert names == ["Épicerie de Romazy", "Bar de Vieux-Vy", "Boulangerie de Sens"]
    # From the south, the other way round.
    cooperative_update(data={"hub_latitude": Decimal("48.00"), "hub_longitude": Decimal("-1.5")})
    names = [s["name"] for s in coord.get(f"/api/tours/{day}/?order=route").json()["stops"]]
    assert names == ["Boulangerie de Sens", "Bar de Vieux-Vy", "Épicerie de Romazy"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"latitude": "48.1"}, "latitude"),  # one coordinate alone
        ({"latitude": "91", "longitude": "2"}, "latitude"),
        ({"latitude": "48", "longitude": "-181"}, "longitude"),
        # In range, but outside France: a misplaced decimal point, a dropped minus sign.
        ({"latitude": "48.11", "longitude": "16.8"}, "latitude"),
        ({"latitude": "-48.11", "longitude": "-1.68"}, "latitude"),
    ],
)
def test_coordinates_come_in_pairs_within_range(world, coord, client, body, field):
    shop = world["sens"]
    response = coord.patch(f"/api/shops/{shop.pk}/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    shop.refresh_from_db()
    assert (shop.latitude, shop.longitude) == (None, None)
    # The hub's, on the cooperative's page: said beside the field, nothing written.
    client.force_login(User.objects.filter(role=User.Role.COORDINATOR).first())
    hub = {f"hub_{name}": value.replace(".", ",") for name, value in body.items()}
    response = client.post("/coordination/cooperative/", cooperative_form(**hub))
    assert response.status_code == 400
    assert response.context["form"].errors[f"hub_{field}"]
    assert Cooperative.objects.get().hub_latitude is None


def test_a_tour_position_of_0_is_400_on_the_field(world, coord):
    sens = world["sens"]
    response = coord.patch(f"/api/shops/{sens.pk}/", {"tour_position": 0}, format="json")
    assert response.status_code == 400
    assert response.json() == {"tour_position": ["La tournée commence à 1 (le premier arrêt)."]}
    sens.refresh_from_db()
    assert sens.tour_position is None
