"""Shopkeepers' pages: open rounds, the order form with its live estimate, past orders,
invoices."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from catalogue import local as catalogue_local
from catalogue import selectors as catalogue_selectors
from mache.documents import document_page_response
from mache.errors import BusinessRuleError, InvalidInput
from mache.forms import add_service_errors, posted
from mache.periods import paris_today
from shops.models import Cooperative
from shops.views import current_shop, role_required, shop_page

from .. import selectors
from ..documents import invoice_pdf_document
from ..forms import OrderForm, ProductFilterForm
from ..models import Allocation, CreditNote, OrderLine, Round
from ..rules import INVOICE_STATUS_LABELS
from ..services import orders
from ..suggestion import round_suggestion
from . import order_rows
from .common import PAGE_SIZE, ROUND_CLOSED, SHOPKEEPER


def _round_state(round_) -> str:
    """open, upcoming or closed: the service's own check, read without writing."""
    try:
        orders.check_round_accepts_orders(round_)
    except orders.RoundNotOpenYet:
        return "upcoming"
    except orders.RoundClosed:
        return "closed"
    return "open"


def _shop_order(user, round_, shop):
    """The shop's order in the round, without its lines: the order form reads them with
    the round's (selectors.round_line_rows), the other pages when they need them."""
    return (
        selectors.order_list(user=user)
        .prefetch_related(None)
        .filter(round=round_, shop=shop)
        .first()
    )


