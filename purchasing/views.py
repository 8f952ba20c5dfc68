"""Pages of pooled purchasing (server-rendered, French).

Shopkeepers: the open rounds, the order form of a round with its live estimate (htmx),
their past orders with what was allocated, their invoices. The coordinator: the rounds
with their fill, consolidation with its progress, review, receipt.

Every object comes from the scoped selectors, every write goes through a service:
the pages add no rule of their own, they only lay out what the rules return.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from celery.result import AsyncResult
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur
from shops.forms import add_service_errors, posted
from shops.models import User
from shops.views import current_shop, role_required, shop_page

from . import rules, selectors
from .forms import OrderForm, ReceiptForm
from .models import Allocation, OrderLine, Round, SupplierOrder
from .pdf import invoice_pdf, purchase_order_pdf
from .services import consolidation, orders, receipt

SHOPKEEPER = User.Role.SHOPKEEPER
COORDINATOR = User.Role.COORDINATOR
ROUND_CLOSED = "La tournée est close : votre commande n'a pas été enregistrée."
PAGE_SIZE = 20


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _percent(part, whole) -> int:
    """A gauge's width, 0 to 100."""
    if not whole:
        return 100 if part else 0
    return max(0, min(100, int(part * 100 / whole)))


def _case_gauge(ordered: int, case_size: int) -> int:
    """How full the group's current case is: a case just completed shows full."""
    rest = ordered % case_size
    return 100 if ordered and not rest else rest * 100 // case_size


def _group_summary(total: Decimal, supplier) -> dict:
    """The group's total against the supplier's minimum and free-shipping threshold."""
    minimum, franco = supplier.min_order_amount, supplier.free_shipping_threshold
    return {
        "total": total, "minimum": minimum, "franco": franco,
        "below_minimum": rules.needs_review(total, minimum),
        "minimum_missing": max(minimum - total, Decimal("0.00")),
        "minimum_percent": _percent(total, minimum),
        "shipping": rules.shipping_for(total, supplier.shipping_fee, franco),
        "franco_missing": max(franco - total, Decimal("0.00")) if franco is not None else None,
        "franco_percent": _percent(total, franco) if franco is not None else None,
    }


# --- Shopkeeper: the order form and its estimate --------------------------------------

@dataclass
class LineEstimate:
    """One product of the order form, as if the round closed now with what was typed."""

    product: object
    tiers: list
    ordered: int  # the group's units, the shop's typed quantity in place of its saved one
    cases: int
    unit_price: Decimal  # the group price for those cases (rule 3)
    missing: int
    gauge: int
    quantity: int
    tolerance: int
    amount: Decimal  # the shop's line, excl. VAT
    vat_rate: Decimal = field(init=False)

    def __post_init__(self):
        self.vat_rate = self.product.vat_rate


def order_estimate(*, round_, fill, products, saved, typed) -> dict:
    """The shop's totals and the group's fill if the round closed now, with the shop's
    typed lines in place of its saved ones; nothing is written.

    `fill` is selectors.round_fill(round_); `saved` and `typed` map product ids to
    (quantity, tolerance). Prices and amounts come from purchasing.rules (rules 1, 3, 4
    and the VAT of rule 6), as consolidation computes them.
    """
    by_product = {row["product"]: row for row in fill["products"]}
    group_total = fill["total_excl_vat"]
    lines = []
    for product in products:
        row = by_product.get(product.pk)
        old_quantity, old_tolerance = saved.get(product.pk, (0, 0))
        quantity, tolerance = typed.get(product.pk, (0, 0))
        ordered = (row["ordered"] if row else 0) - old_quantity + quantity
        group_tolerance = (row["tolerance"] if row else 0) - old_tolerance + tolerance
        tiers = [rules.Tier(t.min_cases, t.unit_price) for t in product.price_tiers.all()]
        cases = rules.cases_for(ordered, group_tolerance, product.case_size)
        price = rules.group_price(product.unit_price, tiers, cases)
        if row:
            group_total -= rules.line_amount(row["cases_if_closed_now"] * row["case_size"],
                                             row["unit_price"])
        group_total += rules.line_amount(cases * product.case_size, price)
        lines.append(LineEstimate(
            product=product, tiers=tiers, ordered=ordered, cases=cases, unit_price=price,
            missing=rules.missing_for_next_case(ordered, product.case_size),
            gauge=_case_gauge(ordered, product.case_size), quantity=quantity,
            tolerance=tolerance, amount=rules.line_amount(quantity, price)))
    shop_excl = sum((line.amount for line in lines), Decimal("0.00"))
    shop_vat = sum((rules.vat_amount(base, rate)
                    for rate, base in rules.amounts_by_rate(lines).items()), Decimal("0.00"))
    return {"lines": lines, "shop_excl": shop_excl, "shop_vat": shop_vat,
            "shop_incl": shop_excl + shop_vat,
            "group": _group_summary(group_total, round_.supplier)}


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
    return selectors.order_list(user=user).filter(round=round_, shop=shop).first()


