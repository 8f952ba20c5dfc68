"""Pages of the books (server-rendered, French).

- The till (/caisse/): shopkeepers and coordinators record the day's Z ticket of the
  current shop, through the same service as the API (`sales_day_record`).
- The e-reporting (/comptable/<shop>/e-reporting/): a shop's B2C sales of a month,
  period by period, reconciled with its sales journal (docs/e-reporting.md); read by
  the shop's people, its accountant and the coordinators, with the API's CSV.
- The books (/comptable/...): accountants and coordinators open the ledgers they serve:
  the statements over a period and their files, the FEC of a year, the entries
  with their reversal, a manual correcting entry. Shopkeepers read their own shop's
  books too, as the API lets them, but write nothing there (403).

Every page reads through the API's selectors (`ledger_for` answers 404 for a ledger the
user may not see, `entry_list` is scoped) and writes through its services, whose
errors are shown beside the fields; the files are the API's own (`statement_file`).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from mache import csvfiles
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_date, format_eur
from mache.forms import add_service_errors
from mache.periods import (
    current_month,
    format_month,
    next_month,
    paris_today,
    parse_month,
    previous_month,
)
from mache.permissions import ACCOUNTANT, BOOKS_ROLES, COORDINATOR, SHOPKEEPER
from shops.views import role_required, shop_page

from .apis.ereporting import MAX_DAYS, e_reporting_file
from .apis.fec import fec_description_response, fec_response
from .apis.statements import statement_file
from .ereporting.selectors import e_reporting, e_reporting_month
from .fec import fec_description, fec_stream
from .forms import (
    BooksForm,
    FecForm,
    ManualEntryForm,
    ReversalForm,
    StatementForm,
    ZTicketForm,
    month_period,
)
from .renderers import FORMATS
from .sales.services import sales_day_record
from .selectors import (
    COOP,
    account_list,
    account_search,
    entry_list,
    journal_list,
    ledger_for,
    ledger_list,
)
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
from .year_forms import FirstYearForm, OpeningBalancesForm, OpeningBalancesImportForm
from .years import (
    fiscal_year_close,
    fiscal_year_first_set,
    fiscal_years_ensure,
    opening_balances_import,
    opening_balances_post,
)

RECENT_TICKETS = 10
ENTRIES_PER_PAGE = 50
MAX_SEARCH_CHARS = 100


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


# --- The e-reporting ------------------------------------------------------------------


def _shop_ledger(request, ledger_key):
    """A shop's ledger the user may see (404 otherwise, the cooperative's included: it
    sells nothing to consumers)."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    if ledger.shop_id is None:
        raise Http404
    return ledger


@login_required
def e_reporting_page(request, ledger_key):
    """The periods of a month (?mois=AAAA-MM, the current one by default) with their
    totals per rate, their sales and the reconciliation with the sales journal."""
    ledger = _shop_ledger(request, ledger_key)
    asked, error = request.GET.get("mois", ""), None
    try:
        month = parse_month(asked) if asked else current_month()
    except ValueError as exc:
        month, error = current_month(), str(exc)
    report = e_reporting_month(ledger=ledger, month=month)
    return render(
        request,
        "accounting/e_reporting.html",
        {
            "ledger": ledger,
            "key": _key(ledger),
            "shop": ledger.shop,
            "report": report,
            "month_error": error,
            "asked": asked,
            "previous": format_month(previous_month(month)),
            "next": format_month(next_month(month)),
            "month_value": format_month(month),
        },
        status=400 if error else 200,
    )


@login_required
def e_reporting_download(request, ledger_key):
    """The e-reporting CSV of a span (?start=&end=), the API's own file."""
    ledger = _shop_ledger(request, ledger_key)
    form = StatementForm.of_query(request.GET)
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if (end - start).days < MAX_DAYS:
            return e_reporting_file(e_reporting(shop=ledger.shop, date_from=start, date_to=end))
        form.add_error("end", f"{MAX_DAYS} jours au plus entre les deux dates.")
    return render(
        request,
        "accounting/download.html",
        {"ledger": ledger, "key": _key(ledger), "form": form, "title": "E-reporting (CSV)"},
        status=400,
    )


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
        "today": paris_today(),
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
    context.update(_years_context(request, ledger))
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
    """The FEC of a fiscal year, streamed as the API sends it (accounting.apis.fec)."""
    return _fec_page(request, ledger_key, description=False)


