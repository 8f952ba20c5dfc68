"""Forms of the fiscal years' pages (docs/fiscal-years.md): the opening balances typed or
imported. They parse only; `accounting.years` judges, its errors come back beside the
fields through `mache.forms.add_service_errors`."""

from django import forms

from mache.forms import ErrorSpot
from mache.money import ZERO

from .forms import REQUIRED, AmountField, date_field
from .years import OpeningLine

OPENING_ROWS = 12
OPENING_PARTS = ("account", "aux", "debit", "credit")


class OpeningBalancesForm(forms.Form):
    """The opening date and up to OPENING_ROWS lines (empty rows are skipped; the lines
    are numbered as typed, their errors land on the spot below them)."""

    date = date_field("Date d'ouverture de l'exercice")
    lines = ErrorSpot()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, OPENING_ROWS + 1):
            self.fields[f"line{number}_account"] = forms.RegexField(
                r"^\d{6,8}$",
                label="Compte",
                required=False,
                error_messages={"invalid": "Numéro de compte de 6 à 8 chiffres."},
                widget=forms.TextInput(
                    attrs={"list": "accounts", "inputmode": "numeric", "autocomplete": "off"}
                ),
            )
            self.fields[f"line{number}_aux"] = forms.CharField(
                label="Compte auxiliaire",
                max_length=17,
                required=False,
                error_messages={"max_length": "17 caractères au plus."},
            )
            self.fields[f"line{number}_debit"] = AmountField(label="Débit")
            self.fields[f"line{number}_credit"] = AmountField(label="Crédit")

    def rows(self):
        return [
            (number, [self[f"line{number}_{part}"] for part in OPENING_PARTS])
            for number in range(1, OPENING_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        lines, numbers = [], []
        for number in range(1, OPENING_ROWS + 1):
            names = {part: f"line{number}_{part}" for part in OPENING_PARTS}
            if not any(str(self.data.get(name, "")).strip() for name in names.values()):
                continue
            if not data.get(names["account"]):
                if names["account"] not in self.errors:
                    self.add_error(names["account"], "Indiquez le compte de cette ligne.")
                continue
            lines.append(
                OpeningLine(
                    account=data[names["account"]],
                    aux=data.get(names["aux"]) or "",
                    debit=data.get(names["debit"]) or ZERO,
                    credit=data.get(names["credit"]) or ZERO,
                )
            )
            numbers.append(number)
        data["opening_lines"], data["numbers"] = lines, numbers
        return data


class OpeningBalancesImportForm(forms.Form):
    date = date_field("Date d'ouverture de l'exercice")
    file = forms.FileField(
        label="Fichier CSV",
        help_text="En-tête : compte;auxiliaire;debit;credit (UTF-8).",
        error_messages={"required": REQUIRED, "empty": "Le fichier est vide."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class FirstYearForm(forms.Form):
    end = date_field("Clôture du premier exercice")
