"""The coordinator's "Banque" pages (docs/bank.md): import a statement (CAMT.053 or
CFONB 120), the statements imported, the lines left to match and, for one of them, the
hand match (a shop, its open invoices ticked).

Through the API's selectors and services: the same refusals, shown in French beside
the fields.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur
from mache.forms import add_service_errors, posted
from mache.permissions import COORDINATOR
from mache.query import as_id
from shops.selectors import shop_list
from shops.views import role_required

from ..models import BankLine
from ..selectors import bank_line_list, bank_statement_list, open_invoice_list
from ..services.bank import bank_line_match, statement_import

LINES_PER_PAGE = 50
RECENT_STATEMENTS = 12


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label="Relevé de compte",
        help_text="Fichier CAMT.053 (XML) ou CFONB 120, tel que la banque le fournit.",
        error_messages={
            "required": "Choisissez le fichier du relevé.",
            "empty": "Le fichier est vide.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.txt,.cfonb,.053,text/xml"}),
    )


class LineMatchForm(forms.Form):
    shop = forms.TypedChoiceField(
        label="Commerce", coerce=int, error_messages={"required": "Choisissez le commerce."}
    )
    invoices = forms.TypedMultipleChoiceField(
        label="Factures réglées",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucune cochée : les plus anciennes factures ouvertes d'abord.",
    )

    def __init__(self, *args, shops, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].choices = [("", "—")] + [(shop.pk, shop.name) for shop in shops]
        self.fields["invoices"].choices = invoices


@role_required(COORDINATOR)
def bank_home(request):
    """Upload a statement; the recent statements; the lines waiting to be matched."""
    form = StatementUploadForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statement = statement_import(
                data=upload.read(), file_name=upload.name, user=request.user
            )
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc, field="file")
        else:
            counted = bank_statement_list(user=request.user).get(pk=statement.pk)
            messages.success(
                request,
                f"Relevé importé : {counted.line_count} ligne(s), "
                f"dont {counted.matched_count} rapprochée(s) automatiquement.",
            )
            return redirect("bank-home")
    unmatched = Paginator(
        bank_line_list(user=request.user, status=BankLine.Status.UNMATCHED), LINES_PER_PAGE
    ).get_page(as_id(request.GET.get("page")) or 1)
    return render(
        request,
        "payments/bank.html",
        {
            "form": form,
            "statements": bank_statement_list(user=request.user)[:RECENT_STATEMENTS],
            "page": unmatched,
        },
        status=400 if form.errors else 200,
    )


@role_required(COORDINATOR)
def bank_line_match_view(request, line_id):
    """Match one line by hand: the shop (?shop= shows its open invoices), the invoices."""
    line = get_object_or_404(bank_line_list(user=request.user), pk=line_id)
    shops = list(shop_list(user=request.user).order_by("name"))
    shop_id = as_id(
        request.POST.get("shop") if request.method == "POST" else request.GET.get("shop")
    )
    shop = next((s for s in shops if s.pk == shop_id), None)
    choices = []
    if shop is not None:
        choices = [
            (invoice.pk, f"{invoice.number} — reste {format_eur(invoice.due)}")
            for invoice in open_invoice_list([shop.pk])
        ]
    form = LineMatchForm(posted(request), shops=shops, invoices=choices, initial={"shop": shop_id})
    if request.method == "POST" and form.is_valid():
        try:
            bank_line_match(
                line_id=line.pk,
                shop=shop,
                invoices=form.cleaned_data["invoices"],
                user=request.user,
            )
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc, field="shop")
        else:
            messages.success(
                request,
                f"Ligne du {line.booked_on:%d/%m/%Y} rapprochée : règlement de {shop.name}.",
            )
            return redirect("bank-home")
    return render(
        request,
        "payments/bank_line.html",
        {"line": line, "form": form, "shop": shop},
        status=400 if form.errors else 200,
    )


page_urlpatterns = [
    path("banque/", bank_home, name="bank-home"),
    path("banque/lignes/<int:line_id>/", bank_line_match_view, name="bank-line"),
]
