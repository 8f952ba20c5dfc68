"""Forms of the accounting pages. They only parse what people type (amounts with a
decimal comma, dates, account numbers) and hold the messages shown beside each field;
the rules of the books (a balanced entry, a day's single Z ticket, a closed month...)
are the services' to judge, and their errors come back here through
`mache.forms.add_service_errors`."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError

from mache.formats import format_quantity, format_rate
from mache.forms import ErrorSpot, add_service_errors
from mache.money import ZERO
from mache.periods import current_month, last_day_of_month, paris_today

from .apis.fec import FIRST_YEAR
from .sales.csv_import import PAYMENT_COLUMNS, RATE_COLUMNS
from .sales.rules import MAX_TRANSACTIONS
from .services import MAX_MANUAL_LINES, PIECE_REF_REQUIRED, ManualLineIn

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


# --- The till -------------------------------------------------------------------------

PAYMENT_LABELS = {"cash": "Espèces", "card": "Carte bancaire", "other": "Autres règlements"}


class ZTicketForm(forms.Form):
    """A day's Z ticket: the sales incl. VAT at each lawful rate and how they were paid.
    The amounts are named as the columns of the Z ticket CSV import (ttc_5_5, cash...).
    The service's errors on `lines` and `payments` land on the two spots of those names."""

    date = date_field("Jour des ventes")
    lines = ErrorSpot()
    payments = ErrorSpot()
    # The number of sales the till counted (docs/e-reporting.md): optional.
    transactions = forms.IntegerField(
        label="Nombre de ventes",
        required=False,
        min_value=0,
        max_value=MAX_TRANSACTIONS,
        help_text="Le nombre de tickets du jour, imprimé sur le ticket Z (facultatif).",
        error_messages={
            "invalid": "Un nombre entier, comme 152.",
            "min_value": "Pas de nombre négatif.",
            "max_value": f"{format_quantity(MAX_TRANSACTIONS)} ventes au plus.",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

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
            "transactions": data["transactions"],
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

# Rows shown on a new entry; "Ajouter une ligne" adds one (in the page by
# mache/static/mache/entry_form.js, or by the server without JavaScript).
LINE_ROWS = 4
ROW_PARTS = ("account", "aux", "debit", "credit", "label")
# Rows read from a submission: one more than an entry may have, so that the service says
# the entry is too long rather than the form dropping lines; beyond, the names are
# ignored (a "line99999_account" makes no 99,999 rows).
MAX_ROWS = MAX_MANUAL_LINES + 1
ROW_NAME_RE = re.compile(r"^line([0-9]{1,4})_(?:account|aux|debit|credit|label)$")
LINE_MESSAGE_RE = re.compile(r"^Ligne ([0-9]+) : (.*)$", re.S)


def _row_count(data) -> int:
    numbers = [int(m[1]) for m in map(ROW_NAME_RE.match, data) if m and 0 < int(m[1]) <= MAX_ROWS]
    return max(numbers, default=0)


def _rows_packed(data, *, extra: int = 0):
    """(data, number of rows): the typed rows moved up over the empty ones (the service
    numbers the lines it is given, "Ligne 2 : ...", and the page's second row must be
    that line), LINE_ROWS rows at least, `extra` empty ones after them."""
    data = data.copy()
    count = _row_count(data)
    rows = [
        {part: str(data.get(f"line{number}_{part}", "")) for part in ROW_PARTS}
        for number in range(1, count + 1)
    ]
    typed = [row for row in rows if any(value.strip() for value in row.values())]
    total = min(max(len(typed), LINE_ROWS) + extra, MAX_ROWS)
    typed += [dict.fromkeys(ROW_PARTS, "")] * (max(total, count) - len(typed))
    for number, row in enumerate(typed, start=1):
        for part, value in row.items():
            data[f"line{number}_{part}"] = value
    return data, total


class ManualEntryForm(forms.Form):
    """A correcting entry: journal, date, label, piece (typed: required), piece date and
    2 to MAX_MANUAL_LINES lines, each with an account, an auxiliary account (on 401/411),
    a debit or a credit and a label. Whether it balances, has two lines, one side per
    line, accounts of the ledger and real auxiliary accounts is for `manual_entry_post`
    to say: its `lines` errors land on the spot below the lines, and those of one line
    ("Ligne N : ...") beside that line too (`add_entry_errors`).

    `add_line`: the submission asked for one more row (nothing is judged then)."""

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
        help_text="Le numéro du document : facture, relevé, note…",
        error_messages={"required": PIECE_REF_REQUIRED, "max_length": "60 caractères au plus."},
    )
    piece_date = date_field(
        "Date de la pièce", required=False, help_text="Vide : la date de l'écriture."
    )
    lines = ErrorSpot()

    def __init__(self, data=None, *args, journals, add_line=False, **kwargs):
        self.add_line = add_line
        if data is not None:
            data, self.row_total = _rows_packed(data, extra=1 if add_line else 0)
        else:
            self.row_total = LINE_ROWS
        if add_line:
            # Shown again as typed, unjudged: asking for a row is not submitting.
            kwargs["initial"] = {**kwargs.get("initial", {}), **dict(data.items())}
            data = None
        super().__init__(data, *args, **kwargs)
        self.fields["journal"].choices = [
            (journal.code, f"{journal.code} — {journal.label}") for journal in journals
        ]
        self.row_errors = {}
        for number in range(1, self.row_total + 1):
            for part, field in _row_fields().items():
                self.fields[f"line{number}_{part}"] = field

    def rows(self):
        """(number, [account, aux, debit, credit, label], errors) of each row."""
        return [
            (
                number,
                [self[f"line{number}_{part}"] for part in ROW_PARTS],
                self.row_errors.get(number, []),
            )
            for number in range(1, self.row_total + 1)
        ]

    def clean(self):
        data = super().clean()
        lines = []
        for number in range(1, self.row_total + 1):
            names = {part: f"line{number}_{part}" for part in ROW_PARTS}
            if not any(str(self.data.get(name, "")).strip() for name in names.values()):
                continue  # a row left empty
            if not data.get(names["account"]):
                if names["account"] not in self.errors:
                    self.add_error(names["account"], "Indiquez le compte de cette ligne.")
                continue
            lines.append(
                ManualLineIn(
                    account=data[names["account"]],
                    aux=data.get(names["aux"]) or "",
                    debit=data.get(names["debit"]) or ZERO,
                    credit=data.get(names["credit"]) or ZERO,
                    label=data.get(names["label"]) or "",
                )
            )
        data["entry_lines"] = lines
        return data

    def add_entry_errors(self, exc) -> None:
        """The service's refusal beside the fields (`mache.forms.add_service_errors`);
        a message about one line ("Ligne 3 : ...") also beside that row."""
        add_service_errors(self, exc, field="date")
        for message in getattr(exc, "errors", {}).get("lines", []):
            match = LINE_MESSAGE_RE.match(str(message))
            if match and int(match[1]) <= self.row_total:
                self.row_errors.setdefault(int(match[1]), []).append(match[2])

    def entry(self) -> dict:
        """The arguments of `manual_entry_post` but the ledger and the user."""
        data = self.cleaned_data
        return {
            "journal": data["journal"],
            "date": data["date"],
            "label": data["label"],
            "piece_ref": data["piece_ref"],
            "piece_date": data.get("piece_date"),
            "lines": data["entry_lines"],
        }


def _row_fields() -> dict:
    """The inputs of one row, by part (renamed line<N>_<part> by the form)."""
    return {
        "account": forms.RegexField(
            r"^\d{6,8}$",
            label="Compte",
            required=False,
            error_messages={"invalid": "Numéro de compte de 6 à 8 chiffres."},
            widget=forms.TextInput(
                attrs={
                    "list": "accounts",
                    "inputmode": "numeric",
                    "autocomplete": "off",
                    "class": "account-input",
                }
            ),
        ),
        "aux": forms.CharField(
            label="Auxiliaire (401, 411)",
            max_length=17,
            required=False,
            error_messages={"max_length": "17 caractères au plus."},
            widget=forms.TextInput(
                attrs={"list": "auxiliaries", "autocomplete": "off", "class": "aux-input"}
            ),
        ),
        "debit": AmountField(label="Débit"),
        "credit": AmountField(label="Crédit"),
        "label": forms.CharField(
            label="Libellé de la ligne",
            max_length=200,
            required=False,
            error_messages={"max_length": "200 caractères au plus."},
        ),
    }


class ReversalForm(forms.Form):
    """The day of a reversal (today unless chosen); `entry_reverse` judges it (an open
    month, within the ledger's business dates, not before the entry it reverses)."""

    date = date_field("Date de l'extourne", required=False)

    def clean_date(self):
        return self.cleaned_data["date"] or paris_today()


def period_query(start: dt.date, end: dt.date) -> str:
    """A period as the query string of the books page and of the statements' files."""
    return f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"


def month_period(day: dt.date) -> str:
    """The query string of the month of `day`: where a new entry shows on the books page."""
    first = day.replace(day=1)
    return period_query(first, last_day_of_month(first))
