"""Forms of the accounting pages. They only parse what people type (amounts with a
decimal comma, dates, account numbers) and hold the messages shown beside each field;
the rules of the books (a balanced entry, a day's single Z ticket, a closed month...)
are the services' to judge, and their errors come back here through
`mache.forms.add_service_errors`."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError

from mache.formats import format_rate
from mache.money import ZERO
from mache.periods import current_month, last_day_of_month, paris_today

from .apis.fec import FIRST_YEAR
from .sales.csv_import import PAYMENT_COLUMNS, RATE_COLUMNS
from .services import LineIn

# Spaces people or spreadsheets put between thousands: plain, no-break, narrow no-break.
SPACES_RE = re.compile(r"[\s\u00a0\u202f]")
AMOUNT_RE = re.compile(r"^-?\d+(?:\.\d+)?$")
REQUIRED = "Ce champ est obligatoire."


def date_field(label, **kwargs):
    """A day: the browser's date picker sends AAAA-MM-JJ; typed by hand, JJ/MM/AAAA."""
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"required": REQUIRED, "invalid": "Une date comme 26/11/2026."},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


class AmountField(forms.DecimalField):
    """An amount in euros as it is typed: "12,30", "12.30", "1 234,56 €". Not negative,
    cents at most; empty is None (the form reads it as 0). French messages whatever the
    browser's language, so that the page says the same to everyone."""

    default_error_messages = {
        "invalid": "Un montant comme 12,30.",
        "min_value": "Pas de montant négatif.",
        "max_decimal_places": "Deux décimales au plus (les centimes).",
        "max_digits": "Montant trop grand.",
        "max_whole_digits": "Montant trop grand.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        # As the API's MoneyField: ten digits before the decimals, two after.
        super().__init__(
            max_digits=12,
            decimal_places=2,
            min_value=ZERO,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = SPACES_RE.sub("", value).removesuffix("€").replace(",", ".")
            # Decimal() alone would take "1e3" or "NaN": only plain numbers are amounts.
            if value and not AMOUNT_RE.match(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ErrorSpot(forms.Field):
    """Not an input: the place where a service's errors about several inputs together
    (the sales amounts, the payments, an entry's lines) are shown, below those inputs.
    Being a field of the form, it takes them through `add_error` like any other."""

    widget = forms.HiddenInput

    def __init__(self):
        super().__init__(required=False, label="")


# --- The till -------------------------------------------------------------------------

PAYMENT_LABELS = {"cash": "Espèces", "card": "Carte bancaire", "other": "Autres règlements"}


class ZTicketForm(forms.Form):
    """A day's Z ticket: the sales incl. VAT at each lawful rate and how they were paid.
    The amounts are named as the columns of the Z ticket CSV import (ttc_5_5, cash...).
    The service's errors on `lines` and `payments` land on the two spots of those names."""

    date = date_field("Jour des ventes")
    lines = ErrorSpot()
    payments = ErrorSpot()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, rate in RATE_COLUMNS.items():
            self.fields[name] = AmountField(label=f"Ventes TTC à {format_rate(rate)}")
        for name in PAYMENT_COLUMNS:
            self.fields[name] = AmountField(label=PAYMENT_LABELS[name])
        for name in (*RATE_COLUMNS, *PAYMENT_COLUMNS):
            self.fields[name].widget.attrs["placeholder"] = "0,00"

    def sales_fields(self):
        return [self[name] for name in RATE_COLUMNS]

    def payment_fields(self):
        return [self[name] for name in PAYMENT_COLUMNS]

    def ticket(self) -> dict:
        """The arguments of `sales_day_record` (call after is_valid()). Every rate goes,
        an empty one as 0: the service keeps no line for it and says when all are 0."""
        data = self.cleaned_data
        return {
            "date": data["date"],
            "lines": [
                {"vat_rate": rate, "amount_incl_vat": data[name] or ZERO}
                for name, rate in RATE_COLUMNS.items()
            ],
            "payments": {name: data[name] or ZERO for name in PAYMENT_COLUMNS},
        }


# --- The books: period, FEC year ------------------------------------------------------


class PeriodForm(forms.Form):
    """The period the statements and the entries cover; the current month unless said."""

    start = date_field("Du")
    end = date_field("Au")

    @classmethod
    def of_query(cls, query, **kwargs):
        month = current_month()
        data = {"start": month.isoformat(), "end": last_day_of_month(month).isoformat()}
        data.update(query.items())
        return cls(data, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("start", "La date de début suit la date de fin.")
        return data

    def query(self) -> str:
        """The period as a query string, for the links to its files."""
        return period_query(self.cleaned_data["start"], self.cleaned_data["end"])


class BooksForm(PeriodForm):
    """The books page: the period, and the journal the entries' list is narrowed to."""

    journal = forms.ChoiceField(
        label="Journal",
        required=False,
        error_messages={"invalid_choice": "Choisissez un journal de la liste."},
    )

    def __init__(self, *args, journals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["journal"].choices = [
            ("", "Tous les journaux"),
            *((journal.code, f"{journal.code} — {journal.label}") for journal in journals),
        ]


class StatementForm(PeriodForm):
    """A statement's file: the period, and for the journal the one journal wanted (the
    statement itself says when the ledger has no such journal)."""

    journal = forms.CharField(label="Journal", required=False, max_length=3)


class FecForm(forms.Form):
    """The fiscal year of a FEC: the years the API accepts (accounting.apis.fec)."""

    year = forms.TypedChoiceField(label="Exercice", coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        last = paris_today().year + 1
        field = self.fields["year"]
        field.choices = [(year, str(year)) for year in range(last, FIRST_YEAR - 1, -1)]
        field.initial = paris_today().year
        field.error_messages.update(
            {
                "required": "Choisissez un exercice.",
                "invalid_choice": f"Un exercice entre {FIRST_YEAR} et {last}.",
            }
        )


# --- A manual entry -------------------------------------------------------------------

LINE_ROWS = 4
ROW_PARTS = ("account", "debit", "credit", "label")


def _rows_packed(data):
    """The typed rows moved up over the empty ones: the service numbers the lines it is
    given ("Ligne 2 : ..."), and the page's second row must be that line."""
    data = data.copy()
    rows = [
        {part: str(data.get(f"line{number}_{part}", "")) for part in ROW_PARTS}
        for number in range(1, LINE_ROWS + 1)
    ]
    typed = [row for row in rows if any(value.strip() for value in row.values())]
    typed += [dict.fromkeys(ROW_PARTS, "")] * (LINE_ROWS - len(typed))
    for number, row in enumerate(typed, start=1):
        for part, value in row.items():
            data[f"line{number}_{part}"] = value
    return data


class ManualEntryForm(forms.Form):
    """A correcting entry: journal, date, label, piece and up to LINE_ROWS lines. Whether
    it balances, has two lines, one side per line and accounts of the ledger is for
    `manual_entry_post` to say: its `lines` errors land on the spot below the lines."""

    journal = forms.ChoiceField(
        label="Journal",
        error_messages={
            "required": REQUIRED,
            "invalid_choice": "Choisissez un journal de la liste.",
        },
    )
    date = date_field("Date")
    label = forms.CharField(
        label="Libellé",
        max_length=200,
        error_messages={"required": REQUIRED, "max_length": "200 caractères au plus."},
    )
    piece_ref = forms.CharField(
        label="Pièce",
        max_length=60,
        required=False,
        help_text="Vide : OD-AAAAMMJJ.",
        error_messages={"max_length": "60 caractères au plus."},
    )
    lines = ErrorSpot()

    def __init__(self, data=None, *args, journals, **kwargs):
        super().__init__(_rows_packed(data) if data is not None else None, *args, **kwargs)
        self.fields["journal"].choices = [
            (journal.code, f"{journal.code} — {journal.label}") for journal in journals
        ]
        for number in range(1, LINE_ROWS + 1):
            self.fields[f"line{number}_account"] = forms.RegexField(
                r"^\d{6,8}$",
                label="Compte",
                required=False,
                error_messages={"invalid": "Numéro de compte de 6 à 8 chiffres."},
                widget=forms.TextInput(
                    attrs={"list": "accounts", "inputmode": "numeric", "autocomplete": "off"}
                ),
            )
            self.fields[f"line{number}_debit"] = AmountField(label="Débit")
            self.fields[f"line{number}_credit"] = AmountField(label="Crédit")
            self.fields[f"line{number}_label"] = forms.CharField(
                label="Libellé de la ligne",
                max_length=200,
                required=False,
                error_messages={"max_length": "200 caractères au plus."},
            )

    def rows(self):
        """(number, [account, debit, credit, label]) of each row, for the template."""
        return [
            (number, [self[f"line{number}_{part}"] for part in ROW_PARTS])
            for number in range(1, LINE_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        lines = []
        for number in range(1, LINE_ROWS + 1):
            names = {part: f"line{number}_{part}" for part in ROW_PARTS}
            if not any(str(self.data.get(name, "")).strip() for name in names.values()):
                continue  # a row left empty
            if not data.get(names["account"]):
                if names["account"] not in self.errors:
                    self.add_error(names["account"], "Indiquez le compte de cette ligne.")
                continue
            lines.append(
                LineIn(
                    account=data[names["account"]],
                    debit=data.get(names["debit"]) or ZERO,
                    credit=data.get(names["credit"]) or ZERO,
                    label=data.get(names["label"]) or "",
                )
            )
        data["entry_lines"] = lines
        return data

    def entry(self) -> dict:
        """The arguments of `manual_entry_post` but the ledger and the user."""
        data = self.cleaned_data
        return {
            "journal": data["journal"],
            "date": data["date"],
            "label": data["label"],
            "piece_ref": data["piece_ref"],
            "lines": data["entry_lines"],
        }


def period_query(start: dt.date, end: dt.date) -> str:
    """A period as the query string of the books page and of the statements' files."""
    return f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"


def month_period(day: dt.date) -> str:
    """The query string of the month of `day`: where a new entry shows on the books page."""
    first = day.replace(day=1)
    return period_query(first, last_day_of_month(first))
