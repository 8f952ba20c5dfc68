"""Forms of the members' pages, and how any page shows a service's refusal on its form."""

from django import forms
from django.db.models import Q

from .models import Shop


def _choices(choices, everyone: str):
    return [("", everyone), *choices]


class MemberFilterForm(forms.Form):
    """The filters of the members' list (GET): every field is optional; a value in error
    is said beside its field and left out of the filter."""

    q = forms.CharField(label="Nom ou commune", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Statut", required=False, choices=_choices(Shop.Status.choices, "Tous")
    )
    zone = forms.ChoiceField(
        label="Zone", required=False, choices=_choices(Shop.Zone.choices, "Toutes")
    )
    kind = forms.ChoiceField(
        label="Type", required=False, choices=_choices(Shop.Kind.choices, "Tous")
    )

    def filter(self, shops):
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            shops = shops.filter(Q(name__icontains=data["q"]) | Q(commune__icontains=data["q"]))
        for name in ("status", "zone", "kind"):
            if data.get(name):
                shops = shops.filter(**{name: data[name]})
        return shops
