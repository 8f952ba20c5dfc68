"""The coordinator's pages: rounds with their fill, consolidation and its progress,
review, receipt."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from mache.documents import document_page_response
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur, plural
from mache.forms import add_service_errors, posted
from mache.outbox import enqueue_on_commit
from mache.progress import ENDED, task_progress
from shops.views import role_required

from .. import rules, selectors
from ..documents import purchase_order_document, purchase_order_issued
from ..forms import ReceiptForm
from ..models import Round, SupplierOrder
from ..pdf import purchase_order_pdf
from ..services import consolidation, lifecycle, receipt
from ..tasks import consolidate_round
from .common import COORDINATOR, PAGE_SIZE, pdf_response

# --- Coordinator ------------------------------------------------------------------------


def coord_rounds_page(request, *, form, status=200):
    """Every round with its status and deadline, and the form that opens one
    (`round_admin.coord_rounds`); the group total of open rounds loads apart (htmx),
    one small request each, so this page's queries stay fixed."""
    rounds = (
        selectors.round_list(user=request.user)
        .select_related("supplier_order")
        .annotate(order_count=Count("orders"))
        .order_by("-closes_at", "-id")
    )
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"round": r, "supplier_order": getattr(r, "supplier_order", None)} for r in page]
    review = (
        selectors.supplier_order_list(user=request.user)
        .prefetch_related(None)
        .filter(status=SupplierOrder.Status.NEEDS_REVIEW)
        .order_by("round__closes_at")
    )
    return render(
        request,
        "purchasing/coord_rounds.html",
        {"page": page, "rows": rows, "review": review, "form": form},
        status=status,
    )


@role_required(COORDINATOR)
def coord_round_total(request, pk):
    """htmx: an open round's group total against the supplier's minimum."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    fill = selectors.round_fill(round_=round_)
    return render(
        request,
        "purchasing/_group_total.html",
        {"group": selectors.group_summary(fill["total_excl_vat"], round_.supplier)},
    )


@role_required(COORDINATOR)
def coord_round(request, pk):
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    now = timezone.now()
    # Past its deadline but not consolidated yet (just after "Consolider maintenant", or
    # until the minute's sweep): closed to orders, no longer "Ouverte".
    context = {
        "round": round_,
        "closing": round_.status == Round.Status.OPEN and round_.closes_at <= now,
    }
    task_id = _uuid(request.GET.get("tache"))  # just after "Consolider maintenant"
    if task_id:
        context["task"] = _task_state(round_, task_id)
    supplier_order = selectors.round_supplier_order(round_=round_)
    if supplier_order is None and round_.takes_orders(now):
        missing_shops = selectors.round_missing_shops(round_=round_)
        addresses = selectors.shop_email_addresses(missing_shops)
        missing = list(missing_shops)
        context["missing"] = [{"shop": shop, "emails": addresses.get(shop.pk)} for shop in missing]
        context["opens_later"] = now < round_.opens_at
    if supplier_order is None:
        fill = selectors.round_fill(round_=round_)
        context["fill"] = [
            {
                **row,
                "gauge": selectors.case_gauge(row["ordered"], row["case_size"]),
                "amount": rules.line_amount(
                    row["cases_if_closed_now"] * row["case_size"], row["unit_price"]
                ),
            }
            for row in fill["products"]
        ]
        context["group"] = selectors.group_summary(fill["total_excl_vat"], round_.supplier)
    else:
        context["supplier_order"] = supplier_order
        # Once the coordinator has decided (confirmed or cancelled), the warnings that
        # asked for a decision are moot (docs/rounds.md); the others stay.
        decided = supplier_order.status != SupplierOrder.Status.NEEDS_REVIEW
        context["warnings"] = [
            warning
            for warning in supplier_order.warnings
            if not (decided and consolidation.is_review_warning(warning))
        ]
        context["lines"] = [
            {
                "line": line,
                "shortfall": (
                    line.units - line.received_units if line.received_units is not None else 0
                ),
            }
            for line in sorted(supplier_order.lines.all(), key=lambda ln: ln.product.name)
        ]
        context["allocations"] = (
            selectors.allocation_list(user=request.user, supplier_order=supplier_order)
            .select_related("shop", "product")
            .order_by("shop__name", "shop_id", "product__name")
        )
        context["invoices"] = (
            selectors.invoice_list(user=request.user)
            .prefetch_related(None)
            .filter(supplier_order=supplier_order)
            .order_by("sequence")
        )
    return render(request, "purchasing/coord_round.html", context)


@role_required(COORDINATOR)
@require_POST
def coord_round_consolidate(request, pk):
    """Close the round now and hand its consolidation to the worker."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    try:
        # One transaction for the round and its task (docs/tasks.md).
        with transaction.atomic():
            round_ = consolidation.round_close_now(round_id=round_.pk)
            task_id = enqueue_on_commit(consolidate_round, round_.pk)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
        return redirect("coord-round", pk=round_.pk)
    return redirect(f"{reverse('coord-round', args=[round_.pk])}?tache={task_id}")


