"""The data of the monthly management reports: plain values (Decimals, ints, dates,
strings, lists of frozen dataclasses), gathered in a fixed number of queries."""

from .common import (
    MIN_SHOPS_FOR_MEDIAN,
    InvoiceSaving,
    Medians,
    ShopFigures,
    shops_figures,
    statements_by_ledger,
    window,
)
from .cooperative import (
    CooperativeReportData,
    MemberChange,
    MemberRow,
    RoundHeld,
    ShopLine,
    SupplierPurchase,
    cooperative_report_data,
)
from .shop import (
    EXPIRY_HORIZON_DAYS,
    TOP_PRODUCTS,
    BenchmarkLine,
    DaySales,
    ExpiringLot,
    LossLine,
    MonthFigures,
    Savings,
    ShopReportData,
    SupplierAmount,
    TopProduct,
    cooperative_medians,
    shop_report_data,
)

__all__ = [
    "EXPIRY_HORIZON_DAYS", "MIN_SHOPS_FOR_MEDIAN", "TOP_PRODUCTS", "BenchmarkLine",
    "CooperativeReportData", "DaySales", "ExpiringLot", "InvoiceSaving", "LossLine", "Medians",
    "MemberChange", "MemberRow", "MonthFigures", "RoundHeld", "Savings", "ShopFigures",
    "ShopLine", "ShopReportData", "SupplierAmount", "SupplierPurchase", "TopProduct",
    "cooperative_medians", "cooperative_report_data", "shop_report_data",
    "shops_figures",
    "statements_by_ledger", "window",
]
