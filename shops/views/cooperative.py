"""The cooperative's own record, kept by the coordinator from a page (issue 12; the
Django admin is for a superuser's maintenance only): its identity, the hub where the
suppliers deliver (printed on every purchase order, docs/rounds.md), the value of a
share, the first day of its business (docs/dates.md)."""

import copy

from django.contrib import messages
from django.shortcuts import redirect, render

from mache.errors import InvalidInput
from mache.forms import add_service_errors, posted

from .. import services
from ..forms import CooperativeForm
from ..models import Cooperative, User
from . import role_required


@role_required(User.Role.COORDINATOR)
def cooperative_settings(request):
    saved = Cooperative.objects.first()
    # The form fills its instance with what was typed: a copy, the saved row stays as is.
    form = CooperativeForm(posted(request), instance=copy.copy(saved) if saved else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.cooperative_update(data=form.cleaned_data)
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Fiche de la coopérative enregistrée.")
                return redirect("cooperative")
        return render(request, "shops/cooperative.html", {"form": form}, status=400)
    return render(request, "shops/cooperative.html", {"form": form})
