"""Pages of monthly reports: a shop's reports, the coordinator's view of every report
with the form that generates a month and its progress, and the download of a PDF; the
download of a ledger's yearly archive, offered beside the FEC on the books page; the
impact pages (the cooperative's for the coordinator, a shop's for its shopkeeper)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django_htmx.http import HttpResponseClientRefresh

from accounting.forms import FecForm
from accounting.selectors import COOP, ledger_for
from mache.documents import document_page_response
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_month_name, plural
from mache.forms import add_service_errors, posted
from mache.periods import current_month, format_month, parse_month, previous_month
from shops.models import User
from shops.selectors import shop_list, visible_shop
from shops.views import role_required, shop_page

from . import selectors, services
from .apis import archive_response
from .archive import archive_year, may_archive
from .forms import GenerateForm, ImpactPeriodForm
from .impact import impact_by_month, impact_figures, impact_years
from .models import Report, TaskRun

MONTHS_LISTED = 12
# htmx asks again this often while a run is going.
POLL_SECONDS = 2


@role_required(User.Role.SHOPKEEPER)
def shop_reports(request):
    context = shop_page(request)
    context["reports"] = selectors.report_list(user=request.user).filter(shop=context["shop"])
    return render(request, "worker/shop_reports.html", context)


@role_required(User.Role.COORDINATOR)
def coord_reports(request):
    """The reports of a month (?mois=), the form that generates a month (POST), and the
    progress of the run just started (?suivi=)."""
    user = request.user
    form = GenerateForm(
        posted(request),
        shops=shop_list(user=user),
        initial={"month": format_month(previous_month(current_month()))},
    )
    if request.method == "POST" and form.is_valid() and (run := _reports_start(request, form)):
        query = urlencode({"mois": form.cleaned_data["month"], "suivi": run.pk})
        return redirect(f"{reverse('coord-reports')}?{query}")
    run_id = request.GET.get("suivi")
    return render(
        request,
        "worker/coord_reports.html",
        {
            "form": form,
            **_month_reports(user, request.GET.get("mois", "")),
            "run": _run_progress(TaskRun.objects.filter(pk=run_id).first()) if run_id else None,
        },
    )


def _reports_start(request, form) -> TaskRun | None:
    """Start the run a valid form asks for; None with the service's refusal on the form."""
    month = form.cleaned_data["month"]
    try:
        run = services.reports_generate(
            month=month, shop_ids=[shop.pk for shop in form.cleaned_data["shops"]] or None
        )
    except InvalidInput as exc:
        add_service_errors(form, exc)
        return None
    messages.success(
        request,
        f"Génération lancée : {plural(run.total, 'rapport', 'rapports')} "
        f"pour {format_month_name(parse_month(month))}.",
    )
    return run


def _month_reports(user, asked: str) -> dict:
    reports = selectors.report_list(user=user)
    months = list(reports.dates("month", "month", order="DESC")[:MONTHS_LISTED])
    try:
        month = parse_month(asked)
    except ValueError:
        month = months[0] if months else None  # no month asked, or a malformed one
    return {
        "months": months,
        "month": month,
        # The cooperative's report first, then the shops by name.
        "reports": reports.filter(month=month).order_by(F("shop__name").asc(nulls_first=True), "pk")
        if month
        else [],
    }


@role_required(User.Role.COORDINATOR)
def coord_report_run(request, run_id):
    """The progress of a run, polled by htmx until it has finished."""
    run = _run_progress(get_object_or_404(TaskRun, pk=run_id))
    if run["finished"] and request.htmx:
        # Reload the page once: the list below then shows the new reports' states (the
        # reloaded page sees the run finished and polls no more).
        return HttpResponseClientRefresh()
    return render(request, "worker/_run.html", {"run": run})


def _run_progress(run: TaskRun | None) -> dict | None:
    if run is None:
        return None
    progress = run.progress()
    return {
        "run": run,
        "finished": progress.finished,
        "percent": progress.percent,
        "poll": POLL_SECONDS,
    }


