"""Forms of the purchasing pages: they parse what was typed and hold the errors shown
beside each field. The rules themselves (deadline, catalogue, quantities received) are
judged by the services; their errors come back onto these forms through
mache.forms.add_service_errors, as on every page."""

import unicodedata

from django import forms

from accounting.forms import AmountField
from catalogue.local import product_is_local, product_is_organic
from catalogue.models import MAX_UNITS
from mache.formats import format_quantity, format_rate
from mache.periods import paris_today

from .models import Round, RoundSchedule


def units_field(label, *, max_value=MAX_UNITS, max_message=None, **kwargs):
    """A whole number of units typed on a phone: numeric keypad, French messages."""
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=max_value,
        error_messages={
            "invalid": "Saisissez un nombre entier d'unités.",
            "min_value": "Pas de nombre négatif.",
            "max_value": max_message or f"Au plus {format_quantity(max_value)} unités.",
            "required": "Saisissez le nombre d'unités.",
        },
        widget=forms.NumberInput(
            attrs={"min": 0, "max": max_value, "step": 1, "inputmode": "numeric"}
        ),
        **kwargs,
    )


class OrderForm(forms.Form):
    """One quantity and one tolerance per product of the round's supplier; empty is 0."""

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        # One field object for all the quantities and one for all the tolerances: a field
        # holds no state of its own (its value and errors live in the form), and building
        # 600 of them cost more than the rest of the page (issue 18).
        quantity = units_field("Quantité", required=False)
        tolerance = units_field("Tolérance", required=False)
        for field in (quantity, tolerance):
            field.widget.attrs["placeholder"] = "0"
        for product in self.products:
            self.fields[f"q{product.pk}"] = quantity
            self.fields[f"t{product.pk}"] = tolerance

    def rows(self):
        """(product, quantity field, tolerance field) in the catalogue's order."""
        for product in self.products:
            yield product, self[f"q{product.pk}"], self[f"t{product.pk}"]

    def shown(self, name: str):
        """What field `name` shows, as its BoundField.value() would, without building one
        (600 of them cost milliseconds, issue 18): the posted text, else the initial."""
        return self.data.get(name) if self.is_bound else self.initial.get(name)

    def typed(self) -> dict[int, tuple[int, int]]:
        """Product id -> (quantity, tolerance) of the fields that parsed; a field in error
        counts as 0 (call after is_valid()). Unbound, the initial (saved) lines."""
        data = self.cleaned_data if self.is_bound else self.initial
        return {p.pk: (data.get(f"q{p.pk}") or 0, data.get(f"t{p.pk}") or 0) for p in self.products}

    def lines(self) -> list[dict]:
        """The lines for order_place / order_replace_lines (the service drops zeros)."""
        return [
            {"product": pk, "quantity": quantity, "tolerance": tolerance}
            for pk, (quantity, tolerance) in self.typed().items()
            if quantity or tolerance
        ]

    @staticmethod
    def initial_from(order) -> dict:
        if order is None:
            return {}
        return OrderForm.initial_of(
            {line.product_id: (line.quantity, line.tolerance) for line in order.lines.all()}
        )

    @staticmethod
    def initial_of(lines: dict[int, tuple[int, int]]) -> dict:
        """Product id -> (quantity, tolerance) as the fields' initial values."""
        initial = {}
        for pk, (quantity, tolerance) in lines.items():
            initial[f"q{pk}"] = quantity or None
            initial[f"t{pk}"] = tolerance or None
        return initial


