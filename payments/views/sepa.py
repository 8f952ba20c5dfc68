"""The SEPA pages (coordinator, French, phone-friendly; docs/sepa.md): a member's
mandate, the direct-debit batches, the credit transfers to suppliers."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone

from mache.errors import BusinessRuleError, InvalidInput
from mache.forms import add_service_errors, posted
from shops.models import User
from shops.selectors import shop_list
from shops.views import role_required

from .. import selectors
from ..forms import CreditTransferForm, DirectDebitForm, MandateForm
from ..services.credit_transfers import (
    credit_transfer_batch_file,
    credit_transfer_batch_prepare,
)
from ..services.direct_debits import direct_debit_batch_file, direct_debit_batch_prepare
from ..services.mandates import mandate_save

COORDINATOR = User.Role.COORDINATOR
BATCHES_PER_PAGE = 20

# --- SEPA: mandates, direct debits, credit transfers (docs/sepa.md) --------------------


@role_required(COORDINATOR)
def member_mandate(request, pk):
    """Record or replace a member shop's direct-debit mandate."""
    shop = get_object_or_404(shop_list(user=request.user), pk=pk)
    mandate = selectors.mandate_list(user=request.user).filter(shop=shop).first()
    initial = (
        {
            "reference": mandate.reference,
            "signed_on": mandate.signed_on,
            "iban": mandate.iban,
            "bic": mandate.bic,
            "scheme": mandate.scheme,
            "prenotification_days": mandate.prenotification_days,
        }
        if mandate
        else {"scheme": "B2B"}
    )
    form = MandateForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                mandate_save(shop=shop, **form.cleaned_data)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                add_service_errors(form, exc, field="iban")
                status = 409
            else:
                messages.success(request, f"Mandat de prélèvement de {shop.name} enregistré.")
                return redirect("coord-member", shop.pk)
    return render(
        request,
        "payments/member_mandate.html",
        {"shop": shop, "mandate": mandate, "form": form},
        status=status,
    )


@role_required(COORDINATOR)
def direct_debits(request):
    """The direct-debit batches, and the form that prepares one."""
    form = DirectDebitForm(
        posted(request),
        initial={"collection_date": timezone.localdate() + dt.timedelta(days=3)},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = direct_debit_batch_prepare(
                    collection_date=form.cleaned_data["collection_date"],
                    invoice_ids=None,
                    user=request.user,
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                add_service_errors(form, exc)
                status = 409
            else:
                messages.success(
                    request,
                    f"Lot {batch.message_id} préparé : les commerces sont prévenus par e-mail.",
                )
                return redirect("direct-debits")
    page = Paginator(
        selectors.direct_debit_batch_list(user=request.user), BATCHES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request, "payments/direct_debits.html", {"form": form, "page": page}, status=status
    )


def _xml_download(request, *, batch, build, back):
    try:
        xml = build(batch=batch)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
        return redirect(back)
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
    return response


@role_required(COORDINATOR)
def direct_debit_file(request, pk):
    batch = get_object_or_404(selectors.direct_debit_batch_list(user=request.user), pk=pk)
    return _xml_download(request, batch=batch, build=direct_debit_batch_file, back="direct-debits")


@role_required(COORDINATOR)
def credit_transfers(request):
    """The credit-transfer batches, and the form that pays approved supplier invoices."""
    invoices = list(selectors.supplier_invoices_to_pay())
    form = CreditTransferForm(
        posted(request),
        invoices=invoices,
        initial={"execution_date": timezone.localdate() + dt.timedelta(days=1)},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = credit_transfer_batch_prepare(
                    execution_date=form.cleaned_data["execution_date"],
                    supplier_invoice_ids=form.cleaned_data["supplier_invoices"],
                    user=request.user,
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                add_service_errors(form, exc, field="supplier_invoices")
                status = 409
            else:
                messages.success(request, f"Lot de virements {batch.message_id} préparé.")
                return redirect("credit-transfers")
    page = Paginator(
        selectors.credit_transfer_batch_list(user=request.user), BATCHES_PER_PAGE
    ).get_page(request.GET.get("page"))
    checked = {str(value) for value in (form["supplier_invoices"].value() or [])}
    rows = [
        {
            "invoice": invoice,
            "checked": str(invoice.pk) in checked,
            "has_bank": bool(invoice.supplier.iban and invoice.supplier.bic),
        }
        for invoice in invoices
    ]
    return render(
        request,
        "payments/credit_transfers.html",
        {"form": form, "page": page, "rows": rows},
        status=status,
    )


@role_required(COORDINATOR)
def credit_transfer_file(request, pk):
    batch = get_object_or_404(selectors.credit_transfer_batch_list(user=request.user), pk=pk)
    return _xml_download(
        request, batch=batch, build=credit_transfer_batch_file, back="credit-transfers"
    )


page_urlpatterns = [
    # --- SEPA (docs/sepa.md) ---
    path("coordination/membres/<int:pk>/mandat/", member_mandate, name="member-mandate"),
    path("coordination/prelevements/", direct_debits, name="direct-debits"),
    path(
        "coordination/prelevements/<int:pk>/fichier/", direct_debit_file, name="direct-debit-file"
    ),
    path("coordination/virements/", credit_transfers, name="credit-transfers"),
    path(
        "coordination/virements/<int:pk>/fichier/",
        credit_transfer_file,
        name="credit-transfer-file",
    ),
    # --- end SEPA ---
]