def _order_page(request, round_id, shop):
    """What the order form and its estimate both need."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=round_id)
    products = (selectors.product_list(user=request.user)
                .filter(supplier_id=round_.supplier_id, active=True).order_by("name", "id"))
    return round_, _shop_order(request.user, round_, shop), products


def _saved_lines(order) -> dict:
    return {} if order is None else {
        line.product_id: (line.quantity, line.tolerance) for line in order.lines.all()}


def _estimate_context(round_, order, form) -> dict:
    form.is_valid()
    estimate = order_estimate(round_=round_, fill=selectors.round_fill(round_=round_),
                              products=form.products, saved=_saved_lines(order),
                              typed=form.typed())
    fields = {product.pk: (qty, tol) for product, qty, tol in form.rows()}
    rows = [{"line": line, "quantity": fields[line.product.pk][0],
             "tolerance": fields[line.product.pk][1]} for line in estimate["lines"]]
    return {"estimate": estimate, "rows": rows}


@role_required(SHOPKEEPER)
def shop_rounds(request):
    """The rounds open to orders now and soon, with the time left before each deadline."""
    page = shop_page(request)
    shop = page["shop"]
    rounds = list(selectors.round_list(user=request.user)
                  .filter(status=Round.Status.OPEN, closes_at__gt=timezone.now())
                  .order_by("closes_at", "id"))
    ordered = dict(selectors.order_list(user=request.user).filter(shop=shop, round__in=rounds)
                   .annotate(products=Count("lines")).values_list("round_id", "products"))
    rows = [{"round": r, "state": _round_state(r), "products": ordered.get(r.pk)}
            for r in rounds]
    return render(request, "purchasing/shop_rounds.html", {
        **page, "open": [row for row in rows if row["state"] == "open"],
        "upcoming": [row for row in rows if row["state"] == "upcoming"]})


@role_required(SHOPKEEPER)
def shop_order(request, pk):
    """The order form of a round (its estimate updates as the shopkeeper types); after
    the deadline, what the shop ordered and, once consolidated, what it was allocated."""
    page = shop_page(request)
    shop = page["shop"]
    round_, order, products = _order_page(request, pk, shop)
    if _round_state(round_) != "open":
        if request.method == "POST":
            messages.error(request, ROUND_CLOSED)
            return _closed_order_page(request, page, round_, order, status=409)
        return _closed_order_page(request, page, round_, order)
    form = OrderForm(posted(request), products=products, initial=OrderForm.initial_from(order))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return _order_save(request, shop, round_, order, form)
            except orders.RoundClosed:
                messages.error(request, ROUND_CLOSED)
                round_.refresh_from_db()
                return _closed_order_page(request, page, round_, order, status=409)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:  # a suspended shop, an order made in another tab
                add_service_errors(form, exc)
                status = 409
    return render(request, "purchasing/order_form.html", {
        **page, "round": round_, "order": order, "form": form, "state": "open",
        **_estimate_context(round_, order, form)}, status=status)


def _order_save(request, shop, round_, order, form):
    lines = form.lines()
    if order is not None and not any(line["quantity"] for line in lines):
        orders.order_withdraw(order=order)
        messages.success(request, "Votre commande a été retirée de la tournée : toutes les "
                                  "quantités sont à 0.")
    else:
        if order is None:
            order = orders.order_place(round_id=round_.pk, shop=shop, lines=lines,
                                       user=request.user)
        else:
            order = orders.order_replace_lines(order=order, lines=lines)
        messages.success(request, "Commande enregistrée. Vous pouvez la modifier jusqu'à la "
                                  "date limite.")
    return redirect("shop-order", pk=round_.pk)


def _closed_order_page(request, page, round_, order, status=200):
    shop = page["shop"]
    supplier_order = (selectors.round_supplier_order(round_=round_)
                      if round_.status != Round.Status.OPEN else None)
    allocations = []
    if supplier_order is not None:
        allocations = list(selectors.allocation_list(user=request.user,
                                                     supplier_order=supplier_order)
                           .filter(shop=shop).select_related("product"))
    invoice = (selectors.invoice_list(user=request.user).prefetch_related(None)
               .filter(round=round_, shop=shop).first())
    lines = [] if order is None else list(order.lines.select_related("product"))
    return render(request, "purchasing/order_closed.html", {
        **page, "round": round_, "order": order, "lines": lines,
        "state": _round_state(round_),
        "supplier_order": supplier_order, "allocations": allocations, "invoice": invoice},
        status=status)


@role_required(SHOPKEEPER)
@require_POST
def shop_order_estimate(request, pk):
    """htmx: the totals and the gauges for what is typed, without saving anything."""
    round_, order, products = _order_page(request, pk, current_shop(request))
    form = OrderForm(request.POST, products=products)
    context = {"round": round_, "oob": True, "closed": _round_state(round_) != "open"}
    if not context["closed"]:
        context.update(_estimate_context(round_, order, form))
    return render(request, "purchasing/_order_estimate.html", context)


@role_required(SHOPKEEPER)
def shop_orders(request):
    """The shop's orders, latest first, with what each line was allocated and received."""
    context = shop_page(request)
    shop = context["shop"]
    queryset = (selectors.order_list(user=request.user).filter(shop=shop)
                .select_related("round__supplier").prefetch_related(None).prefetch_related(
                    Prefetch("lines", OrderLine.objects.select_related("product")),
                    Prefetch("allocations", Allocation.objects.select_related("product")
                             .order_by("product__name", "product_id")))
                .order_by("-round__closes_at", "-id"))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    invoices = {invoice.round_id: invoice for invoice in
                selectors.invoice_list(user=request.user).prefetch_related(None)
                .filter(shop=shop, round__in=[order.round_id for order in page])}
    rows = [{"order": order, "invoice": invoices.get(order.round_id),
             "allocations": list(order.allocations.all())} for order in page]
    return render(request, "purchasing/shop_orders.html",
                  {**context, "page": page, "rows": rows})


