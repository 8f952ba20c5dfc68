"""The coordinator runs the rounds from the pages (docs/rounds.md): open one, change its
deadline and delivery while it is open (extend it), clone a past one, the weekly
schedules that open rounds by themselves, and the reminder to the shops that have not
ordered. Forms parse and display; the services judge (their refusals come back beside
the fields); nothing is written when a form is refused."""

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalogue.selectors import supplier_list
from mache.errors import BusinessRuleError, InvalidInput
from mache.forms import add_service_errors, posted
from mache.periods import paris_date
from shops.views import role_required

from .. import selectors
from ..forms import RoundDatesForm, RoundEditForm, RoundForm, RoundScheduleForm
from ..models import Round
from ..services import orders, rounds
from .common import COORDINATOR
from .coordinator import coord_rounds_page


def _suppliers(request):
    return supplier_list(user=request.user).order_by("name")


@role_required(COORDINATOR)
def coord_rounds(request):
    """Every round, and the form that opens a new one (kept as typed when refused)."""
    now = timezone.now().replace(second=0, microsecond=0)
    form = RoundForm(posted(request), initial={"opens_at": now}, suppliers=_suppliers(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                round_ = orders.round_create(user=request.user, **form.cleaned_data)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Tournée {round_.supplier.name} ouverte.")
                return redirect("coord-round", pk=round_.pk)
    return coord_rounds_page(request, form=form, status=status)


def _open_round(request, pk) -> Round:
    return get_object_or_404(selectors.round_list(user=request.user), pk=pk)


@role_required(COORDINATOR)
def coord_round_edit(request, pk):
    """The deadline and delivery of an open round. `?prolonger=1` offers the deadline a
    day later (and the delivery a day later when it would otherwise come before it)."""
    round_ = _open_round(request, pk)
    if round_.status != Round.Status.OPEN:
        messages.error(request, rounds.RoundNotEditable.default_detail)
        return redirect("coord-round", pk=round_.pk)
    extend = request.GET.get("prolonger") == "1"
    initial = {
        "closes_at": round_.closes_at,
        "delivery_date": round_.delivery_date,
        "delivery": round_.delivery,
    }
    if extend:
        closes_at = round_.closes_at + dt.timedelta(days=1)
        initial = {
            "closes_at": closes_at,
            "delivery_date": max(round_.delivery_date, paris_date(closes_at)),
            "delivery": round_.delivery,
        }
    form = RoundEditForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rounds.round_update(round_id=round_.pk, **form.cleaned_data)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except BusinessRuleError as exc:
                add_service_errors(form, exc, field="closes_at")
                status = 409
            else:
                messages.success(request, "Tournée modifiée.")
                return redirect("coord-round", pk=round_.pk)
    return render(
        request,
        "purchasing/coord_round_edit.html",
        {"round": round_, "form": form, "extend": extend},
        status=status,
    )


@role_required(COORDINATOR)
def coord_round_clone(request, pk):
    """A new round of the same supplier, its dates offered a week (or more) on."""
    source = _open_round(request, pk)
    form = RoundDatesForm(posted(request), initial=rounds.clone_dates(source))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                round_ = rounds.round_clone(
                    round_id=source.pk, user=request.user, **form.cleaned_data
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Tournée {round_.supplier.name} ouverte.")
                return redirect("coord-round", pk=round_.pk)
    return render(
        request,
        "purchasing/coord_round_clone.html",
        {"round": source, "form": form},
        status=status,
    )


def shops_phrase(count: int) -> str:
    """'1 commerce relancé', '3 commerces relancés' (French plurals)."""
    return f"{count} commerce relancé" if count == 1 else f"{count} commerces relancés"


def reminder_message(result: dict) -> str:
    emailed, without = result["emailed"], result["without_email"]
    if emailed == 0:
        text = "Aucun commerce à relancer par e-mail"
    else:
        text = f"{shops_phrase(emailed)} par e-mail"
    if without:
        text += (
            " ; 1 commerce n'a pas d'adresse e-mail"
            if without == 1
            else f" ; {without} commerces n'ont pas d'adresse e-mail"
        )
    return text + "."


@role_required(COORDINATOR)
@require_POST
def coord_round_remind(request, pk):
    """'Relancer ces commerces': e-mails the active shops with no order yet."""
    round_ = _open_round(request, pk)
    try:
        result = rounds.round_remind_missing(round_id=round_.pk)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
    else:
        (messages.success if result["emailed"] else messages.warning)(
            request, reminder_message(result)
        )
    return redirect("coord-round", pk=round_.pk)


# --- Weekly schedules -------------------------------------------------------------------


@role_required(COORDINATOR)
def coord_schedules(request):
    """The weekly schedules, and the form that adds one."""
    form = RoundScheduleForm(posted(request), suppliers=_suppliers(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rounds.round_schedule_save(**form.cleaned_data)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Tournée hebdomadaire ajoutée.")
                return redirect("coord-schedules")
    schedules = selectors.round_schedule_list(user=request.user).order_by(
        "-active", "supplier__name", "weekday", "closes_at_time", "id"
    )
    return render(
        request,
        "purchasing/coord_schedules.html",
        {"schedules": schedules, "form": form},
        status=status,
    )


@role_required(COORDINATOR)
def coord_schedule_edit(request, pk):
    schedule = get_object_or_404(selectors.round_schedule_list(user=request.user), pk=pk)
    initial = {
        "supplier": schedule.supplier_id,
        "weekday": schedule.weekday,
        "closes_at_time": schedule.closes_at_time,
        "delivery_weekday": schedule.delivery_weekday,
        "opens_days_before": schedule.opens_days_before,
        "active": schedule.active,
    }
    form = RoundScheduleForm(posted(request), initial=initial, suppliers=_suppliers(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rounds.round_schedule_save(schedule=schedule, **form.cleaned_data)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Tournée hebdomadaire modifiée.")
                return redirect("coord-schedules")
    return render(
        request,
        "purchasing/coord_schedule_edit.html",
        {"schedule": schedule, "form": form},
        status=status,
    )


@role_required(COORDINATOR)
@require_POST
def coord_schedule_toggle(request, pk):
    """Deactivate a schedule (no more rounds opened by it), or activate it again."""
    schedule = get_object_or_404(selectors.round_schedule_list(user=request.user), pk=pk)
    rounds.round_schedule_save(schedule=schedule, active=not schedule.active)
    messages.success(
        request,
        "Tournée hebdomadaire réactivée."
        if schedule.active
        else "Tournée hebdomadaire désactivée : elle n'ouvrira plus de tournée.",
    )
    return redirect("coord-schedules")
