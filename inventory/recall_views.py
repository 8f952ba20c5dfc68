"""Pages of traceability and recalls (docs/recalls.md): the trace of a lot (a coordinator:
every shop, with the button that recalls it; a shopkeeper: their shops), the recalls,
and a recall's page where a shop confirms its withdrawal. Reads through the selectors and
traceability, writes through inventory/recalls.py, as the API does."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from catalogue.models import Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import plural
from mache.forms import add_service_errors, posted
from mache.permissions import scope_to_user
from shops.models import User
from shops.selectors import visible_shop
from shops.views import role_required

from . import recalls, selectors
from .models import Recall, StockLot
from .recall_pdf import recall_pdf
from .traceability import LOT_MAX_LENGTH, lot_trace

COORDINATOR = User.Role.COORDINATOR
SHOPKEEPER = User.Role.SHOPKEEPER
ACCOUNTANT = User.Role.ACCOUNTANT


class TraceForm(forms.Form):
    product = forms.ModelChoiceField(
        label="Produit", queryset=Product.objects.none(), empty_label="— Choisir —"
    )
    lot = forms.CharField(label="Numéro de lot", max_length=LOT_MAX_LENGTH)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The products of which a lot with a code entered a shop the user may see.
        lots = scope_to_user(StockLot.objects.exclude(code=""), user=user)
        self.fields["product"].queryset = Product.objects.filter(
            pk__in=lots.values("product_id")
        ).order_by("name", "pk")


class RecallForm(forms.Form):
    reason = forms.CharField(
        label="Motif du rappel",
        max_length=recalls.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _trace_query(request) -> dict | None:
    """?product=&lot= as the form's data, when the page was asked about a lot."""
    if "product" not in request.GET and "lot" not in request.GET:
        return None
    return {"product": request.GET.get("product", ""), "lot": request.GET.get("lot", "")}


@role_required(COORDINATOR, SHOPKEEPER, ACCOUNTANT)  # as the API: the shops they may see
def traceability(request):
    """GET ?product=&lot=: what became of the lot in each shop the user may see. POST (a
    coordinator): recall it."""
    data = _trace_query(request)
    form = TraceForm(data, user=request.user)
    trace = recall = None
    recall_form = RecallForm(posted(request))
    if data is not None and form.is_valid():
        try:
            trace = lot_trace(
                user=request.user, product=form.cleaned_data["product"], lot=data["lot"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
    if trace is not None:
        recall = Recall.objects.filter(product=trace.product, lot=trace.lot).first()
    if request.method == "POST":
        if request.user.effective_role != COORDINATOR:
            raise PermissionDenied
        if trace is not None and recall_form.is_valid():
            try:
                recall = recalls.recall_create(
                    product=trace.product,
                    lot=trace.lot,
                    reason=recall_form.cleaned_data["reason"],
                    user=request.user,
                )
            except InvalidInput as exc:
                add_service_errors(recall_form, exc, field="reason")
            except BusinessRuleError as exc:  # recalled meanwhile (another tab, a colleague)
                messages.error(request, str(exc.detail))
            else:
                shops = recall.shops.count()
                messages.success(
                    request,
                    f"Lot {recall.lot} rappelé : "
                    f"{plural(shops, 'commerce prévenu', 'commerces prévenus')} par e-mail.",
                )
                return redirect("recall", recall.pk)
    return render(
        request,
        "inventory/traceability.html",
        {
            "form": form,
            "trace": trace,
            "recall": recall,
            "recall_form": recall_form,
            "coordinator": request.user.effective_role == COORDINATOR,
            "query": urlencode(data) if data else "",
        },
    )


@role_required(COORDINATOR, SHOPKEEPER, ACCOUNTANT)
def recall_list(request):
    return render(
        request,
        "inventory/recalls.html",
        {"recalls": selectors.recall_list(user=request.user).order_by("-created_at", "-pk")[:100]},
    )


def _recall_of(request, pk) -> Recall:
    recall = selectors.recall_list(user=request.user).filter(pk=pk).first()
    if recall is None:
        raise Http404
    return recall


@role_required(COORDINATOR, SHOPKEEPER, ACCOUNTANT)
def recall_page(request, pk):
    """A recall: the shops' lines the user may see; POST {shop}: that shop confirms (its
    shopkeeper, or the coordinator on its behalf; an accountant reads only)."""
    recall = _recall_of(request, pk)
    if request.method == "POST":
        if request.user.effective_role == ACCOUNTANT:
            raise PermissionDenied
        shop = visible_shop(user=request.user, shop_id=request.POST.get("shop", ""))
        if shop is None:
            raise Http404
        try:
            line = recalls.recall_confirm(recall=recall, shop=shop, user=request.user)
        except (InvalidInput, BusinessRuleError) as exc:
            detail = getattr(exc, "detail", None) or "; ".join(
                str(m) for ms in getattr(exc, "errors", {}).values() for m in ms
            )
            messages.error(request, detail)
        else:
            messages.success(
                request,
                f"Retrait confirmé pour {shop.name} : "
                f"{plural(recalls.withdrawn(line), 'unité retirée', 'unités retirées')} du stock.",
            )
        return redirect("recall", recall.pk)
    return render(
        request,
        "inventory/recall.html",
        {
            "recall": recall,
            "lines": [(line, recalls.withdrawn(line)) for line in recall.shops.all()],
            # The shop's people confirm; the coordinator may on a shop's behalf (the API too).
            "may_confirm": request.user.effective_role in (COORDINATOR, SHOPKEEPER),
            "trace_url": f"{reverse('traceability-page')}?"
            + urlencode({"product": recall.product_id, "lot": recall.lot}),
        },
    )


@role_required(COORDINATOR, SHOPKEEPER, ACCOUNTANT)
def recall_report(request, pk):
    recall = _recall_of(request, pk)
    response = HttpResponse(recall_pdf(recall, user=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="rappel-{recall.pk}.pdf"'
    return response


page_urlpatterns = [
    path("tracabilite/", traceability, name="traceability-page"),
    path("rappels/", recall_list, name="recalls"),
    path("rappels/<int:pk>/", recall_page, name="recall"),
    path("rappels/<int:pk>/rapport.pdf", recall_report, name="recall-report"),
]
