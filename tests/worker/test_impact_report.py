"""The impact figures in the monthly reports and the yearly impact report (docs/impact.md):
a small year built with the services (rounds received and invoiced in five months, a
credit note, local, far and unplaced suppliers, organic labels), the PDF read back as
text with poppler, every figure printed compared with worker.impact's and the API's,
formatted in French, to the cent."""

import copy
import datetime as dt
from contextlib import contextmanager
from decimal import Decimal as D

import pytest
from django.utils import timezone

from catalogue.models import SupplierKind
from mache.formats import (
    MONTH_NAMES,
    format_eur,
    format_number,
    format_quantity,
    format_rate,
    plural,
)
from mache.periods import PARIS, last_day_of_month, paris_today
from purchasing.models import CreditNote, Invoice, Round
from purchasing.services.consolidation import round_consolidate
from purchasing.services.credit_notes import credit_note_issue
from purchasing.services.receipt import supplier_order_receive
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
from tests.helpers import (
    built_for_the_module,
    page_count,
    pdf_text,
    plain,
    save_pages_png,
    squeezed,
    tables_digest,
    text_of,
)
from worker.impact import impact_by_month, impact_figures
from worker.reports import (
    cooperative_report_data,
    cooperative_report_pdf,
    shop_report_data,
    shop_report_pdf,
)
from worker.reports.impact_pdf import impact_report_data, impact_report_pdf

# The months the rounds are received in (the others stay empty).
MONTHS = (1, 3, 6, 9, 11)
# Stand for years in the parameters of a test, which reads them as it runs.
NEXT_YEAR, BUILT_YEAR = "<next year>", "<the built year>"


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=PARIS)