def _order_page(request, round_id, shop):
    """What the order form and its estimate both need; the supplier's place (kind,
    commune, distance, local: catalogue.local) in catalogue["place"]."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=round_id)
    products = (
        catalogue_selectors.product_list(user=request.user)
        .filter(supplier_id=round_.supplier_id, active=True)
        .order_by("name", "id")
    )
    # The whole row, read once: the hub and radius here, the service fee in the estimate.
    cooperative = Cooperative.current()
    place = catalogue_local.supplier_place(round_.supplier, cooperative)
    # The supplier's active products with their tiers, from the cache while the
    # catalogue does not change (views/order_rows.py); every member sees them all.
    catalogue = order_rows.catalogue(round_.supplier_id, products)
    catalogue = {**catalogue, "place": place, "cooperative": cooperative}
    return round_, _shop_order(request.user, round_, shop), catalogue


DETAIL = "detail"


def _detail(request) -> bool:
    """Whether the order form shows each product's whole sentences (`?detail=1`, kept by
    the form's hidden field through the estimate and the save) rather than their short
    form (views/order_rows.py)."""
    data = request.POST if request.method == "POST" else request.GET
    return data.get(DETAIL) == "1"


def _estimate(round_, shop, order, form, catalogue, rows=None) -> dict:
    """selectors.order_estimate for what the form holds (validated first), with what the
    page has already read: the products' terms, the cooperative, the round's lines."""
    form.is_valid()
    return selectors.order_estimate(
        round_=round_,
        shop=shop,
        products=form.products,
        order=order,
        typed=form.typed(),
        terms=catalogue["terms"],
        cooperative=catalogue["cooperative"],
        rows=rows,
    )


def _estimate_context(request, round_, shop, order, form, catalogue) -> dict:
    """The estimate, and each product's fill for the estimate's out-of-band updates."""
    estimate = _estimate(round_, shop, order, form, catalogue)
    detail = _detail(request)
    return {
        "estimate": estimate,
        "fills": [
            order_rows.fill_html(line, oob=True, detail=detail) for line in estimate["lines"]
        ],
    }


@role_required(SHOPKEEPER)
def shop_rounds(request):
    """The rounds open to orders now and soon, with the time left before each deadline."""
    page = shop_page(request)
    shop = page["shop"]
    rounds = list(
        selectors.round_list(user=request.user)
        .filter(status=Round.Status.OPEN, closes_at__gt=timezone.now())
        .order_by("closes_at", "id")
    )
    ordered = dict(
        selectors.order_list(user=request.user)
        .filter(shop=shop, round__in=rounds)
        .annotate(products=Count("lines"))
        .values_list("round_id", "products")
    )
    # Who supplies each round and from where (docs/local-producers.md), the cooperative
    # read once.
    cooperative = catalogue_local.local_settings()
    rows = [
        {
            "round": r,
            "state": _round_state(r),
            "products": ordered.get(r.pk),
            "place": catalogue_local.supplier_place(r.supplier, cooperative),
        }
        for r in rounds
    ]
    return render(
        request,
        "purchasing/shop_rounds.html",
        {
            **page,
            "open": [row for row in rows if row["state"] == "open"],
            "upcoming": [row for row in rows if row["state"] == "upcoming"],
        },
    )


@role_required(SHOPKEEPER)
def shop_order(request, pk):
    """The order form of a round (its estimate updates as the shopkeeper types); after
    the deadline, what the shop ordered and, once consolidated, what it was allocated."""
    page = shop_page(request)
    shop = page["shop"]
    round_, order, catalogue = _order_page(request, pk, shop)
    products = catalogue["products"]
    if _round_state(round_) != "open":
        if request.method == "POST":
            messages.error(request, ROUND_CLOSED)
            return _closed_order_page(
                request, page, round_, order, status=409, place=catalogue["place"]
            )
        return _closed_order_page(request, page, round_, order, place=catalogue["place"])
    # Every line of the round, read once on a GET: the shop's saved lines fill the form,
    # and the estimate reads them all (issue 18: one query less).
    rows = selectors.round_line_rows(round_=round_) if request.method == "GET" else None
    initial, filled_from = _prefill(request, shop, round_, order, products, rows)
    form = OrderForm(posted(request), products=products, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return _order_save(request, shop, round_, order, form)
            except orders.RoundClosed:
                messages.error(request, ROUND_CLOSED)
                round_.refresh_from_db()
                return _closed_order_page(
                    request, page, round_, order, status=409, place=catalogue["place"]
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:  # a suspended shop, an order made in another tab
                add_service_errors(form, exc)
                status = 409
    return render(
        request,
        "purchasing/order_form.html",
        {
            **page,
            "round": round_,
            "order": order,
            "form": form,
            "state": "open",
            "filled_from": filled_from,
            "place": catalogue["place"],
            **_page_context(request, round_, shop, order, form, catalogue, rows),
        },
        status=status,
    )


FILL_LAST, FILL_SUGGESTION = "derniere", "suggestion"


def _prefill(request, shop, round_, order, products, rows=None):
    """The form's starting values: the saved order, or, when asked (?remplir=), the
    shop's last order with this supplier or the suggestion. Filling only fills the
    form: nothing is saved until the shopkeeper submits it."""
    wanted = request.GET.get("remplir") if request.method == "GET" else None
    active = {product.pk for product in products}
    if wanted == FILL_LAST:
        last = selectors.last_order(user=request.user, shop=shop, round_=round_)
        if last is not None:
            lines = {
                line.product_id: (line.quantity, line.tolerance)
                for line in last.lines.all()
                if line.product_id in active
            }
            return OrderForm.initial_of(lines), {"kind": FILL_LAST, "order": last}
        return OrderForm.initial_from(order), {"kind": FILL_LAST, "order": None}
    if wanted == FILL_SUGGESTION:
        suggestion = round_suggestion(round_=round_, shop=shop)
        saved = {} if order is None else {line.product_id: line for line in order.lines.all()}
        lines = {
            row["product"]: (
                row["suggested_quantity"],
                saved[row["product"]].tolerance if row["product"] in saved else 0,
            )
            for row in suggestion["products"]
            if row["product"] in active
        }
        return OrderForm.initial_of(lines), {"kind": FILL_SUGGESTION, **suggestion}
    if rows is not None and order is not None:
        saved = {
            pk: (quantity, tolerance) for oid, _, pk, quantity, tolerance in rows if oid == order.pk
        }
        return OrderForm.initial_of(saved), None
    return OrderForm.initial_from(order), None


def _page_context(request, round_, shop, order, form, catalogue, rows=None) -> dict:
    """The estimate, the search and one row per product by category
    (views/order_rows.py)."""
    estimate = _estimate(round_, shop, order, form, catalogue, rows)
    context = _filter_context(request, form, catalogue["cooperative"])
    detail = _detail(request)
    sections = order_rows.sections(
        catalogue["heads"], estimate["lines"], form, context["hidden"], detail=detail
    )
    # The links of the page keep the shop and the view (short or detail); the switch
    # between the views keeps the filters too.
    keep = {key: request.GET[key] for key in ("shop",) if request.GET.get(key)}
    if detail:
        keep[DETAIL] = "1"
    switch = request.GET.copy()
    for key in (DETAIL, "remplir"):
        switch.pop(key, None)
    if not detail:
        switch[DETAIL] = "1"
    return {
        **context,
        "keep_query": urlencode(keep),
        "switch_query": switch.urlencode(),
        "estimate": estimate,
        "sections": sections,
        "products_count": len(estimate["lines"]),
        "detail": detail,
        "local": catalogue["place"].local,
    }


def _filter_context(request, form, cooperative) -> dict:
    """The search, category, local and organic filters: the products that do not match
    are hidden, never left out of the form (what was typed for them is kept and saved),
    and a product whose field is in error is always shown."""
    search = ProductFilterForm(request.GET, products=form.products, cooperative=cooperative)
    hidden = set()
    if search.active():
        hidden = {
            product.pk
            for product, quantity, tolerance in form.rows()
            if not search.matches(product) and not (quantity.errors or tolerance.errors)
        }
    return {"search": search, "hidden": hidden}


def _order_save(request, shop, round_, order, form):
    lines = form.lines()
    if order is not None and not any(line["quantity"] for line in lines):
        orders.order_withdraw(order=order)
        messages.success(
            request, "Votre commande a été retirée de la tournée : toutes les quantités sont à 0."
        )
    else:
        if order is None:
            order = orders.order_place(
                round_id=round_.pk, shop=shop, lines=lines, user=request.user
            )
        else:
            order = orders.order_replace_lines(order=order, lines=lines)
        messages.success(
            request, "Commande enregistrée. Vous pouvez la modifier jusqu'à la date limite."
        )
    url = reverse("shop-order", kwargs={"pk": round_.pk})
    return redirect(f"{url}?{DETAIL}=1" if _detail(request) else url)


def _closed_order_page(request, page, round_, order, status=200, place=None):
    shop = page["shop"]
    supplier_order = (
        selectors.round_supplier_order(round_=round_)
        if round_.status != Round.Status.OPEN
        else None
    )
    allocations = []
    if supplier_order is not None:
        allocations = list(
            selectors.allocation_list(user=request.user, supplier_order=supplier_order)
            .filter(shop=shop)
            .select_related("product")
        )
    invoice = (
        selectors.invoice_list(user=request.user)
        .prefetch_related(None)
        .filter(round=round_, shop=shop)
        .first()
    )
    lines = [] if order is None else list(order.lines.select_related("product"))
    return render(
        request,
        "purchasing/order_closed.html",
        {
            **page,
            "round": round_,
            "order": order,
            "lines": lines,
            "state": _round_state(round_),
            "supplier_order": supplier_order,
            "allocations": allocations,
            "invoice": invoice,
            "place": place,
        },
        status=status,
    )


@role_required(SHOPKEEPER)
@require_POST
def shop_order_estimate(request, pk):
    """htmx: the totals and the gauges for what is typed, without saving anything."""
    shop = current_shop(request)
    round_, order, catalogue = _order_page(request, pk, shop)
    form = OrderForm(request.POST, products=catalogue["products"])
    context = {"round": round_, "oob": True, "closed": _round_state(round_) != "open"}
    if not context["closed"]:
        context.update(_estimate_context(request, round_, shop, order, form, catalogue))
    return render(request, "purchasing/_order_estimate.html", context)


@role_required(SHOPKEEPER)
def shop_orders(request):
    """The shop's orders, latest first, with what each line was allocated and received."""
    context = shop_page(request)
    shop = context["shop"]
    queryset = (
        selectors.order_list(user=request.user)
        .filter(shop=shop)
        .select_related("round__supplier")
        .prefetch_related(None)
        .prefetch_related(
            Prefetch("lines", OrderLine.objects.select_related("product")),
            Prefetch(
                "allocations",
                Allocation.objects.select_related("product").order_by(
                    "product__name", "product_id"
                ),
            ),
        )
        .order_by("-round__closes_at", "-id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    # A round's invoice, then its supplementary invoices (docs/supplier-differences.md).
    invoices = defaultdict(list)
    for invoice in (
        selectors.invoice_list(user=request.user)
        .prefetch_related(None)
        .filter(shop=shop, round__in=[order.round_id for order in page])
        .order_by("year", "sequence")
    ):
        invoices[invoice.round_id].append(invoice)
    rows = [
        {
            "order": order,
            "invoices": invoices.get(order.round_id, []),
            "allocations": list(order.allocations.all()),
        }
        for order in page
    ]
    return render(request, "purchasing/shop_orders.html", {**context, "page": page, "rows": rows})


@role_required(SHOPKEEPER)
def shop_invoices(request):
    """The shop's invoices, latest first, each with its due date, status and amount due;
    what is overdue summed at the top (docs/invoices-due.md)."""
    context = shop_page(request)
    shop = context["shop"]
    today = paris_today()
    invoices = selectors.invoices_with_due(
        selectors.invoice_list(user=request.user)
        .prefetch_related(None)
        .filter(shop=shop)
        .order_by("-year", "-sequence"),
        today=today,
    )
    overdue = Q(due_status="overdue")
    totals = invoices.aggregate(
        excl=Sum("total_excl_vat"),
        incl=Sum("total_incl_vat"),
        savings=Sum("savings"),
        count=Count("id"),
        due=Sum("due_amount"),
        overdue=Sum("due_amount", filter=overdue),
        overdue_count=Count("id", filter=overdue),
    )
    # Each invoice's credit notes beside it (docs/credit-notes.md): one query more.
    invoices = invoices.prefetch_related(
        Prefetch("credit_notes", CreditNote.objects.order_by("year", "sequence"))
    )
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "purchasing/shop_invoices.html",
        {**context, "page": page, "totals": totals, "rows": _invoice_rows(page, today)},
    )


def _invoice_rows(invoices, today) -> list[dict]:
    """Each invoice with its status on `today` (Invoice.status_on) and its French label."""
    rows = []
    for invoice in invoices:
        status = invoice.status_on(today)
        rows.append({"invoice": invoice, "status": status, "label": INVOICE_STATUS_LABELS[status]})
    return rows


@login_required
def invoice_detail(request, pk):
    """One invoice, for any role within its scope (as its PDF): its amounts, due date,
    status, amount due and what settled it (settlements not cancelled)."""
    invoice = get_object_or_404(
        selectors.invoice_list(user=request.user).prefetch_related(None), pk=pk
    )
    today = paris_today()
    return render(
        request,
        "purchasing/invoice_detail.html",
        {
            **_invoice_rows([invoice], today)[0],
            "settlements": list(selectors.invoice_settlements(invoice)),
            "einvoice_events": selectors.einvoice_history(invoice),
            "today": today,
        },
    )


@login_required
def invoice_pdf_view(request, pk):
    """Any role, within its scope: a shop's users, its accountant, the coordinator."""
    invoice = get_object_or_404(
        selectors.invoice_list(user=request.user).prefetch_related(None), pk=pk
    )
    return document_page_response(invoice_pdf_document(invoice), request)
