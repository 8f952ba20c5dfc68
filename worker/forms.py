"""The coordinator's request for a month of reports; the period of the impact pages."""

import datetime as dt

from django import forms

from mache.formats import MONTH_NAMES
from mache.periods import last_day_of_month


class GenerateForm(forms.Form):
    """Shapes only: whether the month has begun and the shops were members then is for
    `worker.services.reports_generate` to say (its messages land beside these fields)."""

    # A text input, not type="month": browsers show that one in their own language and
    # some (Firefox, Safari) not at all.
    month = forms.CharField(
        label="Mois (AAAA-MM)",
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "AAAA-MM"}),
    )
    shops = forms.ModelMultipleChoiceField(
        label="Commerces",
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucun coché : tous les commerces actifs, et le rapport de la coopérative.",
    )

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shops"].queryset = shops


class ImpactPeriodForm(forms.Form):
    """The period of the impact pages: a year, or one of its months (docs/impact.md)."""

    year = forms.TypedChoiceField(label="Année", coerce=int, choices=())
    month = forms.TypedChoiceField(
        label="Mois",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "Toute l'année")]
        + [(number, name.capitalize()) for number, name in enumerate(MONTH_NAMES, start=1)],
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in reversed(years)]
        self.fields["year"].initial = years[-1]

    def period(self) -> tuple[dt.date, dt.date, int, int | None]:
        """(start, end, year, month or None) of the valid form."""
        year, month = self.cleaned_data["year"], self.cleaned_data["month"]
        if month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31), year, None
        first = dt.date(year, month, 1)
        return first, last_day_of_month(first), year, month
