"""The coordinator's catalogue pages: suppliers, products with their price tiers, the CSV
import (docs/catalogue.md). Every write goes through catalogue.services (or the import's
service, catalogue.csv_import.catalogue_import); the pages only lay out and parse."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from mache.errors import InvalidInput
from mache.forms import add_service_errors, posted
from shops.models import User
from shops.views import role_required

from . import local, selectors, services
from .csv_import import catalogue_import
from .forms import (
    CatalogueImportForm,
    ProductFilterForm,
    ProductForm,
    SupplierFilterForm,
    SupplierForm,
    tier_formset,
)

COORDINATOR = User.Role.COORDINATOR
PAGE_SIZE = 25


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count < 2 else many}"


def import_summary(result: dict) -> str:
    """{"created": 3, "updated": 1} -> "3 produits créés, 1 mis à jour"."""
    created = _plural(result["created"], "produit créé", "produits créés")
    updated = _plural(result["updated"], "mis à jour", "mis à jour")
    return f"{created}, {updated}."


# --- Suppliers --------------------------------------------------------------------------


@role_required(COORDINATOR)
def coord_suppliers(request):
    form = SupplierFilterForm(request.GET)
    form.is_valid()
    suppliers = selectors.supplier_search(user=request.user, text=form.cleaned_data.get("q") or "")
    page = Paginator(suppliers, PAGE_SIZE).get_page(request.GET.get("page"))
    # Kind, commune, distance and « Local » of each row, the cooperative read once.
    cooperative = local.local_settings()
    rows = [(supplier, local.supplier_place(supplier, cooperative)) for supplier in page]
    return render(
        request, "catalogue/coord_suppliers.html", {"form": form, "page": page, "rows": rows}
    )


@role_required(COORDINATOR)
def coord_supplier_new(request):
    form = SupplierForm(posted(request))
    if form.is_valid():
        try:
            supplier = services.supplier_create(data=form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Fournisseur « {supplier.name} » créé.")
            return redirect("coord-supplier", pk=supplier.pk)
    return render(request, "catalogue/supplier_form.html", {"form": form, "supplier": None})


@role_required(COORDINATOR)
def coord_supplier(request, pk):
    supplier = get_object_or_404(selectors.supplier_search(user=request.user), pk=pk)
    initial = {name: getattr(supplier, name) for name in SupplierForm.base_fields}
    form = SupplierForm(posted(request), initial=initial)
    if form.is_valid():
        try:
            supplier = services.supplier_update(supplier=supplier, data=form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Fournisseur « {supplier.name} » enregistré.")
            return redirect("coord-supplier", pk=supplier.pk)
    # As saved (not as typed): its distance to the hub and whether it is local.
    place = local.supplier_place(supplier, local.local_settings())
    return render(
        request,
        "catalogue/supplier_form.html",
        {"form": form, "supplier": supplier, "place": place},
    )


# --- Products ---------------------------------------------------------------------------


@role_required(COORDINATOR)
def coord_products(request):
    form = ProductFilterForm(request.GET)
    products = selectors.product_search(user=request.user, **form.values())
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalogue/coord_products.html", {"form": form, "page": page})


def _product_page(request, product):
    """The product's form and its tiers: both valid, then one service call writes both."""
    data = posted(request)
    initial = ProductForm.initial_of(product) if product else ProductForm.initial_new()
    if product is None and request.GET.get("fournisseur", "").isdigit():
        initial["supplier"] = int(request.GET["fournisseur"])
    form = ProductForm(data, initial=initial)
    tiers = tier_formset(data, product=product)
    if data is not None and all([form.is_valid(), tiers.is_valid()]):
        try:
            product = services.product_save(
                product=product,
                data={**form.data_for_service(), "price_tiers": tiers.tiers()},
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Produit « {product.name} » enregistré.")
            return redirect("coord-product", pk=product.pk)
    return render(
        request,
        "catalogue/product_form.html",
        {"form": form, "tiers": tiers, "product": product},
    )


@role_required(COORDINATOR)
def coord_product_new(request):
    return _product_page(request, None)


@role_required(COORDINATOR)
def coord_product(request, pk):
    product = get_object_or_404(selectors.product_list(user=request.user), pk=pk)
    return _product_page(request, product)


# --- The CSV import ---------------------------------------------------------------------


@role_required(COORDINATOR)
def coord_catalogue_import(request):
    """Upload one supplier's catalogue; every bad line is listed, and then nothing is
    written (catalogue.csv_import)."""
    initial = {}
    if request.GET.get("fournisseur", "").isdigit():
        initial["supplier"] = int(request.GET["fournisseur"])
    form = CatalogueImportForm(posted(request), request.FILES or None, initial=initial)
    refused = False
    if form.is_valid():
        try:
            result = catalogue_import(
                supplier=form.cleaned_data["supplier"], file=form.cleaned_data["file"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
            refused = True
        else:
            messages.success(
                request,
                f"Import du catalogue de « {form.cleaned_data['supplier'].name} » : "
                f"{import_summary(result)}",
            )
            return redirect(f"{request.path}?fournisseur={form.cleaned_data['supplier'].pk}")
    return render(request, "catalogue/catalogue_import.html", {"form": form, "refused": refused})


page_urlpatterns = [
    path("coordination/fournisseurs/", coord_suppliers, name="coord-suppliers"),
    path("coordination/fournisseurs/nouveau/", coord_supplier_new, name="coord-supplier-new"),
    path("coordination/fournisseurs/<int:pk>/", coord_supplier, name="coord-supplier"),
    path("coordination/produits/", coord_products, name="coord-products"),
    path("coordination/produits/nouveau/", coord_product_new, name="coord-product-new"),
    path("coordination/produits/<int:pk>/", coord_product, name="coord-product"),
    path("coordination/catalogue/import/", coord_catalogue_import, name="coord-catalogue-import"),
]
