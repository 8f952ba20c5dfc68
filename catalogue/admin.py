"""Admin of the catalogue, for coordinators (shops/auth.py gives them the permissions).

Suppliers and products are edited here as through the API: a product's price tiers are
checked against its price by the service's own rule. The read-only classes below serve
every app's admin of what only services write.
"""

from django import forms
from django.contrib import admin

from mache.errors import InvalidInput

from .models import PriceTier, Product, Supplier
from .services import check_price_tiers


class ReadOnlyMixin:
    """Viewable by whoever may view the model; nobody adds, changes or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    related = ()  # foreign keys shown in the rows, fetched with them (no query per row)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Only when named: select_related() without arguments would follow every key.
        return queryset.select_related(*self.related) if self.related else queryset


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


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
