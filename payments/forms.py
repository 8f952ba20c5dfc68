"""Forms of the payments pages: they parse and display; the services decide."""

from django import forms

from .models import Mandate

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- SEPA (docs/sepa.md) ----------------------------------------------------------------


class MandateForm(forms.Form):
    """A shop's mandate as signed (the model's validators check IBAN and BIC here too; the
    service judges again before writing)."""

    reference = forms.CharField(
        label="Référence unique de mandat (RUM)",
        max_length=35,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    signed_on = forms.DateField(label="Signé le", widget=DATE_WIDGET)
    iban = forms.CharField(
        label="IBAN du commerce",
        max_length=34,
        validators=Mandate._meta.get_field("iban").validators,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label="BIC",
        max_length=11,
        validators=Mandate._meta.get_field("bic").validators,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    scheme = forms.ChoiceField(label="Type", choices=Mandate.Scheme.choices)
    prenotification_days = forms.IntegerField(
        label="Préavis (jours)",
        required=False,
        min_value=1,
        max_value=60,
        help_text="Vide : 2 jours en B2B, 14 en CORE.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class DirectDebitForm(forms.Form):
    collection_date = forms.DateField(
        label="Date de prélèvement",
        widget=DATE_WIDGET,
        help_text="Toutes les factures ouvertes échues à cette date des commerces ayant un "
        "mandat seront prélevées.",
    )


class CreditTransferForm(forms.Form):
    execution_date = forms.DateField(label="Date d'exécution", widget=DATE_WIDGET)
    supplier_invoices = forms.TypedMultipleChoiceField(
        label="Factures fournisseurs à payer",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins une facture à payer."},
    )

    def __init__(self, *args, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier_invoices"].choices = [(inv.pk, inv.pk) for inv in invoices]
