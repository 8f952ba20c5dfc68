"""The coordinator's pages about member shops (issue 12, point 4; docs/members.md): a new
shop (a candidate), its record, and the changes of status. The member's own page, which
shows its invoices and reports too, is wiring's (coordination/membres/<id>/)."""

import copy

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mache.errors import BusinessRuleError, InvalidInput
from mache.forms import add_service_errors, posted

from .. import selectors, services
from ..forms import ShopForm, StatusDateForm
from ..models import Shop, User
from . import role_required

COORDINATOR = User.Role.COORDINATOR


def _shop(request, pk) -> Shop:
    return get_object_or_404(selectors.shop_list(user=request.user), pk=pk)


@role_required(COORDINATOR)
def member_new(request):
    form = ShopForm(posted(request), initial={"shares": 1})
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "status": Shop.Status.CANDIDATE}
        try:
            shop = services.shop_create(data=data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{shop.name} est enregistré comme candidat.")
            return redirect("coord-member", shop.pk)
    return render(request, "shops/member_form.html", {"form": form, "shop": None})


@role_required(COORDINATOR)
def member_edit(request, pk):
    shop = _shop(request, pk)
    # The form fills its instance with what was typed: a copy, so that the title keeps
    # the saved name.
    form = ShopForm(posted(request), instance=copy.copy(shop))
    if request.method == "POST" and form.is_valid():
        try:
            services.shop_update(shop=shop, user=request.user, data=form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Fiche enregistrée.")
            return redirect("coord-member", shop.pk)
    return render(request, "shops/member_form.html", {"form": form, "shop": shop})


# A status change given by a date (admission, departure): a small page with the date
# and the question; the others are a button on the member's page.
DATED_MOVES = {
    "admit": {
        "service": services.shop_admit,
        "field": "joined_on",
        "title": "Admettre",
        "label": "Adhésion le",
        "button": "Admettre le commerce",
        "done": "{name} est admis : il peut commander.",
    },
    "leave": {
        "service": services.shop_leave,
        "field": "left_on",
        "title": "Enregistrer le départ de",
        "label": "Départ le",
        "button": "Enregistrer le départ",
        "done": "Le départ de {name} est enregistré : il ne peut plus commander.",
    },
}


def _dated_move(request, pk, move):
    shop = _shop(request, pk)
    spec = DATED_MOVES[move]
    form = StatusDateForm(posted(request), initial={"on": timezone.localdate()})
    form.fields["on"].label = spec["label"]
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            spec["service"](shop_id=shop.pk, **{spec["field"]: form.cleaned_data["on"]})
        except InvalidInput as exc:
            # The service names the model's field: its message goes beside the date.
            field = spec["field"]
            add_service_errors(
                form, InvalidInput({"on" if k == field else k: v for k, v in exc.errors.items()})
            )
        except BusinessRuleError as exc:
            add_service_errors(form, exc)
            status = 409
        else:
            messages.success(request, spec["done"].format(name=shop.name))
            return redirect("coord-member", shop.pk)
    return render(
        request,
        "shops/member_status.html",
        {"shop": shop, "form": form, "spec": spec, "move": move},
        status=status,
    )


@role_required(COORDINATOR)
def member_admit(request, pk):
    return _dated_move(request, pk, "admit")


@role_required(COORDINATOR)
def member_leave(request, pk):
    return _dated_move(request, pk, "leave")


def _button_move(request, pk, service, done):
    shop = _shop(request, pk)
    try:
        service(shop_id=shop.pk)
    except BusinessRuleError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done.format(name=shop.name))
    return redirect("coord-member", shop.pk)


@role_required(COORDINATOR)
@require_POST
def member_suspend(request, pk):
    return _button_move(
        request, pk, services.shop_suspend, "{name} est suspendu : il ne peut plus commander."
    )


@role_required(COORDINATOR)
@require_POST
def member_reactivate(request, pk):
    return _button_move(
        request, pk, services.shop_reactivate, "{name} est réactivé : il peut de nouveau commander."
    )
