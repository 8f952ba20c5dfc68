"""The cooperative's impact (docs/impact.md, worker/impact.py) over a year of trade built
through the services: rounds consolidated and received (invoices issued), a credit note,
a supplementary invoice. Every figure is checked against the invoices' and credit notes'
lines summed here, line by line, with the suppliers' places and the products' labels
written out by hand: never through worker.impact's own code."""

import copy
import datetime as dt
from contextlib import contextmanager
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from mache.formats import format_eur, format_rate
from mache.periods import PARIS, paris_today
from purchasing.models import CreditNoteLine, InvoiceLine, Round
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.receipt import supplier_order_receive
from purchasing.services.supplier_differences import supplier_differences_settle
from shops.models import Cooperative, Shop, User
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
from tests.helpers import built_for_the_module, page_text, tables_digest
from worker.impact import QUERIES, impact_by_month, impact_figures
from worker.reports import cooperative_report_data

ZERO = D("0.00")

# The hub in Rennes; the suppliers' places (great-circle distances to the hub).
HUB = (D("48.11198"), D("-1.67429"))
SAINT_AUBIN = (D("48.26064"), D("-1.60175"))  # about 17 km
SAINT_MALO = (D("48.64939"), D("-2.02570"))  # about 66 km
NANTES = (D("47.21837"), D("-1.55362"))  # about 100 km
LYON = (D("45.76404"), D("4.83566"))  # about 560 km

FARM, BISCUITS, WHOLESALER, HONEY = (
    "Ferme du Bois",
    "Biscuiterie de Saint-Malo",
    "Grossiste national",
    "Rucher sans coordonnées",
)
LOCAL = {FARM, BISCUITS}  # within 80 km of the hub
ORGANIC = {
    "Yaourts fermiers",
    "Galettes bio",
    "Riz bio",
    "Miel",
}  # their labels, or their supplier's


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=PARIS)