@role_required(SHOPKEEPER)
def shop_invoices(request):
    context = shop_page(request)
    shop = context["shop"]
    invoices = (selectors.invoice_list(user=request.user).prefetch_related(None)
                .filter(shop=shop).order_by("-year", "-sequence"))
    totals = invoices.aggregate(excl=Sum("total_excl_vat"), incl=Sum("total_incl_vat"),
                                savings=Sum("savings"), count=Count("id"))
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "purchasing/shop_invoices.html",
                  {**context, "page": page, "totals": totals})


@login_required
def invoice_pdf_view(request, pk):
    """Any role, within its scope: a shop's users, its accountant, the coordinator."""
    invoice = get_object_or_404(selectors.invoice_list(user=request.user), pk=pk)
    return _pdf(invoice_pdf(invoice), f"{invoice.number}.pdf")


# --- Coordinator ------------------------------------------------------------------------

@role_required(COORDINATOR)
def coord_rounds(request):
    """Every round with its status and deadline; the group total of open rounds loads
    apart (htmx), one small request each, so this page's queries stay fixed."""
    rounds = (selectors.round_list(user=request.user).select_related("supplier_order")
              .annotate(order_count=Count("orders")).order_by("-closes_at", "-id"))
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"round": r, "supplier_order": getattr(r, "supplier_order", None)} for r in page]
    review = (selectors.supplier_order_list(user=request.user).prefetch_related(None)
              .filter(status=SupplierOrder.Status.NEEDS_REVIEW).order_by("round__closes_at"))
    return render(request, "purchasing/coord_rounds.html",
                  {"page": page, "rows": rows, "review": review})


