"""factory_boy factories and data builders, one module per app; every name is here too,
so that tests import them from `tests.factories`."""

from .accounting import credit, debit, post_bank_charge, post_entry, record_sales_day
from .catalogue import ProductFactory, SupplierFactory, add_tiers
from .due import issued_invoice, settle
from .inventory import receive_stock, record_movement
from .purchasing import RoundFactory, biscuit_round, close_round, make_order
from .shops import DEFAULT_PASSWORD, CooperativeFactory, ShopFactory, UserFactory, make_siret
from .worker import REPORT_PDF, ReportFactory, issued_report, ready_report
from .world import build_shop_world

__all__ = [
    "DEFAULT_PASSWORD",
    "REPORT_PDF",
    "CooperativeFactory",
    "ProductFactory",
    "ReportFactory",
    "RoundFactory",
    "ShopFactory",
    "SupplierFactory",
    "UserFactory",
    "add_tiers",
    "biscuit_round",
    "build_shop_world",
    "close_round",
    "credit",
    "debit",
    "issued_report",
    "make_order",
    "make_siret",
    "post_bank_charge",
    "post_entry",
    "ready_report",
    "receive_stock",
    "record_movement",
    "record_sales_day",
]
__all__ += ["issued_invoice", "settle"]
