"""Pages of credit notes (docs/credit-notes.md): the coordinator's page of an invoice,
with its credit notes and the form that issues one; a credit note's page and its PDF
(any role, within its scope); the shop's list of its credit notes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from mache.documents import document_page_response
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_eur
from mache.forms import add_service_errors, posted
from mache.periods import paris_today
from shops.views import role_required, shop_page

from .. import selectors
from ..documents import credit_note_pdf_document
from ..forms import CreditNoteForm
from ..services.credit_notes import credit_note_issue, credited_before
from .common import COORDINATOR, PAGE_SIZE, SHOPKEEPER

STATUS_LABELS = {
    "open": "à payer",
    "partially_paid": "payée en partie",
    "paid": "payée",
    "overdue": "en retard",
    "credited": "annulée par avoir",
}


def _invoice_context(request, pk) -> dict:
    invoice = get_object_or_404(
        selectors.invoice_list(user=request.user).select_related("round__supplier"), pk=pk
    )
    lines = sorted(invoice.lines.all(), key=lambda line: line.position)
    credited = credited_before(invoice)
    left = {line.pk: line.quantity - credited.units.get(line.pk, 0) for line in lines}
    status = invoice.status_on(paris_today())
    return {
        "invoice": invoice,
        "lines": lines,
        "left": left,
        "rows": [(line, left[line.pk]) for line in lines],
        "credit_notes": list(
            selectors.credit_note_list(user=request.user)
            .prefetch_related(None)
            .filter(invoice=invoice)
            .order_by("year", "sequence")
        ),
        "status_label": STATUS_LABELS.get(status, status),
        "einvoice_events": selectors.einvoice_history(invoice),
    }


@role_required(COORDINATOR)
def coord_invoice(request, pk):
    """An invoice as the coordinator sees it: its lines, what remains due, its credit
    notes, and the way to issue one."""
    return render(request, "purchasing/coord_invoice.html", _invoice_context(request, pk))


@role_required(COORDINATOR)
def coord_credit_note_new(request, pk):
    context = _invoice_context(request, pk)
    invoice, lines = context["invoice"], context["lines"]
    groups = sorted({(line.kind, line.vat_rate) for line in lines}, key=_group_order)
    form = CreditNoteForm(posted(request), invoice_lines=lines, left=context["left"], groups=groups)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            service_lines, fields = form.lines()
            try:
                credit_note = credit_note_issue(
                    invoice_id=invoice.pk,
                    reason=form.cleaned_data["reason"],
                    lines=service_lines,
                    issued_on=form.cleaned_data["issued_on"],
                    user=request.user,
                )
            except InvalidInput as exc:
                _errors_beside_fields(form, exc, fields)
            except BusinessRuleError as exc:
                messages.error(request, exc.detail)
                status = 409
            else:
                messages.success(
                    request,
                    f"Avoir {credit_note.number} émis : "
                    f"{format_eur(credit_note.total_incl_vat)} TTC.",
                )
                return redirect("credit-note", pk=credit_note.pk)
    return render(
        request, "purchasing/coord_credit_note_new.html", {**context, "form": form}, status=status
    )


def _group_order(group):
    kind, rate = group
    return (["goods", "shipping", "fee"].index(kind), rate)


def _errors_beside_fields(form, exc: InvalidInput, fields: list[str]) -> None:
    """The service names a refused line by its index: its message goes beside the field
    that line came from."""
    per_line = exc.errors.get("lines")
    if isinstance(per_line, list) and per_line and isinstance(per_line[0], dict):
        for index, errors in enumerate(per_line):
            for messages_ in errors.values():
                for message in messages_:
                    form.add_error(fields[index], message)
        rest = {key: value for key, value in exc.errors.items() if key != "lines"}
        if rest:
            add_service_errors(form, InvalidInput(rest))
        return
    add_service_errors(form, exc)


@login_required
def credit_note_detail(request, pk):
    """Any role, within its scope: a shop's users, its accountant, the coordinator."""
    credit_note = get_object_or_404(
        selectors.credit_note_list(user=request.user).select_related("invoice"), pk=pk
    )
    return render(
        request,
        "purchasing/credit_note.html",
        {
            "credit_note": credit_note,
            "lines": sorted(credit_note.lines.all(), key=lambda line: line.position),
            "excess": credit_note.total_incl_vat - credit_note.applied,
            "einvoice_events": selectors.einvoice_history(credit_note),
        },
    )


@login_required
def credit_note_pdf_view(request, pk):
    credit_note = get_object_or_404(
        selectors.credit_note_list(user=request.user).prefetch_related(None), pk=pk
    )
    return document_page_response(credit_note_pdf_document(credit_note), request)


@role_required(SHOPKEEPER)
def shop_credit_notes(request):
    context = shop_page(request)
    credit_notes = (
        selectors.credit_note_list(user=request.user)
        .prefetch_related(None)
        .filter(shop=context["shop"])
        .order_by("-year", "-sequence")
    )
    page = Paginator(credit_notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "purchasing/shop_credit_notes.html", {**context, "page": page})
