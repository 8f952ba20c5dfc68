"""The coordinator's pages of payments (docs/settlement.md, "Payments"): the
list, "Enregistrer un règlement" (shop, date, amount, method, reference, the invoices
to pay ticked) and "Annuler" (a cheque returned) after a confirmation. Every write goes
through payments.services.payments."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render

from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur
from mache.forms import add_service_errors, posted
from mache.periods import paris_today
from mache.query import as_id, parse_id
from purchasing.models import Invoice
from shops.models import User
from shops.selectors import shop_list
from shops.views import role_required

from ..models import Payment
from ..selectors import payment_list
from ..services.payments import payment_cancel, payment_record

COORDINATOR = User.Role.COORDINATOR
PAGE_SIZE = 30


class PaymentForm(forms.Form):
    shop = forms.ModelChoiceField(label="Commerce", queryset=None, empty_label="Choisir…")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(
        label="Montant (€)",
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    method = forms.ChoiceField(label="Mode", choices=Payment.Method.choices)
    reference = forms.CharField(
        label="Référence (n° de chèque, libellé du virement)", required=False, max_length=140
    )
    invoices = forms.ModelMultipleChoiceField(
        label="Factures réglées (aucune cochée : les plus anciennes d'abord)",
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, shop=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shop_list(user=user)
        if shop is not None:
            self.fields["invoices"].queryset = Invoice.objects.filter(
                shop=shop, total_incl_vat__gt=F("amount_paid") + F("amount_credited")
            ).order_by("due_on", "pk")
            self.fields["invoices"].label_from_instance = lambda invoice: (
                f"{invoice.number} — reste {format_eur(invoice.amount_due)}"
                f" (échéance {invoice.due_on:%d/%m/%Y})"
            )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motif", required=False, max_length=200, initial="Chèque impayé")


@role_required(COORDINATOR)
def coord_payments(request):
    payments = payment_list(user=request.user)
    if request.GET.get("shop"):
        payments = payments.filter(shop_id=parse_id(request.GET["shop"], field="shop"))
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payments/coord_payments.html", {"page": page})


@role_required(COORDINATOR)
def coord_payment_new(request):
    wanted = as_id(request.POST.get("shop") or request.GET.get("shop"))
    shop = None
    if wanted is not None:
        shop = shop_list(user=request.user).filter(pk=wanted).first()
    form = PaymentForm(
        posted(request),
        user=request.user,
        shop=shop,
        initial={"shop": shop, "date": paris_today(), "method": Payment.Method.TRANSFER},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                shop=data["shop"],
                date=data["date"],
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
                invoices=[invoice.pk for invoice in data["invoices"]] or None,
                user=request.user,
            )
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc)
        else:
            rest = (
                f", dont {format_eur(payment.unallocated)} en crédit" if payment.unallocated else ""
            )
            messages.success(
                request,
                f"Règlement de {format_eur(payment.amount)} de {payment.shop.name} "
                f"enregistré{rest}.",
            )
            return redirect("coord-payments")
    return render(request, "payments/coord_payment_form.html", {"form": form, "shop": shop})


@role_required(COORDINATOR)
def coord_payment_cancel(request, pk):
    payment = get_object_or_404(payment_list(user=request.user), pk=pk)
    form = CancelForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            payment_cancel(payment=payment, reason=form.cleaned_data["reason"], user=request.user)
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc, field="reason")
        else:
            messages.success(
                request,
                f"Règlement de {format_eur(payment.amount)} de {payment.shop.name} annulé : "
                "les factures qu'il réglait sont de nouveau dues.",
            )
            return redirect("coord-payments")
    return render(request, "payments/coord_payment_cancel.html", {"form": form, "payment": payment})