@login_required
def fec_description_page(request, ledger_key):
    """The description of the FEC of a fiscal year, as the API sends it."""
    return _fec_page(request, ledger_key, description=True)


def _fec_page(request, ledger_key, *, description: bool):
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    form = FecForm(request.GET or None)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        try:
            if description:
                return fec_description_response(
                    *fec_description(ledger=ledger, year=form.cleaned_data["year"])
                )
            return fec_response(*fec_stream(ledger=ledger, year=form.cleaned_data["year"]))
        except BusinessRuleError as exc:  # no SIRET yet
            add_service_errors(form, exc, field="year")
            status = 409
    return render(
        request,
        "accounting/download.html",
        {
            "ledger": ledger,
            "key": _key(ledger),
            "form": form,
            "title": "Description du FEC"
            if description
            else "Fichier des écritures comptables (FEC)",
        },
        status=status,
    )


@role_required(ACCOUNTANT, COORDINATOR)
@require_POST
def entry_reverse_view(request, ledger_key, entry_id):
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    entry = get_object_or_404(entry_list(user=request.user).filter(ledger=ledger), pk=entry_id)
    form = ReversalForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{entry.reference} : {form.errors['date'][0]}")
        return redirect(_books_url(ledger, QueryDict(request.POST.get("back", "")).urlencode()))
    try:
        reversal = entry_reverse(entry=entry, user=request.user, date=form.cleaned_data["date"])
    except BusinessRuleError as exc:  # reversed already, a reversal, a closed month
        messages.error(request, f"{entry.reference} : {exc.detail}")
    except InvalidInput as exc:  # a date out of the ledger's business dates
        messages.error(request, f"{entry.reference} : {' '.join(exc.errors.get('date', []))}")
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
        add_line="add_line" in request.POST,
    )
    if request.method == "POST" and not form.add_line and form.is_valid():
        try:
            entry = manual_entry_post(ledger=ledger, user=request.user, **form.entry())
        except (InvalidInput, BusinessRuleError) as exc:
            form.add_entry_errors(exc)
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
            "auxiliaries": ledger.auxiliaries.order_by("code"),
        },
    )


@role_required(ACCOUNTANT, COORDINATOR)
def account_search_view(request, ledger_key):
    """The accounts and third parties matching ?q= (accent-insensitive), for the manual
    entry's search box (htmx: the results alone)."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    text = request.GET.get("q", "")[:MAX_SEARCH_CHARS]
    return render(
        request,
        "accounting/_account_hits.html",
        {"hits": account_search(ledger=ledger, text=text), "text": text},
    )


# --- Fiscal years (docs/fiscal-years.md) ----------------------------------------------


def _years_context(request, ledger) -> dict:
    """The "Exercices" section of the books: the ledger's years; a coordinator may close
    each open year that is over."""
    years = fiscal_years_ensure(ledger=ledger)
    closable_before = paris_today().replace(day=1)
    context = {
        "fiscal_years": years,
        "may_close_years": request.user.is_coordinator,
        "closable_before": closable_before,
    }
    # Before its first entry, a ledger's first year may close on another day.
    if request.user.is_coordinator and not ledger.entries.exists():
        context["first_year_form"] = FirstYearForm(initial={"end": years[0].end})
    return context


def _year_of(ledger, end: str):
    try:
        end_date = dt.date.fromisoformat(end)
    except ValueError:
        raise Http404 from None
    year = next((y for y in fiscal_years_ensure(ledger=ledger) if y.end == end_date), None)
    if year is None:
        raise Http404
    return year


@role_required(COORDINATOR)
def fiscal_year_close_view(request, ledger_key, end):
    """GET: what closing the year does, and the confirmation button; POST: close it."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    year = _year_of(ledger, end)
    if request.method == "POST":
        try:
            closed = fiscal_year_close(ledger=ledger, end=year.end, user=request.user)
        except (InvalidInput, BusinessRuleError) as exc:
            detail = getattr(exc, "detail", None) or " ".join(
                message for messages in exc.errors.values() for message in messages
            )
            messages.error(request, f"Clôture refusée : {detail}")
        else:
            outcome = "bénéfice" if closed.result >= 0 else "perte"
            messages.success(
                request,
                f"Exercice du {format_date(closed.start)} au {format_date(closed.end)} "
                f"clôturé : {outcome} de {format_eur(abs(closed.result))}.",
            )
        return redirect(_books_url(ledger))
    return render(
        request,
        "accounting/year_close.html",
        {"ledger": ledger, "key": _key(ledger), "ledger_name": ledger_name(ledger), "year": year},
    )


