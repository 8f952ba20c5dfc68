"""Pages of the books (server-rendered, French).

- The till (/caisse/): shopkeepers and coordinators record the day's Z ticket of the
  current shop, through the same service as the API (`sales_day_record`).
- The books (/comptable/...): accountants and coordinators open the ledgers they serve:
  the statements over a period and their files, the FEC of a year, the entries
  with their reversal, a manual correcting entry. Shopkeepers read their own shop's
  books too, as the API lets them, but write nothing there (403).

Every page reads through the API's selectors (`ledger_for` answers 404 for a ledger the
user may not see, `entry_list` is scoped) and writes through its services, whose
errors are shown beside the fields; the files are the API's own (`statement_file`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_date, format_eur
from mache.forms import add_service_errors
from mache.periods import paris_today
from mache.permissions import ACCOUNTANT, BOOKS_ROLES, COORDINATOR, SHOPKEEPER
from shops.views import role_required, shop_page

from .apis.statements import statement_file
from .fec import fec_export
from .forms import BooksForm, FecForm, ManualEntryForm, StatementForm, ZTicketForm, month_period
from .renderers import FORMATS
from .sales.services import sales_day_record
from .selectors import COOP, account_list, entry_list, journal_list, ledger_for, ledger_list
from .services import entry_reverse, manual_entry_post
from .statements import (
    aged_balance,
    balance_sheet,
    general_ledger,
    income_statement,
    journal_statement,
    trial_balance,
    vat_statement,
)
from .statements.aged_balance import CUSTOMERS, SUPPLIERS
from .statements.table import ledger_name

RECENT_TICKETS = 10
ENTRIES_PER_PAGE = 50


def _aged_at_period_end(side):
    """The aged balance as the books page offers it: at the last day of the period."""

    def compute(*, ledger, date_from, date_to):
        return aged_balance(ledger=ledger, side=side, at=date_to)

    return compute


# The statements by the slug of their files ("balance-12-2026-11-01-2026-11-30.csv").
STATEMENTS = {
    "balance": ("Balance générale", trial_balance),
    "grand-livre": ("Grand livre", general_ledger),
    "journal": ("Journal", journal_statement),
    "compte-de-resultat": ("Compte de résultat", income_statement),
    "tva": ("Déclaration de TVA (lignes de la CA3)", vat_statement),
    "bilan": ("Bilan à la fin de la période", balance_sheet),
    "balance-agee-clients": (
        "Balance âgée des clients, à la fin de la période",
        _aged_at_period_end(CUSTOMERS),
    ),
    "balance-agee-fournisseurs": (
        "Balance âgée des fournisseurs, à la fin de la période",
        _aged_at_period_end(SUPPLIERS),
    ),
}


def _key(ledger) -> int | str:
    """How URLs and the API name a ledger: its shop's id, or "coop"."""
    return ledger.shop_id or COOP


def _books_url(ledger, query: str = "") -> str:
    url = reverse("acc-books", args=[_key(ledger)])
    return f"{url}?{query}" if query else url


# --- The till -------------------------------------------------------------------------