@role_required(COORDINATOR)
def coord_round_total(request, pk):
    """htmx: an open round's group total against the supplier's minimum."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    fill = selectors.round_fill(round_=round_)
    return render(request, "purchasing/_group_total.html",
                  {"group": _group_summary(fill["total_excl_vat"], round_.supplier)})


@role_required(COORDINATOR)
def coord_round(request, pk):
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    context = {"round": round_}
    task_id = _uuid(request.GET.get("tache"))  # just after "Consolider maintenant"
    if task_id:
        context["task"] = _task_state(round_, task_id)
    supplier_order = selectors.round_supplier_order(round_=round_)
    if supplier_order is None:
        fill = selectors.round_fill(round_=round_)
        context["fill"] = [
            {**row, "gauge": _case_gauge(row["ordered"], row["case_size"]),
             "amount": rules.line_amount(row["cases_if_closed_now"] * row["case_size"],
                                         row["unit_price"])}
            for row in fill["products"]]
        context["group"] = _group_summary(fill["total_excl_vat"], round_.supplier)
    else:
        context["supplier_order"] = supplier_order
        context["lines"] = [
            {"line": line, "shortfall": (line.units - line.received_units
                                         if line.received_units is not None else 0)}
            for line in sorted(supplier_order.lines.all(), key=lambda ln: ln.product.name)]
        context["allocations"] = (selectors.allocation_list(user=request.user,
                                                            supplier_order=supplier_order)
                                  .select_related("shop", "product")
                                  .order_by("shop__name", "shop_id", "product__name"))
        context["invoices"] = (selectors.invoice_list(user=request.user)
                               .prefetch_related(None).filter(supplier_order=supplier_order)
                               .order_by("sequence"))
    return render(request, "purchasing/coord_round.html", context)


@role_required(COORDINATOR)
@require_POST
def coord_round_consolidate(request, pk):
    """Close the round now and hand its consolidation to the worker."""
    from worker.tasks import enqueue_on_commit

    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    try:
        round_ = consolidation.round_close_now(round_id=round_.pk)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
        return redirect("coord-round", pk=round_.pk)
    task_id = enqueue_on_commit("worker.consolidate_round", round_.pk)
    return redirect(f"{reverse('coord-round', args=[round_.pk])}?tache={task_id}")


def _uuid(text):
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _task_state(round_, task_id) -> dict:
    """The consolidation task's state, as worker.apis.TaskView reads it; a round already
    consolidated (by this task or by the minute's sweep) is done whatever the task says."""
    from mache.celery import app

    state = AsyncResult(str(task_id), app=app).state
    if state == "SUCCESS":
        # The round was read before the task's state: the task may have committed since.
        round_.refresh_from_db(fields=["status"])
    if round_.status != Round.Status.OPEN:
        state = "SUCCESS"
    labels = {"PENDING": ("En attente du worker…", 10), "RECEIVED": ("Reçue par le worker…", 25),
              "STARTED": ("Consolidation en cours…", 60), "RETRY": ("Nouvel essai…", 40),
              "SUCCESS": ("Consolidation terminée.", 100),
              "FAILURE": ("La consolidation a échoué : relancez-la ou prévenez "
                          "l'administrateur.", 100)}
    label, percent = labels.get(state, ("En cours…", 50))
    if state == "SUCCESS" and round_.status == Round.Status.OPEN:
        label = "Rien à consolider : la date limite n'est pas encore passée."
    return {"id": task_id, "state": state, "label": label, "percent": percent,
            "done": state in ("SUCCESS", "FAILURE"), "failed": state == "FAILURE",
            "consolidated": round_.status != Round.Status.OPEN}


@role_required(COORDINATOR)
def coord_round_task(request, pk, task_id):
    """htmx, every 2 s while the task runs: its progress; then a link to the result."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    return render(request, "purchasing/_task_progress.html",
                  {"round": round_, "task": _task_state(round_, task_id)})


def _supplier_order(request, round_id) -> SupplierOrder:
    return get_object_or_404(selectors.supplier_order_list(user=request.user),
                             round_id=round_id)


@role_required(COORDINATOR)
@require_POST
def coord_round_confirm(request, pk):
    try:
        receipt.supplier_order_confirm(supplier_order_id=_supplier_order(request, pk).pk)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Commande fournisseur validée malgré le minimum.")
    return redirect("coord-round", pk=pk)


@role_required(COORDINATOR)
@require_POST
def coord_round_cancel(request, pk):
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    try:
        receipt.round_cancel(round_id=round_.pk)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Tournée annulée : rien ne sera commandé ni facturé.")
    return redirect("coord-round", pk=pk)


@role_required(COORDINATOR)
def coord_round_receipt(request, pk):
    """The delivery, line by line: units received (a shortfall is shared by rule 5), and
    lots; then the shops' invoices are issued."""
    supplier_order = _supplier_order(request, pk)
    lines = sorted(supplier_order.lines.all(), key=lambda ln: ln.product.name)
    form = ReceiptForm(posted(request), lines=lines)
    status = 200
    if request.method == "POST" and supplier_order.status == SupplierOrder.Status.CONFIRMED:
        status = 400
        if form.is_valid():
            try:
                invoices = receipt.supplier_order_receive(
                    supplier_order_id=supplier_order.pk, received=form.received(),
                    lots=form.lots())
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                messages.error(request, exc.detail)
                status = 409
            else:
                total = sum((invoice.total_incl_vat for invoice in invoices), Decimal("0.00"))
                messages.success(request, f"Réception enregistrée : {len(invoices)} facture(s) "
                                          f"émise(s), {format_eur(total)} TTC au total.")
                return redirect("coord-round", pk=pk)
    return render(request, "purchasing/coord_receipt.html",
                  {"round": supplier_order.round, "supplier_order": supplier_order,
                   "form": form}, status=status)


@role_required(COORDINATOR)
def coord_purchase_order_pdf(request, pk):
    supplier_order = _supplier_order(request, pk)
    return _pdf(purchase_order_pdf(supplier_order), f"bon-de-commande-{supplier_order.pk}.pdf")


page_urlpatterns = [
    path("commandes/", shop_rounds, name="shop-rounds"),
    path("commandes/historique/", shop_orders, name="shop-orders"),
    path("commandes/<int:pk>/", shop_order, name="shop-order"),
    path("commandes/<int:pk>/estimation/", shop_order_estimate, name="shop-order-estimate"),
    path("factures/", shop_invoices, name="shop-invoices"),
    path("factures/<int:pk>/pdf/", invoice_pdf_view, name="invoice-pdf"),
    path("coordination/tournees/", coord_rounds, name="coord-rounds"),
    path("coordination/tournees/<int:pk>/", coord_round, name="coord-round"),
    path("coordination/tournees/<int:pk>/total/", coord_round_total, name="coord-round-total"),
    path("coordination/tournees/<int:pk>/consolider/", coord_round_consolidate,
         name="coord-round-consolidate"),
    path("coordination/tournees/<int:pk>/taches/<uuid:task_id>/", coord_round_task,
         name="coord-round-task"),
    path("coordination/tournees/<int:pk>/valider/", coord_round_confirm,
         name="coord-round-confirm"),
    path("coordination/tournees/<int:pk>/annuler/", coord_round_cancel,
         name="coord-round-cancel"),
    path("coordination/tournees/<int:pk>/reception/", coord_round_receipt,
         name="coord-round-receipt"),
    path("coordination/tournees/<int:pk>/bon-de-commande/", coord_purchase_order_pdf,
         name="coord-purchase-order-pdf"),
]