@role_required(COORDINATOR)
@require_POST
def fiscal_year_first_view(request, ledger_key):
    """The closing day of the ledger's first year (docs/fiscal-years.md)."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    form = FirstYearForm(request.POST)
    if form.is_valid():
        try:
            year = fiscal_year_first_set(
                ledger=ledger, end=form.cleaned_data["end"], user=request.user
            )
        except (InvalidInput, BusinessRuleError) as exc:
            add_service_errors(form, exc, field="end")
        else:
            messages.success(
                request,
                f"Premier exercice : du {format_date(year.start)} au {format_date(year.end)}.",
            )
            return redirect(_books_url(ledger))
    messages.error(
        request,
        "Premier exercice non modifié : "
        + " ".join(error for errors in form.errors.values() for error in errors),
    )
    return redirect(_books_url(ledger))


@role_required(ACCOUNTANT, COORDINATOR)
def opening_balances_view(request, ledger_key):
    """The opening balances of the ledger's first year: typed (up to a dozen lines) or
    imported from a CSV; the errors beside the fields, the file's by line."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    kind = request.POST.get("kind") if request.method == "POST" else None
    first_day = fiscal_years_ensure(ledger=ledger)[0].start
    form = OpeningBalancesForm(
        request.POST if kind == "form" else None, initial={"date": first_day}
    )
    upload = OpeningBalancesImportForm(
        request.POST if kind == "csv" else None,
        request.FILES if kind == "csv" else None,
        initial={"date": first_day},
        prefix="csv",
    )
    entry = None
    try:
        if kind == "form" and form.is_valid():
            entry = opening_balances_post(
                ledger=ledger,
                date=form.cleaned_data["date"],
                lines=form.cleaned_data["opening_lines"],
                numbers=form.cleaned_data["numbers"],
                user=request.user,
            )
        elif kind == "csv" and upload.is_valid():
            entry = opening_balances_import(
                ledger=ledger,
                date=upload.cleaned_data["date"],
                text=csvfiles.read_text(upload.cleaned_data["file"]),
                user=request.user,
            )
    except (InvalidInput, BusinessRuleError) as exc:
        add_service_errors(form if kind == "form" else upload, exc, field="date")
    if entry is not None:
        messages.success(
            request,
            f"À-nouveaux {entry.reference} du {format_date(entry.date)} enregistrés.",
        )
        return redirect(_books_url(ledger))
    return render(
        request,
        "accounting/opening_balances.html",
        {
            "ledger": ledger,
            "key": _key(ledger),
            "ledger_name": ledger_name(ledger),
            "form": form,
            "upload": upload,
            "accounts": account_list(ledger=ledger),
        },
        status=400 if kind else 200,
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
    path(
        "comptable/<str:ledger_key>/fec/description/",
        fec_description_page,
        name="acc-fec-description",
    ),
    path("comptable/<str:ledger_key>/ecritures/nouvelle/", entry_new, name="acc-entry-new"),
    path("comptable/<str:ledger_key>/comptes/", account_search_view, name="acc-account-search"),
    path(
        "comptable/<str:ledger_key>/ecritures/<int:entry_id>/extourne/",
        entry_reverse_view,
        name="acc-entry-reverse",
    ),
    path(
        "comptable/<str:ledger_key>/exercices/<str:end>/cloture/",
        fiscal_year_close_view,
        name="acc-year-close",
    ),
    path("comptable/<str:ledger_key>/a-nouveaux/", opening_balances_view, name="acc-opening"),
    path("comptable/<str:ledger_key>/e-reporting/", e_reporting_page, name="acc-e-reporting"),
    path(
        "comptable/<str:ledger_key>/e-reporting/csv/",
        e_reporting_download,
        name="acc-e-reporting-file",
    ),
    path(
        "comptable/<str:ledger_key>/exercices/premier/",
        fiscal_year_first_view,
        name="acc-year-first",
    ),
]
