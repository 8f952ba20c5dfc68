"""Monthly management reports (docs/reports.md): their data (`figures`) and their
PDFs (`pdf`, with the drawings of `charts`). The tasks, storage and API that call
them live elsewhere in the worker."""

from .figures import (
    CooperativeReportData,
    ShopReportData,
    cooperative_report_data,
    shop_report_data,
)
from .pdf import cooperative_report_pdf, shop_report_pdf

__all__ = [
    "CooperativeReportData",
    "ShopReportData",
    "cooperative_report_data",
    "cooperative_report_pdf",
    "shop_report_data",
    "shop_report_pdf",
]
