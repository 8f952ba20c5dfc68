"""Admin of pooled purchasing, for coordinators (shops/auth.py gives them the permissions).

Suppliers and products are edited here as through the API. Everything else is shown,
never changed: rounds and orders move only through their services (under the round's
row lock, with the deadline checked), and supplier orders, allocations and invoices are
produced by consolidation and receipt alone. An invoice changed by hand would no longer
match its ledger entries or its number sequence.
"""

from django import forms
from django.contrib import admin

from mache.admin import ReadOnlyAdmin, ReadOnlyInline
from mache.errors import InvalidInput

from .models import (
    Allocation,
    Invoice,
    InvoiceLine,
    InvoiceVat,
    Order,
    OrderLine,
    PriceTier,
    Product,
    Round,
    Supplier,
    SupplierOrder,
    SupplierOrderLine,
)
from .services.catalogue import check_price_tiers

# --- Catalogue: editable ---

class SupplierProductInline(ReadOnlyInline):
    """The supplier's products at a glance; each is edited on its own page, where its
    price tiers are checked against its price."""

    model = Product
    fields = ["sku", "name", "case_size", "unit_price", "vat_rate", "active"]
    show_change_link = True
    verbose_name_plural = "produits"


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "min_order_amount", "shipping_fee", "free_shipping_threshold"]
    search_fields = ["name", "siret", "email"]
    inlines = [SupplierProductInline]


class PriceTierFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.unit_price is None:
            return  # the parent's own errors are shown first
        tiers = [form.cleaned_data for form in self.forms
                 if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        try:
            check_price_tiers(
                [{"min_cases": t["min_cases"], "unit_price": t["unit_price"]} for t in tiers],
                self.instance.unit_price)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.errors["price_tiers"]) from exc


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    formset = PriceTierFormSet
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["supplier", "sku", "name", "case_size", "unit_price", "vat_rate", "active"]
    list_filter = ["supplier", "vat_rate", "active"]
    list_select_related = ["supplier"]
    search_fields = ["sku", "name"]
    autocomplete_fields = ["supplier"]
    inlines = [PriceTierInline]


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
    fields = ["product", "cases", "units", "unit_price", "base_unit_price", "amount",
              "received_units"]
    related = ("product",)


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ["shop", "product", "rank", "quantity", "tolerance", "allocated", "received"]
    related = ("shop", "product")


@admin.register(SupplierOrder)
class SupplierOrderAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "total_excl_vat", "shipping", "created_at",
                    "received_at"]
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
    list_display = ["number", "shop", "issued_on", "total_excl_vat", "total_vat",
                    "total_incl_vat"]
    list_filter = ["year", "shop"]
    list_select_related = ["shop"]
    search_fields = ["number", "shop__name"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline, InvoiceVatInline]
