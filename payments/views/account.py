"""The shop's account pages (docs/shop-account.md): "Mon compte" for the shop's people,
the same account seen by the coordinator from the member's page. Read from
payments.selectors.shop_account; the PDF and CSV are the API's files."""

import datetime as dt

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from shops.models import User
from shops.selectors import shop_list
from shops.views import role_required, shop_page

from ..pdf import shop_account_pdf
from ..selectors import shop_account
from ..statement import shop_account_csv, shop_account_filename

FILES = {
    "pdf": ("application/pdf", shop_account_pdf),
    "csv": ("text/csv; charset=utf-8", shop_account_csv),
}


class PeriodForm(forms.Form):
    start = forms.DateField(
        label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="Au", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("start", "La date de début suit la date de fin.")
        return data


def _account_response(request, shop, template: str, context: dict):
    form = PeriodForm(request.GET or None)
    start: dt.date | None = None
    end: dt.date | None = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    account = shop_account(shop=shop, start=start, end=end)
    wanted = request.GET.get("format")
    if wanted in FILES and not form.errors:
        content_type, render_file = FILES[wanted]
        response = HttpResponse(render_file(account), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{shop_account_filename(account, wanted)}"'
        )
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        template,
        {**context, "shop": shop, "account": account, "form": form, "query": query.urlencode()},
    )


@role_required(User.Role.SHOPKEEPER, User.Role.ACCOUNTANT)
def my_account(request):
    context = shop_page(request)
    return _account_response(request, context["shop"], "payments/account.html", context)


@role_required(User.Role.COORDINATOR)
def coord_shop_account(request, pk):
    shop = get_object_or_404(shop_list(user=request.user), pk=pk)
    return _account_response(request, shop, "payments/account.html", {"coordinator": True})