@contextmanager
def clock_at(moment: dt.datetime):
    """The services date receipts and invoices "now": the clock is what is replaced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


def receive(supplier, orders, *, year: int, month: int, day: int = 10) -> list[Invoice]:
    """A round of `supplier` whose orders are placed on the 1st and received (then
    invoiced) on `day` of `month` of `year`."""
    round_ = RoundFactory(supplier=supplier)
    Round.objects.filter(pk=round_.pk).update(
        opens_at=at(year, month, 1, 8),
        closes_at=at(year, month, day, 8),
        delivery_date=dt.date(year, month, day),
    )
    for index, (shop, lines) in enumerate(orders):
        created_at = at(year, month, 1, 9) + dt.timedelta(minutes=index)
        make_order(round_, shop, *lines, created_at=created_at)
    with clock_at(at(year, month, day, 10)):
        supplier_order = round_consolidate(round_id=round_.pk)
        return supplier_order_receive(supplier_order_id=supplier_order.pk, received={}, lots={})


def build_year() -> dict:
    """A year that is over (every receipt, invoice and credit note is dated in the past):
    the cooperative (hub near Rennes, radius 80 km), three member shops (two rural,
    one in a QPV, one without its inhabitants) and four suppliers: a local organic
    producer, a local processor with one organic product, a far wholesaler and a
    producer without coordinates; rounds in MONTHS, a credit note in October."""
    number = paris_today().year - 1
    CooperativeFactory(hub_latitude=D("48.11170"), hub_longitude=D("-1.68000"))
    Cooperative.objects.update(local_radius_km=80)
    shops = [
        ShopFactory(name="Épicerie de Rimou", commune="Rimou", inhabitants=320),
        ShopFactory(name="Bar de Vieux-Vy", commune="Vieux-Vy-sur-Couesnon", inhabitants=1150),
        ShopFactory(
            name="Épicerie du Blosne", commune="Rennes", zone=Shop.Zone.QPV, inhabitants=None
        ),
    ]
    farm = SupplierFactory(
        name="Ferme des Prés",
        kind=SupplierKind.PRODUCER,
        commune="Saint-Aubin-d'Aubigné",
        latitude=D("48.26000"),
        longitude=D("-1.60000"),
        labels=["AB"],
        shipping_fee=D("12.00"),
        free_shipping_threshold=D("200.00"),
    )
    dairy = SupplierFactory(
        name="Laiterie de la Vallée",
        kind=SupplierKind.PROCESSOR,
        commune="Vitré",
        latitude=D("48.12400"),
        longitude=D("-1.21000"),
    )
    wholesaler = SupplierFactory(
        name="Grossiste National",
        kind=SupplierKind.WHOLESALER,
        commune="Paris",
        latitude=D("48.85660"),
        longitude=D("2.35220"),
    )
    unplaced = SupplierFactory(name="Maraîcher sans adresse", kind=SupplierKind.PRODUCER)
    vegetables = ProductFactory(supplier=farm, name="Légumes de saison", unit_price=D("2.4000"))
    add_tiers(vegetables, (3, "2.2000"))
    eggs = ProductFactory(supplier=farm, name="Œufs", case_size=12, unit_price=D("0.3500"))
    yoghurt = ProductFactory(
        supplier=dairy, name="Yaourt bio", unit_price=D("0.9000"), labels=["AB"]
    )
    butter = ProductFactory(supplier=dairy, name="Beurre demi-sel", unit_price=D("2.1000"))
    pasta = ProductFactory(supplier=wholesaler, name="Pâtes", unit_price=D("1.1500"))
    salad = ProductFactory(supplier=unplaced, name="Salades", unit_price=D("1.0000"))
    rimou, vieux_vy, blosne = shops
    invoices = []
    invoices += receive(farm, [(rimou, [(vegetables, 24, 0), (eggs, 36, 0)])], year=number, month=1)
    invoices += receive(
        wholesaler,
        [(rimou, [(pasta, 48, 0)]), (blosne, [(pasta, 30, 0)])],
        year=number,
        month=1,
        day=20,
    )
    invoices += receive(
        dairy,
        [(vieux_vy, [(yoghurt, 18, 0), (butter, 12, 0)]), (blosne, [(yoghurt, 6, 0)])],
        year=number,
        month=3,
    )
    invoices += receive(unplaced, [(vieux_vy, [(salad, 30, 0)])], year=number, month=6)
    # Together the two shops reach the farm's volume price and share its shipping.
    invoices += receive(
        farm,
        [(vieux_vy, [(vegetables, 12, 0)]), (blosne, [(vegetables, 12, 0), (eggs, 24, 0)])],
        year=number,
        month=9,
    )
    invoices += receive(wholesaler, [(vieux_vy, [(pasta, 60, 0)])], year=number, month=11)
    # October: a credit note on September's farm invoice to Vieux-Vy (a case of vegetables).
    september = next(
        i
        for i in invoices
        if i.shop_id == vieux_vy.pk and i.round.supplier_id == farm.pk and i.issued_on.month == 9
    )
    credit_note_issue(
        invoice_id=september.pk,
        reason="Légumes abîmés",
        lines=[{"invoice_line": september.lines.get(kind="goods").pk, "quantity": 6}],
        issued_on=dt.date(number, 10, 3),
    )
    coordinator = UserFactory(username="coordination", role=User.Role.COORDINATOR)
    keeper = UserFactory(username="rimou", role=User.Role.SHOPKEEPER, shops=[rimou])
    return {
        "number": number,
        "shops": shops,
        "rimou": rimou,
        "vieux_vy": vieux_vy,
        "blosne": blosne,
        "farm": farm,
        "dairy": dairy,
        "wholesaler": wholesaler,
        "unplaced": unplaced,
        "invoices": invoices,
        "coordinator": coordinator,
        "keeper": keeper,
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


def api_impact(api, user, year: int, **params) -> dict:
    """GET /api/impact/ over `year` (or the given dates) as `user`."""
    query = {"from": f"{year}-01-01", "to": f"{year}-12-31", **params}
    response = api.as_user(user).get("/api/impact/", query)
    assert response.status_code == 200, response.content
    return response.json()


def flat_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text squeezed (tests/helpers.py); pdftotext sometimes drops the space of
    a short right-aligned "0 %": rates are compared without it."""
    return squeezed(pdf_text(pdf, tmp_path)).replace(" %", "%")


def eur(value: str) -> str:
    """An API amount (a string) as the PDF prints it."""
    return plain(format_eur(D(value)))


def rate(value) -> str:
    return plain(format_rate(D(value))).replace(" %", "%")


def key_rows(api: dict, radius: int = 80) -> list[str]:
    """The key figures' rows, as the PDFs print them (pdftotext, squeezed)."""
    producers = plural(api["local_producers"], "producteur", "producteurs")
    return [
        "Achats par la coopérative (marchandises HT, avoirs déduits) "
        f"{eur(api['purchases_excl_vat'])}",
        f"dont produits locaux (fournisseurs à {radius} km au plus) "
        f"{eur(api['local_excl_vat'])} {rate(api['local_share'])}",
        "dont produits bio (AB, Bio Cohérence, Demeter) "
        f"{eur(api['organic_excl_vat'])} {rate(api['organic_share'])}",
        f"Payé aux producteurs locaux {eur(api['paid_to_local_producers'])} {plain(producers)}",
    ]