def folded(text: str) -> str:
    """Lower case without accents, so that « creme » finds « Crème »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class ProductFilterForm(forms.Form):
    """The order form's search (GET, without JavaScript; order_form.js filters as one
    types): a word of the name or reference, a category, local products only, organic
    products only (`?local=1&bio=1`, docs/local-producers.md). It only hides products:
    all stay in the order form, so what was typed for a hidden one is kept."""

    q = forms.CharField(label="Rechercher un produit", required=False, max_length=100)
    categorie = forms.ChoiceField(label="Catégorie", required=False)
    local = forms.BooleanField(
        label="Local", required=False, widget=forms.CheckboxInput(attrs={"value": "1"})
    )
    bio = forms.BooleanField(
        label="Bio", required=False, widget=forms.CheckboxInput(attrs={"value": "1"})
    )

    def __init__(self, *args, products, cooperative=None, **kwargs):
        """`cooperative`: the hub and radius as read once for the request
        (catalogue.local.local_settings); none: no product is local."""
        super().__init__(*args, **kwargs)
        self.cooperative = cooperative
        self.categories = sorted({p.category for p in products if p.category}, key=folded)
        self.fields["categorie"].choices = [("", "Toutes les catégories")] + [
            (category, category) for category in self.categories
        ]
        self.fields["categorie"].error_messages["invalid_choice"] = (
            "Cette catégorie n'existe pas chez ce fournisseur."
        )
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(
            {"placeholder": "Nom ou référence", "autocomplete": "off"}
        )
        self._local = {}  # supplier id -> local, computed once each

    def active(self) -> bool:
        if not self.is_valid():
            return False
        data = self.cleaned_data
        return bool(data["q"] or data["categorie"] or data["local"] or data["bio"])

    def _is_local(self, product) -> bool:
        if product.supplier_id not in self._local:
            self._local[product.supplier_id] = product_is_local(product, self.cooperative)
        return self._local[product.supplier_id]

    def matches(self, product) -> bool:
        if not self.is_valid():
            return True
        data = self.cleaned_data
        words = folded(data["q"]).split()
        category = data["categorie"]
        haystack = search_text(product)
        return (
            all(word in haystack for word in words)
            and (not category or product.category == category)
            and (not data["local"] or self._is_local(product))
            and (not data["bio"] or product_is_organic(product))
        )


def search_text(product) -> str:
    """What the search looks in: the name, the reference and the category (order_form.js
    reads the same from the row and its section)."""
    return folded(f"{product.name} {product.sku} {product.category}")


class ReceiptForm(forms.Form):
    """The day of the delivery (empty: today), then per line of the supplier order: units
    received (at most those ordered), and the lot and expiry date printed on the
    delivery when there are some."""

    # Typed as dates are shown (26/11/2026), as on the count page.
    received_on = forms.DateField(
        label="Date de réception (JJ/MM/AAAA)",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Une date comme 26/11/2026."},
        widget=forms.DateInput(attrs={"placeholder": "JJ/MM/AAAA"}, format="%d/%m/%Y"),
    )

    def __init__(self, *args, lines, **kwargs):
        kwargs.setdefault("initial", {"received_on": paris_today()})
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            pk = line.product_id
            self.fields[f"r{pk}"] = units_field(
                "Unités reçues",
                max_value=line.units,
                initial=line.units,
                max_message=f"Au plus {format_quantity(line.units)} unités (commandées).",
            )
            self.fields[f"lot{pk}"] = forms.CharField(
                label="Lot",
                required=False,
                max_length=64,
                error_messages={"max_length": "Au plus 64 caractères."},
            )
            self.fields[f"exp{pk}"] = forms.DateField(
                label="Date limite",
                required=False,
                input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                error_messages={"invalid": "Une date comme 26/11/2026."},
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def rows(self):
        for line in self.lines:
            pk = line.product_id
            yield line, self[f"r{pk}"], self[f"lot{pk}"], self[f"exp{pk}"]

    def received(self) -> dict[int, int]:
        return {line.product_id: self.cleaned_data[f"r{line.product_id}"] for line in self.lines}

    def lots(self) -> dict[int, tuple]:
        lots = {}
        for line in self.lines:
            code = self.cleaned_data[f"lot{line.product_id}"].strip()
            expires_on = self.cleaned_data[f"exp{line.product_id}"]
            if code or expires_on:
                lots[line.product_id] = (code, expires_on)
        return lots


# --- Rounds run by the coordinator (docs/rounds.md) -------------------------------------

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def datetime_field(label, **kwargs):
    """A moment typed in Paris time (the phone's date and time picker)."""
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        error_messages={
            "invalid": "Une date et une heure comme 26/11/2026 18:00.",
            "required": "Indiquez la date et l'heure.",
        },
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **kwargs,
    )


