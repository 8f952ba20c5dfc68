"""Stock in the admin: to look, not to touch. Every change of stock is a movement
written by the services (under the balance lock), so nothing here is editable."""

from django.contrib import admin

from mache.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import StockBalance, StockCount, StockCountLine, StockLot, StockMovement


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["shop", "product", "quantity", "average_cost", "value", "minimum"]
    list_filter = ["shop"]
    search_fields = ["product__name", "product__sku", "shop__name"]
    list_select_related = ["shop", "product"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "shop",
        "product",
        "kind",
        "reason",
        "quantity",
        "unit_cost",
        "quantity_after",
        "value_after",
    ]
    list_filter = ["kind", "reason", "shop"]
    search_fields = ["product__name", "product__sku", "shop__name", "note"]
    date_hierarchy = "occurred_at"
    list_select_related = ["shop", "product"]


@admin.register(StockLot)
class StockLotAdmin(ReadOnlyAdmin):
    list_display = ["shop", "product", "code", "expires_on", "initial", "remaining"]
    list_filter = ["shop"]
    search_fields = ["code", "product__name", "shop__name"]
    date_hierarchy = "expires_on"
    list_select_related = ["shop", "product"]


class StockCountLineInline(ReadOnlyInline):
    model = StockCountLine
    fields = ["product", "expected", "counted"]
    readonly_fields = fields


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdmin):
    list_display = ["counted_on", "shop", "counted_by", "created_at"]
    list_filter = ["shop"]
    inlines = [StockCountLineInline]
    list_select_related = ["shop", "counted_by"]