@contextmanager
def clock_at(moment: dt.datetime):
    """The services date receipts and invoices "now": set now to a day of the year
    being built. The clock, not the database, is what is replaced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


def receive(supplier, orders, *, year: int, month: int, day: int):
    """A round of `supplier`: the shops' orders [(shop, [(product, units)])] placed on
    the 1st, its deadline, consolidation and receipt in full on `day` of `month` of
    `year`. Returns the supplier order and the invoices by shop id."""
    round_ = RoundFactory(supplier=supplier)
    Round.objects.filter(pk=round_.pk).update(
        opens_at=at(year, month, 1, 8),
        closes_at=at(year, month, day, 8),
        delivery_date=dt.date(year, month, day),
    )
    for index, (shop, lines) in enumerate(orders):
        make_order(
            round_,
            shop,
            *[(product, units, 0) for product, units in lines],
            created_at=at(year, month, 1, 9) + dt.timedelta(minutes=index),
        )
    with clock_at(at(year, month, day, 10)):
        supplier_order = round_consolidate(round_id=round_.pk)
        invoices = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    return supplier_order, {invoice.shop_id: invoice for invoice in invoices}


def build_year() -> dict:
    """The last finished year (receipts, credit notes and invoices refuse future dates):
    four suppliers (a local organic producer, a local processor, a far wholesaler, a
    producer without coordinates) and five rounds, a credit note in March on a February
    invoice, a supplementary invoice in July completing June's round."""
    number = paris_today().year - 1
    start, end = dt.date(number, 1, 1), dt.date(number, 12, 31)
    CooperativeFactory(hub_latitude=HUB[0], hub_longitude=HUB[1], local_radius_km=80)
    farm = SupplierFactory(
        name=FARM,
        kind="producer",
        commune="Saint-Aubin-d'Aubigné",
        latitude=SAINT_AUBIN[0],
        longitude=SAINT_AUBIN[1],
        labels=["AB"],
        shipping_fee=D("15.00"),
        free_shipping_threshold=D("200.00"),
    )
    biscuits = SupplierFactory(
        name=BISCUITS,
        kind="processor",
        commune="Saint-Malo",
        latitude=SAINT_MALO[0],
        longitude=SAINT_MALO[1],
        shipping_fee=D("20.00"),
        free_shipping_threshold=D("100.00"),
    )
    wholesaler = SupplierFactory(
        name=WHOLESALER,
        kind="wholesaler",
        commune="Lyon",
        latitude=LYON[0],
        longitude=LYON[1],
        shipping_fee=D("30.00"),
        free_shipping_threshold=D("500.00"),
    )
    honey = SupplierFactory(name=HONEY, kind="producer", labels=["AB"], shipping_fee=D("12.00"))

    def product(supplier, name, price, labels=()):
        return ProductFactory(
            supplier=supplier,
            name=name,
            case_size=1,
            unit_price=D(price),
            vat_rate=D("5.50"),
            labels=list(labels),
        )

    yoghurts = product(farm, "Yaourts fermiers", "0.9000")  # the farm's AB
    butter = product(farm, "Beurre", "2.4000", ["LABEL_ROUGE"])  # its own labels: not organic
    galettes = product(biscuits, "Galettes bio", "2.2000", ["AB"])
    shortbread = product(biscuits, "Sablés", "1.8000")
    rice = product(wholesaler, "Riz bio", "1.5000", ["AB"])
    add_tiers(rice, (30, "1.3500"))  # the shops together reach the volume price
    oil = product(wholesaler, "Huile", "3.1000")
    honey_jar = product(honey, "Miel", "6.5000")  # the beekeeper's AB

    rimou = ShopFactory(name="Épicerie de Rimou", zone=Shop.Zone.RURAL, inhabitants=300)
    blosne = ShopFactory(name="Épicerie du Blosne", zone=Shop.Zone.QPV, inhabitants=None)
    vieux_vy = ShopFactory(name="Bar de Vieux-Vy", zone=Shop.Zone.RURAL, inhabitants=400)
    # Joined in October: a member for the year and from October only.
    city = ShopFactory(
        name="Épicerie des Lices",
        zone=Shop.Zone.URBAN,
        inhabitants=5000,
        joined_on=dt.date(number, 10, 1),
    )
    # Never members that year: a candidate, a shop that left the year before.
    ShopFactory(name="Candidat", status=Shop.Status.CANDIDATE, joined_on=None, inhabitants=9)
    ShopFactory(
        name="Parti",
        status=Shop.Status.LEFT,
        joined_on=dt.date(number - 3, 1, 1),
        left_on=dt.date(number - 1, 6, 30),
        inhabitants=7,
    )

    _, february = receive(
        farm,
        [
            (rimou, [(yoghurts, 40), (butter, 10)]),
            (blosne, [(yoghurts, 30)]),
            (vieux_vy, [(yoghurts, 20), (butter, 5)]),
        ],
        year=number,
        month=2,
        day=10,
    )
    receive(
        biscuits,
        [(rimou, [(galettes, 24), (shortbread, 12)]), (blosne, [(galettes, 12)])],
        year=number,
        month=4,
        day=14,
    )
    june_order, _ = receive(
        wholesaler,
        [
            (rimou, [(rice, 20), (oil, 6)]),
            (blosne, [(rice, 15)]),
            (vieux_vy, [(rice, 10), (oil, 4)]),
        ],
        year=number,
        month=6,
        day=9,
    )
    receive(
        honey,
        [(rimou, [(honey_jar, 6)]), (vieux_vy, [(honey_jar, 4)])],
        year=number,
        month=9,
        day=15,
    )
    receive(farm, [(rimou, [(yoghurts, 50)]), (city, [(butter, 8)])], year=number, month=12, day=3)

    # March: 5 yoghurts of February taken back from Rimou, and a part of its fee.
    invoice = february[rimou.pk]
    yoghurt_line = invoice.lines.get(product=yoghurts)
    fee_line = invoice.lines.get(kind="fee")
    credit_note_issue(
        invoice_id=invoice.pk,
        reason="Yaourts abîmés",
        issued_on=dt.date(number, 3, 5),
        lines=[
            {"invoice_line": yoghurt_line.pk, "quantity": 5},
            {
                "label": "Frais de service",
                "amount_excl_vat": D("0.10"),
                "vat_rate": fee_line.vat_rate,
                "kind": "fee",
            },
        ],
    )
    # July: the wholesaler billed 0.90 more rice than the shops were invoiced for.
    with clock_at(at(number, 7, 6, 10)):
        _, supplements = supplier_differences_settle(
            supplier_order=june_order,
            deltas={rice.pk: D("0.90")},
            issued_on=dt.date(number, 7, 6),
            reason="Facture fournisseur G-7",
        )
    assert len(supplements) == 3
    return {
        "number": number,
        "start": start,
        "end": end,
        "period": {"from": start.isoformat(), "to": end.isoformat()},  # the API's query
        "shops": {"rimou": rimou, "blosne": blosne, "vieux_vy": vieux_vy, "city": city},
        "suppliers": {"farm": farm, "biscuits": biscuits, "wholesaler": wholesaler},
    }


