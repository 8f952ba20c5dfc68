"""The coordinator's pages of suppliers' e-invoices (docs/supplier-invoices.md): the list
with the upload form, an invoice with its differences, approve or reject it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalogue.models import Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur
from mache.forms import add_service_errors, posted
from mache.limits import upload_page
from shops.views import role_required

from .. import selectors
from ..forms import SupplierInvoiceRejectForm, SupplierInvoiceUploadForm
from ..models import SupplierInvoice
from ..services.supplier_invoices import (
    supplier_invoice_approve,
    supplier_invoice_receive,
    supplier_invoice_reject,
)
from ..supplier_invoices.matching import FIELDS
from .common import COORDINATOR, PAGE_SIZE

STATUSES = dict(SupplierInvoice.Status.choices)


@upload_page  # A Factur-X PDF may weigh MAX_UPLOAD_BYTES (docs/security.md).
@role_required(COORDINATOR)
def coord_supplier_invoices(request):
    """The suppliers' invoices, newest first (by status with ?status=), and the form
    that receives one."""
    invoices = selectors.supplier_invoice_list(user=request.user)
    status_filter = request.GET.get("status", "")
    if status_filter in STATUSES:
        invoices = invoices.filter(status=status_filter)
    form = SupplierInvoiceUploadForm(posted(request), request.FILES or None)
    code = 200
    if request.method == "POST":
        code = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                invoice = supplier_invoice_receive(
                    data=upload.read(),
                    filename=upload.name or "",
                    source="upload",
                    user=request.user,
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                add_service_errors(form, exc, field="file")
                code = 409
            else:
                messages.success(
                    request,
                    f"Facture {invoice.number} de {invoice.supplier.name} reçue : "
                    f"{STATUSES[invoice.status].lower()}.",
                )
                return redirect("coord-supplier-invoice", pk=invoice.pk)
    page = Paginator(invoices.order_by("-received_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "purchasing/coord_supplier_invoices.html",
        {
            "page": page,
            "form": form,
            "statuses": STATUSES,
            "status_filter": status_filter,
        },
        status=code,
    )


def _context(request, pk, **extra) -> dict:
    invoice = get_object_or_404(selectors.supplier_invoice_list(user=request.user), pk=pk)
    names = dict(
        Product.objects.filter(
            pk__in=[d["product"] for d in invoice.differences if d["product"]]
        ).values_list("pk", "name")
    )
    differences = [
        {
            **difference,
            "product_name": names.get(difference["product"], "")
            if difference["product"]
            else ("Port" if difference["field"] == "shipping" else ""),
            "label": FIELDS.get(difference["field"], difference["field"]),
        }
        for difference in invoice.differences
    ]
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.select_related("product")),
        "vat_lines": list(invoice.vat_lines.all()),
        "differences": differences,
        "status_label": STATUSES[invoice.status],
        "undecided": invoice.status
        in (SupplierInvoice.Status.MATCHED, SupplierInvoice.Status.DISCREPANCIES),
        "reject_form": SupplierInvoiceRejectForm(),
        **extra,
    }


@role_required(COORDINATOR)
def coord_supplier_invoice(request, pk):
    return render(request, "purchasing/coord_supplier_invoice.html", _context(request, pk))


@role_required(COORDINATOR)
@require_POST
def coord_supplier_invoice_approve(request, pk):
    invoice = get_object_or_404(selectors.supplier_invoice_list(user=request.user), pk=pk)
    try:
        approved = supplier_invoice_approve(supplier_invoice_id=invoice.pk, user=request.user)
    except (BusinessRuleError, InvalidInput) as exc:
        detail = exc.detail if isinstance(exc, BusinessRuleError) else _first(exc)
        messages.error(request, detail)
        return render(
            request, "purchasing/coord_supplier_invoice.html", _context(request, pk), status=409
        )
    messages.success(
        request,
        f"Facture {approved.number} approuvée : {format_eur(approved.total_incl_vat)} TTC "
        "comptabilisés.",
    )
    return redirect("coord-supplier-invoice", pk=pk)


def _first(exc: InvalidInput) -> str:
    for messages_ in exc.errors.values():
        if isinstance(messages_, list) and messages_:
            return str(messages_[0])
    return "Opération refusée."


@role_required(COORDINATOR)
@require_POST
def coord_supplier_invoice_reject(request, pk):
    invoice = get_object_or_404(selectors.supplier_invoice_list(user=request.user), pk=pk)
    form = SupplierInvoiceRejectForm(request.POST)
    if form.is_valid():
        try:
            supplier_invoice_reject(
                supplier_invoice_id=invoice.pk,
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        except BusinessRuleError as exc:
            messages.error(request, exc.detail)
            return render(
                request,
                "purchasing/coord_supplier_invoice.html",
                _context(request, pk),
                status=409,
            )
        else:
            messages.success(
                request,
                f"Facture {invoice.number} rejetée"
                + (
                    " : le fournisseur en est averti par e-mail."
                    if invoice.supplier.email
                    else " (le fournisseur n'a pas d'e-mail : prévenez-le)."
                ),
            )
            return redirect("coord-supplier-invoice", pk=pk)
    return render(
        request,
        "purchasing/coord_supplier_invoice.html",
        _context(request, pk, reject_form=form),
        status=400,
    )


@role_required(COORDINATOR)
def coord_supplier_invoice_file(request, pk):
    invoice = get_object_or_404(selectors.supplier_invoice_list(user=request.user), pk=pk)
    pdf = invoice.format == SupplierInvoice.Format.FACTURX
    response = HttpResponse(
        bytes(invoice.original), content_type="application/pdf" if pdf else "application/xml"
    )
    name = "".join(c for c in invoice.file_name if c.isalnum() or c in "._-") or "facture"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
