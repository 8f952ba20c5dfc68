"""The coordinator's request for a month of reports."""

from django import forms


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