@pytest.fixture(scope="module")
def built_year(django_db_setup, django_db_blocker):
    """The year, built once for the module's tests (tests/helpers.py)."""
    yield from built_for_the_module(django_db_blocker, build_year)


@pytest.fixture
def year(built_year, db):
    """The built year; what the test writes is rolled back at its end, and its instances
    are its own."""
    return copy.deepcopy(built_year)


# --- The figures as the lines say them, summed here -----------------------------------


def document_lines():
    """(day, shop id, supplier, product name or None, kind, signed amount) of every
    invoice and credit note line: a supplementary invoice on its round invoice's day, a
    credit note on its own day, negative."""
    rows = []
    for line in InvoiceLine.objects.select_related(
        "invoice__supplements", "invoice__round__supplier", "product"
    ):
        invoice = line.invoice
        day = invoice.supplements.issued_on if invoice.supplements_id else invoice.issued_on
        name = line.product.name if line.product_id else None
        rows.append(
            (day, invoice.shop_id, invoice.round.supplier.name, name, line.kind, line.amount)
        )
    for line in CreditNoteLine.objects.select_related(
        "credit_note__invoice__round__supplier", "product"
    ):
        note = line.credit_note
        name = line.product.name if line.product_id else None
        supplier = note.invoice.round.supplier.name
        rows.append((note.issued_on, note.shop_id, supplier, name, line.kind, -line.amount))
    return rows


def expected(start, end, *, shop=None, local=LOCAL):
    rows = [
        row
        for row in document_lines()
        if start <= row[0] <= end and (shop is None or row[1] == shop.pk)
    ]
    goods = [row for row in rows if row[4] == "goods"]
    purchases = sum((row[5] for row in goods), ZERO)
    local_amount = sum((row[5] for row in goods if row[2] in local), ZERO)
    organic = sum((row[5] for row in goods if row[3] in ORGANIC), ZERO)
    by_supplier = {}
    for row in goods:
        by_supplier[row[2]] = by_supplier.get(row[2], ZERO) + row[5]
    farm = by_supplier.get(FARM, ZERO) if FARM in local else ZERO
    return {
        "purchases": purchases,
        "local": local_amount,
        "organic": organic,
        "local_share": share(local_amount, purchases),
        "organic_share": share(organic, purchases),
        "fees": sum((row[5] for row in rows if row[4] == "fee"), ZERO),
        "by_supplier": by_supplier,
        "paid_to_local_producers": farm,
        "local_producers": 1 if farm > 0 else 0,
    }


def share(part, whole):
    if not whole:
        return ZERO
    return (part * 100 / whole).quantize(D("0.01"), rounding="ROUND_HALF_UP")


def assert_matches(impact, wanted):
    assert impact.purchases_excl_vat == wanted["purchases"]
    assert impact.local_excl_vat == wanted["local"]
    assert impact.organic_excl_vat == wanted["organic"]
    assert impact.local_share == wanted["local_share"]
    assert impact.organic_share == wanted["organic_share"]
    assert impact.fees == wanted["fees"]
    assert impact.paid_to_local_producers == wanted["paid_to_local_producers"]
    assert impact.local_producers == wanted["local_producers"]
    assert {s.supplier: s.purchases_excl_vat for s in impact.by_supplier} == wanted["by_supplier"]


# --- The cooperative's year and its months -------------------------------------------


def test_the_years_figures_are_those_of_the_invoices_and_credit_notes(year):
    start, end = year["start"], year["end"]
    impact = impact_figures(start=start, end=end)

    wanted = expected(start, end)
    assert_matches(impact, wanted)
    # The test's own sums, checked by hand: February's farm goods are 40 + 30 + 20
    # yoghurts at 0.90 and 15 butters at 2.40, December's 50 yoghurts and 8 butters,
    # less the 5 yoghurts credited in March.
    assert wanted["by_supplier"][FARM] == D("117.00") + D("64.20") - D("4.50") == D("176.70")
    # Rice at the volume price 1.35 (45 units), oil at 3.10, and the 0.90 billed more.
    assert wanted["by_supplier"][WHOLESALER] == D("60.75") + D("31.00") + D("0.90")
    assert impact.purchases_excl_vat > impact.local_excl_vat > impact.paid_to_local_producers > 0
    assert impact.local_producers == 1  # the farm; the processor is no producer
    assert impact.start == start and impact.end == end and impact.shop_id is None


