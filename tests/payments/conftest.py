"""The SEPA world (docs/sepa.md): a cooperative with its bank details, shops with
invoices of a received round, mandates, and the schemas the files must satisfy."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from django.utils import timezone
from lxml import etree
from schwifty import IBAN

from accounting.models import EntryLine
from payments.models import Mandate
from purchasing.models import SupplierInvoice
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    close_round,
    make_order,
)

COOP_IBAN = "FR7630006000011234567890189"
COOP_BIC = "AGRIFRPP"
COOP_ICS = "FR72ZZZ123456"
SCHEMAS = Path(sepaxml.__file__).resolve().parent / "schemas"


def shop_iban(n: int) -> str:
    """A valid German IBAN per shop (schwifty computes its check digits)."""
    return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{532013000 + n}"))


def assert_valid(xml: bytes, schema: str) -> etree._Element:
    """The file against the XSD sepaxml ships (lxml), its root returned."""
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / f"{schema}.xsd")))
    root = etree.fromstring(xml)
    assert xsd.validate(root), xsd.error_log
    return root


def find_all(root, path: str) -> list:
    ns = {"p": root.nsmap[None]}
    return root.findall(path, ns)


@pytest.fixture
def bank_coop(db):
    """The cooperative, its bank details known, invoices due on issue (term 0 days)."""
    return CooperativeFactory(
        iban=COOP_IBAN, bic=COOP_BIC, sepa_creditor_id=COOP_ICS, payment_term_days=0
    )


def received_supplier_order(shops, *, units=(3,), price="2.5000", supplier=None):
    """A received round with one invoice per shop (`units[i]` units for shops[i]);
    returns (supplier_order, {shop id: invoice})."""
    supplier = supplier or SupplierFactory(iban="DE89370400440532013000", bic="COBADEFFXXX")
    product = ProductFactory(
        supplier=supplier, case_size=1, unit_price=Decimal(price), vat_rate=Decimal("5.50")
    )
    round_ = RoundFactory(supplier=supplier)
    for index, shop in enumerate(shops):
        make_order(round_, shop, (product, units[index % len(units)], 0))
    close_round(round_)
    supplier_order = round_consolidate(round_id=round_.pk)
    invoices = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    return supplier_order, {invoice.shop_id: invoice for invoice in invoices}


def approved_supplier_invoice(supplier_order, *, number: str = "") -> SupplierInvoice:
    """The supplier's invoice of a received order, approved: its totals are those of the
    order's purchase entry (what the payments need; reading, matching and approving
    supplier invoices are tested in tests/purchasing)."""
    line = EntryLine.objects.get(
        entry__source=f"supplier-order:{supplier_order.pk}", account__number="401000"
    )
    total = line.credit
    return SupplierInvoice.objects.create(
        supplier=supplier_order.round.supplier,
        number=number or f"FF-{supplier_order.pk}",
        issued_on=supplier_order.round.delivery_date,
        due_on=supplier_order.round.delivery_date + dt.timedelta(days=30),
        supplier_order=supplier_order,
        total_excl_vat=supplier_order.total_excl_vat,
        total_vat=total - supplier_order.total_excl_vat,
        total_incl_vat=total,
        status=SupplierInvoice.Status.APPROVED,
        format=SupplierInvoice.Format.CII,
        file_name="facture.xml",
        original=b"<rsm:CrossIndustryInvoice/>",
        sha256="0" * 64,
        source="api",
    )


def mandate_for(shop, n=1, **fields) -> Mandate:
    return Mandate.objects.create(
        **{
            "shop": shop,
            "reference": f"RUM-{shop.pk}-{n}",
            "signed_on": dt.date(2025, 3, 1),
            "iban": shop_iban(shop.pk),
            "bic": "COBADEFFXXX",
            "scheme": Mandate.Scheme.B2B,
            **fields,
        }
    )


@pytest.fixture
def two_shops(bank_coop):
    """Two shops with a mandate and an open invoice each, one shop without a mandate."""
    first = ShopFactory(name="Épicerie de Rimou", email="rimou@example.org")
    second = ShopFactory(name="Bar de Vieux-Vy", email="bar@example.org")
    third = ShopFactory(name="Boucherie sans mandat", email="boucherie@example.org")
    supplier_order, invoices = received_supplier_order([first, second, third], units=(3, 5, 2))
    return {
        "shops": [first, second, third],
        "mandates": [mandate_for(first), mandate_for(second)],
        "invoices": invoices,
        "supplier_order": supplier_order,
    }


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)