def as_api(impact) -> dict:
    """worker.impact.Impact with the API's keys and strings (the monthly reports print
    impact_figures: compared the same way)."""
    return {
        "purchases_excl_vat": str(impact.purchases_excl_vat),
        "local_excl_vat": str(impact.local_excl_vat),
        "local_share": str(impact.local_share),
        "organic_excl_vat": str(impact.organic_excl_vat),
        "organic_share": str(impact.organic_share),
        "local_producers": impact.local_producers,
        "paid_to_local_producers": str(impact.paid_to_local_producers),
    }


# --- The yearly report: the API's figures, to the cent ------------------------------------


def test_the_yearly_report_prints_the_apis_figures(year, api, tmp_path):
    number = year["number"]
    figures = api_impact(api, year["coordinator"], number)

    pdf = impact_report_pdf(number)

    pages = page_count(pdf, tmp_path)
    save_pages_png(pdf, tmp_path, "rapport-impact-cooperative", pages=range(1, pages + 1))
    assert pdf.startswith(b"%PDF") and 2 <= pages <= 5
    text = pdf_text(pdf, tmp_path)
    flat = squeezed(text).replace(" %", "%")
    assert "MACHE Test" in text and f"Rapport d'impact {number}" in text
    # The built year is not empty: every kind of figure has something to print.
    for key in ("purchases_excl_vat", "local_excl_vat", "organic_excl_vat", "savings", "fees"):
        assert D(figures[key]) > 0, key
    assert figures["local_producers"] == 1
    for row in key_rows(figures):
        assert row in flat, row
    for label, key in (
        ("Économies de mutualisation", "savings"),
        ("dont prix de volume", "savings_volume"),
        ("dont frais de port partagés", "savings_shipping"),
        ("Frais de service facturés par la coopérative (HT)", "fees"),
    ):
        assert f"{label} {eur(figures[key])}" in flat, label
    # The year's line under the months.
    assert (
        f"Année {number} {eur(figures['purchases_excl_vat'])} {eur(figures['local_excl_vat'])} "
        f"{rate(figures['local_share'])} {eur(figures['organic_excl_vat'])} "
        f"{rate(figures['organic_share'])} {eur(figures['paid_to_local_producers'])}"
    ) in flat
    # The cover's tiles.
    for key in ("purchases_excl_vat", "paid_to_local_producers", "savings", "fees"):
        assert text.count(eur(figures[key])) >= 2, key
    assert flat.count(rate(figures["local_share"])) >= 3  # tile, key figures, chart

    # Suppliers: kind, commune, distance, local, purchases, organic.
    assert [s["supplier"] for s in figures["by_supplier"]] == [
        "Grossiste National",
        "Ferme des Prés",
        "Laiterie de la Vallée",
        "Maraîcher sans adresse",
    ]
    kinds = {"producer": "Producteur", "processor": "Transformateur", "wholesaler": "Grossiste"}
    communes = {
        "Grossiste National": "Paris",
        "Ferme des Prés": "Saint-Aubin-d'Aubigné",
        "Laiterie de la Vallée": "Vitré",
        "Maraîcher sans adresse": "",
    }
    for supplier in figures["by_supplier"]:
        name = supplier["supplier"]
        distance = (
            f"à {format_number(D(supplier['distance_km']))} km".replace(",0 km", " km")
            if supplier["distance_km"] is not None
            else "sans coordonnées"
        )
        row = " ".join(
            part
            for part in (
                name,
                kinds[supplier["kind"]],
                communes[name],
                distance,
                "oui" if supplier["local"] else "non",
                eur(supplier["purchases_excl_vat"]),
            )
            if part
        )
        assert row in flat, row
    assert f"4 fournisseurs {eur(figures['purchases_excl_vat'])}" in flat
    # The producer without coordinates: not local, and listed as such.
    assert figures["without_coordinates"] == ["Maraîcher sans adresse"]
    assert "Maraîcher sans adresse Producteur sans coordonnées non" in flat
    assert "Fournisseur (compté comme non local) Maraîcher sans adresse" in flat

    # Member shops by zone, with their communes' inhabitants.
    zones = {zone["zone"]: zone for zone in figures["by_zone"]}
    assert (zones["rural"]["shops"], zones["rural"]["inhabitants"]) == (2, 1470)
    assert (zones["qpv"]["shops"], zones["qpv"]["shops_without_inhabitants"]) == (1, 1)
    rural = eur(zones["rural"]["purchases_excl_vat"])
    assert f"Rurale 2 {plain(format_quantity(1470))} {rural}" in flat
    assert f"QPV 1 0 {eur(zones['qpv']['purchases_excl_vat'])}" in flat
    assert "Habitants non renseignés pour 1 commerce (non comptés)." in flat
    # The shops of the year, each with the API's figures for that shop.
    for shop in year["shops"]:
        own = api_impact(api, year["coordinator"], number, shop=shop.pk)
        assert (
            f"{shop.name} {'QPV' if shop.zone == 'qpv' else 'Rurale'} "
            f"{eur(own['purchases_excl_vat'])} {rate(own['local_share'])} "
            f"{rate(own['organic_share'])} {eur(own['savings'])}"
        ) in flat, shop.name
    assert "Méthode : ce qui est compté" in text