def test_the_suppliers_are_listed_with_their_kind_place_and_organic_purchases(year):
    start, end = year["start"], year["end"]
    impact = impact_figures(start=start, end=end)

    lines = {s.supplier: s for s in impact.by_supplier}
    assert [s.purchases_excl_vat for s in impact.by_supplier] == sorted(
        (s.purchases_excl_vat for s in impact.by_supplier), reverse=True
    )
    farm, biscuits = lines[FARM], lines[BISCUITS]
    wholesaler, honey = lines[WHOLESALER], lines[HONEY]
    assert (farm.kind, farm.local, biscuits.kind, biscuits.local) == (
        "producer",
        True,
        "processor",
        True,
    )
    assert D("15") < farm.distance_km < D("20") and D("60") < biscuits.distance_km < D("70")
    assert (wholesaler.kind, wholesaler.local) == ("wholesaler", False)
    assert wholesaler.distance_km > D("500")
    # Organic per product: the farm's yoghurts (its AB), not its Label Rouge butter.
    assert farm.organic_excl_vat == D("81.00") + D("45.00") - D("4.50")
    assert biscuits.organic_excl_vat == D("36 ") * D("2.20")  # the galettes only
    assert honey.organic_excl_vat == honey.purchases_excl_vat == D("65.00")


def test_a_producer_without_coordinates_is_not_local_and_is_listed(year):
    start, end = year["start"], year["end"]
    impact = impact_figures(start=start, end=end)

    honey = next(s for s in impact.by_supplier if s.supplier == HONEY)
    assert (honey.kind, honey.local, honey.distance_km) == ("producer", False, None)
    assert honey.distance_text == "sans coordonnées"
    assert impact.without_coordinates == [HONEY]
    assert impact.local_producers == 1  # a producer, but not a local one
    assert impact.paid_to_local_producers == expected(start, end)["by_supplier"][FARM]


def test_each_month_is_its_own_period_and_the_months_add_up_to_the_year(year):
    number, start, end = year["number"], year["start"], year["end"]
    months = impact_by_month(year=number)

    assert [m.start for m in months] == [dt.date(number, n, 1) for n in range(1, 13)]
    for month in months:
        assert_matches(month, expected(month.start, month.end))
        alone = impact_figures(start=month.start, end=month.end)
        assert month == alone
    impact = impact_figures(start=start, end=end)
    for name in ("purchases_excl_vat", "local_excl_vat", "organic_excl_vat", "fees", "savings"):
        assert sum((getattr(m, name) for m in months), ZERO) == getattr(impact, name)
    # The supplementary invoice of July counts in June, with its round's invoice.
    june, july = months[5], months[6]
    assert july.purchases_excl_vat == ZERO
    assert june.by_supplier[0].purchases_excl_vat == D("60.75") + D("31.00") + D("0.90")
    # The credit note of March on February's invoice: March's farm purchases are negative.
    march = months[2]
    assert march.purchases_excl_vat == D("-4.50") and march.fees == D("-0.10")
    assert march.local_share == D("100.00")


def test_the_savings_are_the_monthly_reports_savings(year):
    number = year["number"]
    months = impact_by_month(year=number)

    for month in months:
        report = cooperative_report_data(month=month.start)
        assert (month.savings_volume, month.savings_shipping, month.savings) == (
            report.savings_volume,
            report.savings_shipping,
            report.savings_total,
        )
    assert months[5].savings_volume == D("45") * D("0.15")  # the rice's volume price


def test_a_supplier_moved_out_of_the_radius_changes_the_local_share(year):
    start, end = year["start"], year["end"]
    before = impact_figures(start=start, end=end)
    biscuits = year["suppliers"]["biscuits"]

    biscuits.latitude, biscuits.longitude = NANTES
    biscuits.save()
    moved = impact_figures(start=start, end=end)

    wanted = expected(start, end, local={FARM})
    assert_matches(moved, wanted)
    spent = before.local_excl_vat - moved.local_excl_vat
    assert spent == wanted["by_supplier"][BISCUITS] > 0
    assert moved.local_share < before.local_share
    assert not next(s for s in moved.by_supplier if s.supplier == BISCUITS).local

    # Back in Saint-Malo, a radius lowered to 50 km leaves it out the same way.
    biscuits.latitude, biscuits.longitude = SAINT_MALO
    biscuits.save()
    Cooperative.objects.update(local_radius_km=50)
    lowered = impact_figures(start=start, end=end)
    assert_matches(lowered, wanted)
    assert lowered.local_share == moved.local_share
    assert not next(s for s in lowered.by_supplier if s.supplier == BISCUITS).local


