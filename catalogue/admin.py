"""Admin of the catalogue, for coordinators (shops/auth.py gives them the permissions).

Suppliers and products are edited here as through the API: a product's price tiers are
checked against its price by the service's own rule.
"""

from django import forms
from django.contrib import admin

from mache.admin import ReadOnlyInline
from mache.errors import InvalidInput

from .models import PriceTier, Product, Supplier
from .services import check_price_tiers

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
        tiers = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            check_price_tiers(
                [{"min_cases": t["min_cases"], "unit_price": t["unit_price"]} for t in tiers],
                self.instance.unit_price,
            )
        except InvalidInput as exc:
            raise forms.ValidationError(exc.errors["price_tiers"]) from exc


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    formset = PriceTierFormSet
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "supplier",
        "sku",
        "name",
        "category",
        "case_size",
        "unit_price",
        "vat_rate",
        "active",
    ]
    list_filter = ["supplier", "category", "vat_rate", "active"]
    list_select_related = ["supplier"]
    search_fields = ["sku", "name"]
    autocomplete_fields = ["supplier"]
    inlines = [PriceTierInline]