def test_the_built_year_is_the_invoices_less_the_credit_note(year, api):
    """The figures the report prints come from the invoices and the credit note built."""
    number = year["number"]
    figures = api_impact(api, year["coordinator"], number)

    invoices = Invoice.objects.filter(issued_on__year=number)
    credited = sum(
        line.amount
        for note in CreditNote.objects.filter(issued_on__year=number)
        for line in note.lines.filter(kind="goods")
    )
    assert credited > 0
    assert D(figures["purchases_excl_vat"]) == sum(i.goods_excl_vat for i in invoices) - credited
    assert D(figures["fees"]) == sum(i.fee for i in invoices)
    assert D(figures["savings_volume"]) == sum(i.savings for i in invoices)
    farm = sum(i.goods_excl_vat for i in invoices if i.round.supplier_id == year["farm"].pk)
    assert D(figures["paid_to_local_producers"]) == farm - credited


def test_the_months_add_up_to_the_year(year, tmp_path):
    number = year["number"]
    whole = impact_figures(start=dt.date(number, 1, 1), end=dt.date(number, 12, 31))
    months = impact_by_month(year=number)

    assert len(months) == 12
    for key in (
        "purchases_excl_vat",
        "local_excl_vat",
        "organic_excl_vat",
        "paid_to_local_producers",
        "savings",
        "savings_volume",
        "savings_shipping",
        "fees",
    ):
        assert sum(getattr(m, key) for m in months) == getattr(whole, key), key
    assert [m.purchases_excl_vat != 0 for m in months] == [n in (*MONTHS, 10) for n in range(1, 13)]
    assert months[9].purchases_excl_vat < 0  # October: only the credit note
    # Each month's line of the report is that month's figures.
    flat = flat_text(impact_report_pdf(number), tmp_path)
    for number, month in enumerate(months, start=1):
        row = [
            format_eur(month.purchases_excl_vat),
            format_eur(month.local_excl_vat),
            rate(month.local_share),
            format_eur(month.organic_excl_vat),
            rate(month.organic_share),
            format_eur(month.paid_to_local_producers),
        ]
        name = MONTH_NAMES[number - 1].capitalize()
        assert plain(" ".join([name, *row])) in flat, number


def test_a_shops_yearly_report(year, api, tmp_path):
    number = year["number"]
    rimou = year["rimou"]
    figures = api_impact(api, year["keeper"], number)
    assert figures["shop"] == rimou.pk

    pdf = impact_report_pdf(number, shop=rimou)

    save_pages_png(pdf, tmp_path, "rapport-impact-commerce", pages=(1,))
    text = pdf_text(pdf, tmp_path)
    flat = squeezed(text).replace(" %", "%")
    assert "Épicerie de Rimou (Rimou)" in text
    for row in key_rows(figures):
        assert row in flat, row
    assert f"Zone : Rurale · commune de {plain(format_quantity(320))} habitants." in flat
    # No other shop is named, nor its suppliers.
    assert "Bar de Vieux-Vy" not in text and "Blosne" not in text
    assert "Laiterie de la Vallée" not in text
    assert impact_report_data(year=number, shop=rimou).figures == impact_figures(
        start=dt.date(number, 1, 1), end=dt.date(number, 12, 31), shop=rimou
    )


# --- The monthly reports' section: impact_figures of the month ------------------------------


def test_the_monthly_reports_print_the_months_impact(year, tmp_path):
    number = year["number"]
    september = dt.date(number, 9, 1)
    vieux_vy = year["vieux_vy"]

    shop_data = shop_report_data(shop=vieux_vy, month=september)
    shop_text = flat_text(shop_report_pdf(shop_data), tmp_path)
    january = dt.date(number, 1, 1)
    coop_data = cooperative_report_data(month=january)
    coop_text = flat_text(cooperative_report_pdf(coop_data), tmp_path)

    own = impact_figures(start=september, end=last_day_of_month(september), shop=vieux_vy)
    assert shop_data.impact == own and own.local_producers == 1
    assert "Circuits courts et impact" in shop_text
    for row in key_rows(as_api(own)):
        assert row in shop_text, row
    everyone = impact_figures(start=january, end=last_day_of_month(january))
    assert coop_data.impact == everyone and everyone.purchases_excl_vat > 0
    for row in key_rows(as_api(everyone)):
        assert row in coop_text, row
    for zone in everyone.by_zone:
        assert (
            f"{zone.label} {zone.shops} {plain(format_quantity(zone.inhabitants))} "
            f"{plain(format_eur(zone.purchases_excl_vat))}"
        ) in coop_text


