"""The impact figures in the monthly reports and the yearly impact report (docs/impact.md):
a small year built with the services (rounds received and invoiced in five months, a
credit note, local, far and unplaced suppliers, organic labels), the PDF read back as
text with poppler, every figure printed compared with worker.impact's and the API's,
formatted in French, to the cent."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal as D

import pytest
from django.utils import timezone

from catalogue.models import SupplierKind
from mache.formats import format_eur, format_number, format_quantity, format_rate, plural
from mache.periods import PARIS, last_day_of_month, paris_today
from purchasing.models import Invoice, Round
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
    make_order,
)
from tests.helpers import page_count, pdf_text, plain, save_pages_png, squeezed
from worker.impact import impact_by_month, impact_figures
from worker.reports.impact_pdf import impact_report_data, impact_report_pdf

# A year that is over: every receipt, invoice and credit note is dated in the past.
YEAR = paris_today().year - 1
# The months the rounds are received in (the others stay empty).
MONTHS = (1, 3, 6, 9, 11)


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(YEAR, month, day, hour, tzinfo=PARIS)


@contextmanager
def clock_at(moment: dt.datetime):
    """The services date receipts and invoices "now": the clock is what is replaced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        yield


def receive(supplier, orders, *, month: int, day: int = 10) -> list[Invoice]:
    """A round of `supplier` whose orders are placed on the 1st and received (then
    invoiced) on `day` of `month` of YEAR."""
    round_ = RoundFactory(supplier=supplier)
    Round.objects.filter(pk=round_.pk).update(
        opens_at=at(month, 1, 8), closes_at=at(month, day, 8), delivery_date=dt.date(YEAR, month, day)
    )
    for index, (shop, lines) in enumerate(orders):
        make_order(round_, shop, *lines, created_at=at(month, 1, 9) + dt.timedelta(minutes=index))
    with clock_at(at(month, day, 10)):
        supplier_order = round_consolidate(round_id=round_.pk)
        return supplier_order_receive(supplier_order_id=supplier_order.pk, received={}, lots={})


def build_year() -> dict:
    """The cooperative (hub near Rennes, radius 80 km), three member shops (two rural,
    one in a QPV, one without its inhabitants) and four suppliers: a local organic
    producer, a local processor with one organic product, a far wholesaler and a
    producer without coordinates; rounds in MONTHS, a credit note in October."""
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
    eggs = ProductFactory(supplier=farm, name="Œufs", case_size=12, unit_price=D("0.3500"))
    yoghurt = ProductFactory(
        supplier=dairy, name="Yaourt bio", unit_price=D("0.9000"), labels=["AB"]
    )
    butter = ProductFactory(supplier=dairy, name="Beurre demi-sel", unit_price=D("2.1000"))
    pasta = ProductFactory(supplier=wholesaler, name="Pâtes", unit_price=D("1.1500"))
    salad = ProductFactory(supplier=unplaced, name="Salades", unit_price=D("1.0000"))
    rimou, vieux_vy, blosne = shops
    invoices = []
    invoices += receive(farm, [(rimou, [(vegetables, 24, 0), (eggs, 36, 0)])], month=1)
    invoices += receive(
        wholesaler, [(rimou, [(pasta, 48, 0)]), (blosne, [(pasta, 30, 0)])], month=1, day=20
    )
    invoices += receive(
        dairy, [(vieux_vy, [(yoghurt, 18, 0), (butter, 12, 0)]), (blosne, [(yoghurt, 6, 0)])], month=3
    )
    invoices += receive(unplaced, [(vieux_vy, [(salad, 30, 0)])], month=6)
    invoices += receive(farm, [(vieux_vy, [(vegetables, 12, 0)]), (blosne, [(eggs, 24, 0)])], month=9)
    invoices += receive(wholesaler, [(vieux_vy, [(pasta, 60, 0)])], month=11)
    # October: a credit note on September's farm invoice to Vieux-Vy (a case of vegetables).
    september = next(
        i for i in invoices if i.shop_id == vieux_vy.pk and i.round.supplier_id == farm.pk
        and i.issued_on.month == 9
    )
    credit_note_issue(
        invoice_id=september.pk,
        reason="Légumes abîmés",
        lines=[{"invoice_line": september.lines.get(kind="goods").pk, "quantity": 6}],
        issued_on=dt.date(YEAR, 10, 3),
    )
    coordinator = UserFactory(username="coordination", role=User.Role.COORDINATOR)
    keeper = UserFactory(username="rimou", role=User.Role.SHOPKEEPER, shops=[rimou])
    return {
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


@pytest.fixture
def year(db):
    return build_year()


def test_smoke(year, tmp_path):
    pdf = impact_report_pdf(YEAR)
    save_pages_png(pdf, tmp_path, "rapport-impact", pages=range(1, page_count(pdf, tmp_path) + 1))
    print(pdf_text(pdf, tmp_path))