def test_the_shops_figures_add_up_to_the_cooperatives(year):
    start, end = year["start"], year["end"]
    impact = impact_figures(start=start, end=end)
    shops = year["shops"].values()

    alone = {shop.pk: impact_figures(start=start, end=end, shop=shop) for shop in shops}

    for shop in shops:
        assert_matches(alone[shop.pk], expected(start, end, shop=shop))
        assert alone[shop.pk].shop_id == shop.pk
        [zone] = alone[shop.pk].by_zone
        assert (zone.zone, zone.shops) == (shop.zone, 1)
    for name in (
        "purchases_excl_vat",
        "local_excl_vat",
        "organic_excl_vat",
        "paid_to_local_producers",
        "savings",
        "savings_volume",
        "savings_shipping",
        "fees",
    ):
        assert sum((getattr(a, name) for a in alone.values()), ZERO) == getattr(impact, name)
    # The cooperative's table of shops says the same as each shop's own figures.
    for line in impact.by_shop:
        own = alone[line.shop_id]
        assert (line.purchases_excl_vat, line.local_share, line.organic_share) == (
            own.purchases_excl_vat,
            own.local_share,
            own.organic_share,
        )
        assert (line.savings, line.fees) == (own.savings, own.fees)


def test_member_shops_by_zone_with_their_inhabitants(year):
    number, start, end = year["number"], year["start"], year["end"]
    shops = year["shops"]
    impact = impact_figures(start=start, end=end)

    zones = {z.zone: z for z in impact.by_zone}
    assert [z.zone for z in impact.by_zone] == ["rural", "qpv", "urban"]
    rural, qpv, urban = zones["rural"], zones["qpv"], zones["urban"]
    assert (rural.shops, rural.inhabitants, rural.shops_without_inhabitants) == (2, 700, 0)
    assert (qpv.shops, qpv.inhabitants, qpv.shops_without_inhabitants) == (1, 0, 1)
    assert (urban.shops, urban.inhabitants) == (1, 5000)
    wanted = {shop.zone: expected(start, end, shop=shop)["purchases"] for shop in shops.values()}
    wanted["rural"] = (
        expected(start, end, shop=shops["rimou"])["purchases"]
        + expected(start, end, shop=shops["vieux_vy"])["purchases"]
    )
    assert {z.zone: z.purchases_excl_vat for z in impact.by_zone} == wanted
    assert sum((z.purchases_excl_vat for z in impact.by_zone), ZERO) == impact.purchases_excl_vat
    assert {line.shop for line in impact.by_shop} == {s.name for s in shops.values()}
    # January: the city shop had not joined yet.
    january = impact_figures(start=start, end=dt.date(number, 1, 31))
    assert {z.zone: z.shops for z in january.by_zone} == {"rural": 2, "qpv": 1}