@role_required(SHOPKEEPER, COORDINATOR)
def till(request):
    context = shop_page(request)
    shop = context["shop"]
    form = ZTicketForm(
        request.POST if request.method == "POST" else None, initial={"date": paris_today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            sales_day = sales_day_record(shop=shop, user=request.user, **form.ticket())
        except (InvalidInput, BusinessRuleError) as exc:
            # Its refusals without a field (the day's ticket exists, the month is
            # closed) are about the day.
            add_service_errors(form, exc, field="date")
        else:
            messages.success(
                request,
                f"Ticket Z du {format_date(sales_day.date)} enregistré : "
                f"{format_eur(sales_day.total_incl_vat)} "
                f"({sales_day.entry.reference}).",
            )
            return redirect(request.get_full_path())
    # The shop comes from the user's scope (current_shop): its tickets are theirs to see.
    # Standing tickets only: a reversed one gave its day back (see accounting.sales).
    context["tickets"] = (
        shop.sales_days.filter(reversed_by__isnull=True)
        .select_related("entry__journal")
        .order_by("-date")[:RECENT_TICKETS]
    )
    context["form"] = form
    return render(request, "accounting/till.html", context)


# --- The books ------------------------------------------------------------------------


@login_required
def books_home(request):
    ledgers = ledger_list(user=request.user).order_by("kind", "shop__name")
    return render(request, "accounting/home.html", {"ledgers": ledgers})


@login_required
def books(request, ledger_key):
    """A ledger's books over a period. The entries' section alone answers the htmx
    requests of its journal filter and its pages."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    form = BooksForm.of_query(request.GET, journals=journal_list(ledger=ledger))
    context = {
        "ledger": ledger,
        "key": _key(ledger),
        "form": form,
        "may_write": request.user.effective_role in BOOKS_ROLES,
    }
    if form.is_valid():
        period = form.cleaned_data
        entries = (
            entry_list(user=request.user)
            .filter(ledger=ledger, date__gte=period["start"], date__lte=period["end"])
            .select_related("reversed_by__journal")
        )
        if period["journal"]:
            entries = entries.filter(journal__code=period["journal"])
        context["entries"] = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
        if request.htmx.target == "entries":
            return render(request, "accounting/_entries.html", context)
        context.update(
            {
                "period_query": form.query(),
                "statements": STATEMENTS,
                "formats": FORMATS,
                "trial_balance": trial_balance(
                    ledger=ledger, date_from=period["start"], date_to=period["end"]
                ),
            }
        )
    context.update({"ledger_name": ledger_name(ledger), "fec_form": FecForm()})
    return render(request, "accounting/books.html", context)


@login_required
def statement_download(request, ledger_key, statement, file_format):
    """A statement's file, the API's own (same content, type and name). A period in error
    (a link typed by hand) is said beside its fields on a small form."""
    if statement not in STATEMENTS or file_format not in FORMATS:
        raise Http404
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    title, compute = STATEMENTS[statement]
    form = StatementForm.of_query(request.GET)
    if form.is_valid():
        period = form.cleaned_data
        extra = (
            {"journal": period["journal"]} if statement == "journal" and period["journal"] else {}
        )
        try:
            result = compute(
                ledger=ledger, date_from=period["start"], date_to=period["end"], **extra
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            return statement_file(result, FORMATS[file_format])
    return render(
        request,
        "accounting/download.html",
        {
            "ledger": ledger,
            "key": _key(ledger),
            "form": form,
            "title": f"{title} ({file_format.upper()})",
        },
        status=400,
    )


@login_required
def fec_download(request, ledger_key):
    """The FEC of a fiscal year, as the API sends it (accounting.apis.fec)."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    form = FecForm(request.GET or None)
    if form.is_valid():
        filename, content = fec_export(ledger=ledger, year=form.cleaned_data["year"])
        response = HttpResponse(content, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(
        request,
        "accounting/download.html",
        {
            "ledger": ledger,
            "key": _key(ledger),
            "form": form,
            "title": "Fichier des écritures comptables (FEC)",
        },
        status=400 if form.is_bound else 200,
    )


@role_required(ACCOUNTANT, COORDINATOR)
@require_POST
def entry_reverse_view(request, ledger_key, entry_id):
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    entry = get_object_or_404(entry_list(user=request.user).filter(ledger=ledger), pk=entry_id)
    try:
        reversal = entry_reverse(entry=entry, user=request.user)
    except BusinessRuleError as exc:  # reversed already, a reversal, a closed month
        messages.error(request, f"{entry.reference} : {exc.detail}")
    else:
        messages.success(
            request,
            f"Écriture {entry.reference} extournée par "
            f"{reversal.reference} du {format_date(reversal.date)}.",
        )
    # Back to the period the user was looking at (only a query string: no open redirect).
    return redirect(_books_url(ledger, QueryDict(request.POST.get("back", "")).urlencode()))


@role_required(ACCOUNTANT, COORDINATOR)
def entry_new(request, ledger_key):
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    form = ManualEntryForm(
        request.POST if request.method == "POST" else None,
        journals=journal_list(ledger=ledger),
        initial={"journal": "OD", "date": paris_today()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = manual_entry_post(ledger=ledger, user=request.user, **form.entry())
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc, field="date")
        else:
            messages.success(request, f"Écriture {entry.reference} passée.")
            return redirect(_books_url(ledger, month_period(entry.date)))
    return render(
        request,
        "accounting/entry_form.html",
        {
            "ledger": ledger,
            "key": _key(ledger),
            "ledger_name": ledger_name(ledger),
            "form": form,
            "accounts": account_list(ledger=ledger),
        },
    )


page_urlpatterns = [
    path("caisse/", till, name="shop-till"),
    path("comptable/", books_home, name="acc-home"),
    # <ledger_key>: a shop's id or "coop", as the API's ?shop= (ledger_for reads both).
    path("comptable/<str:ledger_key>/", books, name="acc-books"),
    path(
        "comptable/<str:ledger_key>/releves/<slug:statement>.<slug:file_format>",
        statement_download,
        name="acc-statement-file",
    ),
    path("comptable/<str:ledger_key>/fec/", fec_download, name="acc-fec"),
    path("comptable/<str:ledger_key>/ecritures/nouvelle/", entry_new, name="acc-entry-new"),
    path(
        "comptable/<str:ledger_key>/ecritures/<int:entry_id>/extourne/",
        entry_reverse_view,
        name="acc-entry-reverse",
    ),
]