def date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        error_messages={
            "invalid": "Une date comme 26/11/2026.",
            "required": "Indiquez la date.",
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


class RoundDatesForm(forms.Form):
    """Opening, deadline and delivery of a round (a clone's, or a new one's)."""

    opens_at = datetime_field("Ouverture")
    closes_at = datetime_field("Date limite de commande")
    delivery_date = date_field("Livraison prévue")


def delivery_field():
    """Where the supplier delivers the round (docs/distribution.md); left out of a post:
    unchanged (the hub for a new round)."""
    return forms.ChoiceField(
        label="Livraison du fournisseur",
        choices=Round.Delivery.choices,
        required=False,
        error_messages={"invalid_choice": "Choisissez la plateforme ou chaque commerce."},
    )


class RoundForm(RoundDatesForm):
    """A new round: the supplier, its dates and where the supplier delivers."""

    supplier = forms.ModelChoiceField(
        label="Fournisseur",
        queryset=None,
        empty_label="— choisir —",
        error_messages={
            "required": "Choisissez le fournisseur.",
            "invalid_choice": "Ce fournisseur n'existe pas.",
        },
    )
    delivery = delivery_field()
    field_order = ["supplier", "opens_at", "closes_at", "delivery_date", "delivery"]

    def __init__(self, *args, suppliers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = suppliers

    def clean_delivery(self):
        return self.cleaned_data.get("delivery") or Round.Delivery.HUB


class RoundEditForm(forms.Form):
    """What changes while a round is open: its deadline (extended or brought forward),
    its delivery day and where the supplier delivers."""

    closes_at = datetime_field("Date limite de commande")
    delivery_date = date_field("Livraison prévue")
    delivery = delivery_field()

    def clean_delivery(self):
        return self.cleaned_data.get("delivery") or None


class RoundScheduleForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label="Fournisseur",
        queryset=None,
        empty_label="— choisir —",
        error_messages={
            "required": "Choisissez le fournisseur.",
            "invalid_choice": "Ce fournisseur n'existe pas.",
        },
    )
    weekday = forms.TypedChoiceField(
        label="Date limite chaque",
        choices=RoundSchedule.WEEKDAYS,
        coerce=int,
        error_messages={
            "required": "Choisissez le jour.",
            "invalid_choice": "Choisissez un jour de la semaine.",
        },
    )
    closes_at_time = forms.TimeField(
        label="à (heure)",
        input_formats=["%H:%M", "%Hh%M", "%Hh"],
        error_messages={"invalid": "Une heure comme 18:00.", "required": "Indiquez l'heure."},
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    delivery_weekday = forms.TypedChoiceField(
        label="Livraison le",
        choices=RoundSchedule.WEEKDAYS,
        coerce=int,
        error_messages={
            "required": "Choisissez le jour.",
            "invalid_choice": "Choisissez un jour de la semaine.",
        },
    )
    opens_days_before = forms.IntegerField(
        label="Ouverture (jours avant la date limite)",
        min_value=1,
        max_value=28,
        initial=7,
        error_messages={
            "invalid": "Un nombre entier de jours.",
            "min_value": "Au moins 1 jour.",
            "max_value": "Au plus 28 jours.",
            "required": "Indiquez le nombre de jours.",
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": 28, "step": 1, "inputmode": "numeric"}),
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, suppliers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = suppliers


# --- Credit notes (docs/credit-notes.md) -------------------------------------------------

KIND_NAMES = {"goods": "Marchandises", "shipping": "Port", "fee": "Frais de service"}


class CreditNoteForm(forms.Form):
    """A credit note on one invoice: per invoice line, the units taken back (at most
    those left) and whether they go back to the supplier; per kind and VAT rate the
    invoice has, an amount excl. VAT to credit (a share of the shipping, a price error);
    the reason and the day. The limits themselves are the service's
    (purchasing.credit_note_rules): its refusals come back beside these fields."""

    reason = forms.CharField(
        label="Motif",
        max_length=300,
        error_messages={
            "required": "Indiquez le motif de l'avoir.",
            "max_length": "Au plus 300 caractères.",
        },
    )
    issued_on = forms.DateField(
        label="Date de l'avoir (JJ/MM/AAAA)",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Une date comme 26/11/2026."},
        widget=forms.DateInput(attrs={"placeholder": "JJ/MM/AAAA"}, format="%d/%m/%Y"),
    )

    def __init__(self, *args, invoice_lines, left, groups, **kwargs):
        """`left`: units left to take back per invoice line id; `groups`: the invoice's
        (kind, VAT rate) pairs, in the order shown."""
        kwargs.setdefault("initial", {"issued_on": paris_today()})
        super().__init__(*args, **kwargs)
        self.invoice_lines = list(invoice_lines)
        self.left = left
        self.groups = list(groups)
        for line in self.invoice_lines:
            self.fields[f"u{line.pk}"] = units_field(
                "Unités reprises",
                max_value=max(left.get(line.pk, 0), 0),
                required=False,
                max_message=f"Au plus {format_quantity(left.get(line.pk, 0))} (reste à reprendre).",
            )
            if line.product_id:
                self.fields[f"ret{line.pk}"] = forms.BooleanField(
                    label="Renvoyé au fournisseur", required=False
                )
        for kind, rate in self.groups:
            self.fields[self.amount_name(kind, rate)] = AmountField(
                label=f"{KIND_NAMES[kind]} TVA {format_rate(rate)} : montant HT"
            )

    @staticmethod
    def amount_name(kind, rate) -> str:
        return f"a_{kind}_{int(rate * 100)}"

    def rows(self):
        for line in self.invoice_lines:
            ret = self[f"ret{line.pk}"] if line.product_id else None
            yield line, self.left.get(line.pk, 0), self[f"u{line.pk}"], ret

    def amount_fields(self):
        return [self[self.amount_name(kind, rate)] for kind, rate in self.groups]

    def lines(self) -> tuple[list[dict], list[str]]:
        """The service's lines, and beside each the name of the field it came from (to
        put the service's refusal of a line beside it)."""
        lines, fields = [], []
        for line in self.invoice_lines:
            units = self.cleaned_data.get(f"u{line.pk}")
            if units:
                lines.append(
                    {
                        "invoice_line": line.pk,
                        "quantity": units,
                        "return_to_supplier": bool(self.cleaned_data.get(f"ret{line.pk}")),
                    }
                )
                fields.append(f"u{line.pk}")
        for kind, rate in self.groups:
            name = self.amount_name(kind, rate)
            amount = self.cleaned_data.get(name)
            if amount:
                lines.append(
                    {
                        "kind": kind,
                        "label": f"{KIND_NAMES[kind]} (TVA {format_rate(rate)})",
                        "amount_excl_vat": amount,
                        "vat_rate": rate,
                    }
                )
                fields.append(name)
        return lines, fields

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.lines()[0]:
            raise forms.ValidationError(
                "Choisissez des unités à reprendre ou un montant à créditer."
            )
        return cleaned


class SupplierInvoiceUploadForm(forms.Form):
    """A supplier's e-invoice to receive (docs/supplier-invoices.md, "Receiving")."""

    file = forms.FileField(
        label="Facture électronique",
        help_text="Factur-X / ZUGFeRD (PDF), CII ou UBL 2.1 (XML).",
        error_messages={
            "required": "Choisissez le fichier de la facture.",
            "empty": "Le fichier est vide.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.xml,application/pdf,text/xml"}),
    )


class SupplierInvoiceRejectForm(forms.Form):
    reason = forms.CharField(
        label="Motif du rejet (envoyé au fournisseur)",
        max_length=500,
        error_messages={"required": "Indiquez le motif du rejet."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