def test_the_coordinator_records_the_inhabitants_over_the_api_and_the_page(
    year, api, client, coordinator
):
    """Point 3 counts the inhabitants "when the coordinator records it": the API and the
    member's form take them; the zones say them at once."""
    from tests.shops.test_member_pages import new_shop_form

    start, end = year["start"], year["end"]
    blosne, rimou = year["shops"]["blosne"], year["shops"]["rimou"]
    coordination = api.as_user(coordinator)

    response = coordination.patch(f"/api/shops/{blosne.pk}/", {"inhabitants": 4200}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["inhabitants"] == 4200
    assert coordination.get(f"/api/shops/{rimou.pk}/").json()["inhabitants"] == 300
    qpv = next(z for z in impact_figures(start=start, end=end).by_zone if z.zone == "qpv")
    assert (qpv.inhabitants, qpv.shops_without_inhabitants) == (4200, 0)

    client.force_login(coordinator)
    page = client.get(f"/coordination/membres/{rimou.pk}/modifier/")
    assert 'name="inhabitants"' in page.content.decode()
    form = new_shop_form(
        name=rimou.name,
        legal_name=rimou.legal_name,
        siret=rimou.siret,
        zone=rimou.zone,
        tour_position="",
        inhabitants="320",
    )
    assert client.post(f"/coordination/membres/{rimou.pk}/modifier/", form).status_code == 302
    rimou.refresh_from_db()
    assert rimou.inhabitants == 320
    form["inhabitants"] = ""  # not known: none recorded
    client.post(f"/coordination/membres/{rimou.pk}/modifier/", form)
    rimou.refresh_from_db()
    assert rimou.inhabitants is None


@pytest.mark.parametrize("value", [-1, 3_000_001, "beaucoup", 1.5])
def test_bad_inhabitants_are_400_on_the_field_and_write_nothing(year, api, coordinator, value):
    blosne = year["shops"]["blosne"]
    before = tables_digest(["shops"])

    response = api.as_user(coordinator).patch(
        f"/api/shops/{blosne.pk}/", {"inhabitants": value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["inhabitants"]
    assert tables_digest(["shops"]) == before


def test_a_shopkeeper_does_not_record_the_inhabitants(year, api):
    rimou = year["shops"]["rimou"]
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[rimou])

    response = api.as_user(keeper).patch(
        f"/api/shops/{rimou.pk}/", {"inhabitants": 9999}, format="json"
    )

    assert response.status_code == 403
    rimou.refresh_from_db()
    assert rimou.inhabitants == 300


def test_an_empty_period_has_zero_shares(year, django_assert_max_num_queries):
    number = year["number"]
    with django_assert_max_num_queries(QUERIES):  # no supplier to read: one less
        impact = impact_figures(start=dt.date(number, 8, 1), end=dt.date(number, 8, 31))

    assert impact.purchases_excl_vat == ZERO
    assert (impact.local_share, impact.organic_share) == (ZERO, ZERO)
    assert str(impact.local_share) == "0.00"
    assert impact.by_supplier == [] and impact.without_coordinates == []


# --- Queries -----------------------------------------------------------------------------


def test_a_fixed_number_of_queries_whatever_the_data(year, django_assert_num_queries):
    number, start, end = year["number"], year["start"], year["end"]
    with django_assert_num_queries(QUERIES):
        impact_figures(start=start, end=end)
    with django_assert_num_queries(QUERIES):
        impact_figures(start=start, end=end, shop=year["shops"]["rimou"])
    with django_assert_num_queries(QUERIES):
        impact_by_month(year=number)

    # More suppliers, products and shops: the same count.
    more_shops = [ShopFactory(name=f"Épicerie {n}") for n in range(3)]
    for n in range(2):
        supplier = SupplierFactory(
            name=f"Ferme {n}", kind="producer", latitude=HUB[0], longitude=HUB[1]
        )
        products = [
            ProductFactory(supplier=supplier, case_size=1, labels=["AB"] if k else [])
            for k in range(3)
        ]
        receive(
            supplier,
            [(shop, [(p, 3) for p in products]) for shop in more_shops],
            year=number,
            month=10,
            day=20 + n,
        )
    with django_assert_num_queries(QUERIES):
        impact = impact_figures(start=start, end=end)
    assert impact.local_producers == 3
    with django_assert_num_queries(QUERIES):
        impact_by_month(year=number)


# --- The API ------------------------------------------------------------------------------


def as_api(impact) -> dict:
    """What the API must say of `impact`: amounts and shares as strings, 2 decimals."""
    return {
        "from": impact.start.isoformat(),
        "to": impact.end.isoformat(),
        "purchases_excl_vat": str(impact.purchases_excl_vat),
        "local_excl_vat": str(impact.local_excl_vat),
        "local_share": str(impact.local_share),
        "organic_excl_vat": str(impact.organic_excl_vat),
        "organic_share": str(impact.organic_share),
        "local_producers": impact.local_producers,
        "paid_to_local_producers": str(impact.paid_to_local_producers),
        "savings": str(impact.savings),
        "fees": str(impact.fees),
        "by_supplier": [
            {
                "supplier": s.supplier,
                "kind": s.kind,
                "local": s.local,
                "distance_km": None if s.distance_km is None else str(s.distance_km),
                "purchases_excl_vat": str(s.purchases_excl_vat),
            }
            for s in impact.by_supplier
        ],
        "savings_volume": str(impact.savings_volume),
        "savings_shipping": str(impact.savings_shipping),
        "by_zone": [
            {
                "zone": z.zone,
                "label": z.label,
                "shops": z.shops,
                "inhabitants": z.inhabitants,
                "shops_without_inhabitants": z.shops_without_inhabitants,
                "purchases_excl_vat": str(z.purchases_excl_vat),
            }
            for z in impact.by_zone
        ],
        "without_coordinates": impact.without_coordinates,
        "shop": impact.shop_id,
    }


def test_the_api_says_the_figures_to_the_cent(year, api, coordinator):
    number, start, end, period = year["number"], year["start"], year["end"], year["period"]
    client = api.as_user(coordinator)
    rimou = year["shops"]["rimou"]

    response = client.get("/api/impact/", period)
    assert response.status_code == 200
    body = response.json()
    assert body == as_api(impact_figures(start=start, end=end))
    assert body["local_share"] == str(expected(start, end)["local_share"])
    assert len(body["local_share"].split(".")[1]) == 2
    assert next(s for s in body["by_supplier"] if s["supplier"] == HONEY)["distance_km"] is None
    farm = next(s for s in body["by_supplier"] if s["supplier"] == FARM)
    assert len(farm["distance_km"].split(".")[1]) == 1

    response = client.get("/api/impact/", {**period, "shop": rimou.pk})
    assert response.json() == as_api(impact_figures(start=start, end=end, shop=rimou))
    assert response.json()["shop"] == rimou.pk

    march = {"from": f"{number}-03-01", "to": f"{number}-03-31"}
    assert client.get("/api/impact/", march).json()["purchases_excl_vat"] == "-4.50"


def test_a_shopkeeper_and_an_accountant_see_their_shop_only(year, api):
    start, end, period = year["start"], year["end"], year["period"]
    shops = year["shops"]
    rimou, blosne = shops["rimou"], shops["blosne"]
    own = as_api(impact_figures(start=start, end=end, shop=rimou))
    for role in (User.Role.SHOPKEEPER, User.Role.ACCOUNTANT):
        client = api.as_user(UserFactory(role=role, shops=[rimou]))

        assert client.get("/api/impact/", period).json() == own  # their only shop
        assert client.get("/api/impact/", {**period, "shop": rimou.pk}).json() == own
        assert client.get("/api/impact/", {**period, "shop": blosne.pk}).status_code == 404
        assert client.get("/api/impact/", {**period, "shop": 999999}).status_code == 404
        assert client.post("/api/impact/", period, format="json").status_code == 405

    both = api.as_user(UserFactory(role=User.Role.SHOPKEEPER, shops=[rimou, blosne]))
    response = both.get("/api/impact/", period)
    assert response.status_code == 400
    assert list(response.json()) == ["shop"]
    assert both.get("/api/impact/", {**period, "shop": blosne.pk}).json()["shop"] == blosne.pk
    assert APIClient().get("/api/impact/", period).status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "2025-01-01"}, "to"),
        ({"to": "2025-01-01"}, "from"),
        ({"from": "01/01/2025", "to": "2025-12-31"}, "from"),
        ({"from": "2025-1-1", "to": "2025-12-31"}, "from"),
        ({"from": "20250101", "to": "2025-12-31"}, "from"),
        ({"from": "2025-02-30", "to": "2025-12-31"}, "from"),
        ({"from": "２０２５-01-01", "to": "2025-12-31"}, "from"),
        ({"from": "2025-01-01", "to": "2025-13-01"}, "to"),
        ({"from": "2025-06-01", "to": "2025-05-31"}, "to"),
        ({"from": "2001-01-01", "to": "2011-01-01"}, "to"),
        ({"from": "1999-12-31", "to": "2000-01-31"}, "from"),
        ({"from": "2100-12-31", "to": "2101-01-01"}, "to"),
        ({"from": "2025-01-01", "to": "2025-12-31", "shop": "²"}, "shop"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, coordinator, query, field):
    ShopFactory()
    before = tables_digest(["shops", "purchasing", "worker"])

    response = api.as_user(coordinator).get("/api/impact/", query)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert tables_digest(["shops", "purchasing", "worker"]) == before


