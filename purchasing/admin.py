"""Admin of pooled purchasing, for coordinators (shops/auth.py gives them the permissions).

Everything is shown, never changed (suppliers and products are edited in the catalogue's
admin): rounds and orders move only through their services (under the round's
row lock, with the deadline checked), and supplier orders, allocations and invoices are
produced by consolidation and receipt alone. An invoice changed by hand would no longer
match its ledger entries or its number sequence.
"""

from django.contrib import admin

from mache.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    Allocation,
    Invoice,
    InvoiceLine,
    InvoiceVat,
    Order,
    OrderLine,
    Round,
    RoundSchedule,
    SupplierOrder,
    SupplierOrderLine,
)

# --- Rounds and orders: shown only ---


class RoundOrderInline(ReadOnlyInline):
    model = Order
    fields = ["shop", "created_at", "updated_at", "created_by"]
    readonly_fields = fields
    related = ("shop", "created_by")
    show_change_link = True


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "opens_at", "closes_at", "delivery_date", "status"]
    list_filter = ["status", "supplier"]
    list_select_related = ["supplier"]
    date_hierarchy = "closes_at"
    search_fields = ["supplier__name"]
    inlines = [RoundOrderInline]


@admin.register(RoundSchedule)
class RoundScheduleAdmin(ReadOnlyAdmin):
    """Shown only: schedules are changed on the coordinator's page (docs/rounds.md)."""

    list_display = [
        "supplier",
        "weekday",
        "closes_at_time",
        "delivery_weekday",
        "opens_days_before",
        "active",
    ]
    list_filter = ["active", "supplier"]
    list_select_related = ["supplier"]


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product", "quantity", "tolerance"]
    related = ("product",)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["shop", "round", "created_at", "updated_at"]
    list_filter = ["round__status", "shop"]
    list_select_related = ["shop", "round__supplier"]
    search_fields = ["shop__name", "round__supplier__name"]
    inlines = [OrderLineInline]


# --- Consolidated data: produced by the services, shown only ---


class SupplierOrderLineInline(ReadOnlyInline):
    model = SupplierOrderLine
    fields = [
        "product",
        "cases",
        "units",
        "unit_price",
        "base_unit_price",
        "amount",
        "received_units",
    ]
    related = ("product",)


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ["shop", "product", "rank", "quantity", "tolerance", "allocated", "received"]
    related = ("shop", "product")


@admin.register(SupplierOrder)
class SupplierOrderAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "total_excl_vat", "shipping", "created_at", "received_at"]
    list_filter = ["status", "round__supplier"]
    list_select_related = ["round__supplier"]
    search_fields = ["round__supplier__name"]
    inlines = [SupplierOrderLineInline, AllocationInline]


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["position", "kind", "label", "quantity", "unit_price", "amount", "vat_rate"]


class InvoiceVatInline(ReadOnlyInline):
    model = InvoiceVat
    fields = ["rate", "base", "amount"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "shop", "issued_on", "total_excl_vat", "total_vat", "total_incl_vat"]
    list_filter = ["year", "shop"]
    list_select_related = ["shop"]
    search_fields = ["number", "shop__name"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline, InvoiceVatInline]