def _uuid(text):
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _task_state(round_, task_id) -> dict:
    """The consolidation task's state, as worker.apis.TaskView reads it; a round already
    consolidated (by this task or by the minute's sweep) is done whatever the task says."""
    state = task_progress(task_id).state
    if state == "SUCCESS":
        # The round was read before the task's state: the task may have committed since.
        round_.refresh_from_db(fields=["status"])
    if round_.status != Round.Status.OPEN:
        state = "SUCCESS"
    labels = {
        "PENDING": ("En attente du worker…", 10),
        "RECEIVED": ("Reçue par le worker…", 25),
        "STARTED": ("Consolidation en cours…", 60),
        "RETRY": ("Nouvel essai…", 40),
        "SUCCESS": ("Consolidation terminée.", 100),
        "FAILURE": ("La consolidation a échoué : relancez-la ou prévenez l'administrateur.", 100),
    }
    label, percent = labels.get(state, ("En cours…", 50))
    if state == "SUCCESS" and round_.status == Round.Status.OPEN:
        label = "Rien à consolider : la date limite n'est pas encore passée."
    return {
        "id": task_id,
        "state": state,
        "label": label,
        "percent": percent,
        "done": state in ENDED,
        "failed": state == "FAILURE",
        "consolidated": round_.status != Round.Status.OPEN,
    }


@role_required(COORDINATOR)
def coord_round_task(request, pk, task_id):
    """htmx, every 2 s while the task runs: its progress; then a link to the result."""
    round_ = get_object_or_404(selectors.round_list(user=request.user), pk=pk)
    task = _task_state(round_, task_id)
    context = {"round": round_, "task": task, "oob": task["consolidated"]}
    if task["consolidated"]:
        # The rest of the page follows (htmx out-of-band swaps): the round's status, and
        # the supplier order's in place of the fill (docs/rounds.md).
        context["supplier_order"] = selectors.round_supplier_order(round_=round_)
    return render(request, "purchasing/_task_progress.html", context)


def _supplier_order(request, round_id) -> SupplierOrder:
    return get_object_or_404(selectors.supplier_order_list(user=request.user), round_id=round_id)


@role_required(COORDINATOR)
@require_POST
def coord_round_confirm(request, pk):
    try:
        lifecycle.supplier_order_confirm(supplier_order_id=_supplier_order(request, pk).pk)
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
        lifecycle.round_cancel(round_id=round_.pk)
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
                    supplier_order_id=supplier_order.pk,
                    received=form.received(),
                    lots=form.lots(),
                    received_on=form.cleaned_data["received_on"],
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                messages.error(request, exc.detail)
                status = 409
            else:
                total = sum((invoice.total_incl_vat for invoice in invoices), Decimal("0.00"))
                messages.success(
                    request,
                    f"Réception enregistrée : "
                    f"{plural(len(invoices), 'facture émise', 'factures émises')}, "
                    f"{format_eur(total)} TTC au total.",
                )
                return redirect("coord-round", pk=pk)
    return render(
        request,
        "purchasing/coord_receipt.html",
        {"round": supplier_order.round, "supplier_order": supplier_order, "form": form},
        status=status,
    )


@role_required(COORDINATOR)
def coord_purchase_order_pdf(request, pk):
    """The purchase order as sent (stored once confirmed, docs/documents.md); a draft in
    review or a cancelled order's is drawn as it is."""
    supplier_order = _supplier_order(request, pk)
    if purchase_order_issued(supplier_order):
        return document_page_response(purchase_order_document(supplier_order), request)
    return pdf_response(
        purchase_order_pdf(supplier_order), f"bon-de-commande-{supplier_order.pk}.pdf"
    )