def test_ten_years_is_the_longest_period(api, coordinator, db):
    client = api.as_user(coordinator)
    assert client.get("/api/impact/", {"from": "2001-01-01", "to": "2010-12-31"}).status_code == 200
    assert client.get("/api/impact/", {"from": "2024-02-29", "to": "2034-02-28"}).status_code == 200
    assert client.get("/api/impact/", {"from": "2024-02-29", "to": "2034-03-01"}).status_code == 400


def test_the_api_and_the_pages_read_as_many_queries_whatever_the_data(
    year, api, client, coordinator
):
    number, period = year["number"], year["period"]
    api_client = api.as_user(coordinator)
    client.force_login(coordinator)
    shopkeeper = Client()
    shopkeeper.force_login(UserFactory(shops=[year["shops"]["rimou"]]))
    asked = [
        (api_client, "/api/impact/", period),
        (client, "/coordination/impact/", {"year": number}),
        (client, "/coordination/impact/", {"year": number, "month": 6}),
        (shopkeeper, "/impact/", {"year": number}),
    ]

    def counts():
        found = []
        for who, url, query in asked:
            with CaptureQueriesContext(connection) as queries:
                assert who.get(url, query).status_code == 200
            found.append(len(queries))
        return found

    small = counts()
    shop = ShopFactory(name="Épicerie nouvelle")
    for n in range(2):
        supplier = SupplierFactory(
            name=f"Maraîcher {n}", kind="producer", latitude=HUB[0], longitude=HUB[1]
        )
        products = [ProductFactory(supplier=supplier, case_size=1) for _ in range(3)]
        receive(
            supplier,
            [(s, [(p, 4) for p in products]) for s in (shop, year["shops"]["rimou"])],
            year=number,
            month=6 + 5 * n,
            day=4 + n,
        )
    assert counts() == small