@login_required
def report_download(request, pk):
    """The stored PDF, found through the same selector as the lists: a report of a shop
    the user may not see is not found. Its document's checked bytes (docs/documents.md);
    a report built before documents were stored, from its file."""
    report = get_object_or_404(selectors.report_list(user=request.user), pk=pk)
    if report.status == Report.Status.READY and report.document is not None:
        return document_page_response(report.document, request, attachment=True)
    if report.status == Report.Status.READY and report.file:
        try:
            handle = report.file.open("rb")
        except FileNotFoundError:
            raise Http404("Le fichier de ce rapport est introuvable.") from None
        who = slugify(report.shop.name) if report.shop_id else "cooperative"
        return FileResponse(
            handle,
            as_attachment=True,
            content_type="application/pdf",
            filename=f"rapport-{who}-{format_month(report.month)}.pdf",
        )
    messages.warning(request, "Ce rapport n'est pas encore prêt.")
    role = request.user.effective_role
    return redirect(
        {User.Role.COORDINATOR: "coord-reports", User.Role.SHOPKEEPER: "shop-reports"}.get(
            role, "home"
        )
    )


@login_required
def archive_download(request, ledger_key):
    """The yearly archive of a ledger (docs/archive.md), as the API sends it; the FEC's
    form on the books page asks for it. Tenancy first (ledger_for: 404), then the role
    (403 for a shopkeeper); a year in error or a refusal is said beside the year."""
    ledger = ledger_for(user=request.user, shop_param=ledger_key)
    if not may_archive(request.user):
        raise PermissionDenied
    form = FecForm(request.GET or None)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        try:
            target = archive_year(user=request.user, ledger=ledger, year=form.cleaned_data["year"])
            return archive_response(target, request)
        except BusinessRuleError as exc:  # no SIRET yet, a stored document altered
            add_service_errors(form, exc, field="year")
            status = 409
    return render(
        request,
        "accounting/download.html",
        {
            "ledger": ledger,
            "key": ledger.shop_id or COOP,
            "form": form,
            "title": "Archive de l'exercice",
        },
        status=status,
    )


# --- Impact (docs/impact.md) ----------------------------------------------------------------


def _impact(request, shop) -> dict:
    """The period form and, when it is valid (or not sent: the current year), the
    impact of the period for `shop` (None: the cooperative), and of each of its months
    when the period is a year. A period in error: `status` 400, as the API answers it."""
    form = ImpactPeriodForm(
        request.GET if {"year", "month"} & set(request.GET) else None,
        years=impact_years(shop=shop),
    )
    if form.is_bound and not form.is_valid():
        return {"form": form, "impact": None, "status": 400}
    if form.is_bound:
        start, end, year, month = form.period()
    else:
        year, month = form.fields["year"].initial, None
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return {
        "form": form,
        "impact": impact_figures(start=start, end=end, shop=shop),
        "months": impact_by_month(year=year, shop=shop) if month is None else [],
        "period": format_month_name(start) if month else f"l'année {year}",
        "query": urlencode({"year": year, **({"month": month} if month else {})}),
        "year": year,  # the yearly impact report's (docs/impact.md)
        "status": 200,
    }


@role_required(User.Role.COORDINATOR)
def coord_impact(request):
    """The cooperative's impact (?shop=: one shop's) over a year or a month."""
    shop = None
    if request.GET.get("shop"):
        shop = visible_shop(user=request.user, shop_id=request.GET["shop"])
        if shop is None:
            raise Http404
    context = {"shop": shop, "show_shops": shop is None, **_impact(request, shop)}
    return render(request, "worker/coord_impact.html", context, status=context["status"])


@role_required(User.Role.SHOPKEEPER)
def shop_impact(request):
    """The shopkeeper's own shop's impact over a year or a month."""
    context = shop_page(request)
    context.update(_impact(request, context["shop"]))
    return render(request, "worker/shop_impact.html", context, status=context["status"])


page_urlpatterns = [
    path("rapports/", shop_reports, name="shop-reports"),
    path("rapports/<int:pk>/pdf/", report_download, name="report-download"),
    path("coordination/rapports/", coord_reports, name="coord-reports"),
    path("impact/", shop_impact, name="shop-impact"),
    path("coordination/impact/", coord_impact, name="coord-impact"),
    path("coordination/rapports/suivi/<str:run_id>/", coord_report_run, name="coord-report-run"),
    path("comptable/<str:ledger_key>/archive/", archive_download, name="acc-archive"),
]