# --- GET /api/impact/report/ ------------------------------------------------------------------


def test_the_coordinator_downloads_the_cooperatives_report(year, api, tmp_path):
    number = year["number"]
    figures = api_impact(api, year["coordinator"], number)

    response = api.as_user(year["coordinator"]).get("/api/impact/report/", {"year": number})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="rapport-impact-{number}.pdf"'
    flat = flat_text(response.content, tmp_path)
    assert all(row in flat for row in key_rows(figures))
    assert "Bar de Vieux-Vy" in flat  # the table of shops
    shop = year["blosne"]
    response = api.as_user(year["coordinator"]).get(
        "/api/impact/report/", {"year": number, "shop": shop.pk}
    )
    assert response.status_code == 200
    own = api_impact(api, year["coordinator"], number, shop=shop.pk)
    flat = flat_text(response.content, tmp_path)
    assert all(row in flat for row in key_rows(own))
    assert "Épicerie de Rimou" not in flat


def test_a_shopkeeper_gets_their_shops_report_only(year, api, tmp_path):
    number = year["number"]
    keeper, rimou = year["keeper"], year["rimou"]
    client = api.as_user(keeper)

    named = client.get("/api/impact/report/", {"year": number, "shop": rimou.pk})
    implied = client.get("/api/impact/report/", {"year": number})
    other = client.get("/api/impact/report/", {"year": number, "shop": year["vieux_vy"].pk})
    missing = client.get("/api/impact/report/", {"year": number, "shop": 987654})

    assert named.status_code == implied.status_code == 200
    assert named["Content-Disposition"] == (
        f'inline; filename="rapport-impact-{number}-epicerie-de-rimou.pdf"'
    )
    for response in (named, implied):
        text = pdf_text(response.content, tmp_path)
        assert "Épicerie de Rimou" in text and "Bar de Vieux-Vy" not in text
    assert other.status_code == missing.status_code == 404
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[rimou])
    assert api.as_user(accountant).get("/api/impact/report/", {"year": number}).status_code == 200
    assert (
        api.as_user(accountant)
        .get("/api/impact/report/", {"year": number, "shop": year["blosne"].pk})
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "year"),
        ({"year": ""}, "year"),
        ({"year": "deux mille"}, "year"),
        ({"year": "1999"}, "year"),
        ({"year": NEXT_YEAR}, "year"),
        ({"year": "99999999999999999999"}, "year"),
        ({"year": BUILT_YEAR, "shop": "abc"}, "shop"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(year, api, params, field):
    # The years named in the parameters, read as the test runs (not at collection).
    years = {NEXT_YEAR: str(paris_today().year + 1), BUILT_YEAR: str(year["number"])}
    params = {key: years.get(value, value) for key, value in params.items()}
    before = tables_digest(["worker", "purchasing", "shops"])

    response = api.as_user(year["coordinator"]).get("/api/impact/report/", params)

    assert response.status_code == 400
    assert field in response.json()
    assert tables_digest(["worker", "purchasing", "shops"]) == before


def test_nobody_logged_in_gets_nothing(year, client):
    number = year["number"]
    response = client.get("/api/impact/report/", {"year": number})

    assert response.status_code in (401, 403)


def test_the_impact_pages_link_the_yearly_report(year, client):
    number = year["number"]
    client.force_login(year["coordinator"])
    page = client.get("/coordination/impact/", {"year": number})
    one_shop = client.get("/coordination/impact/", {"year": number, "shop": year["rimou"].pk})
    client.force_login(year["keeper"])
    own = client.get("/impact/", {"year": number})

    assert page.status_code == one_shop.status_code == own.status_code == 200
    assert f'href="/api/impact/report/?year={number}"' in page.content.decode()
    link = f'href="/api/impact/report/?year={number}&amp;shop={year["rimou"].pk}"'
    assert link in one_shop.content.decode() and link in own.content.decode()
    assert f"Rapport d'impact {number} (PDF)" in text_of(page)