# --- The pages ----------------------------------------------------------------------------


def shows(text: str, impact) -> None:
    """The page says the figures of `impact` as the API does, to the cent."""
    for amount in (
        impact.purchases_excl_vat,
        impact.local_excl_vat,
        impact.organic_excl_vat,
        impact.paid_to_local_producers,
        impact.savings,
        impact.savings_volume,
        impact.savings_shipping,
        impact.fees,
    ):
        assert format_eur(amount) in text, amount
    assert format_rate(impact.local_share) in text
    assert format_rate(impact.organic_share) in text
    for line in impact.by_supplier:
        assert line.supplier in text
        assert format_eur(line.purchases_excl_vat) in text


def test_the_coordinators_page_shows_the_apis_figures(year, api, client, coordinator):
    number, start, end, period = year["number"], year["start"], year["end"], year["period"]
    body = api.as_user(coordinator).get("/api/impact/", period).json()
    client.force_login(coordinator)

    response = client.get("/coordination/impact/", {"year": number})

    assert response.status_code == 200
    text = page_text(response)
    impact = impact_figures(start=start, end=end)
    assert body == as_api(impact)
    shows(text, impact)
    assert "Fournisseurs sans coordonnées" in text and HONEY in text
    for line in impact.by_shop:
        assert line.shop in text
    assert "Janvier" in text and "Décembre" in text  # the months of the year
    assert "QPV" in text and "5\u00a0000" in text  # by zone, with inhabitants

    march = client.get("/coordination/impact/", {"year": number, "month": 3})
    shows(page_text(march), impact_figures(start=dt.date(number, 3, 1), end=dt.date(number, 3, 31)))

    rimou = year["shops"]["rimou"]
    one = client.get("/coordination/impact/", {"year": number, "shop": rimou.pk})
    shows(page_text(one), impact_figures(start=start, end=end, shop=rimou))


def test_the_shopkeepers_page_shows_their_shops_figures(year, client):
    number, start, end = year["number"], year["start"], year["end"]
    rimou = year["shops"]["rimou"]
    client.force_login(UserFactory(shops=[rimou]))

    response = client.get("/impact/", {"year": number})

    assert response.status_code == 200
    text = page_text(response)
    shows(text, impact_figures(start=start, end=end, shop=rimou))
    assert year["shops"]["blosne"].name not in text
    assert client.get("/impact/", {"shop": year["shops"]["blosne"].pk}).status_code == 404
    assert client.get("/coordination/impact/").status_code == 403


def test_the_pages_are_linked_from_the_navigation_and_the_homes(year, client, coordinator):
    client.force_login(coordinator)
    assert 'href="/coordination/impact/"' in client.get("/coordination/").content.decode()
    client.force_login(UserFactory(shops=[year["shops"]["rimou"]]))
    assert 'href="/impact/"' in client.get("/commerce/").content.decode()


def test_a_bad_period_on_the_page_is_a_400_said_beside_the_field(year, client, coordinator):
    """Bad input on a page answers 400 as on the API (the statements' pages do the same),
    the error beside its field, no figure shown, nothing written."""
    number = year["number"]
    client.force_login(coordinator)
    shopkeeper = Client()
    shopkeeper.force_login(UserFactory(shops=[year["shops"]["rimou"]]))
    before = tables_digest(["shops", "purchasing", "worker"])

    response = client.get("/coordination/impact/", {"year": "1999", "month": "13"})
    own = shopkeeper.get("/impact/", {"year": str(number), "month": "0"})

    for answer in (response, own):
        assert answer.status_code == 400
        text = page_text(answer)
        assert "Sélectionnez un choix valide" in text
        assert "Achats par la coopérative" not in text
    assert tables_digest(["shops", "purchasing", "worker"]) == before
